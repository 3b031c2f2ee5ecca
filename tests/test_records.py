"""The record types survive serialisation and carry where each value came from."""

import pytest

from kiosk.ocr.mrz.parse import parse_mrz_text
from kiosk.records import (
    SOURCE_EDITED,
    SOURCE_REMOTE,
    Field,
    PassportRecord,
    ReceiptRecord,
    RecordError,
    record_from_json,
)

ICAO_SPECIMEN = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<\nL898902C36UTO7408122F1204159ZE184226B<<<<<10"


def test_mrz_result_becomes_a_passport_record_and_round_trips():
    record = parse_mrz_text(ICAO_SPECIMEN).to_record()
    assert record.status == "ok" and record.valid_check_digits
    assert record.value("document_number") == "L898902C3"
    assert record.value("surname") == "ERIKSSON"
    data = record.to_json()
    back = record_from_json(data)
    assert isinstance(back, PassportRecord)
    assert back.to_json() == data


def test_edit_marks_the_field_and_makes_it_certain():
    record = parse_mrz_text(ICAO_SPECIMEN).to_record()
    record.edit("given_names", "ANNA MARIA")
    assert record.field("given_names").source == SOURCE_EDITED
    assert record.field("given_names").confidence == 1.0
    assert record.sources()["surname"] == "local"


def test_receipt_record_round_trips_with_remote_fields():
    record = ReceiptRecord(
        fields={"vendor": Field("STARBUCKS", 0.9, SOURCE_REMOTE), "total": Field(12.5, 0.8, SOURCE_REMOTE)},
        lines=("STARBUCKS", "TOTAL 12.50"),
    )
    record.confirm("alice", "kiosk-1")
    back = record_from_json(record.to_json())
    assert back.value("total") == 12.5 and back.field("vendor").source == SOURCE_REMOTE
    assert back.operator == "alice" and back.confirmed_at
    assert back.value("tax") is None
    assert back.confidence == pytest.approx(0.8)


@pytest.mark.parametrize("data", [{}, {"kind": "cheque", "id": "x", "created_at": "t"}, {"kind": "receipt"}, {"kind": "receipt", "id": "x", "created_at": "t", "fields": {"vendor": {"source": "guess"}}}])
def test_malformed_records_raise_a_clear_error(data):
    with pytest.raises(RecordError):
        record_from_json(data)
