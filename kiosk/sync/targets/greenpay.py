"""The GreenPay backend: `POST {url}{passports_path}` with the passport as JSON.

Contract (DESIGN.md): bearer token (secret `greenpay_token`), header
`Idempotency-Key` = the record id; 2xx means stored, 409 means already stored.
Resending with the same key is how a delivery interrupted by a crash or a
timeout is finished without a duplicate.

The body is GreenPay's own passport shape (`GREENPAY_SHAPE`: the flat
camelCase of its MRZ service plus the kiosk's record id, kiosk id, operator and
timestamps), or the keys a site maps in `[greenpay.body_fields]`, or with
`[greenpay] body = "record"` the kiosk's whole record.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from kiosk.config import Settings
from kiosk.errors import SyncError
from kiosk.http_util import error_detail, parse_retry_after
from kiosk.records import PASSPORT_FIELDS, SOURCE_EDITED, PassportRecord, Record
from kiosk.secrets import get_secret
from kiosk.sync.outbox import Delivery
from kiosk.sync.targets.base import PermanentError, TransientError, redirect_error

log = logging.getLogger("kiosk.sync")

RECORD_ATTRIBUTES = (
    "id", "kind", "kiosk_id", "operator", "created_at", "confirmed_at", "confidence", "status", "reason",
    "format", "mrz_lines", "checks", "valid_check_digits",
)
"""Besides its fields, what of a passport record `[greenpay.body_fields]` may name."""
DERIVED_SOURCES = ("mrz_text",)
"""Sources made from the record: `mrz_text`, the MRZ lines joined with a newline (null without them)."""
FIELD_PARTS = ("confidence", "source", "valid")
"""What `<field>.<part>` may name of one field besides its value."""
SOURCE_NAMES = {SOURCE_EDITED: "operator"}
"""A field's provenance as sent: `local`, `remote`, or `operator` (typed or corrected at the kiosk)."""

GREENPAY_SHAPE: dict[str, str] = {
    "recordId": "id",
    "kioskId": "kiosk_id",
    "operator": "operator",
    "createdAt": "created_at",
    "confirmedAt": "confirmed_at",
    "passportNumber": "document_number",
    "surname": "surname",
    "givenName": "given_names",
    "nationality": "nationality",
    "dateOfBirth": "birth_date",
    "sex": "sex",
    "dateOfExpiry": "expiry_date",
    "issuingCountry": "issuing_country",
    "personalNumber": "personal_number",
    "confidence": "confidence",
    "validCheckDigits": "valid_check_digits",
    "mrzText": "mrz_text",
}
"""The default body: GreenPay's passport shape (the flat camelCase of its MRZ service) -> source."""
RETRY_STATUS = (408, 425, 429)


def unknown_sources(mapping: dict[str, str]) -> list[str]:
    """The sources of a `[greenpay.body_fields]` mapping that name nothing of a passport record."""
    return [source for source in mapping.values() if not _known_source(source)]


def _known_source(source: str) -> bool:
    name, dot, part = source.partition(".")
    if dot:
        return name in PASSPORT_FIELDS and part in FIELD_PARTS
    return source in PASSPORT_FIELDS or source in RECORD_ATTRIBUTES or source in DERIVED_SOURCES


def source_value(record: PassportRecord, source: str) -> Any:
    """What `source` (a name `_known_source` accepts) is for this record, as JSON."""
    name, dot, part = source.partition(".")
    if dot:
        item = record.field(name)
        if part == "confidence":
            return round(item.confidence, 4)
        if part == "source":
            return SOURCE_NAMES.get(item.source, item.source)
        return item.valid
    if source in record.FIELDS:
        return record.value(source)
    if source == "mrz_text":
        return "\n".join(record.mrz_lines) or None
    value = getattr(record, source)
    if source == "confidence":
        return round(value, 4)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, dict):
        return dict(value)
    return value


def greenpay_body(record: PassportRecord) -> dict[str, Any]:
    """The passport in GreenPay's own shape; empty text (a passport without a personal number) is null."""
    body = {key: source_value(record, source) for key, source in GREENPAY_SHAPE.items()}
    return {key: None if value == "" else value for key, value in body.items()}


