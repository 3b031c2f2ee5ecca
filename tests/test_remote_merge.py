"""Merging a local read with the OCR service's answer: what a check proved stays, disagreements go to the operator.

The service is the loopback stand-in of the contract (tests/remote_server.py) where the answer travels over
HTTP; the pure merge rules are exercised on `merge()` with records built the way the readers build them.
"""

from dataclasses import replace

import cv2
import numpy as np
import pytest

from kiosk.capture.synthetic import PassportData
from kiosk.config import Settings
from kiosk.ocr.mrz.parse import parse_mrz_text
from kiosk.ocr.receipt import rules
from kiosk.ocr.receipt.extract import extract_receipt
from kiosk.ocr.remote.client import passport_from_answer, receipt_from_answer
from kiosk.ocr.remote.fallback import merge, read_with_fallback, via
from kiosk.records import SOURCE_EDITED, SOURCE_LOCAL, SOURCE_REMOTE, Field, ReceiptRecord, record_from_json
from remote_server import TOKEN, OcrTestServer, passport_answer, remote_settings

ABDULLAYEV = PassportData(
    surname="ABDULLAYEV", given_names="RUSTAM", number="AB1234567", nationality="UZB", issuing_state="UZB", sex="M"
)
SHOP_RECEIPT = ["KEDAI MAJU SDN BHD", "DATE 12/03/2025", "SUBTOTAL 150.00", "TAX 15.00", "TOTAL 165.00"]


def local_read(data: PassportData = ABDULLAYEV, confidence: float = 0.95, line2: str | None = None):
    """What the local reader makes of this passport: every character read at `confidence`."""
    line1, printed = data.mrz()
    record = parse_mrz_text(f"{line1}\n{line2 or printed}").to_record()
    return replace(record, fields={name: replace(f, confidence=min(f.confidence, confidence)) for name, f in record.fields.items()})


def png() -> bytes:
    return cv2.imencode(".png", np.full((120, 160, 3), 210, np.uint8))[1].tobytes()


def service_settings(srv: OcrTestServer) -> Settings:
    return Settings(remote=remote_settings(srv.url, connect_timeout=1.0, read_timeout=3.0))


@pytest.fixture
def service(monkeypatch):
    monkeypatch.setenv("KIOSK_SECRET_OCR_TOKEN", TOKEN)
    with OcrTestServer() as srv:
        yield srv


def ask(service: OcrTestServer, kind: str, local, answer: dict):
    """The operator presses "Try OCR service" and the service gives `answer`: the merged record."""
    service.script(("json", answer))
    outcome = read_with_fallback(kind, png(), local, service_settings(service), operator_asked=True)
    assert outcome.asked and outcome.remote_error is None, outcome.remote_error
    return outcome.record


# --------------------------------------------------------------- passports


def test_a_one_letter_misread_by_the_service_does_not_replace_a_proved_surname(service):
    local = local_read()
    misread = replace(ABDULLAYEV, surname="ABDULLAYEW")
    merged = ask(service, "passport", local, passport_answer(misread))  # its own check digits hold too: names have none

    surname = merged.field("surname")
    assert merged.value("surname") == "ABDULLAYEV" and surname.source == SOURCE_LOCAL
    assert merged.status != "ok" and "surname" in merged.reason
    assert not surname.valid and "ABDULLAYEV" in surname.reason and "ABDULLAYEW" in surname.reason
    assert merged.confidence <= 0.95  # the service's 0.98 does not lift the record above the local read
    assert all(merged.field(n).valid and merged.field(n).source == SOURCE_LOCAL for n in ("document_number", "birth_date", "expiry_date"))
    shown = merged.to_json()["fields"]["surname"]
    assert shown["value"] == "ABDULLAYEV" and "ABDULLAYEW" in shown["reason"] and shown["valid"] is False
    assert record_from_json(merged.to_json()).field("surname") == surname


def test_an_answer_for_another_passport_changes_no_field_and_every_difference_is_shown():
    local = local_read()
    other = passport_from_answer(passport_answer())  # ERIKSSON, UTO: a different passport, all its check digits hold
    merged = merge(local, other)

    assert {n: merged.value(n) for n in merged.FIELDS} == {n: local.value(n) for n in local.FIELDS}
    assert via(merged) == "local" and merged.status == "invalid"
    for name, theirs in (("document_number", "L898902C3"), ("surname", "ERIKSSON"), ("given_names", "ANNA MARIA"), ("sex", "F"), ("nationality", "UTO")):
        item = merged.field(name)
        assert not item.valid and str(local.value(name)) in item.reason and theirs in item.reason, name
    assert merged.mrz_lines == local.mrz_lines and merged.checks == local.checks
    assert parse_mrz_text("\n".join(merged.mrz_lines)).value("surname") == "ABDULLAYEV"


