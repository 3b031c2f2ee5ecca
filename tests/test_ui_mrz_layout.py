"""The review screen's MRZ positions come from the parser's layouts, long document numbers included."""

import pytest

from test_mrz_text import TD1_LONG, TD2_LONG  # ICAO 9303 part 11, D.2: 12-character document numbers

from kiosk.ocr.mrz.parse import LAYOUTS, field_spans, parse_mrz, put_fields
from kiosk.ui import fields


@pytest.mark.parametrize("fmt", list(LAYOUTS))
def test_each_format_shows_the_optional_field_it_has(fmt):
    spans = field_spans(fmt)
    assert (LAYOUTS[fmt].optional_name in spans) and len(spans) == 10
    assert fields.mrz_spans(fmt) == {name: list(value) for name, value in spans.items()}


@pytest.mark.parametrize("lines", [TD1_LONG, TD2_LONG], ids=["TD1", "TD2"])
def test_a_long_document_number_as_read_keeps_its_tick(lines):
    record = parse_mrz(list(lines)).to_record()
    assert record.value("document_number") == "D23145890734"
    assert fields.recompute_checks(record) == record.checks
    record.edit("document_number", "D23145890735")
    checks = fields.recompute_checks(record)
    assert checks["document_number"] is False and checks["composite"] is False
    record.edit("document_number", "D2314589073")  # another length: its check digit is not where it was printed
    assert fields.recompute_checks(record)["document_number"] is False


def test_put_fields_needs_the_formats_shape():
    assert put_fields(TD1_LONG[:2], "TD1", {}) is None
    assert put_fields(TD1_LONG, "TD1", {"birth_date": "1934-07-12"}) == (TD1_LONG, ())
