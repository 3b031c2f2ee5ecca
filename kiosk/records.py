"""The record types: one per document kind, used from OCR to review to sync.

A record holds the fields read from one document, each with its value, a
confidence (0-1), where it came from (`local`, `remote`, `edited`) and whether
it passed validation; plus what every record carries (an id made on the
kiosk, the operator, the kiosk id, timestamps). The OCR layer builds records
(`PassportRead.record` from the MRZ reader, the receipt extractor, the remote client), the UI
edits and confirms them, the outbox stores them and the sync targets send
them. `to_json()`/`record_from_json()` are the one serialised form.

Records carry personal data: show them, store them encrypted, sync them;
never log them.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any, ClassVar

from kiosk.errors import KioskError

SOURCE_LOCAL = "local"
SOURCE_REMOTE = "remote"
SOURCE_EDITED = "edited"
SOURCES = (SOURCE_LOCAL, SOURCE_REMOTE, SOURCE_EDITED)

PASSPORT_FIELDS = (
    "document_type",
    "document_number",
    "surname",
    "given_names",
    "nationality",
    "issuing_country",
    "birth_date",
    "expiry_date",
    "sex",
    "personal_number",
    "optional_data",
)
"""Passport/ID/visa fields, in display order. Dates are ISO `YYYY-MM-DD`; countries ICAO alpha-3 codes."""

RECEIPT_FIELDS = ("vendor", "date", "total", "tax", "subtotal", "currency")
"""Receipt fields. `date` is ISO; `total`, `tax`, `subtotal` are numbers; `currency` an ISO 4217 code."""

Value = str | float | None


class RecordError(KioskError):
    """A serialised record cannot be read back."""


def now_iso() -> str:
    """UTC timestamp, ISO 8601 with seconds, the one time format of records."""
    return datetime.now(timezone.utc).replace(microsecond=0).isoformat()


@dataclass(frozen=True)
class Field:
    """One field: the value shown to the operator and how far to trust it."""

    value: Value
    confidence: float = 0.0
    source: str = SOURCE_LOCAL
    valid: bool = True
    reason: str = ""

    def to_json(self) -> dict[str, Any]:
        return {
            "value": self.value,
            "confidence": round(self.confidence, 4),
            "source": self.source,
            "valid": self.valid,
            "reason": self.reason,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "Field":
        source = data.get("source", SOURCE_LOCAL)
        if source not in SOURCES:
            raise RecordError(f"unknown field source {source!r}")
        return cls(
            value=data.get("value"),
            confidence=float(data.get("confidence", 0.0)),
            source=source,
            valid=bool(data.get("valid", True)),
            reason=str(data.get("reason", "")),
        )


SAME_AMOUNT = 0.005
"""Two amounts closer than this (half a cent) are the same amount."""


def same_value(a: Value, b: Value) -> bool:
    """Whether two reads of a field say the same: the one comparison of read values (local, remote, merged).

    Numbers (either side a float) are the same within `SAME_AMOUNT`, and a
    number is never the same as text that is not a number, nor as None.
    Anything else is compared as text, ignoring case and runs of white
    space: " anna  maria" is "ANNA MARIA". Nothing more is ignored: an MRZ
    filler `<` is a character, not a space, so a caller holding MRZ-style
    text turns its fillers into spaces first. Callers check for None first:
    as text, None is the word "None".
    """
    if isinstance(a, float) or isinstance(b, float):
        try:
            return abs(float(a) - float(b)) < SAME_AMOUNT  # type: ignore[arg-type]
        except (TypeError, ValueError):
            return False
    return " ".join(str(a).upper().split()) == " ".join(str(b).upper().split())


@dataclass
class Record:
    """What every record carries. Subclasses fix `kind` and `FIELDS`."""

    kind: ClassVar[str] = ""
    FIELDS: ClassVar[tuple[str, ...]] = ()

    fields: dict[str, Field] = field(default_factory=dict)
    status: str = "ok"
    reason: str = ""
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    created_at: str = field(default_factory=now_iso)
    confirmed_at: str | None = None
    operator: str = ""
    kiosk_id: str = ""
    warnings: tuple[str, ...] = ()
    """What the field checks cannot say: a receipt's amount findings; a passport's validity codes (`kiosk.documents`)."""

    def field(self, name: str) -> Field:
        """The named field; an empty one (value None, confidence 0) when it was not read."""
        if name not in self.FIELDS:
            raise KeyError(name)
        return self.fields.get(name) or Field(None, 0.0, valid=False, reason="not read")

    def value(self, name: str) -> Value:
        return self.field(name).value

    @property
    def confidence(self) -> float:
        """The weakest read field's confidence; 0 when nothing was read."""
        return min((f.confidence for f in self.fields.values() if f.value is not None), default=0.0)

    def edit(self, name: str, value: Value) -> None:
        """The operator typed this value: it is now certain, and marked as edited."""
        if name not in self.FIELDS:
            raise KeyError(name)
        self.fields[name] = Field(value, 1.0, SOURCE_EDITED, valid=True)

    def confirm(self, operator: str, kiosk_id: str) -> None:
        self.operator = operator
        self.kiosk_id = kiosk_id
        self.confirmed_at = now_iso()

    def sources(self) -> dict[str, str]:
        return {name: f.source for name, f in self.fields.items()}

    def _extra_json(self) -> dict[str, Any]:
        return {}

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "id": self.id,
            "status": self.status,
            "reason": self.reason,
            "confidence": round(self.confidence, 4),
            "fields": {name: self.field(name).to_json() for name in self.FIELDS},
            "created_at": self.created_at,
            "confirmed_at": self.confirmed_at,
            "operator": self.operator,
            "kiosk_id": self.kiosk_id,
            "warnings": list(self.warnings),
            **self._extra_json(),
        }


