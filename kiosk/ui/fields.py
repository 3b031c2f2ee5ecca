"""Review logic without widgets: field labels, validation of typed values, live MRZ check digits.

The review screen calls `validate(kind, name, text)` on every keystroke and
`recompute_checks(record)` after every passport edit; both are pure and take
well under a millisecond, so they may run on the UI thread.

Check digits and edits: the MRZ printed on the document holds a check digit
for the document number, the birth and expiry dates, the optional data and
the whole line (composite). When the operator corrects a field, its value is
put back into the MRZ as read (same positions) and every check digit is
recomputed against the digits printed on the document. So a corrected
misread turns its cross into a tick, and a typo in the correction keeps the
cross. `record.mrz_lines` stay as read (the evidence); `record.checks`
become the recomputed result, i.e. whether the confirmed values agree with
the document's own check digits. Where each field sits in the MRZ is
`kiosk.ocr.mrz.parse`'s (`LAYOUTS`, `field_spans`, `put_fields`).

Receipts: after every edit `update_status` re-checks the receipt with the
receipt rules (`kiosk.ocr.receipt.rules`), the same rules as a local read
and the OCR service's answers: required fields, amounts that agree.
"""

from __future__ import annotations

import re
from datetime import date
from functools import lru_cache

from PySide6.QtCore import QCoreApplication, QT_TRANSLATE_NOOP

from kiosk.config import ReceiptSettings
from kiosk.ocr.mrz.icao import is_state_code
from kiosk.ocr.mrz.parse import LAYOUTS, field_spans, parse_mrz, put_fields
from kiosk.ocr.receipt import rules
from kiosk.ocr.remote.merge import dispute_reason, disputed_fields
from kiosk.ocr.receipt.extract import Adjustments, adjustments
from kiosk.ocr.receipt.values import parse_amount, parse_currency, parse_date
from kiosk.records import PASSPORT_FIELDS, RECEIPT_FIELDS, Field, PassportRecord, ReceiptRecord, Record, Value

LABELS = {
    "document_type": QT_TRANSLATE_NOOP("Fields", "Document type"),
    "document_number": QT_TRANSLATE_NOOP("Fields", "Document number"),
    "surname": QT_TRANSLATE_NOOP("Fields", "Surname"),
    "given_names": QT_TRANSLATE_NOOP("Fields", "Given names"),
    "nationality": QT_TRANSLATE_NOOP("Fields", "Nationality"),
    "issuing_country": QT_TRANSLATE_NOOP("Fields", "Issuing country"),
    "birth_date": QT_TRANSLATE_NOOP("Fields", "Date of birth"),
    "expiry_date": QT_TRANSLATE_NOOP("Fields", "Date of expiry"),
    "sex": QT_TRANSLATE_NOOP("Fields", "Sex"),
    "personal_number": QT_TRANSLATE_NOOP("Fields", "Personal number"),
    "optional_data": QT_TRANSLATE_NOOP("Fields", "Optional data"),
    "composite": QT_TRANSLATE_NOOP("Fields", "Whole line"),
    "vendor": QT_TRANSLATE_NOOP("Fields", "Vendor"),
    "date": QT_TRANSLATE_NOOP("Fields", "Date"),
    "total": QT_TRANSLATE_NOOP("Fields", "Total"),
    "tax": QT_TRANSLATE_NOOP("Fields", "Tax"),
    "subtotal": QT_TRANSLATE_NOOP("Fields", "Subtotal"),
    "currency": QT_TRANSLATE_NOOP("Fields", "Currency"),
}
HINTS = {
    "birth_date": QT_TRANSLATE_NOOP("Fields", "YYYY-MM-DD"),
    "expiry_date": QT_TRANSLATE_NOOP("Fields", "YYYY-MM-DD"),
    "date": QT_TRANSLATE_NOOP("Fields", "YYYY-MM-DD or as printed"),
    "sex": QT_TRANSLATE_NOOP("Fields", "M, F or X"),
    "total": QT_TRANSLATE_NOOP("Fields", "e.g. 12.50"),
    "tax": QT_TRANSLATE_NOOP("Fields", "e.g. 1.12"),
    "subtotal": QT_TRANSLATE_NOOP("Fields", "e.g. 11.38"),
    "currency": QT_TRANSLATE_NOOP("Fields", "e.g. MYR, USD"),
    "nationality": QT_TRANSLATE_NOOP("Fields", "3 letters, e.g. USA"),
    "issuing_country": QT_TRANSLATE_NOOP("Fields", "3 letters, e.g. USA"),
}
SOURCE_NAMES = {
    "local": QT_TRANSLATE_NOOP("Fields", "Local"),
    "remote": QT_TRANSLATE_NOOP("Fields", "OCR service"),
    "edited": QT_TRANSLATE_NOOP("Fields", "Edited"),
}
KIND_NAMES = {"passport": QT_TRANSLATE_NOOP("Fields", "passport"), "receipt": QT_TRANSLATE_NOOP("Fields", "receipt")}

