"""The remote OCR client against a real loopback server implementing the service's contract.

Each failure mode must end in the right outcome (a record, or the right
RemoteError kind) within the configured time, with every request accounted
for on the server side. Timeouts are small here so the file stays fast.
"""

import hashlib
import logging
import socket
import time
from email.utils import format_datetime
from datetime import datetime, timedelta, timezone

import cv2
import numpy as np
import pytest

from kiosk.config import RemoteSettings
from kiosk.errors import ImageError, RemoteError
from kiosk.http_util import parse_retry_after
from kiosk.ocr.remote.client import (
    MAX_UPLOAD_BYTES,
    CircuitBreaker,
    RemoteAuthError,
    RemoteBadAnswer,
    RemoteCircuitOpen,
    RemoteNoMrz,
    RemoteNotConfigured,
    RemoteOcr,
    RemoteRateLimited,
    RemoteRejected,
    RemoteServerError,
    RemoteTimeout,
    RemoteTlsError,
    RemoteUnreachable,
    passport_from_answer,
    prepare_upload,
    receipt_from_answer,
)
from kiosk.records import PASSPORT_FIELDS, RECEIPT_FIELDS, SOURCE_REMOTE
from remote_server import TOKEN, TOKENS, OcrTestServer, make_tls, parse_multipart, passport_answer, remote_settings

PASSPORT_VALUES = {
    "document_type": "P",
    "document_number": "L898902C3",
    "surname": "ERIKSSON",
    "given_names": "ANNA MARIA",
    "nationality": "UTO",
    "issuing_country": "UTO",
    "birth_date": "1974-08-12",
    "expiry_date": "2032-04-15",
    "sex": "F",
    "personal_number": "ZE184226B",
}


def fast(url: str, **changes) -> RemoteSettings:
    """One server at `url` for both kinds, with small timeouts and backoff, so every failure mode resolves in a few seconds."""
    values = dict(connect_timeout=1.0, read_timeout=2.0, retries=2, backoff=0.05, max_retry_wait=3.0)
    values.update(changes)
    return remote_settings(url, **values)


def mrz(remote: RemoteOcr):
    """The client's (first) MRZ provider."""
    return remote.providers["passport"][0]


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.sleeps = []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def server():
    with OcrTestServer() as srv:
        yield srv


@pytest.fixture
def client(server):
    with RemoteOcr(fast(server.url), TOKENS) as remote:
        yield remote


@pytest.fixture(scope="module")
def page_png(tmp_path_factory):
    """A small PNG, as a file the kiosk would send unchanged."""
    image = np.full((300, 480, 3), 230, np.uint8)
    cv2.putText(image, "P<UTOERIKSSON<<ANNA<MARIA", (10, 150), cv2.FONT_HERSHEY_SIMPLEX, 0.6, (0, 0, 0), 1)
    ok, data = cv2.imencode(".png", image)
    assert ok
    return data.tobytes()


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------ health


@pytest.mark.parametrize("shape,status,service", [("ok", "ok", "paddleocr-vl"), ("healthy", "healthy", "passport-ocr")])
def test_health_accepts_both_shapes_of_the_contract(shape, status, service):
    with OcrTestServer(health_shape=shape) as srv, RemoteOcr(fast(srv.url), None) as remote:
        health = remote.health()
    assert health.up and health.status == status and health.version == "1.0.0" and health.service == service
    assert 0 < health.latency < 1
    assert health.to_json()["latency_ms"] > 0


def test_health_of_an_unhealthy_or_dead_service():
    with OcrTestServer(health_shape="down") as srv, RemoteOcr(fast(srv.url), TOKENS) as remote:
        health = remote.health()
    assert not health.up and health.status == "unhealthy"
    with RemoteOcr(fast(f"http://127.0.0.1:{closed_port()}"), TOKENS) as remote:
        started = time.monotonic()
        with pytest.raises(RemoteUnreachable, match="could not be reached"):
            remote.health()
        assert time.monotonic() - started < 3


# ------------------------------------------------------------ scan-mrz: answers


