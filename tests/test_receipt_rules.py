"""The one set of receipt rules, and the three places that judge a receipt agreeing on it."""

from kiosk.ocr.receipt import rules
from kiosk.ocr.receipt.extract import adjustments, extract_receipt
from kiosk.ocr.remote.client import receipt_from_answer
from kiosk.records import Field, ReceiptRecord
from kiosk.ui import fields as ui


def messages(*args, **kwargs) -> list[str]:
    return [finding.message for finding in rules.check_amounts(*args, **kwargs)]


def test_a_total_rounded_to_five_cents_still_adds_up():
    assert messages(26.00, 1.47, 24.50) == []  # 25.97 printed as 26.00, the rounding row not known
    assert messages(26.00, 1.47, 24.50, rounding=0.03) == []
    assert messages(26.10, 1.47, 24.50) == [rules.NOT_ADDING_UP]


def test_tax_equal_to_the_total_is_a_contradiction():
    assert messages(10.00, 10.00) == [rules.TAX_NOT_LESS]
    assert messages(10.00, 12.00) == [rules.TAX_NOT_LESS]
    assert messages(0.0, 1.50) == [rules.TAX_NOT_LESS]
    assert messages(0.0, 0.0) == []
    assert messages(10.00, 0.60) == []


def test_a_subtotal_that_includes_the_tax_equals_the_total():
    assert messages(21.50, 3.58, 21.50) == []
    assert messages(21.50, 3.58, 30.00) == [rules.SUBTOTAL_MORE]
    assert messages(248.00, 26.57, 258.00, discounted=True) == []


def test_status_and_reason():
    assert rules.status_of(["date"], ["w"]) == ("incomplete", "missing: date; w")
    assert rules.status_of([], []) == ("ok", "")
    assert rules.missing({"total": Field(1.0), "date": Field(None)}) == ["date", "vendor"]


def test_the_remote_answer_follows_the_same_rules_as_a_local_read():
    local = extract_receipt(["ACME STORE", "Date: 01/02/2019", "TAX  10.00", "TOTAL  10.00"])
    remote = receipt_from_answer({"vendor": "ACME STORE", "date": "01/02/2019", "amount": "10.00", "tax": "10.00"})
    assert local.warnings == remote.warnings == (rules.TAX_NOT_LESS,)
    assert not local.field("tax").valid and not remote.field("tax").valid
    assert local.status == remote.status == "ok"
    rounded = receipt_from_answer({"vendor": "X", "date": "01/02/2019", "amount": 26.0, "tax": 1.47, "subtotal": 24.5})
    assert rounded.warnings == () and rounded.status == "ok"


def test_a_negative_amount_from_the_service_is_not_used():
    record = receipt_from_answer({"vendor": "X", "date": "01/02/2019", "amount": "(12.50)"})
    assert record.value("total") is None and not record.field("total").valid
    assert record.status == "incomplete" and "missing: total" in record.reason


def test_the_review_screen_rechecks_edited_amounts_with_the_receipts_own_rows():
    lines = ("SHOP", "Date: 01/02/2019", "SUBTOTAL 258.00", "DISCOUNT -10.00", "TOTAL 248.00")
    assert adjustments(lines) == (0.0, True)
    record = ReceiptRecord(lines=lines, warnings=("cash - total does not equal the change",))
    for name, value in (("vendor", "SHOP"), ("date", "2019-02-01"), ("total", 248.0), ("subtotal", 258.0)):
        record.edit(name, value)
    ui.update_status(record)
    assert record.status == "ok" and record.warnings == ("cash - total does not equal the change",)
    record.edit("tax", 300.0)
    ui.update_status(record)
    assert record.warnings[0] == rules.TAX_NOT_LESS and rules.TAX_NOT_LESS in record.reason
    record.edit("tax", 26.57)
    ui.update_status(record)
    assert rules.TAX_NOT_LESS not in record.warnings and record.status == "ok"
