"""The review logic and the PIN store, without windows."""

from __future__ import annotations

from datetime import date

import pytest

from kiosk.capture.synthetic import PassportData
from kiosk.config import ReceiptSettings
from kiosk.ocr.mrz.parse import parse_mrz
from kiosk.records import ReceiptRecord
from kiosk.secrets import get_secret
from kiosk.ui import fields
from kiosk.ui.pin import PinError, Throttle, check_new_pin, hash_pin, has_pin, set_pin, verify_pin


@pytest.mark.parametrize(
    ("kind", "name", "text", "value", "error"),
    [
        ("passport", "birth_date", "1974-08-12", "1974-08-12", None),
        ("passport", "birth_date", "12/08/1974", "1974-08-12", None),
        ("passport", "birth_date", "1974-02-30", None, fields.E_DATE),
        ("passport", "birth_date", "2999-01-01", None, fields.E_BIRTH_FUTURE),
        ("passport", "expiry_date", "", None, fields.E_REQUIRED),
        ("passport", "sex", "f", "F", None),
        ("passport", "sex", "Q", None, fields.E_SEX),
        ("passport", "nationality", "utO", "UTO", None),
        ("passport", "nationality", "D", "D", None),
        ("passport", "nationality", "ZZZZ", None, fields.E_COUNTRY),
        ("passport", "document_number", "l898 902c3", "L898902C3", None),
        ("passport", "document_number", "L89-8", None, fields.E_MRZ_CHARS),
        ("passport", "surname", "o'neil-smith", "O'NEIL-SMITH", None),
        ("passport", "surname", "Sm1th", None, fields.E_NAME),
        ("passport", "personal_number", "", None, None),
        ("receipt", "total", "RM 1,234.50", 1234.5, None),
        ("receipt", "total", "12,50", 12.5, None),
        ("receipt", "total", "twelve", None, fields.E_AMOUNT),
        ("receipt", "total", "", None, fields.E_REQUIRED),
        ("receipt", "tax", "", None, None),
        ("receipt", "date", "25/12/2018", "2018-12-25", None),
        ("receipt", "date", "22 MAR 2018", "2018-03-22", None),
        ("receipt", "date", "someday", None, fields.E_DATE),
        ("receipt", "currency", "rm", "MYR", None),
        ("receipt", "currency", "usd", "USD", None),
        ("receipt", "currency", "??", None, fields.E_CURRENCY),
    ],
)
def test_typed_values_are_validated_and_normalised(kind, name, text, value, error):
    assert fields.validate(kind, name, text, ReceiptSettings(), today=date(2025, 1, 1)) == (value, error)


def test_check_digits_are_recomputed_against_the_printed_mrz():
    record = parse_mrz(list(PassportData().mrz())).to_record()
    assert fields.recompute_checks(record) == {
        "document_number": True, "birth_date": True, "expiry_date": True, "personal_number": True, "composite": True,
    }
    record.edit("document_number", "L898902C4")
    checks = fields.recompute_checks(record)
    assert checks["document_number"] is False and checks["composite"] is False and checks["birth_date"] is True
    record.edit("document_number", "L898902C3")
    record.edit("birth_date", "1974-08-13")
    checks = fields.recompute_checks(record)
    assert checks["birth_date"] is False and checks["document_number"] is True
    record.edit("birth_date", "1974-08-12")
    record.edit("personal_number", "ZE184226C")
    assert fields.recompute_checks(record)["personal_number"] is False
    record.edit("personal_number", "ZE184226B")
    record.edit("document_number", "X" * 12)  # does not fit TD3's 9 places
    checks = fields.recompute_checks(record)
    assert checks["document_number"] is False and checks["composite"] is False and checks["personal_number"] is True
    record.mrz_lines = ()
    assert fields.recompute_checks(record) is None  # typed in by hand: no MRZ to check against


def test_a_misread_corrected_by_hand_turns_the_cross_into_a_tick():
    line1, line2 = PassportData().mrz()
    misread = parse_mrz([line1, "L898902C36UTO7408122F3204153ZE184226B<<<<<16".replace("L898902C3", "L898902G3")], correct=False)
    record = misread.to_record()
    assert record.checks["document_number"] is False
    record.edit("document_number", "L898902C3")
    assert fields.recompute_checks(record)["document_number"] is True


def test_status_follows_the_edits():
    record = parse_mrz(list(PassportData().mrz())).to_record()
    record.edit("document_number", "L898902C4")
    record.checks = fields.recompute_checks(record)
    fields.update_status(record)
    assert record.status == "invalid" and "document_number" in record.reason
    receipt = ReceiptRecord(status="incomplete")
    receipt.edit("total", 12.5)
    fields.update_status(receipt)
    assert receipt.status == "incomplete" and "date" in receipt.reason
    receipt.edit("date", "2025-01-01")
    receipt.edit("vendor", "Cafe")
    fields.update_status(receipt)
    assert receipt.status == "ok"


def test_mrz_spans_point_at_the_field_characters():
    spans = fields.mrz_spans("TD3")
    line1, line2 = PassportData().mrz()
    line, start, end = spans["document_number"][0]
    assert (line1, line2)[line][start:end] == "L898902C3"
    line, start, end = spans["birth_date"][0]
    assert (line1, line2)[line][start:end] == "740812"
    assert fields.mrz_spans(None) == {}


def test_pin_is_stored_as_a_salted_hash_and_verified():
    assert not has_pin() and not verify_pin("1234")
    set_pin("2468")
    stored = get_secret("admin_pin")
    assert stored.startswith("pbkdf2_sha256$") and "2468" not in stored
    assert verify_pin("2468") and not verify_pin("2469") and not verify_pin("")
    assert hash_pin("2468") != hash_pin("2468")  # salted
    for bad, message in (("12", "4 to 12"), ("12a4", "digits"), ("1111", "repeated")):
        with pytest.raises(PinError, match=message):
            check_new_pin(bad)
    with pytest.raises(PinError, match="differ"):
        check_new_pin("2468", "2467")


def test_throttle_locks_after_repeated_failures():
    now = [100.0]
    throttle = Throttle(max_failures=3, lock_seconds=10, clock=lambda: now[0])
    for _ in range(3):
        assert throttle.remaining() == 0
        throttle.failed()
    assert throttle.remaining() == 10
    now[0] += 10
    assert throttle.remaining() == 0
    for _ in range(3):
        throttle.failed()
    assert throttle.remaining() == 20  # doubles
    throttle.succeeded()
    assert throttle.remaining() == 0
