"""Delivery to the loopback GreenPay backend: GreenPay's passport shape or a site's mapping, bearer token,
Idempotency-Key, 409 = already stored."""

from datetime import date

import pytest
from greenpay_server import TOKEN, GreenPayServer
from odoo_server import StaticServer, sample_passport, sample_receipt

from kiosk.config import Settings, load_settings
from kiosk.errors import ConfigError
from kiosk.ocr.mrz.parse import parse_mrz_text
from kiosk.records import Field, with_fields
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


SPECIMEN = ("P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F3304156<<<<<<<<<<<<<<04")
"""ICAO 9303's specimen passport, valid until 2033 and without a personal number."""


def read_passport():
    """The specimen as the kiosk reads it (its own MRZ parser), the surname less certain, then confirmed."""
    record = parse_mrz_text("\n".join(SPECIMEN), today=date(2026, 1, 1)).to_record()
    record = with_fields(record, surname=Field("ERIKSSON", 0.91))
    record.confirm("op-7", "K-01")
    return record


def test_a_passport_is_posted_in_greenpays_own_shape_with_token_and_idempotency_key(greenpay):
    settings = greenpay_settings(greenpay.url)
    record = read_passport()
    record_id = queue_record(settings, record)
    summary, status = deliver(settings)
    assert (summary.sent, summary.failed, summary.error) == (1, 0, None)
    assert greenpay.stored[record_id] == {
        "recordId": record_id,
        "kioskId": "K-01",
        "operator": "op-7",
        "createdAt": record.created_at,
        "confirmedAt": record.confirmed_at,
        "passportNumber": "L898902C3",
        "surname": "ERIKSSON",
        "givenName": "ANNA MARIA",
        "nationality": "UTO",
        "dateOfBirth": "1974-08-12",
        "sex": "F",
        "dateOfExpiry": "2033-04-15",
        "issuingCountry": "UTO",
        "personalNumber": None,
        "confidence": 0.91,
        "validCheckDigits": True,
        "mrzText": "\n".join(SPECIMEN),
    }
    assert greenpay.creations[record_id] == 1
    with open_outbox(settings) as outbox:
        assert outbox.get(record_id).remote_ref == "greenpay:1"


def test_a_failed_check_digit_is_sent_as_such(greenpay):
    settings = greenpay_settings(greenpay.url)
    record = read_passport()
    record.checks["birth_date"] = False
    record_id = queue_record(settings, record)
    assert deliver(settings)[0].sent == 1
    assert greenpay.stored[record_id]["validCheckDigits"] is False


def test_every_field_its_provenance_the_mrz_text_and_the_verdict_can_be_mapped():
    wanted = ("ref", "number", "number_valid", "holder", "holder_source", "holder_confidence", "doc_source", "mrz", "all_checks", "state")
    with GreenPayServer(path="/v2/travellers", required=wanted) as server:
        settings = greenpay_settings(server.url)
        settings.greenpay.passports_path = "/v2/travellers"
        settings.greenpay.body_fields = {
            "ref": "id", "number": "document_number", "number_valid": "document_number.valid",
            "holder": "surname", "holder_source": "surname.source", "holder_confidence": "surname.confidence",
            "doc_source": "document_type.source", "optional": "optional_data", "mrz": "mrz_text",
            "all_checks": "valid_check_digits", "checks": "checks", "state": "status",
        }
        record = read_passport()
        record.edit("surname", "ERIKSON")  # the operator corrected it at the kiosk
        record_id = queue_record(settings, record)
        summary, _ = deliver(settings)
        assert summary.sent == 1
        assert server.stored[record_id] == {
            "ref": record_id, "number": "L898902C3", "number_valid": True,
            "holder": "ERIKSON", "holder_source": "operator", "holder_confidence": 1.0,
            "doc_source": "local", "optional": None, "mrz": "\n".join(SPECIMEN),
            "all_checks": True, "checks": record.checks, "state": "ok",
        }