def test_scan_mrz_sends_the_file_with_the_token_and_maps_to_a_remote_record(server, client, page_png):
    record = client.scan_mrz(page_png)
    assert record.kind == "passport" and record.status == "ok" and record.format == "TD3"
    assert {name: record.value(name) for name in PASSPORT_VALUES} == PASSPORT_VALUES
    assert set(record.fields) == set(PASSPORT_FIELDS)
    assert all(field.source == SOURCE_REMOTE for field in record.fields.values())
    assert record.valid_check_digits and record.checks and all(record.checks.values())
    assert record.confidence == pytest.approx(0.98)  # the service's confidence caps every field
    assert record.mrz_lines == tuple(passport_answer()["mrzText"].split("\n"))
    [seen] = server.posts()
    assert seen.path == "/scan-mrz" and seen.authorized
    assert seen.file_name == "image.png" and seen.content_type == "image/png"
    assert seen.sha256 == hashlib.sha256(page_png).hexdigest()  # the original bytes, nothing lost


def test_a_camera_frame_array_is_sent_as_jpeg(server, client):
    frame = np.random.default_rng(3).integers(0, 255, (480, 640, 3), dtype=np.uint8)
    assert client.scan_mrz(frame).status == "ok"
    [seen] = server.posts()
    assert seen.content_type == "image/jpeg" and seen.file_name == "image.jpg" and seen.size > 1000


def test_check_digits_are_revalidated_locally_not_taken_from_the_service(server, client, page_png):
    answer = passport_answer()
    line1, line2 = answer["mrzText"].split("\n")
    answer["mrzText"] = f"{line1}\n{line2[:19]}5{line2[20:]}"  # birth date check digit 2 -> 5
    assert answer["validCheckDigits"] is True  # the service claims all is well
    server.script(("json", answer))
    record = client.scan_mrz(page_png)
    assert record.status == "invalid" and not record.valid_check_digits
    assert record.checks["birth_date"] is False
    assert "service reported valid check digits" in record.reason
    birth = record.field("birth_date")
    assert not birth.valid and birth.confidence <= 0.3 and birth.source == SOURCE_REMOTE


def test_fields_without_mrz_text_are_kept_but_marked_unverified(server, client, page_png):
    answer = passport_answer()
    del answer["mrzText"]
    server.script(("json", answer))
    record = client.scan_mrz(page_png)
    assert record.status == "invalid" and "not verified" in record.reason
    assert record.value("surname") == "ERIKSSON" and record.value("birth_date") == "1974-08-12"
    assert all(not f.valid and f.confidence <= 0.3 and f.source == SOURCE_REMOTE for f in record.fields.values())


def test_the_mrz_text_wins_over_the_services_own_differing_field():
    answer = passport_answer()
    answer["surname"] = "SMITH"
    record = passport_from_answer(answer)
    assert record.value("surname") == "ERIKSSON"
    assert record.field("surname").confidence <= 0.5 and "differs" in record.field("surname").reason
    assert record.field("document_number").confidence == pytest.approx(0.98)


def test_mrz_text_joined_into_one_line_is_split_again():
    answer = passport_answer()
    answer["mrzText"] = answer["mrzText"].replace("\n", "")
    assert passport_from_answer(answer).status == "ok"


GARBAGE = [
    ["not", "an", "object"],
    {},
    {"success": True},
    {"success": True, "mrzText": passport_answer()["mrzText"], "confidence": "high"},
    {"success": True, "mrzText": passport_answer()["mrzText"], "confidence": 7},
    {"success": True, "surname": 5, "mrzText": passport_answer()["mrzText"]},
    {"success": True, "mrzText": ["P<UTO"]},
    {"success": True, "mrzText": "hello world"},
]


@pytest.mark.parametrize("answer", GARBAGE, ids=range(len(GARBAGE)))
def test_unexpected_json_is_a_clear_error_never_a_half_filled_record(server, client, page_png, answer):
    server.script(("json", answer))
    with pytest.raises(RemoteBadAnswer, match="answer"):
        client.scan_mrz(page_png)
    assert len(server.posts()) == 1  # garbage is not retried


def test_non_json_body_is_a_bad_answer(server, client, page_png):
    server.script("not_json")
    with pytest.raises(RemoteBadAnswer, match=r"not JSON \(HTTP 200, text/html"):
        client.scan_mrz(page_png)


def test_no_mrz_is_its_own_outcome(server, client, page_png):
    server.script("no_mrz")
    with pytest.raises(RemoteNoMrz, match="No MRZ detected in image") as caught:
        client.scan_mrz(page_png)
    assert caught.value.kind == "no_mrz"
    assert len(server.posts()) == 1


