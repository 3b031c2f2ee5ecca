"""A loopback GreenPay backend for the sync tests, per the contract in DESIGN.md.

`POST /api/passports` (path configurable) with `Authorization: Bearer <token>`
and `Idempotency-Key`: 201 `{"id": n, "status": "stored"}` the first time a key
is seen, 409 `{"error": "already stored", "id": n}` after; 401 on a wrong
token, 400 without a key or without a JSON object, 422 when the body is not a
passport in GreenPay's shape, as a real backend validates it: the flat camelCase
of GreenPay's MRZ service (`REQUIRED` keys present, dates `YYYY-MM-DD`,
`confidence` a number from 0 to 1, `validCheckDigits` true or false, `mrzText`
and `personalNumber` text or null). A site with its own mapping passes its own
`required` keys instead (nothing else is then checked). `GET /api/health`
(path configurable) answers `{"status": "ok", ...}` to the right token only.

It counts how often each key was stored, so a test can prove "exactly once",
and shares `Faults` and restarts with the Odoo server.
"""

from __future__ import annotations

import json
import random
import re
import threading
import time
from collections import Counter
from http.server import BaseHTTPRequestHandler
from typing import Any

from odoo_server import Faults, FaultyHandler, LoopbackServer

TOKEN = "greenpay-test-token"
REQUIRED = (
    "recordId", "passportNumber", "surname", "givenName", "nationality", "dateOfBirth", "sex", "dateOfExpiry",
    "issuingCountry", "confidence", "validCheckDigits",
)
"""What GreenPay needs of a passport; `personalNumber`, `mrzText` and the kiosk's own keys may be null or absent."""
DATES = ("dateOfBirth", "dateOfExpiry")
TEXTS = ("recordId", "passportNumber", "surname", "givenName", "nationality", "sex", "issuingCountry")
NULLABLE_TEXTS = ("personalNumber", "mrzText", "kioskId", "operator", "createdAt", "confirmedAt")
HEALTH = {"status": "ok", "service": "greenpay", "version": "2.3.1"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def shape_errors(data: dict[str, Any]) -> list[str]:
    """What GreenPay's validation says of a passport body: key names and rules, never the values."""
    errors = [f"{key} is required" for key in REQUIRED if data.get(key) is None]
    errors += [f"{key} must be text" for key in TEXTS if key in data and data[key] is not None and not isinstance(data[key], str)]
    errors += [f"{key} must be text or null" for key in NULLABLE_TEXTS if data.get(key) is not None and not isinstance(data[key], str)]
    errors += [f"{key} must be a date YYYY-MM-DD" for key in DATES if isinstance(data.get(key), str) and not _DATE.fullmatch(data[key])]
    confidence = data.get("confidence")
    if confidence is not None and (isinstance(confidence, bool) or not isinstance(confidence, (int, float)) or not 0 <= confidence <= 1):
        errors.append("confidence must be a number from 0 to 1")
    if "validCheckDigits" in data and data["validCheckDigits"] is not None and not isinstance(data["validCheckDigits"], bool):
        errors.append("validCheckDigits must be true or false")
    return errors


def passport_number(data: dict[str, Any]) -> Any:
    """The document number of a body in GreenPay's shape or of a whole kiosk record."""
    if "passportNumber" in data:
        return data["passportNumber"]
    fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
    return (fields.get("document_number") or {}).get("value")


class GreenPayServer(LoopbackServer):
    def __init__(
        self,
        faults: Faults | None = None,
        token: str = TOKEN,
        path: str = "/api/passports",
        required: tuple[str, ...] | None = None,
        port: int = 0,
        health_path: str = "/api/health",
        delay: float = 0.0,
    ) -> None:
        """`required`: the keys a site's own mapping must carry, instead of GreenPay's whole shape."""
        super().__init__(FaultyHandler, port)
        self.faults = faults or Faults()
        self.token = token
        self.path = path
        self.required = required
        self.health_path = health_path
        self.delay = delay
        self.lock = threading.Lock()
        self.stored: dict[str, dict[str, Any]] = {}
        self.ids: dict[str, int] = {}
        self.creations: Counter[str] = Counter()
        self.requests: Counter[str] = Counter()
        self._status_rng = random.Random(2)

    def rng_status(self) -> int:
        return self._status_rng.choice((500, 502, 503, 504))

    def duplicates(self) -> dict[str, int]:
        with self.lock:
            return {k: n for k, n in self.creations.items() if n > 1}

    def _arrive(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.requests[f"{handler.command} {handler.path}"] += 1
        time.sleep(self.delay)

    def _authorised(self, handler: BaseHTTPRequestHandler) -> bool:
        return handler.headers.get("Authorization") == f"Bearer {self.token}"

    def answer_get(self, handler: BaseHTTPRequestHandler) -> tuple[int, bytes, str]:
        self._arrive(handler)
        if handler.path != self.health_path:
            return reply(404, {"detail": "Not Found"})
        if not self._authorised(handler):
            return reply(401, {"error": "invalid token"})
        return reply(200, HEALTH)

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes, str]:
        self._arrive(handler)
        if handler.path != self.path:
            return reply(404, {"detail": "Not Found"})
        if not self._authorised(handler):
            return reply(401, {"error": "invalid token"})
        key = handler.headers.get("Idempotency-Key")
        if not key:
            return reply(400, {"error": "Idempotency-Key header required"})
        try:
            data = json.loads(body)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            return reply(400, {"error": "body is not a JSON object"})
        if self.required is None:
            errors = shape_errors(data)
        else:
            errors = [f"{name} is required" for name in self.required if name not in data]
        if errors:
            return reply(422, {"error": "; ".join(errors)})
        number = passport_number(data)
        if number == "INVALID":  # a server-side validation that echoes the value, as servers do
            return reply(422, {"error": f"document number {number} failed validation"})
        with self.lock:
            if key in self.stored:
                return reply(409, {"error": "already stored", "id": self.ids[key]})
            self.stored[key] = data
            self.ids[key] = len(self.ids) + 1
            self.creations[key] += 1
            return reply(201, {"id": self.ids[key], "status": "stored"})


def reply(status: int, data: dict[str, Any]) -> tuple[int, bytes, str]:
    return status, json.dumps(data).encode(), "application/json"