# Validation messages (translated where shown).
E_REQUIRED = QT_TRANSLATE_NOOP("Validation", "Required")
E_DATE = QT_TRANSLATE_NOOP("Validation", "Not a date: use YYYY-MM-DD")
E_BIRTH_FUTURE = QT_TRANSLATE_NOOP("Validation", "The date of birth is in the future")
E_COUNTRY = QT_TRANSLATE_NOOP("Validation", "Use the 3-letter ICAO code, e.g. USA or D")
E_SEX = QT_TRANSLATE_NOOP("Validation", "Use M, F or X")
E_MRZ_CHARS = QT_TRANSLATE_NOOP("Validation", "Only letters A-Z and digits")
E_NAME = QT_TRANSLATE_NOOP("Validation", "Only letters, spaces, hyphens and apostrophes")
E_DOCTYPE = QT_TRANSLATE_NOOP("Validation", "One or two letters, e.g. P or ID")
E_AMOUNT = QT_TRANSLATE_NOOP("Validation", "Not an amount, e.g. 12.50")
E_NEGATIVE = QT_TRANSLATE_NOOP("Validation", "The amount cannot be negative")
E_CURRENCY = QT_TRANSLATE_NOOP("Validation", "Use a currency code such as MYR or USD")
E_TOO_LONG = QT_TRANSLATE_NOOP("Validation", "Too long")

REQUIRED = {"passport": ("document_number", "surname", "birth_date", "expiry_date"), "receipt": ("total",)}
"""Fields the operator may not leave empty (the form's "Required"). A receipt without a date or vendor can be
confirmed, as `incomplete` (`rules.REQUIRED`)."""
PASSPORT_NUMBER_RE = re.compile(r"^[A-Z0-9]{1,30}$")
MRZ_TEXT_RE = re.compile(r"^[A-Z0-9 ]{0,30}$")
NAME_RE = re.compile(r"^[A-Z][A-Z '\-]*$")
ISO_RE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
DMY_RE = re.compile(r"^(\d{1,2})[./](\d{1,2})[./](\d{4})$")
CHECKED = ("document_number", "birth_date", "expiry_date", "personal_number", "optional_data", "composite")


def translated(context: str, text: str) -> str:
    return QCoreApplication.translate(context, text)


def label(name: str) -> str:
    return translated("Fields", LABELS.get(name, name))


def display(value: Value) -> str:
    """How a stored value is shown in its edit box."""
    if value is None:
        return ""
    if isinstance(value, float):
        return f"{value:.2f}"
    return str(value)


def _passport_date(text: str) -> str | None:
    match = ISO_RE.match(text)
    if match:
        year, month, day = (int(g) for g in match.groups())
    else:
        match = DMY_RE.match(text)
        if not match:
            return None
        day, month, year = (int(g) for g in match.groups())
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        return None


def validate(kind: str, name: str, text: str, receipt: ReceiptSettings | None = None, today: date | None = None) -> tuple[Value, str | None]:
    """The value to store for what the operator typed, or an error message (untranslated)."""
    text = " ".join(text.split())
    today = today or date.today()
    if not text:
        return None, (E_REQUIRED if name in REQUIRED.get(kind, ()) else None)
    if kind == "passport":
        upper = text.upper()
        if name == "document_type":
            return (upper, None) if re.fullmatch(r"[A-Z][A-Z<]?", upper) else (None, E_DOCTYPE)
        if name == "document_number":
            compact = upper.replace(" ", "")
            return (compact, None) if PASSPORT_NUMBER_RE.match(compact) else (None, E_MRZ_CHARS)
        if name in ("surname", "given_names"):
            if len(upper) > 80:
                return None, E_TOO_LONG
            return (upper, None) if NAME_RE.match(upper) else (None, E_NAME)
        if name in ("nationality", "issuing_country"):
            code = upper.replace(" ", "")
            if re.fullmatch(r"[A-Z]{1,3}", code) and is_state_code(code.ljust(3, "<")):
                return code, None
            return None, E_COUNTRY
        if name in ("birth_date", "expiry_date"):
            iso = _passport_date(text)
            if iso is None:
                return None, E_DATE
            if name == "birth_date" and iso > today.isoformat():
                return None, E_BIRTH_FUTURE
            return iso, None
        if name == "sex":
            return (upper, None) if upper in ("M", "F", "X") else (None, E_SEX)
        if name in ("personal_number", "optional_data"):
            return (upper, None) if MRZ_TEXT_RE.match(upper) else (None, E_MRZ_CHARS)
        return upper, None
    # receipt
    receipt = receipt or ReceiptSettings()
    if name == "vendor":
        return (text, None) if rules.plausible_vendor(text) else (None, E_TOO_LONG)
    if name == "date":
        iso = _passport_date(text) or parse_date(text, receipt.date_order, today)
        return (iso, None) if iso else (None, E_DATE)
    if name in ("total", "tax", "subtotal"):
        amount = parse_amount(text)
        if amount is None:
            return None, E_AMOUNT
        if not rules.plausible_amount(amount):
            return None, E_NEGATIVE
        return round(amount, 2), None
    if name == "currency":
        upper = text.upper()
        if re.fullmatch(r"[A-Z]{3}", upper):
            return upper, None
        code = parse_currency(text)
        return (code, None) if code else (None, E_CURRENCY)
    return text, None