# ----------------------------------------------------- scan-mrz: failure modes


def test_truncated_answer_is_retried_then_reported(server, client, page_png):
    server.default = "truncated"
    started = time.monotonic()
    with pytest.raises(RemoteBadAnswer, match="broke before a complete answer"):
        client.scan_mrz(page_png)
    assert time.monotonic() - started < 3
    assert len(server.posts()) == 3  # retries = 2


def test_truncated_once_then_answered(server, client, page_png):
    server.script("truncated", "drop")
    assert client.scan_mrz(page_png).status == "ok"
    posts = server.posts()
    assert [p.behaviour for p in posts] == ["truncated", "drop", "normal"]
    assert len({p.sha256 for p in posts}) == 1  # the same file each time


def test_slow_answer_within_the_read_timeout_is_waited_for(server, page_png):
    server.script(("slow", 1.0))
    with RemoteOcr(fast(server.url, read_timeout=3.0), TOKENS) as remote:
        started = time.monotonic()
        assert remote.scan_mrz(page_png).status == "ok"
        assert 1.0 <= time.monotonic() - started < 3.0
    assert len(server.posts()) == 1


def test_a_15_s_answer_times_out_at_the_read_timeout_without_retrying(server, client, page_png):
    server.script(("hang", 15))
    started = time.monotonic()
    with pytest.raises(RemoteTimeout, match="did not answer within 2 s") as caught:
        client.scan_mrz(page_png)
    elapsed = time.monotonic() - started
    assert 1.9 <= elapsed < 3.5 and elapsed < client.worst_case_seconds()
    assert caught.value.kind == "timeout"
    assert len(server.posts()) == 1


def test_an_answer_dripping_in_is_cut_at_the_attempt_budget(server, page_png):
    server.script(("drip", 0.2))
    with RemoteOcr(fast(server.url, read_timeout=0.5, retries=0), TOKENS) as remote:
        started = time.monotonic()
        with pytest.raises(RemoteTimeout, match="did not finish answering"):
            remote.scan_mrz(page_png)
        assert time.monotonic() - started < 1 + 2 * 0.5 + 1.5  # connect + 2 x read, plus a drip and slack


def test_500_is_retried_with_backoff_then_succeeds(server, client, page_png):
    server.script(("error", 500))
    assert client.scan_mrz(page_png).status == "ok"
    assert [p.behaviour for p in server.posts()] == ["error", "normal"]


def test_persistent_500_ends_as_server_error_within_the_retry_budget(server, page_png):
    server.default = ("error", 503)
    clock = FakeClock()
    with RemoteOcr(fast(server.url, breaker_failures=10), TOKENS, clock=clock, sleep=clock.sleep) as remote:
        with pytest.raises(RemoteServerError, match=r"HTTP 503"):
            remote.scan_mrz(page_png)
    assert clock.sleeps == [0.05, 0.1]  # doubling backoff
    assert len(server.posts()) == 3


def test_429_with_retry_after_is_honoured(server, client, page_png):
    server.script(("rate_limit", 1))
    started = time.monotonic()
    assert client.scan_mrz(page_png).status == "ok"
    elapsed = time.monotonic() - started
    assert 1.0 <= elapsed < 3.0
    first, second = server.posts()
    assert first.behaviour == "rate_limit" and second.at - first.at >= 1.0


def test_a_long_retry_after_fails_at_once_and_keeps_failing_fast_until_it_passed(server, page_png):
    server.script(("rate_limit", 120))
    clock = FakeClock()
    with RemoteOcr(fast(server.url), TOKENS, clock=clock, sleep=clock.sleep) as remote:
        with pytest.raises(RemoteRateLimited, match="try again in 120 s") as caught:
            remote.scan_mrz(page_png)
        assert caught.value.retry_after == 120 and caught.value.kind == "rate_limited"
        assert clock.sleeps == []
        clock.now += 60
        with pytest.raises(RemoteRateLimited, match="try again in 60 s"):
            remote.scan_mrz(page_png)
        assert len(server.posts()) == 1  # the service was left alone
        clock.now += 61
        assert remote.scan_mrz(page_png).status == "ok"
    assert len(server.posts()) == 2


