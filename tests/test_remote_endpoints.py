"""The OCR services as the seeds deploy them: receipt OCR and MRZ OCR as separate services on their own
ports, each endpoint configured as its full URL (also behind a proxy path), each with its own token, and
an ordered chain of providers tried in turn. Real loopback servers (tests/remote_server.py)."""

import json
import socket
import time

import cv2
import numpy as np
import pytest

from kiosk.cli.main import main
from kiosk.config import RemoteEndpoint, RemoteSettings, Settings, load_settings
from kiosk.ocr.remote.check import check_service
from kiosk.ocr.remote.client import (
    RemoteAuthError,
    RemoteNoMrz,
    RemoteNotConfigured,
    RemoteOcr,
    RemoteTimeout,
    RemoteUnreachable,
)
from kiosk.ocr.remote.fallback import read_with_fallback
from remote_server import TOKEN, OcrTestServer

MRZ_TOKEN = "mrz-token-7c1d2e3f"
BACKUP_TOKEN = "backup-token-9a8b7c6d"
TOKENS = {"ocr_token": TOKEN, "mrz_token": MRZ_TOKEN, "mrz_backup_token": BACKUP_TOKEN}


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def endpoint(url: str, token_secret: str = "ocr_token", **changes) -> RemoteEndpoint:
    values = dict(connect_timeout=1.0, read_timeout=2.0, retries=1, backoff=0.05, max_retry_wait=3.0)
    return RemoteEndpoint(url=url, token_secret=token_secret, **{**values, **changes})


@pytest.fixture(scope="module")
def image():
    return cv2.imencode(".png", np.full((120, 160, 3), 220, np.uint8))[1].tobytes()


@pytest.fixture
def receipt_service():
    with OcrTestServer.receipt() as server:
        yield server


@pytest.fixture
def mrz_service():
    with OcrTestServer.mrz(token=MRZ_TOKEN) as server:
        yield server


# -------------------------------------------------------------- endpoints as URLs


def test_a_receipt_service_given_as_its_endpoint_url_is_called_at_that_url(receipt_service, image):
    """Before, `[remote] url = http://HOST:8000/ocr` was posted to /ocr/ocr."""
    url = receipt_service.endpoint("receipt")
    assert url == receipt_service.url + "/ocr"
    with RemoteOcr(RemoteSettings(receipt=[endpoint(url)]), TOKENS) as client:
        answer = client.read("receipt", image)
        health = client.health()
    assert answer.record.value("total") == 12.5 and answer.provider == url
    assert [(seen.method, seen.path, seen.authorized) for seen in receipt_service.seen] == [
        ("POST", "/ocr", True),
        ("GET", "/health", True),  # the default health URL: the endpoint's origin + /health
    ]
    assert health.up and health.url == url


def test_an_mrz_service_behind_a_proxy_path_is_called_there_with_its_own_health_url(image):
    with OcrTestServer.mrz("/api/ocr", token=MRZ_TOKEN) as proxied:
        url = proxied.endpoint("passport")
        assert url == proxied.url + "/api/ocr/scan-mrz"
        settings = RemoteSettings(mrz=[endpoint(url, "mrz_token", health_url=proxied.url + "/api/ocr/health")])
        with RemoteOcr(settings, TOKENS) as client:
            record = client.scan_mrz(image)
            assert client.health().up
        assert record.status == "ok" and record.value("surname") == "ERIKSSON"
        assert [seen.path for seen in proxied.seen] == ["/api/ocr/scan-mrz", "/api/ocr/health"]