@dataclass
class PassportRecord(Record):
    """A passport, ID card or visa read from its MRZ."""

    kind: ClassVar[str] = "passport"
    FIELDS: ClassVar[tuple[str, ...]] = PASSPORT_FIELDS

    format: str | None = None
    mrz_lines: tuple[str, ...] = ()
    checks: dict[str, bool] = field(default_factory=dict)

    @property
    def valid_check_digits(self) -> bool:
        return bool(self.checks) and all(self.checks.values())

    def _extra_json(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "mrz_lines": list(self.mrz_lines),
            "checks": dict(self.checks),
            "valid_check_digits": self.valid_check_digits,
        }


@dataclass
class ReceiptRecord(Record):
    """A receipt: vendor, date, amounts and currency, plus the text lines read."""

    kind: ClassVar[str] = "receipt"
    FIELDS: ClassVar[tuple[str, ...]] = RECEIPT_FIELDS

    lines: tuple[str, ...] = ()

    def _extra_json(self) -> dict[str, Any]:
        return {"lines": list(self.lines)}


RECORD_TYPES: dict[str, type[Record]] = {cls.kind: cls for cls in (PassportRecord, ReceiptRecord)}


def record_from_json(data: dict[str, Any]) -> Record:
    """The inverse of `Record.to_json()`; raises RecordError on anything malformed."""
    try:
        cls = RECORD_TYPES[data["kind"]]
        fields_in = data.get("fields") or {}
        fields_out = {
            name: Field.from_json(value)
            for name, value in fields_in.items()
            if name in cls.FIELDS and isinstance(value, dict)
        }
        common = dict(
            fields=fields_out,
            status=str(data.get("status", "ok")),
            reason=str(data.get("reason", "")),
            id=str(data["id"]),
            created_at=str(data["created_at"]),
            confirmed_at=data.get("confirmed_at"),
            operator=str(data.get("operator", "")),
            kiosk_id=str(data.get("kiosk_id", "")),
            warnings=tuple(str(w) for w in data.get("warnings") or ()),
        )
        if cls is PassportRecord:
            return PassportRecord(
                **common,
                format=data.get("format"),
                mrz_lines=tuple(data.get("mrz_lines") or ()),
                checks={str(k): bool(v) for k, v in (data.get("checks") or {}).items()},
            )
        return ReceiptRecord(**common, lines=tuple(data.get("lines") or ()))
    except RecordError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise RecordError(f"not a valid record: {type(exc).__name__} {exc}") from None


def with_fields(record: Record, **changes: Field) -> Record:
    """A copy of `record` with some fields replaced (used when merging local and remote reads)."""
    merged = dict(record.fields)
    merged.update(changes)
    return replace(record, fields=merged)