def test_rate_limited_on_every_retry_gives_up(server, page_png):
    server.default = ("rate_limit", None)  # no Retry-After: backoff
    clock = FakeClock()
    with RemoteOcr(fast(server.url), TOKENS, clock=clock, sleep=clock.sleep) as remote:
        with pytest.raises(RemoteRateLimited):
            remote.scan_mrz(page_png)
    assert len(server.posts()) == 3 and clock.sleeps == [0.05, 0.1]


def test_retry_after_as_seconds_or_http_date():
    now = datetime(2026, 1, 1, tzinfo=timezone.utc)
    assert parse_retry_after("7") == 7
    assert parse_retry_after(format_datetime(now + timedelta(seconds=30), usegmt=True), lambda: now.timestamp()) == pytest.approx(30)
    assert parse_retry_after("soon") is None and parse_retry_after(None) is None
    assert parse_retry_after("-3") == 0


def test_wrong_token_says_so_and_is_not_retried(server, page_png):
    with RemoteOcr(fast(server.url), {"ocr_token": "wrong-token"}) as remote:
        with pytest.raises(RemoteAuthError, match="refused the token") as caught:
            remote.scan_mrz(page_png)
    assert caught.value.kind == "auth" and "wrong-token" not in str(caught.value)
    [seen] = server.posts()
    assert not seen.authorized


def test_no_token_fails_before_sending_anything(server, page_png):
    with RemoteOcr(fast(server.url), None) as remote:
        with pytest.raises(RemoteNotConfigured, match="kiosk secret set ocr_token"):
            remote.scan_mrz(page_png)
    assert server.posts() == []


def test_no_url_is_not_configured():
    with pytest.raises(RemoteNotConfigured, match=r"add a \[\[remote.receipt\]\] or \[\[remote.mrz\]\] url"):
        RemoteOcr(RemoteSettings(), TOKENS)


def test_unreachable_service_is_retried_then_reported_quickly(page_png):
    clock = FakeClock()
    with RemoteOcr(fast(f"http://127.0.0.1:{closed_port()}", breaker_failures=10), TOKENS, sleep=clock.sleep) as remote:
        started = time.monotonic()
        with pytest.raises(RemoteUnreachable, match="could not be reached") as caught:
            remote.scan_mrz(page_png)
        assert time.monotonic() - started < 3
    assert caught.value.kind == "unreachable" and clock.sleeps == [0.05, 0.1]


def test_a_wrong_base_path_is_rejected_with_a_hint_and_not_retried(server, page_png):
    with RemoteOcr(fast(server.url + "/api/v2"), TOKENS) as remote:
        with pytest.raises(RemoteRejected, match=r"nothing answers at http://127.0.0.1:\d+/api/v2/scan-mrz \(HTTP 404\): is its url right") as caught:
            remote.scan_mrz(page_png)
    assert caught.value.kind == "rejected"
    assert mrz(remote).breaker.state == "closed"


def test_the_upload_is_rejected_by_kind_not_guessed(server, client):
    with pytest.raises(ImageError):
        client.scan_mrz(b"this is not an image")
    assert server.posts() == []


# ------------------------------------------------------------ circuit breaker


def test_circuit_breaker_stops_hammering_a_dead_service_and_recovers(server, page_png):
    server.default = ("error", 500)
    clock = FakeClock()
    settings = fast(server.url, retries=1, breaker_failures=3, breaker_cooldown=30)
    with RemoteOcr(settings, TOKENS, clock=clock, sleep=clock.sleep) as remote:
        with pytest.raises(RemoteServerError):
            remote.scan_mrz(page_png)  # 2 failed requests
        assert mrz(remote).breaker.state == "closed"
        with pytest.raises(RemoteServerError):
            remote.scan_mrz(page_png)  # the 3rd opens the circuit, so no 4th request
        assert mrz(remote).breaker.state == "open" and len(server.posts()) == 3
        for _ in range(5):
            with pytest.raises(RemoteCircuitOpen, match="not trying again for 30 s") as caught:
                remote.scan_mrz(page_png)
        assert caught.value.kind == "circuit_open" and len(server.posts()) == 3
        clock.now += 31  # cooldown over: one trial request, which fails and reopens at once
        with pytest.raises(RemoteServerError):
            remote.scan_mrz(page_png)
        assert len(server.posts()) == 4 and mrz(remote).breaker.state == "open"
        server.default = "normal"
        clock.now += 31
        assert remote.scan_mrz(page_png).status == "ok"
        assert mrz(remote).breaker.state == "closed"
        assert remote.scan_mrz(page_png).status == "ok"
    assert len(server.posts()) == 6