@pytest.mark.parametrize("source", ["full_name", "surname.colour", "mrz", "fields"])
def test_a_mapping_that_names_nothing_stops_before_any_request(greenpay, source):
    settings = greenpay_settings(greenpay.url)
    settings.greenpay.body_fields = {"passportNumber": "document_number", "x": source}
    queue_record(settings, read_passport())
    summary, status = deliver(settings)
    assert summary.error == f"[greenpay.body_fields] names no record field: {source}"
    assert status.counts[PENDING] == 1 and sum(greenpay.requests.values()) == 0


def test_a_body_greenpay_does_not_accept_is_refused_by_name_of_the_missing_keys(greenpay):
    settings = greenpay_settings(greenpay.url)
    settings.greenpay.body_fields = {"recordId": "id", "passportNumber": "document_number", "surname": "surname"}
    record_id = queue_record(settings, read_passport())
    summary, _ = deliver(settings)
    assert summary.failed == 1 and greenpay.stored == {}
    with open_outbox(settings) as outbox:
        error = outbox.get(record_id).last_error
    assert error.startswith("GreenPay rejected the record (HTTP 422: givenName is required; nationality is required;")


def test_a_site_can_keep_sending_the_whole_record(tmp_path):
    config = tmp_path / "settings.toml"
    with GreenPayServer(required=("id", "kind", "fields")) as server:
        config.write_text(f'[sync]\ntarget = "greenpay"\n\n[greenpay]\nurl = "{server.url}"\nbody = "record"\n')
        settings = load_settings(config)
        set_secret("greenpay_token", TOKEN)
        record = read_passport()
        record_id = queue_record(settings, record)
        assert deliver(settings)[0].sent == 1
    assert server.stored[record_id] == record.to_json()


def test_an_old_settings_file_with_a_mapping_sends_what_it_sent_before(tmp_path):
    config = tmp_path / "settings.toml"
    with GreenPayServer(required=("passportNumber",)) as server:
        config.write_text(
            f'[sync]\ntarget = "greenpay"\n\n[greenpay]\nurl = "{server.url}"\n\n'
            '[greenpay.body_fields]\npassportNumber = "document_number"\nlastName = "surname"\nkiosk = "kiosk_id"\n'
        )
        settings = load_settings(config)
        set_secret("greenpay_token", TOKEN)
        record_id = queue_record(settings, read_passport())
        assert deliver(settings)[0].sent == 1
    assert server.stored[record_id] == {"passportNumber": "L898902C3", "lastName": "ERIKSSON", "kiosk": "K-01"}


@pytest.mark.parametrize(
    "text, expected",
    [
        ('[greenpay]\nbody = "xml"\n', "[greenpay] body must be one of greenpay, record"),
        ('[greenpay]\ncheck_path = "health"\n', "[greenpay] check_path must start with / (or be empty)"),
        ('[greenpay]\nbody = "record"\n\n[greenpay.body_fields]\nn = "document_number"\n', '[greenpay] body = "record" sends the whole record'),
    ],
)
def test_greenpay_body_and_check_settings_are_validated(tmp_path, text, expected):
    config = tmp_path / "settings.toml"
    config.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_settings(config)
    assert str(caught.value).startswith(expected)


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
    assert (summary.failed, summary.pending) == (0, 1), "kept on the kiosk (no target takes receipts), not failed"
    assert greenpay.requests == {}
    with open_outbox(settings) as outbox:
        assert outbox.get(receipt).state == PENDING


def test_receipts_go_as_the_whole_record_to_the_receipts_path():
    with GreenPayServer(path="/api/receipts", required=("id", "kind", "fields")) as server:
        settings = greenpay_settings(server.url)
        settings.greenpay.receipts_path = "/api/receipts"
        receipt = sample_receipt()
        record_id = queue_record(settings, receipt)
        assert deliver(settings)[0].sent == 1
    assert server.stored[record_id] == receipt.to_json()


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