def test_each_service_gets_its_own_token(receipt_service, mrz_service, image):
    settings = RemoteSettings(
        receipt=[endpoint(receipt_service.endpoint("receipt"))],
        mrz=[endpoint(mrz_service.endpoint("passport"), "mrz_token")],
    )
    with RemoteOcr(settings, TOKENS) as client:
        assert client.scan("receipt", image).value("vendor") == "Starbucks"
        assert client.scan("passport", image).value("document_number") == "L898902C3"
    assert [(s.path, s.authorized) for s in receipt_service.posts()] == [("/ocr", True)]
    assert [(s.path, s.authorized) for s in mrz_service.posts()] == [("/scan-mrz", True)]
    # The receipt service's token sent to the MRZ service is refused there: they are not interchangeable.
    swapped = RemoteSettings(mrz=[endpoint(mrz_service.endpoint("passport"), "ocr_token")])
    with RemoteOcr(swapped, TOKENS) as client, pytest.raises(RemoteAuthError, match="kiosk secret set ocr_token") as caught:
        client.scan_mrz(image)
    assert mrz_service.endpoint("passport") in str(caught.value) and TOKEN not in str(caught.value)


def test_a_kind_without_providers_says_which_table_to_add(receipt_service, image):
    with RemoteOcr(RemoteSettings(receipt=[endpoint(receipt_service.endpoint("receipt"))]), TOKENS) as client:
        with pytest.raises(RemoteNotConfigured, match=r"no MRZ OCR service configured: add a \[\[remote.mrz\]\] url"):
            client.scan_mrz(image)
    assert receipt_service.posts() == []


# ------------------------------------------------------------------ the chain


def test_when_the_first_provider_is_down_the_second_answers_and_the_outcome_names_it(mrz_service, image, monkeypatch):
    dead = f"http://127.0.0.1:{closed_port()}/scan-mrz"
    good = mrz_service.endpoint("passport")
    settings = Settings(remote=RemoteSettings(policy="manual", mrz=[endpoint(dead, breaker_failures=2), endpoint(good, "mrz_token")]))
    monkeypatch.setenv("KIOSK_SECRET_OCR_TOKEN", TOKEN)
    monkeypatch.setenv("KIOSK_SECRET_MRZ_TOKEN", MRZ_TOKEN)
    with RemoteOcr.from_settings(settings) as client:
        started = time.monotonic()
        outcome = read_with_fallback("passport", image, None, settings, force=True, client=client)
        assert time.monotonic() - started < 3
        assert outcome.remote_error is None and outcome.record.status == "ok" and outcome.via == "remote"
        assert outcome.provider == good
        # The dead one's circuit is now open: the next scan goes straight to the second, without waiting.
        started = time.monotonic()
        assert client.read("passport", image).provider == good
        assert time.monotonic() - started < 0.5
    assert len(mrz_service.posts()) == 2


def test_rate_limited_or_refusing_providers_hand_over_to_the_next(image):
    with OcrTestServer.mrz() as limited, OcrTestServer.mrz(token="someone-else") as refusing, \
            OcrTestServer.mrz(token=BACKUP_TOKEN) as backup:
        limited.script(("rate_limit", 120))
        chain = [endpoint(limited.endpoint("passport")), endpoint(refusing.endpoint("passport")),
                 endpoint(backup.endpoint("passport"), "mrz_backup_token")]
        with RemoteOcr(RemoteSettings(mrz=chain), TOKENS) as client:
            assert client.read("passport", image).provider == backup.endpoint("passport")
        assert [s.behaviour for s in limited.posts()] == ["rate_limit"]
        assert [s.authorized for s in refusing.posts()] == [False]
        assert [s.authorized for s in backup.posts()] == [True]


def test_no_mrz_from_a_working_provider_is_an_answer_and_not_passed_on(image):
    """A chain is for availability, not second opinions: the next provider gets no passport image."""
    with OcrTestServer.mrz() as first, OcrTestServer.mrz() as second:
        first.script("no_mrz")
        chain = [endpoint(first.endpoint("passport")), endpoint(second.endpoint("passport"))]
        with RemoteOcr(RemoteSettings(mrz=chain), TOKENS) as client, pytest.raises(RemoteNoMrz) as caught:
            client.scan_mrz(image)
        assert str(caught.value) == f"the OCR service at {first.endpoint('passport')} found no MRZ: No MRZ detected in image"
        assert second.posts() == []


