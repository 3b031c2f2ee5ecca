"""Delivery to the loopback GreenPay backend: bearer token, Idempotency-Key, 409 = already stored."""

import pytest
from greenpay_server import TOKEN, GreenPayServer
from odoo_server import StaticServer, sample_passport, sample_receipt

from kiosk.config import Settings
from kiosk.secrets import set_secret
from kiosk.sync.outbox import FAILED, PENDING, SENDING, SENT, open_outbox, queue_record
from kiosk.sync.worker import make_worker


def greenpay_settings(url):
    s = Settings()
    s.kiosk.id = "K-01"
    s.sync.target = "greenpay"
    s.sync.backoff_seconds = 0.01
    s.sync.backoff_max_seconds = 0.05
    s.greenpay.url = url
    s.greenpay.timeout = 5.0
    set_secret("greenpay_token", TOKEN)
    return s


def deliver(settings, max_seconds=5.0):
    worker = make_worker(settings)
    try:
        return worker.run_pass(max_seconds), worker.outbox.status()
    finally:
        worker.outbox.close()


@pytest.fixture
def greenpay():
    with GreenPayServer() as server:
        yield server


def test_a_passport_is_posted_with_token_and_idempotency_key(greenpay):
    settings = greenpay_settings(greenpay.url)
    record = sample_passport(1)
    record_id = queue_record(settings, record)
    summary, status = deliver(settings)
    assert (summary.sent, summary.failed, summary.error) == (1, 0, None)
    assert greenpay.stored[record_id] == record.to_json()
    assert greenpay.creations[record_id] == 1
    with open_outbox(settings) as outbox:
        assert outbox.get(record_id).remote_ref == "greenpay:1"


def test_a_resend_after_a_lost_answer_is_409_and_counts_as_stored(greenpay):
    settings = greenpay_settings(greenpay.url)
    record_id = queue_record(settings, sample_passport(2))
    with open_outbox(settings) as outbox:
        outbox.claim(outbox.get(record_id))  # the process died after sending
    greenpay.stored[record_id], greenpay.ids[record_id] = {}, 7
    greenpay.creations[record_id] += 1
    summary, status = deliver(settings)
    assert summary.sent == 1 and status.counts[SENT] == 1
    assert greenpay.creations[record_id] == 1
    with open_outbox(settings) as outbox:
        assert outbox.get(record_id).remote_ref == "greenpay:7"


def test_wrong_token_stops_with_a_clear_message_and_keeps_the_records(greenpay):
    settings = greenpay_settings(greenpay.url)
    set_secret("greenpay_token", "expired")
    queue_record(settings, sample_passport())
    summary, status = deliver(settings)
    assert summary.error == "GreenPay refused the token (HTTP 401: invalid token): check the greenpay_token secret"
    assert status.counts[PENDING] == 1 and status.last_error == summary.error


def test_a_rejected_record_fails_without_echoing_personal_data(greenpay):
    settings = greenpay_settings(greenpay.url)
    bad = queue_record(settings, sample_passport(0, document_number="INVALID"))
    good = queue_record(settings, sample_passport(1))
    summary, status = deliver(settings)
    assert (summary.sent, summary.failed) == (1, 1)
    with open_outbox(settings) as outbox:
        assert outbox.get(bad).last_error == "GreenPay rejected the record (HTTP 422: document number *** failed validation)"
        assert outbox.get(good).state == SENT


def test_path_and_body_mapping_are_configurable():
    with GreenPayServer(path="/v2/travellers", required=("passportNumber", "surname", "recordId")) as server:
        settings = greenpay_settings(server.url)
        settings.greenpay.passports_path = "/v2/travellers"
        settings.greenpay.body_fields = {
            "recordId": "id", "passportNumber": "document_number", "surname": "surname",
            "givenName": "given_names", "nationality": "nationality", "kioskId": "kiosk_id",
        }
        record = sample_passport(5)
        record_id = queue_record(settings, record)
        summary, _ = deliver(settings)
        assert summary.sent == 1
        assert server.stored[record_id] == {
            "recordId": record_id, "passportNumber": "C0000005X", "surname": "NOWAK",
            "givenName": "PIOTR", "nationality": "D", "kioskId": "K-01",
        }


def test_receipts_need_a_receipts_path(greenpay):
    settings = greenpay_settings(greenpay.url)
    receipt = queue_record(settings, sample_receipt())
    summary, _ = deliver(settings)
    assert summary.failed == 1
    with open_outbox(settings) as outbox:
        assert outbox.get(receipt).last_error == "GreenPay takes passports only: set [greenpay] receipts_path to send receipts"


@pytest.mark.parametrize(
    "status, body, content_type, expected",
    [
        (200, b"<html>Wi-Fi login</html>", "text/html", "does not answer like GreenPay (HTML page)"),
        (404, b'{"detail": "Not Found"}', "application/json", "GreenPay has no /api/passports (HTTP 404)"),
    ],
)
def test_a_server_that_is_not_greenpay_stores_nothing(status, body, content_type, expected):
    with StaticServer(status, body, content_type) as server:
        settings = greenpay_settings(server.url)
        queue_record(settings, sample_passport())
        summary, state = deliver(settings)
    assert expected in summary.error
    assert state.counts[PENDING] == 1 and state.counts[SENT] == 0


def test_rate_limit_and_5xx_are_retried(greenpay):
    class Flaky(StaticServer):
        def __init__(self):
            super().__init__(200, b"")
            self.answers = [(503, b"busy", "text/plain"), (429, b'{"error": "slow down"}', "application/json")]

        def answer(self, handler, body):
            self.requests += 1
            if self.answers:
                return self.answers.pop(0)
            return 201, b'{"id": 9}', "application/json"

    with Flaky() as server:
        settings = greenpay_settings(server.url)
        queue_record(settings, sample_passport())
        summary, status = deliver(settings)
    assert (summary.sent, summary.retries, server.requests) == (1, 2, 3)
    assert status.counts == {PENDING: 0, SENDING: 0, SENT: 1, FAILED: 0}
