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
the document's own check digits.
"""

from __future__ import annotations

import re
from datetime import date

from PySide6.QtCore import QCoreApplication, QT_TRANSLATE_NOOP

from kiosk.config import ReceiptSettings
from kiosk.ocr.mrz.icao import is_state_code
from kiosk.ocr.mrz.parse import LAYOUTS, parse_mrz
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
        return (text, None) if len(text) <= 120 else (None, E_TOO_LONG)
    if name == "date":
        iso = _passport_date(text) or parse_date(text, receipt.date_order, today)
        return (iso, None) if iso else (None, E_DATE)
    if name in ("total", "tax", "subtotal"):
        amount = parse_amount(text)
        if amount is None:
            return None, E_AMOUNT
        if amount < 0:
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
    """Where each passport field sits in the MRZ lines of `fmt`: field -> [(line, start, end)]."""
    layout = LAYOUTS.get(fmt or "")
    if layout is None:
        return {}
    spans: dict[str, list[tuple[int, int, int]]] = {
        "document_type": [layout.document_type],
        "issuing_country": [layout.issuing_state],
        "surname": [layout.name],
        "given_names": [layout.name],
        "document_number": [layout.number, (layout.number_check[0], layout.number_check[1], layout.number_check[1] + 1)],
        "nationality": [layout.nationality],
        "birth_date": [layout.birth_date, (layout.birth_check[0], layout.birth_check[1], layout.birth_check[1] + 1)],
        "sex": [(layout.sex[0], layout.sex[1], layout.sex[1] + 1)],
        "expiry_date": [layout.expiry_date, (layout.expiry_check[0], layout.expiry_check[1], layout.expiry_check[1] + 1)],
    }
    optional = [layout.optional] + ([layout.optional_2] if layout.optional_2 else [])
    if layout.optional_check is not None:
        optional.append((layout.optional_check[0], layout.optional_check[1], layout.optional_check[1] + 1))
    spans[layout.optional_name] = optional
    return spans


def _yymmdd(iso: Value) -> str | None:
    if not isinstance(iso, str) or not ISO_RE.match(iso):
        return None
    return iso[2:4] + iso[5:7] + iso[8:10]


def recompute_checks(record: PassportRecord) -> dict[str, bool] | None:
    """The check digits for the record's current values against those printed in its MRZ; None when unknown.

    None when there are no MRZ lines (typed in by hand). A value longer than
    its MRZ field fails its check (and the composite).
    """
    layout = LAYOUTS.get(record.format or "")
    if layout is None or len(record.mrz_lines) != len(layout.shape):
        return None
    grid = [list(line) for line in record.mrz_lines]
    if any(len(row) != width for row, width in zip(grid, layout.shape)):
        return None

    def put(span: tuple[int, int, int], text: str) -> bool:
        line, start, end = span
        if len(text) > end - start:
            return False
        grid[line][start:end] = list(text.ljust(end - start, "<"))
        return True

    values = {name: record.value(name) for name in ("document_number", "birth_date", "expiry_date", layout.optional_name)}
    misfits: list[str] = []
    number = values["document_number"]
    if isinstance(number, str) and number and not put(layout.number, number):
        misfits.append("document_number")
    for name, span in (("birth_date", layout.birth_date), ("expiry_date", layout.expiry_date)):
        short = _yymmdd(values[name])
        if short is not None:
            put(span, short)
    optional = values[layout.optional_name]
    if isinstance(optional, str) and layout.optional_name == "personal_number":
        if not put(layout.optional, optional.replace(" ", "<")):
            misfits.append("personal_number")
    result = parse_mrz(["".join(row) for row in grid], correct=False)
    if not result.checks:
        return None
    checks = {check.name: check.ok for check in result.checks}
    for name in misfits:  # a value longer than its MRZ field cannot be what the document printed
        checks[name] = False
        if "composite" in checks:
            checks["composite"] = False
    return checks


def update_status(record: Record) -> None:
    """After edits: a record whose required fields are all there and valid (and checks hold) is `ok`."""
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
        missing = [n for n in ("total", "date", "vendor") if record.value(n) is None]
        if not missing:
            record.status, record.reason = "ok", ""
        else:
            record.status, record.reason = "incomplete", f"missing: {', '.join(missing)}"


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