def test_when_every_provider_fails_the_error_names_each(image):
    with OcrTestServer.mrz() as failing:
        failing.default = ("error", 503)
        dead = f"http://127.0.0.1:{closed_port()}/scan-mrz"
        chain = [endpoint(failing.endpoint("passport"), retries=0), endpoint(dead, retries=0)]
        with RemoteOcr(RemoteSettings(mrz=chain), TOKENS) as client, pytest.raises(RemoteUnreachable) as caught:
            client.scan_mrz(image)
    message = str(caught.value)
    assert message.startswith("no MRZ OCR provider could read it: ")
    assert f"{failing.endpoint('passport')} failed (HTTP 503)" in message and f"{dead} could not be reached" in message
    assert TOKEN not in message


def test_the_whole_chain_keeps_to_the_total_timeout(image):
    """A provider that hangs cannot make the scan outlast `[remote] total_timeout`; the time left goes to the next."""
    with OcrTestServer.mrz() as hanging, OcrTestServer.mrz() as quick:
        hanging.default = ("hang", 15)
        chain = [endpoint(hanging.endpoint("passport"), read_timeout=10.0), endpoint(quick.endpoint("passport"))]
        with RemoteOcr(RemoteSettings(total_timeout=1.5, mrz=chain), TOKENS) as client:
            assert client.worst_case_seconds("passport") == 1.5
            started = time.monotonic()
            with pytest.raises(RemoteTimeout):
                client.scan_mrz(image)
            assert 1.4 <= time.monotonic() - started < 2.5
        assert quick.posts() == []  # no time was left for it
        chain[0].read_timeout = 1.0
        with RemoteOcr(RemoteSettings(total_timeout=4.0, mrz=chain), TOKENS) as client:
            started = time.monotonic()
            assert client.read("passport", image).provider == quick.endpoint("passport")
            assert 1.0 <= time.monotonic() - started < 3.0
        assert len(quick.posts()) == 1


# ------------------------------------------------------------------ the check


SEED_FILE = """\
[remote]
policy = "manual"

[[remote.receipt]]
url = "{receipt}"
connect_timeout = 1.0

[[remote.mrz]]
url = "{mrz}"
token_secret = "mrz_token"
connect_timeout = 1.0
"""


