"""What an MRZ says beyond its check digits: which kind of document it is, and whether the counter can accept it.

Check digits prove that a field was read as printed. They cannot say that the
document has expired, that it runs out next week, that its holder is under
age, or that its dates are impossible (a remote read, a typed-in record).
`validity_warnings()` says so, as short codes that a passport record carries
in its `warnings` (and its JSON): `expired`, `expires_soon`, `under_age`,
`born_in_future`, `expiry_before_birth`. The MRZ holds no date of issue, so
"not yet valid" cannot be told. The thresholds are the site's `[passport]`
settings; `today` is a parameter so the same record gives the same answer in
a test on any day.

A document is valid through its date of expiry: it expires the day after.
"""

from __future__ import annotations

from datetime import date

from kiosk.config import PassportSettings
from kiosk.records import PassportRecord, Value

EXPIRED = "expired"
EXPIRES_SOON = "expires_soon"
UNDER_AGE = "under_age"
BORN_IN_FUTURE = "born_in_future"
EXPIRY_BEFORE_BIRTH = "expiry_before_birth"
WARNINGS = (EXPIRED, EXPIRES_SOON, UNDER_AGE, BORN_IN_FUTURE, EXPIRY_BEFORE_BIRTH)
"""Every validity code, most serious first."""
SERIOUS = frozenset({EXPIRED, BORN_IN_FUTURE, EXPIRY_BEFORE_BIRTH})
"""Codes shown in red: the document cannot be accepted as read. The others are shown in amber."""
WARNING_FIELD = {
    EXPIRED: "expiry_date",
    EXPIRES_SOON: "expiry_date",
    UNDER_AGE: "birth_date",
    BORN_IN_FUTURE: "birth_date",
    EXPIRY_BEFORE_BIRTH: "expiry_date",
}
"""The field each code is about (where the review screen shows it)."""

PASSPORT = "passport"
ID_CARD = "id_card"
VISA = "visa"
RESIDENCE_PERMIT = "residence_permit"
OTHER_DOCUMENT = "document"
VISA_FORMATS = ("MRVA", "MRVB")
KIND_NAMES = {
    PASSPORT: "passport",
    ID_CARD: "ID card",
    VISA: "visa",
    RESIDENCE_PERMIT: "residence permit",
    OTHER_DOCUMENT: "travel document",
}
"""English names of the kinds (the command line's; the app has its own, translated)."""


def document_kind(document_type: Value, fmt: str | None = None) -> str:
    """The kind of document an MRZ document code names (ICAO 9303: P passport, V visa, I/A/C identity
    card); I/A/C followed by R is a residence permit (the EU's IR, Germany's AR). Visa formats are visas."""
    code = str(document_type or "").strip("<").upper()
    if fmt in VISA_FORMATS or code.startswith("V"):
        return VISA
    if code.startswith("P"):
        return PASSPORT
    if code[:1] in ("I", "A", "C"):
        return RESIDENCE_PERMIT if code[1:2] == "R" else ID_CARD
    return OTHER_DOCUMENT


def iso_date(value: Value) -> date | None:
    """A record's ISO date, or None when it is missing or not a date."""
    try:
        return date.fromisoformat(str(value)) if value else None
    except ValueError:
        return None


def age_on(birth: date, today: date) -> int:
    """Full years from `birth` to `today`."""
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def validity_warnings(birth: date | None, expiry: date | None, rules: PassportSettings, today: date) -> tuple[str, ...]:
    """The validity codes for a document's dates, in `WARNINGS` order; a missing date tells nothing."""
    found: set[str] = set()
    if expiry is not None:
        if expiry < today:
            found.add(EXPIRED)
        elif (expiry - today).days <= rules.expiry_warning_days and rules.expiry_warning_days > 0:
            found.add(EXPIRES_SOON)
    if birth is not None:
        if birth > today:
            found.add(BORN_IN_FUTURE)
        elif rules.minimum_age and age_on(birth, today) < rules.minimum_age:
            found.add(UNDER_AGE)
    if birth is not None and expiry is not None and expiry <= birth:
        found.add(EXPIRY_BEFORE_BIRTH)
    return tuple(code for code in WARNINGS if code in found)


def check_validity(record: PassportRecord, rules: PassportSettings, today: date | None = None) -> PassportRecord:
    """Set the record's validity codes for its dates as they are now (after a read or an edit);
    any other warning it carries stays. Returns the record."""
    codes = validity_warnings(iso_date(record.value("birth_date")), iso_date(record.value("expiry_date")), rules, today or date.today())
    record.warnings = codes + tuple(w for w in record.warnings if w not in WARNINGS)
    return record


def blocks_confirm(warnings: tuple[str, ...] | list[str], rules: PassportSettings) -> bool:
    """Whether the site's rules forbid confirming a record with these warnings: expired, unless allowed."""
    return EXPIRED in warnings and not rules.allow_expired


def explain(code: str, birth: date | None, expiry: date | None, rules: PassportSettings, today: date) -> str:
    """One line of plain English for a code (the command line's text form; the app words its own, translated)."""
    if code == EXPIRED and expiry is not None:
        allowed = "accepted here ([passport] allow_expired)" if rules.allow_expired else "not accepted here"
        return f"EXPIRED on {expiry.isoformat()}, {allowed}"
    if code == EXPIRES_SOON and expiry is not None:
        days = (expiry - today).days
        return "expires today" if days == 0 else f"expires in {days} day{'s' if days != 1 else ''} ({expiry.isoformat()})"
    if code == UNDER_AGE and birth is not None:
        return f"holder is {age_on(birth, today)}, under {rules.minimum_age}"
    if code == BORN_IN_FUTURE:
        return "date of birth is in the future"
    if code == EXPIRY_BEFORE_BIRTH:
        return "date of expiry is not after the date of birth"
    return code
