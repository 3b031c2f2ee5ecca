"""The GreenPay backend: `POST {url}{passports_path}` with the record as JSON.

Contract (DESIGN.md): bearer token (secret `greenpay_token`), header
`Idempotency-Key` = the record id; 2xx means stored, 409 means already stored.
Resending with the same key is how a delivery interrupted by a crash or a
timeout is finished without a duplicate.
"""

from __future__ import annotations

import logging
from typing import Any

import httpx

from kiosk.config import Settings
from kiosk.errors import SyncError
from kiosk.http_util import error_detail, parse_retry_after
from kiosk.records import PASSPORT_FIELDS, Record
from kiosk.secrets import get_secret
from kiosk.sync.outbox import Delivery
from kiosk.sync.targets.base import PermanentError, TransientError, redirect_error

log = logging.getLogger("kiosk.sync")

RECORD_ATTRIBUTES = ("id", "kind", "kiosk_id", "operator", "created_at", "confirmed_at", "confidence", "status")
"""Besides its fields, what of a record `[greenpay.body_fields]` may name."""
RETRY_STATUS = (408, 425, 429)


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
        unknown = [v for v in self.settings.body_fields.values() if v not in PASSPORT_FIELDS and v not in RECORD_ATTRIBUTES]
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
        """The JSON sent: the whole record, or the keys `[greenpay.body_fields]` maps."""
        mapping = self.settings.body_fields
        if not mapping or record.kind != "passport":
            return record.to_json()
        return {
            key: record.value(name) if name in record.FIELDS else getattr(record, name)
            for key, name in mapping.items()
        }

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