def same_value(a: Value, b: Value) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        try:
            return a is not None and b is not None and abs(float(a) - float(b)) < 0.005
        except (TypeError, ValueError):
            return False
    return (a or None) == (b or None)


# -- MRZ positions and check digits ------------------------------------------


def mrz_spans(fmt: str | None) -> dict[str, list[tuple[int, int, int]]]:
    """Where each passport field sits in the MRZ lines of `fmt`: field -> [(line, start, end)], check digit last."""
    return {name: list(spans) for name, spans in field_spans(fmt).items()}


def recompute_checks(record: PassportRecord) -> dict[str, bool] | None:
    """The check digits for the record's current values against those printed in its MRZ; None when unknown.

    None when there are no MRZ lines (typed in by hand). A value longer than
    its MRZ field fails its check (and the composite).
    """
    put = put_fields(record.mrz_lines, record.format, {name: record.value(name) for name in record.FIELDS})
    if put is None:
        return None
    lines, misfits = put
    result = parse_mrz(list(lines), correct=False)
    if not result.checks:
        return None
    checks = {check.name: check.ok for check in result.checks}
    for name in misfits:  # a value longer than its MRZ field cannot be what the document printed
        checks[name] = False
        if "composite" in checks:
            checks["composite"] = False
    return checks


@lru_cache(maxsize=8)
def _adjustments(lines: tuple[str, ...]) -> Adjustments:
    return adjustments(lines)


def update_status(record: Record) -> None:
    """After edits: a passport whose required fields are all there and valid (and checks hold) is `ok`;
    a receipt is `ok` or `incomplete` by the receipt rules, its amount warnings re-checked."""
    if isinstance(record, PassportRecord):
        fields_ok = all(record.field(n).value is not None and record.field(n).valid for n in REQUIRED["passport"])
        if fields_ok and record.checks and all(record.checks.values()):
            record.status, record.reason = "ok", ""
        elif record.checks and not all(record.checks.values()):
            failed = ", ".join(n for n, ok in record.checks.items() if not ok)
            record.status, record.reason = "invalid", f"check digit fails: {failed}"
        elif not record.checks and fields_ok and record.status in ("no_mrz", ""):
            record.status, record.reason = "invalid", "typed in by hand: no MRZ check digits"
    elif isinstance(record, ReceiptRecord):
        # The amounts are re-checked as they are now, with the rounding and discount rows the receipt prints;
        # the read's other warnings (cash and change, several totals) stay.
        rounding, discounted = _adjustments(tuple(record.lines))
        findings = rules.check_fields(record.fields, rounding=rounding, discounted=discounted)
        kept = tuple(w for w in record.warnings if w not in rules.AMOUNT_MESSAGES)
        record.warnings = tuple(finding.message for finding in findings) + kept
        record.status, record.reason = rules.status_of(rules.missing(record.fields), record.warnings)
    disputed = disputed_fields(record)
    if disputed and record.status == "ok":
        record.status, record.reason = "invalid", dispute_reason(disputed, "receipt" if isinstance(record, ReceiptRecord) else "document")


def fields_of(kind: str, record: Record | None = None) -> tuple[str, ...]:
    """The fields shown for a kind: passports show only the optional-data field their format has."""
    if kind == "receipt":
        return RECEIPT_FIELDS
    optional = "personal_number"
    if isinstance(record, PassportRecord) and record.format in LAYOUTS:
        optional = LAYOUTS[record.format].optional_name
    return tuple(n for n in PASSPORT_FIELDS if n not in ("personal_number", "optional_data") or n == optional)


def restore(record: Record, name: str, original: Field | None) -> None:
    """Put back the field as read (the operator typed the original value again)."""
    if original is None:
        record.fields.pop(name, None)
    else:
        record.fields[name] = original
