"""Settings come from one TOML file; secrets never do."""

import os
import stat

import pytest

from kiosk.config import Settings, load_settings, save_settings, settings_path
from kiosk.errors import ConfigError, SecretError
from kiosk.secrets import delete_secret, get_secret, secret_source, set_secret


def test_first_run_without_a_file_uses_defaults(tmp_path):
    settings = load_settings()
    assert settings.ocr.engine == "onnx"
    assert settings.ocr.confidence_threshold == pytest.approx(0.60)
    assert settings_path() == tmp_path / "config" / "scan-kiosk" / "settings.toml"


def test_explicit_path_beats_environment_beats_default(tmp_path, monkeypatch):
    env_file = tmp_path / "env.toml"
    env_file.write_text("[kiosk]\nid = 'from-env'\n")
    arg_file = tmp_path / "arg.toml"
    arg_file.write_text("[kiosk]\nid = 'from-arg'\n")
    monkeypatch.setenv("KIOSK_CONFIG", str(env_file))
    assert load_settings().kiosk.id == "from-env"
    assert load_settings(arg_file).kiosk.id == "from-arg"


def test_save_then_load_round_trips(tmp_path):
    settings = Settings()
    settings.kiosk.id = "counter-3"
    settings.ocr.engine = "paddle"
    path = save_settings(settings)
    assert path.exists()
    assert load_settings() == settings


@pytest.mark.parametrize(
    "text, message",
    [
        ("[ocr\nengine=", "is not valid TOML"),
        ("[camera]\nindex = 1\n", "unknown settings section [camera]"),
        ("[ocr]\nspeed = 1\n", "unknown setting [ocr] speed"),
        ("[ocr]\nconfidence_threshold = 'high'\n", "[ocr] confidence_threshold must be float, not str"),
        ("[ocr]\nconfidence_threshold = 1.5\n", "between 0 and 1"),
        ("[kiosk]\napi_token = 'abc'\n", "secrets do not belong in the settings file"),
    ],
)
def test_bad_settings_are_named(tmp_path, text, message):
    path = tmp_path / "settings.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert message in str(raised.value)
    assert "abc" not in str(raised.value)


def test_chosen_file_that_does_not_exist_is_an_error(tmp_path):
    with pytest.raises(ConfigError, match="settings file not found"):
        load_settings(tmp_path / "nope.toml")


def test_secret_round_trip_through_the_file_keyring(tmp_path):
    assert get_secret("ocr_token") is None
    set_secret("ocr_token", "abc123")
    assert get_secret("ocr_token") == "abc123"
    assert secret_source("ocr_token") == "keyring"
    store = tmp_path / "keyring.json"
    assert stat.S_IMODE(store.stat().st_mode) == 0o600
    assert delete_secret("ocr_token") is True
    assert get_secret("ocr_token") is None
    assert delete_secret("ocr_token") is False


def test_environment_overrides_the_keyring(monkeypatch):
    set_secret("greenpay_token", "from-keyring")
    monkeypatch.setenv("KIOSK_SECRET_GREENPAY_TOKEN", "from-env")
    assert get_secret("greenpay_token") == "from-env"
    assert secret_source("greenpay_token") == "environment"


def test_no_keyring_daemon_gives_a_helpful_error(monkeypatch):
    import keyring.core

    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyring.backends.fail.Keyring")
    keyring.core._keyring_backend = None
    with pytest.raises(SecretError, match="KIOSK_SECRET_<NAME>"):
        get_secret("odoo_secret")
    assert secret_source("odoo_secret") == "unavailable (no keyring)"


def test_unknown_secret_name_is_refused():
    with pytest.raises(SecretError, match="unknown secret"):
        set_secret("root_password", "x")
