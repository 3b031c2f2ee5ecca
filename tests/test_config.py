"""Settings come from one TOML file; secrets never do."""

import logging
import os
import stat

import pytest

import kiosk.config
from kiosk.config import SCHEMA_VERSION, Settings, load_settings, migrate, save_settings, settings_path
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


def test_saved_file_starts_with_its_schema_and_round_trips(tmp_path):
    settings = Settings()
    settings.kiosk.operator = "Aisha"
    path = save_settings(settings, tmp_path / "settings.toml")
    assert path.read_text().startswith(f"schema = {SCHEMA_VERSION}\n")
    assert SCHEMA_VERSION == 2
    assert load_settings(path) == settings


def test_file_from_an_earlier_release_loads_its_values(tmp_path):
    # As releases before schemas wrote it: no `schema` key (version 0).
    path = tmp_path / "settings.toml"
    path.write_text("[kiosk]\nid = 'counter-7'\n\n[ocr]\nengine = 'paddle'\nthreads = 2\n\n[ui]\nidle_seconds = 45\n")
    settings = load_settings(path)
    assert (settings.kiosk.id, settings.ocr.engine, settings.ocr.threads) == ("counter-7", "paddle", 2)
    assert settings.ui.idle_seconds == 45
    assert settings.receipt.date_order == "DMY"  # what the file leaves out keeps its default


def test_file_from_a_newer_release_loads_what_this_one_knows(tmp_path, caplog):
    path = tmp_path / "settings.toml"
    path.write_text(
        f"schema = {SCHEMA_VERSION + 1}\n\n"
        "[kiosk]\nid = 'counter-9'\nbadge_holder = 'Jane Roe'\n\n"
        "[ocr]\nengine = 'paddle'\n\n"
        "[printer]\nqueue = 'lobby-hp'\n\n"
        "[odoo.expense_fields]\namount = 'unit_amount'\nanalytic = 'analytic_distribution'\n"
    )
    with caplog.at_level(logging.WARNING, logger="kiosk.config"):
        settings = load_settings(path)
    assert (settings.kiosk.id, settings.ocr.engine) == ("counter-9", "paddle")
    assert settings.odoo.expense_fields["amount"] == "unit_amount"
    assert "analytic" not in settings.odoo.expense_fields
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert "badge_holder" in warnings[0] and "[printer]" in warnings[0] and "analytic" in warnings[0]
    for value in ("Jane Roe", "lobby-hp", "analytic_distribution"):
        assert value not in caplog.text


