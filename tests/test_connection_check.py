"""One connection check per service (`kiosk.sync.check`, `kiosk.ocr.remote.check`), shared by the commands and the
Settings screen's "Test connection", against the loopback servers."""

import json
import socket

import pytest
from odoo_server import API_KEY, OdooServer
from test_sync_odoo import odoo_settings

import kiosk.secrets
import kiosk.sync.targets.odoo as odoo_module
from kiosk.cli.main import main
from kiosk.config import Settings, save_settings
from kiosk.ocr.remote.check import PLAIN_HTTP_WARNING, TYPED, check_service
from kiosk.secrets import get_secret, set_secret
from kiosk.sync.check import check_target
from kiosk.ui.connections import check_greenpay, check_remote, check_sync


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sync_check_command(settings, tmp_path, capsys):
    """`kiosk sync --check` on these settings (saved first): (exit status, stdout, stderr)."""
    config = tmp_path / "settings.toml"
    save_settings(settings, config)
    status = main(["--config", str(config), "sync", "--check"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize(
    "change, expected",
    [
        (lambda s, srv: setattr(s.odoo, "product_id", 46), "[odoo] product_id 46 (Mileage) has a cost of 1.0"),
        (lambda s, srv: setattr(s.odoo, "product_id", 999999), "[odoo] product_id 999999 is not a product in Odoo"),
        (lambda s, srv: setattr(s.odoo, "employee_id", 999999), "[odoo] employee_id 999999 is not an employee in Odoo"),
        (lambda s, srv: srv.state.models["hr.employee"].rows[1].update(user_id=False), "the Odoo user 'admin' has no employee"),
        (lambda s, srv: setattr(s.odoo, "database", "no_such_db"), "Odoo has no database 'no_such_db'"),
    ],
    ids=["product-with-a-cost", "no-such-product", "no-such-employee", "login-without-employee", "no-such-database"],
)
def test_the_screen_and_the_command_give_the_same_answer(tmp_path, capsys, change, expected):
    with OdooServer() as server:
        settings = odoo_settings(server.url)
        set_secret("odoo_secret", API_KEY)  # not the login's own text, so no message has it masked
        change(settings, server)
        screen = check_sync(settings)
        status, out, err = sync_check_command(settings, tmp_path, capsys)
    assert screen[0] is False and screen[1].startswith(expected), screen
    assert status == 1 and out == ""
    assert err.splitlines()[0] == f"kiosk: error: {screen[1]}"


def test_a_good_odoo_reads_the_same_everywhere_and_lists_the_setup_only_when_asked(tmp_path, capsys):
    with OdooServer() as server:
        settings = odoo_settings(server.url)
        result = check_target(settings)
        with_setup = check_target(settings, setup=True)
        screen = check_sync(settings)
        status, out, err = sync_check_command(settings, tmp_path, capsys)
    summary = f"Odoo 18.0 at {server.url}, database kiosk, uid 2"
    assert result.ok and result.summary == summary and result.setup == {}
    assert "expenses go to employee 1 (the login's own)" in result.details
    assert with_setup.summary == summary and {"employees", "products"} <= set(with_setup.setup)
    assert screen == (True, summary)
    assert status == 0 and out.startswith(f"ok: {summary}\n") and err == ""


def test_a_typed_secret_is_used_instead_of_the_stored_one_and_never_stored():
    with OdooServer() as server:
        settings = odoo_settings(server.url)  # stores "admin", the right password
        refused = check_target(settings, "typed-wrong-password")
        assert not refused.ok and "refused the login 'admin'" in refused.summary
        set_secret("odoo_secret", "stored-wrong-password")
        assert check_target(settings).ok is False
        typed = check_target(settings, "admin")
        assert typed.ok, typed
    assert get_secret("odoo_secret") == "stored-wrong-password"  # the typed one was not stored
    assert odoo_module.get_secret is kiosk.secrets.get_secret  # nothing shared was changed to use it
    for result in (refused, typed):
        texts = [result.summary, *result.details, json.dumps(result.to_json())]
        assert not any("typed-wrong-password" in text or "stored-wrong-password" in text for text in texts)


def test_settings_missing_or_no_secret_are_named_before_any_request(tmp_path, capsys):
    settings = Settings()
    assert check_sync(settings) == (False, "no sync target chosen")
    settings.sync.target = "odoo"
    settings.odoo.url = "http://127.0.0.1:9"
    assert check_sync(settings) == (False, "fill in: database, login")
    settings.odoo.database, settings.odoo.login = "kiosk", "admin"
    assert check_sync(settings) == (False, "no password or API key")
    status, out, err = sync_check_command(settings, tmp_path, capsys)
    assert status == 1 and err == "kiosk: error: no password or API key\n  store it with `kiosk secret set odoo_secret`\n"


def test_greenpay_body_fields_are_checked_by_the_screen_too(tmp_path, capsys):
    """Before, the screen's GreenPay check sent its probe whatever `[greenpay.body_fields]` said."""
    from greenpay_server import TOKEN, GreenPayServer

    with GreenPayServer() as server:
        settings = Settings()
        settings.sync.target = "greenpay"
        settings.greenpay.url = server.url
        assert check_greenpay(settings, TOKEN) == (True, f"GreenPay answers at {server.url} and accepts the token")
        settings.greenpay.body_fields = {"passport_no": "document_number", "holder": "full_name"}
        ok, message = check_greenpay(settings, TOKEN)
        assert (ok, message) == (False, "[greenpay.body_fields] names no record field: full_name")
        set_secret("greenpay_token", TOKEN)
        status, out, err = sync_check_command(settings, tmp_path, capsys)
        assert status == 1 and err == f"kiosk: error: {message}\n"
        settings.greenpay.body_fields = {}
        status, out, err = sync_check_command(settings, tmp_path, capsys)
        assert status == 0 and out.startswith(f"ok: GreenPay answers at {server.url} and accepts the token")
        assert server.stored == {}  # the checks stored nothing
        assert TOKEN not in out + err


def test_the_ocr_service_check_is_one_for_the_screen_and_the_command(tmp_path, capsys):
    from remote_server import TOKEN, OcrTestServer, remote_settings

    with OcrTestServer() as server:
        settings = Settings(remote=remote_settings(server.url))
        no_token = check_service(settings)
        assert not no_token.ok and no_token.problem == "no_token"
        assert all(p.health.up and p.summary.endswith("but no token: scans will be refused; store it with `kiosk secret set ocr_token`")
                   for p in no_token.providers)
        # Before, the screen showed ✓ here while `kiosk service check` exited 1.
        ok, message = check_remote(settings)
        assert not ok and message.startswith("receipt OCR: up (") and "MRZ OCR: up (" in message and "but no token" in message
        typed = check_service(settings, {"ocr_token": TOKEN})
        assert typed.ok and all(p.token_source == TYPED and p.token == "accepted" for p in typed.providers)
        assert "token    typed, not stored (ocr_token), accepted" in typed.providers[0].details()
        ok, message = check_remote(settings, {"ocr_token": TOKEN})
        assert ok and message.startswith("receipt OCR: up (") and message.endswith(" ms), token accepted")
        config = tmp_path / "s.toml"
        save_settings(settings, config)
        assert main(["--config", str(config), "service", "check"]) == 1
        captured = capsys.readouterr()
        assert "token    not set (ocr_token), not tested" in captured.out and "kiosk secret set ocr_token" in captured.err
        for result in (no_token, typed):
            assert TOKEN not in " ".join([result.line(), *(d for p in result.providers for d in p.details()), json.dumps(result.to_json())])
        assert [p.behaviour for p in server.posts()] == ["refused"] * 8  # 2 checks x 2 providers x (with, without token): no OCR work
    assert get_secret("ocr_token") is None


def test_plain_http_to_another_host_is_a_warning_on_the_screen_too():
    from remote_server import remote_settings

    other = f"http://127.0.0.2:{closed_port()}"  # loopback, but not this host's name for it: nothing listens
    settings = Settings(remote=remote_settings(other, connect_timeout=1.0))
    result = check_service(settings, {"ocr_token": "tok-typed"})
    assert not result.ok and result.problem == "unreachable" and result.warnings == (PLAIN_HTTP_WARNING,)
    assert result.line().endswith(PLAIN_HTTP_WARNING)
    assert f"warning  {PLAIN_HTTP_WARNING}" in result.providers[0].details()
    assert check_remote(settings, {"ocr_token": "tok-typed"}) == (False, result.line())
    assert check_service(Settings()).summary == "no OCR service URL"