def test_service_check_reports_each_provider_and_a_refused_token(receipt_service, mrz_service, tmp_path, monkeypatch, capsys):
    config = tmp_path / "settings.toml"
    config.write_text("schema = 2\n\n" + SEED_FILE.format(receipt=receipt_service.endpoint("receipt"), mrz=mrz_service.endpoint("passport")))
    monkeypatch.setenv("KIOSK_SECRET_OCR_TOKEN", TOKEN)
    monkeypatch.setenv("KIOSK_SECRET_MRZ_TOKEN", "not-the-mrz-token")
    assert main(["--config", str(config), "service", "check"]) == 1
    captured = capsys.readouterr()
    assert f"receipt OCR  {receipt_service.endpoint('receipt')}: up (status 'ok')" in captured.out
    assert "token    environment (ocr_token), accepted" in captured.out
    assert "token    environment (mrz_token), refused" in captured.out
    [error] = captured.err.splitlines()
    assert error.startswith(f"kiosk: error: MRZ OCR ({mrz_service.endpoint('passport')}): up (")
    assert error.endswith("but the token is refused (HTTP 401): check it with `kiosk secret set mrz_token`")
    assert "not-the-mrz-token" not in captured.out + captured.err and TOKEN not in captured.out + captured.err

    monkeypatch.setenv("KIOSK_SECRET_MRZ_TOKEN", MRZ_TOKEN)
    assert main(["--config", str(config), "service", "check", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(p["provider"], p["url"], p["token"], p["up"]) for p in out["providers"]] == [
        ("receipt OCR", receipt_service.endpoint("receipt"), "accepted", True),
        ("MRZ OCR", mrz_service.endpoint("passport"), "accepted", True),
    ]
    # Testing tokens started no OCR work: every POST was an empty form, answered before any image was read.
    assert {s.behaviour for s in receipt_service.posts() + mrz_service.posts()} == {"refused"}


def test_a_service_that_reads_the_form_before_the_token_leaves_the_token_untested(image):
    """Such a service answers an empty form 422 with or without a token: 422 alone proves nothing."""
    with OcrTestServer.mrz(auth_after_body=True) as server:
        settings = Settings(remote=RemoteSettings(mrz=[endpoint(server.endpoint("passport"))]))
        result = check_service(settings, {"ocr_token": "wrong-token"})
    [provider] = result.providers
    assert result.ok and provider.token == "untested"
    assert provider.summary.endswith("token not tested")
    assert "only a scan can show whether it is accepted" in result.line()


def test_a_seed_file_loads_and_its_chain_is_used_by_the_command_line(mrz_service, tmp_path, monkeypatch, capsys, image):
    dead = f"http://127.0.0.1:{closed_port()}/scan-mrz"
    config = tmp_path / "settings.toml"
    config.write_text(
        'schema = 2\n\n[remote]\npolicy = "manual"\n\n[[remote.mrz]]\n'
        f'url = "{dead}"\nconnect_timeout = 1.0\nretries = 0\n\n'
        f'[[remote.mrz]]\nurl = "{mrz_service.endpoint("passport")}"\ntoken_secret = "mrz_token"\n'
    )
    assert [e.url for e in load_settings(config).remote.mrz] == [dead, mrz_service.endpoint("passport")]
    picture = tmp_path / "page.png"
    picture.write_bytes(image)
    monkeypatch.setenv("KIOSK_SECRET_OCR_TOKEN", TOKEN)
    monkeypatch.setenv("KIOSK_SECRET_MRZ_TOKEN", MRZ_TOKEN)
    assert main(["--config", str(config), "scan", "passport", str(picture), "--remote", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["via"] == "remote" and out["status"] == "ok" and out["fields"]["surname"]["value"] == "ERIKSSON"
    assert [(s.path, s.authorized) for s in mrz_service.posts()] == [("/scan-mrz", True)]


# ------------------------------------------------------------------ the settings form


def test_the_settings_form_edits_the_first_provider_of_each_kind_and_keeps_the_others(qtbot):
    from kiosk.ui.screens.forms import RemoteSection

    settings = Settings(remote=RemoteSettings(
        receipt=[RemoteEndpoint(url="http://10.0.0.5:8000/ocr")],
        mrz=[RemoteEndpoint(url="http://10.0.0.5:5000/scan-mrz", read_timeout=50.0),
             RemoteEndpoint(url="https://backup.example.org/api/ocr/scan-mrz", token_secret="mrz_backup_token")],
    ))
    section = RemoteSection()
    qtbot.addWidget(section)
    section.load(settings)
    assert section.receipt_url.text() == "http://10.0.0.5:8000/ocr" and section.mrz_url.text() == "http://10.0.0.5:5000/scan-mrz"
    assert section.mrz_more.text() == "+1 more in the settings file" and section.receipt_more.text() == ""

    section.mrz_url.setText("http://10.0.0.6:5000/scan-mrz")
    section.receipt_token.setText("receipt-typed")
    section.mrz_token.setText("mrz-typed")
    section.apply(settings)
    remote = settings.remote
    assert [e.url for e in remote.receipt] == ["http://10.0.0.5:8000/ocr"]
    assert [(e.url, e.token_secret, e.read_timeout) for e in remote.mrz] == [
        ("http://10.0.0.6:5000/scan-mrz", "mrz_token", 50.0),  # shared ocr_token before: now its own, as typed
        ("https://backup.example.org/api/ocr/scan-mrz", "mrz_backup_token", 35.0),
    ]
    assert section.secrets() == {"ocr_token": "receipt-typed", "mrz_token": "mrz-typed"}
    settings.validate()

    section.receipt_url.setText("")  # clearing the URL removes that provider
    section.apply(settings)
    assert settings.remote.receipt == [] and len(settings.remote.mrz) == 2
