"""Odoo over JSON-RPC (`POST {url}/jsonrpc`): receipts become expenses, passports contacts.

What the recorded Odoo 18 exchanges (`shared/odoo/`) taught: every error comes
back with HTTP 200 and an `error` object whose `data.name` says what it is; a
wrong password at login is `result: false`; `authenticate` costs ~0.5 s, so the
uid is kept for the life of the target; `hr.expense` takes
`total_amount_currency` (Odoo 16: `unit_amount`); `res.partner` has no
passport field, so `ref` carries `PASSPORT:<number>`; the receipt image is an
`ir.attachment` made the expense's main attachment by a separate `write`.

Exactly once: the expense description and the contact comment carry
`kiosk-record-id:<uuid>`. A delivery that may have reached Odoo before
(`Delivery.resume`) searches for what it created and finishes it: an expense
already there is not created again, an attachment already there not added again.
"""

from __future__ import annotations

import base64
import html
import itertools
import logging
from typing import Any

import httpx

from kiosk.config import Settings
from kiosk.countries import alpha2
from kiosk.errors import SyncError
from kiosk.http_util import parse_retry_after, sniff_image
from kiosk.records import PassportRecord, ReceiptRecord
from kiosk.secrets import get_secret
from kiosk.sync.outbox import Delivery
from kiosk.sync.targets.base import PermanentError, TransientError, marker, redirect_error

log = logging.getLogger("kiosk.sync")

AUTH_ERRORS = ("odoo.exceptions.AccessDenied", "odoo.http.SessionExpiredException")
TRANSIENT_ERRORS = (
    "psycopg2.errors.SerializationFailure",
    "psycopg2.errors.LockNotAvailable",
    "psycopg2.errors.DeadlockDetected",
    "odoo.exceptions.ConcurrencyError",
)
RETRY_STATUS = (408, 425, 429, 500, 502, 503, 504)