def test_newer_file_still_refuses_secrets(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(f"schema = {SCHEMA_VERSION + 1}\n\n[printer]\napi_token = 'abc'\n")
    with pytest.raises(ConfigError, match="secrets do not belong") as raised:
        load_settings(path)
    assert "abc" not in str(raised.value)


def test_typo_in_a_current_file_is_still_an_error(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(f"schema = {SCHEMA_VERSION}\n\n[ocr]\nengnie = 'paddle'\n")
    with pytest.raises(ConfigError, match=r"unknown setting \[ocr\] engnie"):
        load_settings(path)
    path.write_text(f"schema = {SCHEMA_VERSION}\n\n[orc]\nengine = 'paddle'\n")
    with pytest.raises(ConfigError, match=r"unknown settings section \[orc\]"):
        load_settings(path)


@pytest.mark.parametrize("value", ["'1'", "-1", "1.5", "true", "{ v = 1 }"])
def test_bad_schema_is_named(tmp_path, value):
    path = tmp_path / "settings.toml"
    path.write_text(f"schema = {value}\n\n[kiosk]\nid = 'x'\n")
    with pytest.raises(ConfigError, match="settings schema must be an integer 0 or more"):
        load_settings(path)


def test_migrations_chain_up_to_the_current_schema(tmp_path, monkeypatch):
    def rename_threads(data):
        data["ocr"]["threads"] = data["ocr"].pop("workers")
        return data

    # Pretend release 3 renamed [ocr] workers (version 2) to [ocr] threads.
    monkeypatch.setattr(kiosk.config, "SCHEMA_VERSION", 3)
    monkeypatch.setitem(kiosk.config.MIGRATIONS, 2, rename_threads)
    path = tmp_path / "settings.toml"
    path.write_text("schema = 2\n\n[ocr]\nworkers = 3\n")
    assert load_settings(path).ocr.threads == 3
    # A file from before schemas goes through every step.
    path.write_text("[ocr]\nworkers = 4\n")
    assert load_settings(path).ocr.threads == 4
    # A file written by release 3 is not migrated again.
    path.write_text("schema = 3\n\n[ocr]\nthreads = 5\n")
    assert load_settings(path).ocr.threads == 5


def test_migrate_leaves_its_input_alone():
    data = {"ocr": {"engine": "paddle"}}
    migrated = migrate(data)
    assert migrated == {"schema": SCHEMA_VERSION, "ocr": {"engine": "paddle"}}
    assert data == {"ocr": {"engine": "paddle"}}
    migrated["ocr"]["engine"] = "onnx"
    assert data["ocr"]["engine"] == "paddle"


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


# ------------------------------------------------------------- remote OCR providers

RELEASE_1_FILE = """\
schema = 1

[kiosk]
id = "counter-2"
operator = ""

[ocr]
engine = "onnx"
threads = 0
confidence_threshold = 0.6
max_side = 2000

[receipt]
currency = ""
date_order = "DMY"
read_width = 800

[remote]
url = "https://ocr.example.org/api/ocr"
policy = "manual"
ca_bundle = "/etc/ssl/org-ca.pem"
connect_timeout = 5.0
read_timeout = 20.0
retries = 1
backoff = 0.5
max_retry_wait = 10.0
breaker_failures = 3
breaker_cooldown = 45.0

[sync]
target = "none"
outbox = ""
store_images = false
retention_days = 7
backoff_seconds = 5.0
backoff_max_seconds = 900.0
max_attempts = 0
poll_seconds = 10.0

[odoo]
url = ""
database = ""
login = ""
employee_id = 0
product_id = 0
payment_mode = "own_account"
partner_model = "res.partner"
expense_model = "hr.expense"
partner_match = "ref"
timeout = 30.0
doubt_seconds = 150.0

[odoo.expense_fields]
name = "name"
amount = "total_amount_currency"
date = "date"
employee = "employee_id"
product = "product_id"
description = "description"
payment_mode = "payment_mode"
currency = "currency_id"
main_attachment = "message_main_attachment_id"

[odoo.partner_fields]
name = "name"
ref = "ref"
country = "country_id"
comment = "comment"

[greenpay]
url = ""
passports_path = "/api/passports"
receipts_path = ""
timeout = 30.0

[greenpay.body_fields]

[capture]
camera = "auto"
width = 1280
height = 720
timeout = 20.0
analysis_threads = 0

[ui]
idle_seconds = 90
"""
"""The settings file release 1 (one `[remote] url`) wrote, byte for byte, for a kiosk with its OCR service behind a proxy path."""


def test_a_release_1_file_keeps_its_ocr_service_as_one_provider_per_kind(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(RELEASE_1_FILE)
    remote = load_settings(path).remote
    assert remote.policy == "manual"
    [receipt], [mrz] = remote.receipt, remote.mrz
    # The same addresses release 1 posted to and asked for health.
    assert receipt.url == "https://ocr.example.org/api/ocr/ocr" and mrz.url == "https://ocr.example.org/api/ocr/scan-mrz"
    for endpoint in (receipt, mrz):
        assert endpoint.health_url == "https://ocr.example.org/api/ocr/health"
        assert endpoint.token_secret == "ocr_token" and endpoint.ca_bundle == "/etc/ssl/org-ca.pem"
        assert (endpoint.read_timeout, endpoint.retries, endpoint.breaker_cooldown) == (20.0, 1, 45.0)
    # Saved again, it is a schema-2 file without the old key, and loads to the same.
    save_settings(load_settings(path), path)
    text = path.read_text()
    assert text.startswith("schema = 2\n") and "[[remote.receipt]]" in text and "[[remote.mrz]]" in text
    assert "\nurl = \"https://ocr.example.org/api/ocr\"\n" not in text
    assert load_settings(path).remote == remote


def test_a_release_0_file_with_a_plain_base_url_gets_the_default_health_and_no_url_means_no_provider(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text("[remote]\nurl = 'http://10.0.0.5:8000/'\nread_timeout = 40\n")
    remote = load_settings(path).remote
    assert [e.url for e in remote.receipt] == ["http://10.0.0.5:8000/ocr"]
    assert [e.url for e in remote.mrz] == ["http://10.0.0.5:8000/scan-mrz"]
    assert remote.mrz[0].health_url == "" and remote.mrz[0].read_timeout == 40.0  # "" = http://10.0.0.5:8000/health
    path.write_text("schema = 1\n\n[remote]\nurl = ''\npolicy = 'off'\nretries = 4\n")
    remote = load_settings(path).remote
    assert (remote.receipt, remote.mrz, remote.policy) == ([], [], "off")


SEED_LAYOUT = """\
schema = 2

[remote]
policy = "auto"
total_timeout = 90

[[remote.receipt]]
url = "http://10.0.0.5:8000/ocr"

[[remote.mrz]]
url = "http://10.0.0.5:5000/scan-mrz"
token_secret = "mrz_token"
read_timeout = 35

[[remote.mrz]]
url = "https://backup.example.org/api/ocr/scan-mrz"
token_secret = "mrz_backup_token"
health_url = "https://backup.example.org/api/ocr/health"
"""


def test_the_seed_layout_loads_in_order_and_round_trips(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text(SEED_LAYOUT)
    settings = load_settings(path)
    remote = settings.remote
    assert remote.total_timeout == 90.0
    assert [(e.url, e.token_secret) for e in remote.endpoints("receipt")] == [("http://10.0.0.5:8000/ocr", "ocr_token")]
    assert [(e.url, e.token_secret) for e in remote.endpoints("passport")] == [
        ("http://10.0.0.5:5000/scan-mrz", "mrz_token"),
        ("https://backup.example.org/api/ocr/scan-mrz", "mrz_backup_token"),
    ]
    save_settings(settings, path)
    assert path.read_text().count("[[remote.mrz]]") == 2
    assert load_settings(path) == settings


@pytest.mark.parametrize(
    "entries, message",
    [
        ("[[remote.mrz]]\nurl = 'http://a:5000/scan-mrz'\n[[remote.mrz]]\nurl = 'ftp://b/scan-mrz'\n",
         "[[remote.mrz]] 2: url must start with http:// or https://"),
        ("[[remote.receipt]]\nurl = 'http://10.0.0.5:8000'\n", "[[remote.receipt]] 1: url must name the endpoint itself"),
        ("[[remote.receipt]]\ntoken_secret = 'ocr_token'\n", "[[remote.receipt]] 1: url is missing"),
        ("[[remote.mrz]]\nurl = 'http://a/scan-mrz'\nreed_timeout = 3\n", "[[remote.mrz]] 1: unknown setting reed_timeout"),
        ("[[remote.mrz]]\nurl = 'http://a/scan-mrz'\nretries = 'two'\n", "[[remote.mrz]] 1: retries must be int, not str"),
        ("[[remote.mrz]]\nurl = 'http://a/scan-mrz'\nbreaker_failures = 0\n", "[[remote.mrz]] 1: breaker_failures must be at least 1"),
        ("[[remote.mrz]]\nurl = 'http://a/scan-mrz'\ntoken = 'abc'\n", "[[remote.mrz]] 1: token: secrets do not belong"),
        ("[[remote.mrz]]\nurl = 'http://a/scan-mrz'\ntoken_secret = 'Abc-9f8e7d'\n",
         "[[remote.mrz]] 1: token_secret must be the name of a stored secret"),
        ("[[remote.mrz]]\nurl = 'https://me:abc@a/scan-mrz'\n", "[[remote.mrz]] 1: url must not carry a user or password"),
        ("[remote]\nmrz = 'http://a/scan-mrz'\n", "[remote] mrz must be a list of [[remote.mrz]] tables"),
        ("[remote]\nurl = 'http://a'\n", "unknown setting [remote] url: since settings schema 2"),
    ],
)
def test_each_ocr_provider_is_validated_by_its_place_in_the_list(tmp_path, entries, message):
    path = tmp_path / "settings.toml"
    path.write_text("schema = 2\n\n" + entries)
    with pytest.raises(ConfigError) as raised:
        load_settings(path)
    assert str(raised.value).startswith(message)
    assert "abc" not in str(raised.value).lower()


def test_a_newer_file_may_add_provider_keys(tmp_path, caplog):
    path = tmp_path / "settings.toml"
    path.write_text(f"schema = {SCHEMA_VERSION + 1}\n\n[[remote.mrz]]\nurl = 'http://a/scan-mrz'\nweight = 3\n")
    with caplog.at_level(logging.WARNING, logger="kiosk.config"):
        assert [e.url for e in load_settings(path).remote.mrz] == ["http://a/scan-mrz"]
    assert "[[remote.mrz]] 1: weight" in caplog.text