class GreenPayTarget:
    name = "greenpay"
    settle_seconds = 0.0  # the Idempotency-Key makes a resend safe even while the first request still runs

    def __init__(self, settings: Settings, secret: str | None = None) -> None:
        """`secret`: the token to use instead of the stored one (a connection test of typed settings)."""
        self.settings = settings.greenpay
        if not self.settings.url:
            raise SyncError("GreenPay is not set up: set [greenpay] url")
        token = secret or get_secret("greenpay_token")
        if not token:
            raise SyncError("no GreenPay token: store it with `kiosk secret set greenpay_token`")
        unknown = unknown_sources(self.settings.body_fields)
        if unknown:
            raise SyncError(f"[greenpay.body_fields] names no record field: {', '.join(unknown)}")
        self._http = httpx.Client(
            base_url=self.settings.url.rstrip("/"),
            timeout=httpx.Timeout(self.settings.timeout),
            headers={"Authorization": f"Bearer {token}"},
            follow_redirects=False,
        )

    def connect(self, kinds: frozenset[str] = frozenset({"passport"})) -> str:
        return f"GreenPay at {self.settings.url}"

    def close(self) -> None:
        self._http.close()

    def body(self, record: Record) -> dict[str, Any]:
        """The JSON sent: a passport as `[greenpay.body_fields]` maps it, else in the `[greenpay] body` shape.

        Anything else (a receipt, only sent with a `receipts_path`) goes as the kiosk's whole record.
        """
        if not isinstance(record, PassportRecord):
            return record.to_json()
        mapping = self.settings.body_fields
        if mapping:
            return {key: source_value(record, source) for key, source in mapping.items()}
        if self.settings.body == "record":
            return record.to_json()
        return greenpay_body(record)

    def deliver(self, delivery: Delivery) -> str:
        record = delivery.record
        path = self.settings.passports_path if record.kind == "passport" else self.settings.receipts_path
        if not path:
            raise PermanentError(f"GreenPay takes passports only: set [greenpay] receipts_path to send {record.kind}s")
        try:
            response = self._http.post(path, json=self.body(record), headers={"Idempotency-Key": record.id})
        except httpx.TimeoutException:
            raise TransientError("GreenPay did not answer in time") from None
        except httpx.TransportError as exc:
            raise TransientError(f"cannot reach GreenPay at {self.settings.url}: {type(exc).__name__}") from None
        status = response.status_code
        if 200 <= status < 300 or status == 409:
            kind = response.headers.get("content-type", "").split(";")[0].strip()
            if kind == "text/html":
                # A captive portal or a web server's page: the record was NOT stored.
                raise SyncError(f"{self.settings.url}{path} does not answer like GreenPay (HTML page): check [greenpay] url")
            if status == 409:
                log.info("record %s was already stored at GreenPay", record.id)
            remote = None
            try:
                data = response.json()
                remote = data.get("id") if isinstance(data, dict) else None
            except ValueError:
                pass
            return f"greenpay:{remote if remote is not None else record.id}"
        if 300 <= status < 400:
            raise redirect_error("GreenPay", status, response.headers, "[greenpay] url")
        try:
            answer = response.json()
        except ValueError:
            answer = None
        # Not cut here: the worker's redact() takes the record's personal data out of the whole text, then cuts.
        reason = error_detail(answer, limit=None)
        detail = f": {reason}" if reason else ""
        if status in (401, 403):
            raise SyncError(f"GreenPay refused the token (HTTP {status}{detail}): check the greenpay_token secret")
        if status in (404, 405):
            raise SyncError(f"GreenPay has no {path} (HTTP {status}): check [greenpay] url and passports_path")
        if status in RETRY_STATUS or status >= 500:
            raise TransientError(f"GreenPay answered HTTP {status}{detail}", parse_retry_after(response.headers.get("Retry-After")))
        raise PermanentError(f"GreenPay rejected the record (HTTP {status}{detail})")
