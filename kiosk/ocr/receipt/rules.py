"""The receipt rules: when a receipt is complete, when its amounts agree, which values are plausible.

The one home of these rules, used by the three places that judge a receipt:
the local extractor (`kiosk.ocr.receipt.extract`), the remote OCR client
(`kiosk.ocr.remote.client.receipt_from_answer`) and the review screen when the
operator edits a receipt (`kiosk.ui.fields.update_status`). Values here are
plain numbers and record fields, so every rule can be tested without a read.

- Complete: a receipt is `ok` when it has a total, a date and a vendor
  (`REQUIRED`), `incomplete` otherwise, the reason saying which are missing.
  Amount contradictions are warnings in the reason, not a status of their own.
- Amounts agree within `TOLERANCE`, one cash-rounding step: subtotal + tax
  (+ a printed rounding adjustment) = total, or a subtotal that already
  includes the tax equals the total; tax is less than the total; cash paid -
  total = change.
- Plausible: amounts are not negative; a vendor name is at most
  `MAX_VENDOR_CHARS` long.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from kiosk.records import Field
from kiosk.status import Status

__all__ = [
    "AMOUNT_MESSAGES",
    "CHANGE_WRONG",
    "CONTRADICTED",
    "MAX_VENDOR_CHARS",
    "NOT_ADDING_UP",
    "REQUIRED",
    "SUBTOTAL_MORE",
    "TAX_NOT_LESS",
    "TOLERANCE",
    "Finding",
    "adds_up",
    "amount_of",
    "change_contradicts",
    "check_amounts",
    "check_fields",
    "missing",
    "near",
    "plausible_amount",
    "plausible_vendor",
    "status_of",
    "subtotal_consistent",
    "tax_not_less",
]

REQUIRED = ("total", "date", "vendor")
"""The fields a receipt needs to be `ok`; without one it is `incomplete`."""

TOLERANCE = 0.051
"""How far two amounts may differ and still agree: one cash-rounding step (0.05) plus float slack.

Totals are rounded to 0.05 (Malaysia, Singapore, Switzerland...) and the
rounding adjustment is often not printed, not read, or (remote answers, edits
on the review screen) not known at all: SUB-TOTAL 24.50 + GST 1.47 with a
TOTAL of 26.00 is a right read 0.03 off. A misread that stays within one
rounding step is left to the confidence scores and the operator. On the 135
SROIE receipts of the development set, a 0.015 tolerance flagged 6 more right
totals (4.60 + 0.28 printed as 4.90...) and not one more wrong total.
"""

MAX_VENDOR_CHARS = 120
"""A vendor name longer than this is not a name (a run of receipt text)."""

TAX_NOT_LESS = "tax is not less than the total"
SUBTOTAL_MORE = "subtotal is more than the total"
NOT_ADDING_UP = "subtotal + tax does not equal the total"
AMOUNT_MESSAGES = (TAX_NOT_LESS, SUBTOTAL_MORE, NOT_ADDING_UP)
"""The warnings `check_amounts` gives."""
CHANGE_WRONG = "cash - total does not equal the change"
CONTRADICTED = "does not add up"
"""The reason of a field a finding puts in doubt; such a field is not valid."""


@dataclass(frozen=True)
class Finding:
    """One contradiction among a receipt's amounts: the warning shown, and the fields it puts in doubt."""

    message: str
    fields: tuple[str, ...]


def near(a: float, b: float, tolerance: float = TOLERANCE) -> bool:
    """Whether two amounts agree within `tolerance`."""
    return abs(a - b) <= tolerance


def adds_up(subtotal: float, tax: float, total: float, rounding: float = 0.0) -> bool:
    """Whether subtotal + tax (+ the rounding adjustment) = total."""
    return near(subtotal + tax + rounding, total)


def subtotal_consistent(subtotal: float, total: float, tax: float | None = None, rounding: float = 0.0) -> bool:
    """Whether the subtotal fits the total: it includes the tax already (equal), or subtotal + tax adds up."""
    return near(subtotal, total) or (tax is not None and adds_up(subtotal, tax, total, rounding))


def tax_not_less(tax: float, total: float) -> bool:
    """Whether the tax is not less than the total: no receipt is all tax (0 tax on a 0 total excepted)."""
    return tax >= total and not (tax == 0 and total == 0)


def change_contradicts(paid: float, total: float, change: float) -> bool:
    """Whether cash paid, the total and the change given disagree (paid - total is not the change)."""
    return paid >= total and change > 0 and not near(paid - total, change)


def check_amounts(
    total: float | None,
    tax: float | None = None,
    subtotal: float | None = None,
    *,
    rounding: float = 0.0,
    discounted: bool = False,
) -> tuple[Finding, ...]:
    """The contradictions among a receipt's total, tax and subtotal, in the order they are reported.

    `rounding` is a printed rounding adjustment (0 when none is known);
    `discounted` says the receipt has a discount row, which explains a
    subtotal above the total. Nothing is checked without a total.
    """
    if total is None:
        return ()
    findings: list[Finding] = []
    if tax is not None and tax_not_less(tax, total):
        findings.append(Finding(TAX_NOT_LESS, ("tax",)))
    if subtotal is not None and not subtotal_consistent(subtotal, total, tax, rounding) and not discounted:
        if subtotal > total + TOLERANCE:
            findings.append(Finding(SUBTOTAL_MORE, ("subtotal", "total")))
        elif tax is not None and subtotal < total:
            findings.append(Finding(NOT_ADDING_UP, ("total",)))
    return tuple(findings)


def amount_of(item: Field | None) -> float | None:
    """A record field's amount; None when it holds no number."""
    if item is None or isinstance(item.value, bool) or not isinstance(item.value, (int, float)):
        return None
    return float(item.value)


def check_fields(fields: Mapping[str, Field], *, rounding: float = 0.0, discounted: bool = False) -> tuple[Finding, ...]:
    """`check_amounts` on a record's `total`, `tax` and `subtotal` fields (remote answers, edited records)."""
    return check_amounts(
        amount_of(fields.get("total")),
        amount_of(fields.get("tax")),
        amount_of(fields.get("subtotal")),
        rounding=rounding,
        discounted=discounted,
    )


def plausible_amount(value: float) -> bool:
    """Whether an amount can be on a receipt as its total, tax or subtotal: a number, not negative."""
    return math.isfinite(value) and value >= 0


def plausible_vendor(text: str) -> bool:
    """Whether text can be a vendor's name: not empty, at most `MAX_VENDOR_CHARS` long."""
    return 0 < len(text) <= MAX_VENDOR_CHARS


def missing(fields: Mapping[str, Field]) -> list[str]:
    """The required fields without a value, in `REQUIRED` order."""
    return [name for name in REQUIRED if fields.get(name) is None or fields[name].value is None]


def status_of(missing_names: Sequence[str], warnings: Sequence[str] = ()) -> tuple[Status, str]:
    """A receipt's status and reason: `incomplete` when a required field is missing, else `ok`; warnings follow."""
    status = Status.INCOMPLETE if missing_names else Status.OK
    parts = [f"missing: {', '.join(missing_names)}" if missing_names else "", *warnings]
    return status, "; ".join(filter(None, parts))
