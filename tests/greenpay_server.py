"""A loopback GreenPay backend for the sync tests, per the contract in DESIGN.md.

`POST /api/passports` (path configurable) with `Authorization: Bearer <token>`
and `Idempotency-Key`: 201 `{"id": n, "status": "stored"}` the first time a key
is seen, 409 `{"error": "already stored", "id": n}` after; 401 on a wrong
token, 400 without a key, 422 when the body lacks what the server needs. It
counts how often each key was stored, so a test can prove "exactly once", and
shares `Faults` and restarts with the Odoo server.
"""

from __future__ import annotations

import json
import random
import threading
from collections import Counter
from http.server import BaseHTTPRequestHandler
from typing import Any

from odoo_server import Faults, FaultyHandler, LoopbackServer

TOKEN = "greenpay-test-token"


class GreenPayServer(LoopbackServer):
    def __init__(
        self,
        faults: Faults | None = None,
        token: str = TOKEN,
        path: str = "/api/passports",
        required: tuple[str, ...] = ("id", "kind", "fields"),
        port: int = 0,
    ) -> None:
        super().__init__(FaultyHandler, port)
        self.faults = faults or Faults()
        self.token = token
        self.path = path
        self.required = required
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

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes, str]:
        def reply(status: int, data: dict[str, Any]) -> tuple[int, bytes, str]:
            return status, json.dumps(data).encode(), "application/json"

        with self.lock:
            self.requests[handler.path] += 1
        if handler.path != self.path:
            return reply(404, {"detail": "Not Found"})
        if handler.headers.get("Authorization") != f"Bearer {self.token}":
            return reply(401, {"error": "invalid token"})
        key = handler.headers.get("Idempotency-Key")
        if not key:
            return reply(400, {"error": "Idempotency-Key header required"})
        try:
            data = json.loads(body)
        except ValueError:
            return reply(400, {"error": "body is not JSON"})
        missing = [name for name in self.required if name not in data]
        if missing:
            return reply(422, {"error": f"missing field(s): {', '.join(missing)}"})
        fields = data.get("fields") if isinstance(data.get("fields"), dict) else {}
        number = (fields.get("document_number") or {}).get("value")
        if number == "INVALID":  # a server-side validation that echoes the value, as servers do
            return reply(422, {"error": f"document number {number} failed validation"})
        with self.lock:
            if key in self.stored:
                return reply(409, {"error": "already stored", "id": self.ids[key]})
            self.stored[key] = data
            self.ids[key] = len(self.ids) + 1
            self.creations[key] += 1
            return reply(201, {"id": self.ids[key], "status": "stored"})