class OdooRpc:
    """A JSON-RPC client that turns Odoo's answers into results, `TransientError`, `PermanentError` or `SyncError`."""

    def __init__(self, url: str, database: str, timeout: float, doubt_seconds: float = 0.0) -> None:
        self.url = url.rstrip("/")
        self.endpoint = f"{self.url}/jsonrpc"
        self.database = database
        self.doubt_seconds = doubt_seconds
        self._ids = itertools.count(1)
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def call(self, service: str, method: str, *args: Any, creates: bool = False) -> Any:
        """One JSON-RPC call. `creates`: a lost answer leaves the record in doubt (TransientError.settle)."""
        body = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids), "params": {"service": service, "method": method, "args": list(args)}}
        settle = self.doubt_seconds if creates else 0.0
        try:
            response = self._http.post(self.endpoint, json=body)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransientError(f"cannot reach Odoo at {self.url}: {type(exc).__name__}") from None  # nothing was sent
        except httpx.TimeoutException:
            raise TransientError(f"Odoo did not answer in time ({method})", settle=settle) from None
        except httpx.TransportError as exc:
            raise TransientError(f"lost the connection to Odoo at {self.url}: {type(exc).__name__}", settle=settle) from None
        status = response.status_code
        if status in RETRY_STATUS or status >= 500:
            # 504: a proxy gave up waiting; Odoo behind it may still be working on the request.
            raise TransientError(
                f"Odoo answered HTTP {status}", parse_retry_after(response.headers.get("Retry-After")), settle if status == 504 else 0.0
            )
        if 300 <= status < 400:
            raise redirect_error("Odoo", status, response.headers, "[odoo] url")
        if status in (404, 405):
            raise SyncError(f"no Odoo JSON-RPC at {self.endpoint} (HTTP {status}): check [odoo] url")
        if status in (401, 403):
            raise SyncError(f"{self.endpoint} refused access (HTTP {status}): check the proxy in front of Odoo")
        if status != 200:
            raise SyncError(f"{self.endpoint} answered HTTP {status}: not Odoo's JSON-RPC; check [odoo] url")
        try:
            data = response.json()
        except ValueError:
            data = None
        if not isinstance(data, dict) or data.get("jsonrpc") != "2.0" or not ("result" in data or "error" in data):
            kind = response.headers.get("content-type", "no content type").split(";")[0]
            raise SyncError(f"{self.endpoint} does not answer like Odoo (got {kind}, not JSON-RPC): check [odoo] url")
        if "error" in data:
            raise self._error(data["error"])
        return data["result"]

    def _error(self, error: Any) -> Exception:
        data = error.get("data") if isinstance(error, dict) else None
        data = data if isinstance(data, dict) else {}
        name = str(data.get("name") or "")
        message = str(data.get("message") or (error.get("message") if isinstance(error, dict) else "") or "unknown error")
        # Postgres quotes the failing SQL (`LINE 1: ... 'values' ...` and a caret): never keep that part.
        lines = [line.strip() for line in message.strip().splitlines() if line.strip() and not line.startswith("LINE ")]
        reason = " ".join(line for line in lines if line.strip("^ ")) or "unknown error"
        if name in AUTH_ERRORS:
            return SyncError(f"Odoo refused the credentials ({reason}): check [odoo] login and the odoo_secret password or API key")
        if name == "psycopg2.OperationalError" and "does not exist" in message:
            return SyncError(f"Odoo has no database {self.database!r}: check [odoo] database")
        if name in TRANSIENT_ERRORS or name == "psycopg2.OperationalError":
            return TransientError(f"Odoo is busy ({name.rsplit('.', 1)[-1]}): {reason}")
        short = name.rsplit(".", 1)[-1] or "error"
        return PermanentError(f"Odoo refused ({short}): {reason}")

    def execute(self, uid: int, secret: str, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any:
        return self.call("object", "execute_kw", self.database, uid, secret, model, method, args, kwargs or {}, creates=method == "create")


class OdooTarget:
    """Receipts -> `hr.expense` + `ir.attachment`; passports -> `res.partner` (models and fields from `[odoo]`)."""

    name = "odoo"

    def __init__(self, settings: Settings, secret: str | None = None) -> None:
        """`secret`: the password or API key to use instead of the stored one (a connection test of typed settings)."""
        self.settings = settings.odoo
        odoo = self.settings
        missing = [name for name in ("url", "database", "login") if not getattr(odoo, name)]
        if missing:
            raise SyncError(f"Odoo is not set up: set [odoo] {', '.join(missing)}")
        secret = secret or get_secret("odoo_secret")
        if not secret:
            raise SyncError("no Odoo password or API key: store it with `kiosk secret set odoo_secret`")
        self._secret = secret
        self.rpc = OdooRpc(odoo.url, odoo.database, odoo.timeout, odoo.doubt_seconds)
        self.settle_seconds = odoo.doubt_seconds
        self.uid: int | None = None
        self.version = ""
        self.employee_id = odoo.employee_id
        self._ready: set[str] = set()
        self._partner_extras: dict[str, Any] = {}
        self._country_ids: dict[str, int | None] = {}
        self._currency_ids: dict[str, int] = {}

    def close(self) -> None:
        self.rpc.close()

    # -- connecting --------------------------------------------------------

    def _x(self, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any:
        assert self.uid is not None, "connect() first"
        return self.rpc.execute(self.uid, self._secret, model, method, args, kwargs)

    def connect(self, kinds: frozenset[str] = frozenset({"passport", "receipt"})) -> str:
        """Log in once, then check the mapped fields of the models the queued kinds need."""
        odoo = self.settings
        if self.uid is None:
            info = self.rpc.call("common", "version")
            if not isinstance(info, dict) or "server_version" not in info:
                raise SyncError(f"{self.rpc.endpoint} does not answer like Odoo (no server version): check [odoo] url")
            self.version = str(info["server_version"])
            uid = self.rpc.call("common", "authenticate", odoo.database, odoo.login, self._secret, {})
            if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
                raise SyncError(
                    f"Odoo {self.version} refused the login {odoo.login!r} on database {odoo.database!r}: "
                    "check [odoo] login and the odoo_secret password or API key"
                )
            self.uid = uid
            log.info("logged in to Odoo %s as uid %d", self.version, uid)
        # A kind is ready only once all its checks passed, so a check cut short by a timeout is redone.
        if "receipt" in kinds and "receipt" not in self._ready:
            self._check_fields(odoo.expense_model, "expense_fields", odoo.expense_fields, ())
            self._check_fields("ir.attachment", "", {}, ("name", "datas", "res_model", "res_id", "mimetype"))
            self.employee_id = self._check_employee() if self.employee_id else self._own_employee()
            self._check_product()
            self._ready.add("receipt")
        if "passport" in kinds and "passport" not in self._ready:
            found = self._check_fields(odoo.partner_model, "partner_fields", odoo.partner_fields, ())
            self._partner_extras = {k: v for k, v in (("is_company", False), ("type", "contact")) if k in found}
            self._ready.add("passport")
        return f"Odoo {self.version} at {self.rpc.url}, database {odoo.database}, uid {self.uid}"

    def _check_fields(self, model: str, section: str, mapping: dict[str, str], required: tuple[str, ...]) -> dict[str, Any]:
        wanted = [f for f in mapping.values() if f] + list(required)
        extras = ["is_company", "type"] if section == "partner_fields" else []
        try:
            found = self._x(model, "fields_get", [wanted + extras], {"attributes": ["string", "type", "required", "readonly", "relation"]})
        except PermanentError as exc:
            raise SyncError(f"Odoo {self.version}: cannot read the fields of {model} ({exc}); is its module installed?") from None
        if not isinstance(found, dict):
            raise SyncError(f"Odoo {self.version}: unexpected answer to fields_get on {model}")
        missing = [f"{name} (as {key})" if key else name for key, name in mapping.items() if name and name not in found]
        missing += [name for name in required if name not in found]
        if missing:
            where = f" in [odoo.{section}]" if section else ""
            raise SyncError(f"Odoo {self.version}: model {model} has no field {', '.join(missing)}; fix the mapping{where}")
        return found

    def _own_employee(self) -> int:
        rows = self._x("hr.employee", "search_read", [[["user_id", "=", self.uid]]], {"fields": ["name"], "limit": 1})
        if not rows:
            raise SyncError(
                f"the Odoo user {self.settings.login!r} has no employee: set [odoo] employee_id "
                "(expenses need an employee)"
            )
        return int(rows[0]["id"])

    def _check_employee(self) -> int:
        if not self._x("hr.employee", "search_read", [[["id", "=", self.employee_id]]], {"fields": ["name"], "limit": 1}):
            raise SyncError(f"[odoo] employee_id {self.employee_id} is not an employee in Odoo: `kiosk sync --check` lists them")
        return self.employee_id

    def _check_product(self) -> None:
        """The expense category must exist and cost 0: a product with a cost replaces the receipt's amount."""
        product_id = self.settings.product_id
        if not product_id:
            return
        rows = self._x("product.product", "search_read", [[["id", "=", product_id]]], {"fields": ["name", "standard_price"], "limit": 1})
        if not rows:
            raise SyncError(f"[odoo] product_id {product_id} is not a product in Odoo: `kiosk sync --check` lists the expense categories")
        if rows[0].get("standard_price"):
            raise SyncError(
                f"[odoo] product_id {product_id} ({rows[0]['name']}) has a cost of {rows[0]['standard_price']}: Odoo would "
                "replace each receipt's amount with quantity x cost; choose an expense category whose cost is 0"
            )

    def describe_setup(self) -> dict[str, Any]:
        """Employees and expense categories, to help fill in [odoo] employee_id and product_id."""
        employees = self._x("hr.employee", "search_read", [[]], {"fields": ["name"], "limit": 20, "order": "name"})
        products = self._x("product.product", "search_read", [[["can_be_expensed", "=", True]]], {"fields": ["name", "default_code", "standard_price"]})
        return {"employees": employees, "products": products}

    # -- delivering --------------------------------------------------------

    def deliver(self, delivery: Delivery) -> str:
        record = delivery.record
        if isinstance(record, ReceiptRecord):
            self.connect(frozenset({"receipt"}))
            return self._deliver_receipt(delivery, record)
        if isinstance(record, PassportRecord):
            self.connect(frozenset({"passport"}))
            return self._deliver_passport(delivery, record)
        raise PermanentError(f"Odoo takes receipts and passports, not {record.kind!r}")

    def _first_id(self, model: str, domain: list[Any]) -> int | None:
        rows = self._x(model, "search_read", [domain], {"fields": ["id"], "limit": 2, "order": "id"})
        if len(rows) > 1:
            log.warning("several %s records match; using the oldest, %s", model, rows[0]["id"])
        return int(rows[0]["id"]) if rows else None

    def _attach(self, delivery: Delivery, model: str, res_id: int, prefix: str) -> int | None:
        """The record's image as an attachment of `model,res_id`; an attachment already made is reused.

        An earlier attempt (`resume`) may have created it without hearing the
        answer: then look for it by its name, which holds the record id.
        """
        image = delivery.image
        if not image:
            return None
        if "attachment_id" in delivery.progress:
            return delivery.progress["attachment_id"]
        kind = sniff_image(image)
        mimetype, ext = (kind.mimetype, kind.extension) if kind else ("application/octet-stream", "bin")
        name = f"{prefix}-{delivery.record.id}.{ext}"
        if delivery.resume:
            found = self._first_id("ir.attachment", [["res_model", "=", model], ["res_id", "=", res_id], ["name", "=", name]])
            if found:
                delivery.remember(attachment_id=found)
                return found
        values = {
            "name": name,
            "type": "binary",
            "datas": base64.b64encode(image).decode("ascii"),
            "res_model": model,
            "res_id": res_id,
            "mimetype": mimetype,
        }
        attachment_id = int(self._x("ir.attachment", "create", [values]))
        delivery.remember(attachment_id=attachment_id)
        return attachment_id

    def _deliver_receipt(self, delivery: Delivery, record: ReceiptRecord) -> str:
        odoo, fields = self.settings, self.settings.expense_fields
        model = odoo.expense_model
        vendor, total = record.value("vendor"), record.value("total")
        missing = [name for name, value in (("vendor", vendor), ("total", total)) if value in (None, "")]
        if missing:
            raise PermanentError(f"the receipt has no {' and '.join(missing)}: correct it and retry")
        try:
            amount = round(float(total), 2)  # type: ignore[arg-type]
        except (TypeError, ValueError):
            raise PermanentError("the receipt total is not a number: correct it and retry") from None
        tag = marker(record.id)
        expense_id = delivery.progress.get("expense_id")
        if expense_id is None and delivery.resume:
            expense_id = self._first_id(model, [[fields["description"], "ilike", tag]])
        if expense_id is None:
            values: dict[str, Any] = {fields["name"]: str(vendor), fields["amount"]: amount}
            if fields.get("date") and record.value("date"):
                values[fields["date"]] = str(record.value("date"))
            if fields.get("employee"):
                values[fields["employee"]] = self.employee_id
            if fields.get("product") and odoo.product_id:
                values[fields["product"]] = odoo.product_id
            values[fields["description"]] = (
                f"Captured at kiosk {record.kiosk_id}; OCR confidence {record.confidence:.2f}\n{tag}"
            )
            if fields.get("payment_mode"):
                values[fields["payment_mode"]] = odoo.payment_mode
            currency = record.value("currency")
            if fields.get("currency") and currency:
                values[fields["currency"]] = self._currency_id(str(currency))
            expense_id = int(self._x(model, "create", [values]))
            log.info("created %s %d for record %s", model, expense_id, record.id)
            delivery.remember(expense_id=expense_id)
        else:
            log.info("record %s: %s %d exists; finishing it", record.id, model, expense_id)
        attachment_id = self._attach(delivery, model, expense_id, "receipt")
        if attachment_id and fields.get("main_attachment"):
            self._x(model, "write", [[expense_id], {fields["main_attachment"]: attachment_id}])
        return f"{model},{expense_id}"

    def _deliver_passport(self, delivery: Delivery, record: PassportRecord) -> str:
        odoo, fields = self.settings, self.settings.partner_fields
        model = odoo.partner_model
        number = record.value("document_number")
        name = " ".join(str(record.value(n) or "").strip() for n in ("given_names", "surname")).strip()
        missing = [label for label, value in (("document number", number), ("name", name)) if not value]
        if missing:
            raise PermanentError(f"the passport record has no {' and '.join(missing)}: correct it and retry")
        ref = f"PASSPORT:{number}"
        tag = marker(record.id)
        partner_id: int | None = delivery.progress.get("partner_id")
        if partner_id is not None:
            pass
        elif odoo.partner_match == "ref":
            partner_id = self._first_id(model, [[fields["ref"], "=", ref]])
        elif delivery.resume:
            partner_id = self._first_id(model, [[fields["comment"], "ilike", tag]])
        if partner_id is None:
            values: dict[str, Any] = {fields["name"]: name, **self._partner_extras, fields["ref"]: ref}
            country = self._country_id(record.value("nationality"))
            if fields.get("country") and country:
                values[fields["country"]] = country
            values[fields["comment"]] = self._comment(record, tag)
            partner_id = int(self._x(model, "create", [values]))
            log.info("created %s %d for record %s", model, partner_id, record.id)
            delivery.remember(partner_id=partner_id)
        else:
            log.info("record %s: %s %d holds this passport", record.id, model, partner_id)
        self._attach(delivery, model, partner_id, "passport")
        return f"{model},{partner_id}"

    @staticmethod
    def _comment(record: PassportRecord, tag: str) -> str:
        kinds = {"P": "Passport", "I": "ID card", "A": "ID card", "C": "ID card", "V": "Visa"}
        doc = kinds.get(str(record.value("document_type") or "P")[:1], "Document")
        parts = [f"{doc} {record.value('document_number')}"]
        for label, name in (("", "nationality"), ("born ", "birth_date"), ("expires ", "expiry_date")):
            if record.value(name):
                parts.append(f"{label}{record.value(name)}")
        return f"<p>{html.escape(', '.join(parts))}</p><p>{html.escape(tag)}</p>"

    def _country_id(self, code: Any) -> int | None:
        iso = alpha2(str(code)) if code else None
        if iso is None:
            return None
        if iso not in self._country_ids:
            rows = self._x("res.country", "search_read", [[["code", "=", iso]]], {"fields": ["name", "code"], "limit": 1})
            self._country_ids[iso] = int(rows[0]["id"]) if rows else None
        return self._country_ids[iso]

    def _currency_id(self, code: str) -> int:
        if code not in self._currency_ids:
            rows = self._x("res.currency", "search_read", [[["name", "=", code]]], {"fields": ["name"], "limit": 1})
            if not rows:
                raise PermanentError(f"the currency {code} is not active in Odoo: activate it, or correct the receipt")
            self._currency_ids[code] = int(rows[0]["id"])
        return self._currency_ids[code]
