"""`kiosk sync --check` with GreenPay (and the Settings screen's "Test connection", the same function): one
authenticated request, and an answer for each way it goes wrong, against the loopback GreenPay and servers that
are not GreenPay."""

import socket

import pytest
from greenpay_server import TOKEN, GreenPayServer
from odoo_server import StaticServer

from kiosk.cli.main import main
from kiosk.config import Settings, save_settings
from kiosk.secrets import set_secret
from kiosk.sync.check import check_target


class Static(StaticServer):
    """One fixed answer to any request, GET too."""

    def answer_get(self, handler):
        self.requests += 1
        return self.reply


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def greenpay_settings(url: str, check_path: str = "") -> Settings:
    settings = Settings()
    settings.sync.target = "greenpay"
    settings.greenpay.url = url
    settings.greenpay.check_path = check_path
    return settings


def sync_check(settings, tmp_path, capsys, token=TOKEN):
    """`kiosk sync --check` on these settings (saved first, the token stored): (exit status, stdout, stderr)."""
    config = tmp_path / "settings.toml"
    save_settings(settings, config)
    set_secret("greenpay_token", token)
    status = main(["--config", str(config), "sync", "--check"])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


@pytest.mark.parametrize("check_path, request_line", [("", "POST /api/passports"), ("/api/health", "GET /api/health")])
def test_a_good_greenpay_is_asked_once_with_the_token_and_stores_nothing(tmp_path, capsys, check_path, request_line):
    with GreenPayServer() as server:
        status, out, err = sync_check(greenpay_settings(server.url, check_path), tmp_path, capsys)
    assert (status, err) == (0, "")
    assert out.splitlines()[0] == f"ok: GreenPay answers at {server.url} and accepts the token"
    assert server.requests == {request_line: 1}
    assert server.stored == {}


@pytest.mark.parametrize("check_path", ["", "/api/health"])
def test_a_refused_token_is_named(tmp_path, capsys, check_path):
    with GreenPayServer() as server:
        status, out, err = sync_check(greenpay_settings(server.url, check_path), tmp_path, capsys, token="expired-token")
    assert (status, out) == (1, "")
    assert err.splitlines() == ["kiosk: error: GreenPay refused the token (HTTP 401)", "  check the greenpay_token secret"]


def test_nothing_listening_is_unreachable_not_ok(tmp_path, capsys):
    url = f"http://127.0.0.1:{closed_port()}"
    status, out, err = sync_check(greenpay_settings(url), tmp_path, capsys)
    assert (status, out) == (1, "")
    assert err.splitlines()[0] == f"kiosk: error: cannot reach GreenPay at {url}: nothing answers there (ConnectError): try again later"
    assert "check that GreenPay is running" in err


@pytest.mark.parametrize("check_path", ["", "/api/health"])
def test_a_greenpay_too_slow_to_answer_is_a_timeout(check_path):
    with GreenPayServer(delay=1.0) as server:
        settings = greenpay_settings(server.url, check_path)
        settings.greenpay.timeout = 0.3
        check = check_target(settings, TOKEN)
    assert (check.ok, check.retry_later) == (False, True)
    assert check.summary == f"GreenPay at {server.url} did not answer within 0.3 s"


@pytest.mark.parametrize(
    "check_path, status, body, content_type, expected",
    [
        ("", 200, b"<html>Wi-Fi login</html>", "text/html; charset=utf-8", "{url}/api/passports answers with a web page, not GreenPay"),
        ("/api/health", 200, b"<html>It works!</html>", "text/html", "{url}/api/health answers with a web page, not GreenPay"),
        ("", 404, b'{"detail": "Not Found"}', "application/json", "GreenPay has no /api/passports (HTTP 404): check the URL"),
        ("/api/health", 404, b"<h1>Not Found</h1>", "text/html", "GreenPay has no /api/health (HTTP 404): check the URL"),
        ("", 400, b'{"jsonrpc": "2.0", "result": null}', "application/json", "{url}/api/passports does not answer like GreenPay"),
        ("", 422, b"invalid", "text/plain", "{url}/api/passports does not answer like GreenPay"),
        ("/api/health", 200, b'{"hello": "world"}', "application/json", "{url}/api/health does not answer like GreenPay"),
        ("/api/health", 200, b"OK", "text/plain", "{url}/api/health does not answer like GreenPay"),
    ],
    ids=["portal-page", "web-server-page", "json-404", "html-404", "json-of-another-api", "plain-text-refusal",
         "json-without-status", "plain-text-health"],
)
def test_a_server_that_is_not_greenpay_is_named_as_such(tmp_path, capsys, check_path, status, body, content_type, expected):
    with Static(status, body, content_type) as server:
        code, out, err = sync_check(greenpay_settings(server.url, check_path), tmp_path, capsys)
    assert (code, out) == (1, "")
    assert err.splitlines()[0] == "kiosk: error: " + expected.format(url=server.url)
    assert "try again later" not in err  # a wrong address does not fix itself
    assert server.requests == 1


@pytest.mark.parametrize(
    "status, body, expected",
    [
        (503, b'{"error": "maintenance"}', "GreenPay is failing (HTTP 503)"),
        (429, b'{"error": "slow down"}', "GreenPay is busy (HTTP 429)"),
    ],
)
def test_a_busy_or_failing_greenpay_is_worth_trying_again(status, body, expected):
    with Static(status, body, "application/json") as server:
        check = check_target(greenpay_settings(server.url), TOKEN)
    assert (check.ok, check.summary, check.retry_later) == (False, expected, True)


def test_a_health_that_says_it_is_not_well_is_reported():
    with Static(200, b'{"status": "degraded"}', "application/json") as server:
        check = check_target(greenpay_settings(server.url, "/api/health"), TOKEN)
    assert (check.ok, check.summary, check.retry_later) == (False, "GreenPay says it is not well (status 'degraded')", True)


def test_a_greenpay_that_stores_an_empty_record_is_told_so():
    with Static(201, b'{"id": 1}', "application/json") as server:
        check = check_target(greenpay_settings(server.url), TOKEN)
    assert (check.ok, check.summary) == (False, "GreenPay accepted an empty test record (HTTP 201): it should validate records")
