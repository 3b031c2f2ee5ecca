"""What the OCR service's answers may claim before they are merged: plausible values, honest confidences, honest 429s.

Over HTTP against the loopback stand-in of the service (tests/remote_server.py) where the setting or the
status code matters; directly on the answer parsers for the values themselves.
"""

from datetime import date

import cv2
import numpy as np
import pytest

from kiosk.config import settings_from_dict
from kiosk.errors import ConfigError
from kiosk.ocr.receipt import rules
from kiosk.ocr.remote.client import RemoteOcr, RemoteRateLimited, passport_from_answer, receipt_from_answer
from remote_server import TOKEN, OcrTestServer, remote_settings
from test_remote_client import FakeClock

TODAY = date(2025, 10, 20)


def receipt(**answer):
    return receipt_from_answer({"vendor": "KEDAI MAJU", "date": "2025-10-01", "confidence": 0.9, **answer}, today=TODAY)


def png() -> bytes:
    return cv2.imencode(".png", np.full((120, 160, 3), 210, np.uint8))[1].tobytes()


def test_implausible_amounts_become_empty_or_invalid_with_a_reason():
    huge = receipt(amount=1e308)
    assert huge.value("total") is None and not huge.field("total").valid
    assert "max_amount" in huge.field("total").reason and huge.status == "incomplete"
    assert receipt(amount=0).value("total") is None  # nothing costs 0
    negative_tax = receipt(amount=10, tax=-1)
    assert negative_tax.value("tax") is None and "negative" in negative_tax.field("tax").reason
    all_tax = receipt(amount=10, tax=12)
    assert not all_tax.field("tax").valid and rules.TAX_NOT_LESS in all_tax.warnings
    ceiling = receipt_from_answer({"vendor": "X", "amount": 600, "date": "2025-10-01"}, today=TODAY, max_amount=500)
    assert ceiling.value("total") is None and "500" in ceiling.field("total").reason
    fine = receipt(amount="165.00", tax=15, subtotal=150)
    assert fine.status == "ok" and all(fine.field(n).valid for n in ("total", "tax", "subtotal"))


def test_a_date_in_the_future_is_not_read_as_another_date():
    future = receipt(amount=10, date="2025-11-03")  # after TODAY; swapping day and month would give 2025-03-11
    assert future.value("date") is None and "future" in future.field("date").reason
    assert receipt(amount=10, date="2025-10-19").value("date") == "2025-10-19"
    assert receipt(amount=10, date="1999-12-31").value("date") is None  # absurdly old for an expense


def test_passport_dates_without_mrz_text_that_cannot_be_the_documents_are_dropped():
    record = passport_from_answer(
        {"surname": "ABDULLAYEV", "dateOfBirth": "2090-01-01", "dateOfExpiry": "2031-05-02", "confidence": 0.9}, today=TODAY
    )
    assert record.value("birth_date") is None and "future" in record.field("birth_date").reason
    assert record.value("expiry_date") == "2031-05-02" and not record.field("expiry_date").valid  # unverified, never valid
    assert passport_from_answer({"surname": "A", "dateOfBirth": "1850-01-01"}, today=TODAY).value("birth_date") is None


def test_per_field_confidences_are_used_and_the_overall_one_is_capped():
    answer = receipt_from_answer(
        {"vendor": "KEDAI MAJU", "amount": 12.5, "date": "2025-10-01", "confidence": 1.0,
         "fields": {"amount": {"value": 12.5, "confidence": 0.995}}},
        today=TODAY,
    )
    assert answer.field("total").confidence == pytest.approx(0.995)  # the service's own figure for this field
    assert answer.field("vendor").confidence < 0.99 and answer.field("date").confidence < 0.99


def test_the_max_amount_setting_reaches_the_answers_read_over_http(monkeypatch):
    assert settings_from_dict({}).remote.max_amount == 1_000_000
    with pytest.raises(ConfigError, match=r"\[remote\] max_amount"):
        settings_from_dict({"remote": {"max_amount": 0}})
    with OcrTestServer() as srv:
        settings = settings_from_dict({"remote": {"max_amount": 100, "receipt": [{"url": f"{srv.url}/ocr"}]}})
        srv.script(("json", {"vendor": "KEDAI MAJU", "amount": 250.0, "date": "2025-10-01", "confidence": 0.9}))
        with RemoteOcr(settings.remote, {"ocr_token": TOKEN}) as client:
            record = client.ocr_receipt(png())
    assert record.value("total") is None and "max_amount 100" in record.field("total").reason
    assert [seen.path for seen in srv.posts()] == ["/ocr"]


def test_a_429_without_retry_after_says_what_happened_and_invents_no_wait():
    with OcrTestServer() as srv:
        srv.default = ("rate_limit", None)
        clock = FakeClock()
        settings = remote_settings(srv.url, connect_timeout=1.0, read_timeout=2.0)  # backoff 0.5 s, 2 retries
        with RemoteOcr(settings, {"ocr_token": TOKEN}, clock=clock, sleep=clock.sleep) as client:
            with pytest.raises(RemoteRateLimited) as caught:
                client.scan_mrz(png())
            message = str(caught.value)
            assert "try again in" not in message and "no Retry-After" in message and "3 tries" in message
            assert caught.value.retry_after is None
            with pytest.raises(RemoteRateLimited) as again:
                client.scan_mrz(png())  # asks the service again: it named no time to wait
            assert "asked to wait" not in str(again.value)
        assert len(srv.posts()) == 6
