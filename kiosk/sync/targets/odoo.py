"""Odoo 17, 18 and 19+: receipts become expenses, passports contacts.

The protocol is chosen at connect time (`odoo_rpc`): the server version first,
then JSON-2 on 19+ (the API key is `odoo_secret`), JSON-RPC on 17/18, or what
`[odoo] protocol` asks for. Both speak named arguments here and fail with the same words.

What the recorded exchanges (`shared/odoo/`) taught: `authenticate` costs ~0.5 s, so the
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
import logging
from typing import Any

from kiosk.config import Settings
from kiosk.countries import alpha2
from kiosk.errors import SyncError
from kiosk.http_util import sniff_image
from kiosk.records import PassportRecord, ReceiptRecord
from kiosk.secrets import get_secret
from kiosk.sync.outbox import Delivery
from kiosk.sync.targets.base import PermanentError, marker
from kiosk.sync.targets.odoo_rpc import OdooClient, OdooJson2, OdooRpc, probe_version

log = logging.getLogger("kiosk.sync")

__all__ = ["OdooRpc", "OdooTarget"]


def required_settings(protocol: str) -> tuple[str, ...]:
    """What `[odoo]` must name: JSON-2 needs no login (the API key is the user)."""
    return ("url", "database") if protocol == "json2" else ("url", "database", "login")


class OdooTarget:
    """Receipts -> `hr.expense` + `ir.attachment`; passports -> `res.partner` (models and fields from `[odoo]`)."""

    name = "odoo"

    def __init__(self, settings: Settings, secret: str | None = None) -> None:
        """`secret`: the password or API key to use instead of the stored one (a connection test of typed settings)."""
        self.settings = settings.odoo
        odoo = self.settings
        missing = [name for name in required_settings(odoo.protocol) if not getattr(odoo, name)]
        if missing:
            raise SyncError(f"Odoo is not set up: set [odoo] {', '.join(missing)}")
        secret = secret or get_secret("odoo_secret")
        if not secret:
            raise SyncError("no Odoo password or API key: store it with `kiosk secret set odoo_secret`")
        self._secret = secret
        self.rpc = OdooRpc(odoo.url, odoo.database, odoo.timeout, odoo.doubt_seconds)
        self.client: OdooClient | None = None
        self._api_note = ""
        self.settle_seconds = odoo.doubt_seconds
        self.uid: int | None = None
        self.version = ""
        self.employee_id = odoo.employee_id
        self._ready: set[str] = set()
        self._partner_extras: dict[str, Any] = {}
        self._country_ids: dict[str, int | None] = {}
        self._currency_ids: dict[str, int] = {}

    def close(self) -> None:
        if self.client is not None and self.client is not self.rpc:
            self.client.close()
        self.rpc.close()

    # -- connecting --------------------------------------------------------

    def _x(self, model: str, method: str, ids: list[int] | None = None, **named: Any) -> Any:
        assert self.client is not None and self.uid is not None, "connect() first"
        return self.client.call(model, method, ids, **named)

    def _create(self, model: str, values: dict[str, Any]) -> int:
        assert self.client is not None, "connect() first"
        return self.client.create(model, values)

    def _log_in(self) -> None:
        """The server version, the protocol for it, then the user (once: JSON-RPC's login is slow)."""
        odoo = self.settings
        if self.client is None:
            self.version, major = probe_version(self.rpc)
            self.client = self._client(major)
        assert self.client is not None
        if self.client is self.rpc:
            self.uid = self.rpc.login(odoo.login, self._secret, self.version)
        else:
            self.uid = self.client.login(odoo.login)
        log.info("logged in to Odoo %s over %s as uid %d", self.version, self.client.protocol, self.uid)

    def _client(self, major: int) -> OdooClient:
        odoo = self.settings
        protocol = odoo.protocol if odoo.protocol != "auto" else ("json2" if major >= 19 else "jsonrpc")
        if protocol == "json2" and major < 19:
            raise SyncError(f'Odoo {self.version} has no JSON-2 API (Odoo 19+): set [odoo] protocol = "auto" or "jsonrpc"')
        if protocol == "jsonrpc":
            if not odoo.login:
                raise SyncError(f"Odoo {self.version} over JSON-RPC needs a login: set [odoo] login")
            self._api_note = ", JSON-RPC API (deprecated since Odoo 19)" if major >= 19 else ""
            return self.rpc
        self._api_note = ", JSON-2 API"
        return OdooJson2(odoo.url, odoo.database, odoo.timeout, odoo.doubt_seconds, self._secret)

    def connect(self, kinds: frozenset[str] = frozenset({"passport", "receipt"})) -> str:
        """Log in once, then check the mapped fields of the models the queued kinds need."""
        odoo = self.settings
        if self.uid is None:
            self._log_in()
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
        return f"Odoo {self.version} at {self.rpc.url}, database {odoo.database}, uid {self.uid}{self._api_note}"

    def _check_fields(self, model: str, section: str, mapping: dict[str, str], required: tuple[str, ...]) -> dict[str, Any]:
        wanted = [f for f in mapping.values() if f] + list(required)
        extras = ["is_company", "type"] if section == "partner_fields" else []
        try:
            found = self._x(model, "fields_get", allfields=wanted + extras, attributes=["string", "type", "required", "readonly", "relation"])
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
        rows = self._x("hr.employee", "search_read", domain=[["user_id", "=", self.uid]], fields=["name"], limit=1)
        if not rows:
            raise SyncError(
                f"the Odoo user {self.settings.login!r} has no employee: set [odoo] employee_id "
                "(expenses need an employee)"
            )
        return int(rows[0]["id"])

    def _check_employee(self) -> int:
        if not self._x("hr.employee", "search_read", domain=[["id", "=", self.employee_id]], fields=["name"], limit=1):
            raise SyncError(f"[odoo] employee_id {self.employee_id} is not an employee in Odoo: `kiosk sync --check` lists them")
        return self.employee_id

    def _check_product(self) -> None:
        """The expense category must exist and cost 0: a product with a cost replaces the receipt's amount."""
        product_id = self.settings.product_id
        if not product_id:
            return
        rows = self._x("product.product", "search_read", domain=[["id", "=", product_id]], fields=["name", "standard_price"], limit=1)
        if not rows:
            raise SyncError(f"[odoo] product_id {product_id} is not a product in Odoo: `kiosk sync --check` lists the expense categories")
        if rows[0].get("standard_price"):
            raise SyncError(
                f"[odoo] product_id {product_id} ({rows[0]['name']}) has a cost of {rows[0]['standard_price']}: Odoo would "
                "replace each receipt's amount with quantity x cost; choose an expense category whose cost is 0"
            )

    def describe_setup(self) -> dict[str, Any]:
        """Employees and expense categories, to help fill in [odoo] employee_id and product_id."""
        employees = self._x("hr.employee", "search_read", domain=[], fields=["name"], limit=20, order="name")
        products = self._x("product.product", "search_read", domain=[["can_be_expensed", "=", True]], fields=["name", "default_code", "standard_price"])
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
        rows = self._x(model, "search_read", domain=domain, fields=["id"], limit=2, order="id")
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
        attachment_id = self._create("ir.attachment", values)
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
            expense_id = self._create(model, values)
            log.info("created %s %d for record %s", model, expense_id, record.id)
            delivery.remember(expense_id=expense_id)
        else:
            log.info("record %s: %s %d exists; finishing it", record.id, model, expense_id)
        attachment_id = self._attach(delivery, model, expense_id, "receipt")
        if attachment_id and fields.get("main_attachment"):
            self._x(model, "write", [expense_id], vals={fields["main_attachment"]: attachment_id})
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
            partner_id = self._create(model, values)
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
            rows = self._x("res.country", "search_read", domain=[["code", "=", iso]], fields=["name", "code"], limit=1)
            self._country_ids[iso] = int(rows[0]["id"]) if rows else None
        return self._country_ids[iso]

    def _currency_id(self, code: str) -> int:
        if code not in self._currency_ids:
            rows = self._x("res.currency", "search_read", domain=[["name", "=", code]], fields=["name"], limit=1)
            if not rows:
                raise PermanentError(f"the currency {code} is not active in Odoo: activate it, or correct the receipt")
            self._currency_ids[code] = int(rows[0]["id"])
        return self._currency_ids[code]