def test_breaker_counts_failed_requests_in_a_row_only():
    clock = FakeClock()
    breaker = CircuitBreaker(failures=2, cooldown=10, clock=clock)
    breaker.failure()
    breaker.success()
    breaker.failure()
    breaker.before_request()
    breaker.failure()
    with pytest.raises(RemoteCircuitOpen):
        breaker.before_request()
    assert breaker.retry_in() == 10
    clock.now += 10
    breaker.before_request()  # the trial
    with pytest.raises(RemoteCircuitOpen):
        breaker.before_request()  # only one trial at a time
    breaker.success()
    assert breaker.state == "closed"


def test_a_dead_service_costs_one_call_of_retries_then_nothing(page_png):
    clock = FakeClock()
    url = f"http://127.0.0.1:{closed_port()}"
    with RemoteOcr(fast(url), TOKENS, clock=clock, sleep=clock.sleep) as remote:
        with pytest.raises(RemoteUnreachable):
            remote.scan_mrz(page_png)
        started = time.monotonic()
        with pytest.raises(RemoteCircuitOpen):
            remote.scan_mrz(page_png)
        assert time.monotonic() - started < 0.2


# ----------------------------------------------------------------- uploads


def test_a_big_noisy_png_is_reencoded_under_the_limit_and_accepted(server, client, tmp_path):
    noise = np.random.default_rng(7).integers(0, 256, (4000, 6000, 3), dtype=np.uint8)
    ok, encoded = cv2.imencode(".png", noise, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    png = encoded.tobytes()
    assert len(png) > MAX_UPLOAD_BYTES
    upload = prepare_upload(png)
    assert upload.reencoded and upload.content_type == "image/jpeg" and upload.data[:3] == b"\xff\xd8\xff"
    assert len(upload.data) <= MAX_UPLOAD_BYTES
    decoded = cv2.imdecode(np.frombuffer(upload.data, np.uint8), cv2.IMREAD_COLOR)
    assert decoded.shape[0] >= 1000 and decoded.shape[1] / decoded.shape[0] == pytest.approx(1.5, rel=0.01)
    assert client.scan_mrz(png).status == "ok"
    [seen] = server.posts()
    assert seen.content_type == "image/jpeg" and seen.size <= MAX_UPLOAD_BYTES
    assert seen.sha256 == hashlib.sha256(upload.data).hexdigest()


def test_small_uploads_are_left_alone_and_other_formats_reencoded(page_png):
    assert prepare_upload(page_png).data == page_png
    ok, bmp = cv2.imencode(".bmp", np.full((50, 80, 3), 128, np.uint8))
    upload = prepare_upload(bmp.tobytes())
    assert upload.reencoded and upload.content_type == "image/jpeg"
    noise = np.random.default_rng(5).integers(0, 256, (750, 1000, 3), dtype=np.uint8)
    small = prepare_upload(cv2.imencode(".png", noise)[1].tobytes(), limit=300_000)  # over a smaller limit
    assert small.reencoded and len(small.data) <= 300_000
    with pytest.raises(ImageError, match="cannot be made smaller"):
        prepare_upload(page_png, limit=100)


def test_server_side_multipart_parser_sees_exactly_what_httpx_sends():
    import httpx

    data = bytes(range(256)) * 40 + b"\r\n--\r\n"
    request = httpx.Request("POST", "http://x/scan-mrz", files={"file": ("a.png", data, "image/png")})
    body = request.read()
    parts = parse_multipart(request.headers["content-type"], body)
    assert parts["file"] == ("a.png", "image/png", data)


# --------------------------------------------------------------------- TLS


def test_tls_is_verified_and_a_custom_ca_bundle_is_used(tmp_path, page_png):
    ca_path, context = make_tls(tmp_path / "tls")
    with OcrTestServer(tls=context) as srv:
        assert srv.url.startswith("https://")
        with RemoteOcr(fast(srv.url), TOKENS) as remote:
            started = time.monotonic()
            with pytest.raises(RemoteTlsError, match="certificate") as caught:
                remote.scan_mrz(page_png)
            assert caught.value.kind == "tls" and time.monotonic() - started < 3
            assert isinstance(caught.value, RemoteUnreachable)
        with RemoteOcr(fast(srv.url, ca_bundle=str(ca_path)), TOKENS) as remote:
            assert remote.health().up
            assert remote.scan_mrz(page_png).status == "ok"
        assert len(srv.posts()) == 1
    with pytest.raises(RemoteNotConfigured, match="ca_bundle not found"):
        RemoteOcr(fast("https://127.0.0.1:9", ca_bundle=str(tmp_path / "missing.pem")), TOKENS)


# ------------------------------------------------------------------ receipts


def test_receipt_answer_is_normalised_into_a_remote_receipt_record(server, client, page_png):
    record = client.ocr_receipt(page_png)
    assert record.kind == "receipt" and record.status == "ok"
    assert record.value("vendor") == "Starbucks" and record.value("date") == "2025-10-20"
    assert record.value("total") == 12.5 and record.value("tax") == 1.12
    assert set(record.fields) == set(RECEIPT_FIELDS)
    assert all(f.source == SOURCE_REMOTE for f in record.fields.values())
    assert record.field("total").confidence == pytest.approx(0.92)
    [seen] = server.posts()
    assert seen.path == "/ocr" and seen.authorized


def test_receipt_values_are_read_like_local_ones():
    answer = {
        "vendor": "  GREEN LEAF   CAFE ",
        "amount": "RM 1,234.50",
        "date": "03/04/2024",
        "tax": "12,50",
        "confidence": 0.8,
        "fields": {"subtotal": {"value": "1222.00", "confidence": 0.7}},
    }
    record = receipt_from_answer(answer, date_order="DMY", currency="")
    assert record.value("vendor") == "GREEN LEAF CAFE"
    assert record.value("total") == 1234.5 and record.value("tax") == 12.5
    assert record.value("date") == "2024-04-03"
    assert record.value("currency") == "MYR"
    assert record.value("subtotal") == 1222.0 and record.field("subtotal").confidence == 0.7
    assert receipt_from_answer(answer, date_order="MDY").value("date") == "2024-03-04"
    assumed = receipt_from_answer({"amount": 3, "date": "2024-01-02"}, currency="PGK")
    assert assumed.value("currency") == "PGK" and assumed.field("total").confidence == 0.5


def test_receipt_values_that_cannot_be_read_become_empty_invalid_fields():
    record = receipt_from_answer({"vendor": "X", "amount": "lots", "date": "someday", "confidence": 0.9})
    assert record.status == "incomplete" and record.value("total") is None and not record.field("total").valid
    assert record.value("date") is None and record.reason == "missing: total, date"
    with pytest.raises(RemoteBadAnswer):
        receipt_from_answer({"confidence": 0.9, "fields": {}})
    with pytest.raises(RemoteBadAnswer):
        receipt_from_answer({"amount": 3, "fields": "x"})


# ----------------------------------------------------------------- secrecy


def test_the_token_is_never_logged_or_shown(server, page_png, caplog):
    caplog.set_level(logging.DEBUG)
    errors = []
    with RemoteOcr(fast(server.url, breaker_failures=50), TOKENS) as remote:
        assert TOKEN not in repr(remote)
        remote.health()
        remote.scan_mrz(page_png)
        for behaviour in ["truncated", ("error", 500), ("rate_limit", 60), "not_json", "no_mrz"]:
            server.script(behaviour, behaviour, behaviour)
            try:
                remote.scan_mrz(page_png)
            except RemoteError as exc:
                errors.append(str(exc))
            mrz(remote)._not_before = 0.0
            server._queue.clear()
    assert len(errors) == 5
    assert caplog.text  # something was logged
    for text in [caplog.text, *errors]:
        assert TOKEN not in text and "ERIKSSON" not in text and "L898902C3" not in text


def test_https_to_a_plain_http_server_is_a_clear_tls_error(server):
    with RemoteOcr(fast(server.url.replace("http://", "https://")), TOKENS) as remote:
        with pytest.raises(RemoteTlsError, match="handshake"):
            remote.health()
