"""What a sync target is and how its failures are told apart.

A target raises, for one record:
- `TransientError`: try the same record again later (network, timeout, 5xx, 429);
- `PermanentError`: this record will never go through as it is (validation,
  missing field): it is marked `failed` with the reason.
For the target as a whole (wrong credentials, not the expected server, a
mapped field missing, wrong settings) it raises `kiosk.errors.SyncError`: the
record stays `pending`, since nothing is wrong with it, and the worker stops
with that message.
"""

from __future__ import annotations

import re
from typing import Mapping, Protocol

from kiosk.errors import SyncError
from kiosk.records import Record
from kiosk.sync.outbox import Delivery

MARKER_PREFIX = "kiosk-record-id:"
_MAX_ERROR = 300
_CODES = ("document_type", "nationality", "issuing_country", "sex", "currency")
"""Fields holding codes, not personal data: left readable in error messages."""


class DeliveryError(Exception):
    """One record could not be delivered; the message is already free of personal data."""


class TransientError(DeliveryError):
    """Try again later. `settle` > 0: a create may still be running at the target (its answer was lost);
    the record must not be looked for, nor created again, before `settle` seconds have passed."""

    def __init__(self, message: str, retry_after: float | None = None, settle: float = 0.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.settle = settle


class PermanentError(DeliveryError):
    pass


class Target(Protocol):
    """A place records are delivered to."""

    name: str
    settle_seconds: float
    """How long a request whose answer was lost may still be running at the target (0: the target is
    idempotent by itself, like GreenPay's Idempotency-Key). A record cut off mid-send waits this long."""

    def connect(self, kinds: frozenset[str]) -> str:
        """Check settings, credentials and the server for these record kinds; a one-line description.

        Raises SyncError (the target cannot be used as set up) or TransientError (try later).
        """

    def deliver(self, delivery: Delivery) -> str:
        """Create the record at the target, exactly once, and return its remote reference.

        When `delivery.resume` is true an earlier attempt may have arrived: the
        target must look for it first and finish it rather than create it again.
        """

    def close(self) -> None: ...


def redirect_error(service: str, status: int, headers: Mapping[str, str], setting: str) -> SyncError:
    """A redirect means the configured address is not the service's own (http -> https, a moved host)."""
    where = headers.get("Location", "elsewhere")
    return SyncError(f"{service} answered HTTP {status}, a redirect to {where}: set {setting} to the final address")


def marker(record_id: str) -> str:
    """The text put into a searchable field so a resumed delivery finds what an earlier attempt created."""
    return f"{MARKER_PREFIX}{record_id}"


def redact(message: str, record: Record | None = None) -> str:
    """One short line with no personal data: the record's values are cut out of a server's message."""
    text = " ".join(str(message).split())
    if record is not None and record.kind == "passport":  # a receipt's vendor, date and total are not personal data
        secrets: set[str] = set()
        for name in record.FIELDS:
            if name in _CODES:
                continue
            value = record.value(name)
            if value is None or isinstance(value, float):
                continue
            value = str(value).strip()
            if len(value) >= 2:
                secrets.add(value)
            secrets.update(word for word in re.split(r"[\s<,]+", value) if len(word) >= 3)
        for line in getattr(record, "mrz_lines", ()):
            secrets.add(line)
        if record.operator:
            secrets.add(record.operator)
        for value in sorted(secrets, key=len, reverse=True):
            text = re.sub(re.escape(value), "***", text, flags=re.IGNORECASE)
    return text if len(text) <= _MAX_ERROR else text[: _MAX_ERROR - 3] + "..."