def test_mrz_lines_and_checks_describe_the_merged_values_when_both_reads_gave_some():
    line1, line2 = ABDULLAYEV.mrz()
    misread = line2[:18] + "7" + line2[19:]  # birth date 740817: its check digit fails
    local = local_read(line2=misread)
    local.edit("given_names", "RUSTAM ALI")  # the operator typed the second given name the MRZ lacks
    assert not local.field("birth_date").valid
    merged = merge(local, passport_from_answer(passport_answer(ABDULLAYEV)))

    assert merged.value("birth_date") == "1974-08-12" and merged.field("birth_date").source == SOURCE_REMOTE
    assert "1974-08-17" in merged.field("birth_date").reason and merged.status == "invalid"
    assert merged.value("given_names") == "RUSTAM ALI" and merged.field("given_names").source == SOURCE_EDITED
    reread = parse_mrz_text("\n".join(merged.mrz_lines))
    assert {f.name: f.value for f in reread.fields if f.name in merged.FIELDS} == {
        n: merged.value(n) for n in merged.FIELDS if merged.value(n) is not None
    }
    assert merged.checks == {c.name: c.ok for c in reread.checks} and all(merged.checks.values())


def test_the_services_confidence_never_outranks_a_local_check_digit():
    line1, line2 = ABDULLAYEV.mrz()
    local = local_read(confidence=0.9, line2=line2[:18] + "7" + line2[19:])  # birth check fails, the rest hold
    merged = merge(local, passport_from_answer({**passport_answer(ABDULLAYEV), "confidence": 1.0}))

    assert merged.field("document_number").source == SOURCE_LOCAL  # proved locally: the service's 1.0 does not win
    assert merged.field("expiry_date").source == SOURCE_LOCAL
    assert merged.field("birth_date").source == SOURCE_REMOTE and merged.field("birth_date").valid is False
    assert max(f.confidence for f in merged.fields.values() if f.source == SOURCE_REMOTE) <= 0.98


def test_a_service_that_agrees_leaves_the_proved_local_read_as_it_was():
    local = local_read()
    merged = merge(local, passport_from_answer(passport_answer(ABDULLAYEV)))
    assert merged.status == "ok" and merged.reason == "" and via(merged) == "local"
    assert merged.confidence == pytest.approx(0.95) and merged.mrz_lines == local.mrz_lines


# --------------------------------------------------------------- receipts


def test_a_total_proved_by_its_arithmetic_is_not_replaced_by_the_services(service):
    local = extract_receipt(SHOP_RECEIPT)
    assert local.value("total") == 165.0 and "consistent with total" in local.field("subtotal").reason
    merged = ask(service, "receipt", local, {"vendor": "KEDAI MAJU", "amount": 16.5, "date": "2025-03-12", "confidence": 0.95})

    total = merged.field("total")
    assert total.value == 165.0 and total.source == SOURCE_LOCAL
    assert not total.valid and "165.00" in total.reason and "16.50" in total.reason
    assert merged.status == "invalid" and "total" in merged.reason
    subtotal, tax = merged.value("subtotal"), merged.value("tax")
    assert "consistent with total" in merged.field("subtotal").reason and rules.subtotal_consistent(subtotal, total.value, tax)
    assert merged.to_json()["fields"]["total"]["value"] == 165.0


def test_amounts_from_both_reads_are_checked_together_by_the_receipt_rules():
    local = ReceiptRecord(fields={
        "vendor": Field("KEDAI MAJU", 0.9),
        "date": Field("2025-03-12", 0.9),
        "total": Field(12.0, 0.4),
        "subtotal": Field(11.5, 0.8, reason="subtotal < total"),
    })
    merged = merge(local, receipt_from_answer({"vendor": "KEDAI MAJU", "amount": 1.25, "date": "2025-03-12", "confidence": 0.9}))

    assert merged.value("total") == 1.25 and merged.field("total").source == SOURCE_REMOTE  # neither proved: more confident
    assert rules.SUBTOTAL_MORE in merged.warnings and not merged.field("subtotal").valid
    assert rules.CONTRADICTED in merged.field("subtotal").reason
    assert merged.status == "invalid" and "12.00" in merged.field("total").reason


def test_the_review_screen_keeps_a_disputed_record_from_turning_ok_until_the_operator_types_the_value():
    from kiosk.ui import fields as review_logic

    def refresh(record):  # what the review screen does on showing a record, and after each edit
        checks = review_logic.recompute_checks(record)
        if checks is not None:
            record.checks = checks
        review_logic.update_status(record)

    merged = merge(local_read(), passport_from_answer(passport_answer(replace(ABDULLAYEV, surname="ABDULLAYEW"))))
    refresh(merged)
    assert merged.status == "invalid" and "surname" in merged.reason

    merged.edit("given_names", "RUSTAM")  # an edit elsewhere settles nothing
    refresh(merged)
    assert merged.status == "invalid" and "surname" in merged.reason

    merged.edit("surname", "ABDULLAYEV")  # the operator looked at the document and typed it
    refresh(merged)
    assert merged.status == "ok", merged.reason


def test_the_review_screen_keeps_a_disputed_receipt_from_turning_ok():
    from kiosk.ui import fields as review_logic

    local = extract_receipt(SHOP_RECEIPT)
    remote = receipt_from_answer({"vendor": "KEDAI MAJU SDN BHD", "amount": 165.0, "date": "2025-03-12", "currency": "MYR", "confidence": 0.9})
    remote.fields["vendor"] = replace(remote.field("vendor"), value="KEDAI MAJUU SDN BHD")
    merged = merge(local, remote)
    review_logic.update_status(merged)
    assert merged.status == "invalid" and "vendor" in merged.reason
