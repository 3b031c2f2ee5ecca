"""A loopback Odoo 18 for the sync tests: `POST /jsonrpc` answered the way the recorded server answers.

Built from the exchanges recorded on a real Odoo 18.0 (`shared/odoo/odoo18-jsonrpc.json`):
- the envelope is Odoo's own serialisation (`json.dumps(..., ensure_ascii=False)`
  of `{"jsonrpc", "id", "result" | "error"}`), HTTP 200 for every RPC error, with
  `data.name`, `data.debug`, `data.message`, `data.arguments`, `data.context`;
- a wrong password at `authenticate` is `result: false`; on an object call it is
  `odoo.exceptions.AccessDenied`; an unknown database is `psycopg2.OperationalError`;
- the demo data the recordings show (employees, expense products, countries
  with Odoo's ids, the contact already holding `PASSPORT:C01X00T47`) and the
  next ids (expense 65, attachment 1048, partner 102), so that replaying the
  recordings against a fresh server gives the recorded bytes; an error request
  that was recorded is answered with the recorded error itself.
Models are simulated in memory (`create`, `write`, `read`, `search_read`,
`search_count`, `fields_get`) with Odoo's checks: unknown field (ValueError),
many2one to a missing record (MissingError), text where an id belongs
(InvalidTextRepresentation), bad selection value, expense products with a
cost overriding the amount. The state lives in `OdooState`, apart from the
HTTP listener, so the server can be restarted without losing its database.

Fault injection (`Faults`) makes requests fail with 5xx or hang past the
client's timeout, before or after the call took effect, and the state counts
creations per kiosk record id so a test can prove "exactly once".
"""

from __future__ import annotations

import base64
import hashlib
import json
import random
import re
import socket
import threading
import time
from collections import Counter
from datetime import datetime
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Callable

from kiosk.countries import ALPHA3_TO_ALPHA2

REPO = Path(__file__).resolve().parents[1]
RECORDINGS_CANDIDATES = (
    REPO / "tests" / "data" / "odoo18-jsonrpc.json",
    REPO.parent / "shared" / "odoo" / "odoo18-jsonrpc.json",
)
DATABASE = "kiosk"
ADMIN_UID = 2
PASSWORD = "admin"
API_KEY = "5f1c0e4a9b7d3e2f6a8c1b0d9e7f4a3c2b1d0e9f"
VERSION = {
    "server_version": "18.0",
    "server_version_info": [18, 0, 0, "final", 0, ""],
    "server_serie": "18.0",
    "protocol_version": 1,
}
MARKER = re.compile(r"kiosk-record-id:([0-9a-fA-F-]{36})")
NOT_FOUND_HTML = (
    "<!doctype html>\n<html lang=en>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
    "<p>The requested URL was not found on the server. If you entered the URL manually please check your "
    "spelling and try again.</p>\n"
)


def recordings_path() -> Path | None:
    return next((p for p in RECORDINGS_CANDIDATES if p.exists()), None)


def load_recordings() -> list[dict[str, Any]]:
    path = recordings_path()
    return json.loads(path.read_text("utf-8")) if path else []


def odoo_body(payload: dict[str, Any]) -> bytes:
    """Odoo's own serialisation of a JSON-RPC answer (odoo/http.py `make_json_response`)."""
    return json.dumps(payload, ensure_ascii=False).encode("utf-8")


class RpcError(Exception):
    """An Odoo exception, serialised like `odoo.http.serialize_exception`."""

    def __init__(self, name: str, message: str, debug_tail: str) -> None:
        super().__init__(message)
        self.data = {
            "name": name,
            "debug": f"Traceback (most recent call last): ...(trimmed)\n{debug_tail}",
            "message": message,
            "arguments": [message],
            "context": {},
        }


def invalid_field(field_name: str, model: str) -> RpcError:
    message = f"Invalid field {field_name!r} on model {model!r}"
    tail = (
        '  File "<odoo>/odoo/models.py", line 6425, in _update_cache\n'
        '    raise ValueError("Invalid field %r on model %r" % (e.args[0], self._name))\n'
        f"ValueError: {message}"
    )
    return RpcError("builtins.ValueError", message, tail)


def missing_record(model: str, record_id: int, uid: int) -> RpcError:
    message = f"Record does not exist or has been deleted.\n(Record: {model}({record_id},), User: {uid})"
    tail = f'    raise MissingError("\\n".join([\nodoo.exceptions.MissingError: {message}'
    return RpcError("odoo.exceptions.MissingError", message, tail)


def not_an_integer(value: str) -> RpcError:
    message = f'invalid input syntax for type integer: "{value}"\n'
    tail = f'psycopg2.errors.InvalidTextRepresentation: invalid input syntax for type integer: "{value}"'
    return RpcError("psycopg2.errors.InvalidTextRepresentation", message, tail)


def wrong_selection(model: str, field_name: str, value: Any) -> RpcError:
    message = f"Wrong value for {model}.{field_name}: {value!r}"
    return RpcError("builtins.ValueError", message, f"ValueError: {message}")


def _is_date(text: str) -> bool:
    try:
        datetime.strptime(text, "%Y-%m-%d")
        return True
    except ValueError:
        return False


def _bad_date(text: str) -> None:
    """What `fields.Date.to_date` raises on text that is not YYYY-MM-DD."""
    message = f"time data {text!r} does not match format '%Y-%m-%d'"
    raise RpcError("builtins.ValueError", message, f"ValueError: {message}")


def access_denied() -> RpcError:
    tail = (
        '  File "<odoo>/odoo/addons/base/models/res_users.py", line 2329, in _check_credentials\n'
        "    raise AccessDenied()\nodoo.exceptions.AccessDenied: Access Denied"
    )
    return RpcError("odoo.exceptions.AccessDenied", "Access Denied", tail)


def no_database(name: str) -> RpcError:
    message = f'connection to server at "127.0.0.1", port 5432 failed: FATAL:  database "{name}" does not exist\n'
    tail = (
        "    conn = _connect(dsn, connection_factory=connection_factory, **kwasync)\n"
        "           ^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^^\n"
        f"psycopg2.OperationalError: {message.rstrip()}"
    )
    return RpcError("psycopg2.OperationalError", message, tail)


def no_model(model: str) -> RpcError:
    return RpcError("builtins.KeyError", repr(model), f"KeyError: {model!r}")


def no_method(model: str, method: str) -> RpcError:
    message = f"The method '{model}.{method}' does not exist"
    return RpcError("builtins.AttributeError", message, f"AttributeError: {message}")


@dataclass
class FieldDef:
    type: str
    string: str
    required: bool = False
    readonly: bool = False
    relation: str | None = None
    selection: tuple[str, ...] = ()
    compute: Callable[["OdooState", dict[str, Any]], Any] | None = None
    labels: tuple[str, ...] = ()
    """The selection's labels, when `fields_get` is asked for `selection`."""

    def attributes(self, wanted: list[str] | None) -> dict[str, Any]:
        attrs: dict[str, Any] = {"readonly": self.readonly, "required": self.required, "string": self.string, "type": self.type}
        if self.relation:
            attrs["relation"] = self.relation
        if self.labels:
            attrs["selection"] = [list(pair) for pair in zip(self.selection, self.labels)]
        names = sorted(attrs if wanted is None else [a for a in wanted if a in attrs])
        return {name: attrs[name] for name in names}


@dataclass
class Model:
    name: str
    fields: dict[str, FieldDef]
    order: Callable[[dict[str, Any]], Any]
    next_id: int
    rows: dict[int, dict[str, Any]] = field(default_factory=dict)
    display: Callable[[dict[str, Any]], str] = lambda row: str(row.get("name") or "")
    active_test: bool = False


def _c(type_: str, string: str, **kw: Any) -> FieldDef:
    return FieldDef(type_, string, **kw)


def _expense_fields() -> dict[str, FieldDef]:
    # In the order Odoo 18 lists them (the recorded fields_get answer).
    return {
        "message_main_attachment_id": _c("many2one", "Main Attachment", relation="ir.attachment"),
        "name": _c("char", "Description", required=True),
        "date": _c("date", "Expense Date"),
        "employee_id": _c("many2one", "Employee", required=True, relation="hr.employee"),
        "product_id": _c("many2one", "Category", relation="product.product"),
        "quantity": _c("float", "Quantity", required=True),
        "description": _c("text", "Internal Notes"),
        "attachment_ids": _c("one2many", "Attachments", relation="ir.attachment",
                             compute=lambda s, r: sorted(a["id"] for a in s.models["ir.attachment"].rows.values()
                                                         if a["res_model"] == "hr.expense" and a["res_id"] == r["id"])),
        "state": _c("selection", "Status", readonly=True, selection=("draft", "reported", "submitted", "approved", "done", "refused")),
        "total_amount_currency": _c("monetary", "Total In Currency"),
        "total_amount": _c("monetary", "Total"),
        "currency_id": _c("many2one", "Currency", required=True, relation="res.currency"),
        "payment_mode": _c("selection", "Paid By", required=True, selection=("own_account", "company_account")),
        "vendor_id": _c("many2one", "Vendor", relation="res.partner"),
        "tax_ids": _c("many2many", "Included taxes", relation="account.tax"),
    }


def _partner_fields() -> dict[str, FieldDef]:
    return {
        "name": _c("char", "Name"),
        "ref": _c("char", "Reference"),
        "comment": _c("html", "Notes"),
        "function": _c("char", "Job Position"),
        "type": _c("selection", "Address Type", selection=("contact", "invoice", "delivery", "other")),
        "country_id": _c("many2one", "Country", relation="res.country"),
        "email": _c("char", "Email"),
        "phone": _c("char", "Phone"),
        "is_company": _c("boolean", "Is a Company"),
    }


def _attachment_fields() -> dict[str, FieldDef]:
    return {
        "name": _c("char", "Name", required=True),
        "type": _c("selection", "Type", required=True, selection=("url", "binary")),
        "datas": _c("binary", "File Content (base64)"),
        "res_model": _c("char", "Resource Model"),
        "res_id": _c("many2one_reference", "Resource ID"),
        "mimetype": _c("char", "Mime Type"),
        "file_size": _c("integer", "File Size", readonly=True),
        "checksum": _c("char", "Checksum/SHA1", readonly=True),
    }


EMPLOYEES = {
    1: "Mitchell Admin", 2: "Eli Lambert", 3: "Ernest Reed", 4: "Jeffrey Kelly", 5: "Marc Demo",
    6: "Abigail Peterson", 7: "Audrey Peterson", 8: "Jennie Fletcher", 9: "Keith Byrd", 10: "Paul Williams",
    11: "Doris Cole", 12: "Randall Lewis", 13: "Rachel Perry", 14: "Anita Oliver", 15: "Ronnie Hart",
    16: "Sharlene Rhodes", 17: "Tina Williamson", 18: "Toni Jimenez", 19: "Walter Horton", 20: "Beth Evans",
}
PRODUCTS = [  # id, name, default_code, standard_price, can_be_expensed
    (44, "Meals", "FOOD", 0.0, True),
    (45, "Travel & Accommodation", "TRANS & ACC", 0.0, True),
    (46, "Mileage", "MIL", 1.0, True),
    (47, "Gifts", "GIFT", 0.0, True),
    (48, "Communication", "COMM", 0.0, True),
    (49, "Expenses", "EXP_GEN", 0.0, True),
    (20, "Office Chair", "FURN_7777", 70.0, False),
]
COUNTRY_NAMES = {"DE": "Germany", "US": "United States", "GB": "United Kingdom", "FR": "France", "MY": "Malaysia", "NL": "Netherlands"}
CURRENCIES = [(1, "USD", True), (125, "EUR", True), (148, "MYR", False)]


class OdooState:
    """Odoo's database: survives restarts of the HTTP listener; thread-safe."""

    database = DATABASE
    version = VERSION
    IDS = {"expense": 65, "attachment": 1048, "partner": 102, "meals": 44, "mileage": 46, "eur": 125, "myr": 148,
           "holder": 60, "de": 57, "employee": 1, "other_employee": 6}
    """Ids of this demo database a test needs: the first new record of each model, products, currencies."""
    keys = {PASSWORD: ADMIN_UID, API_KEY: ADMIN_UID}
    """Password or API key -> uid."""

    def __init__(self, auth_delay: float = 0.0) -> None:
        self.lock = threading.RLock()
        self.auth_delay = auth_delay
        self.calls: Counter[str] = Counter()
        self.creations: Counter[tuple[str, str]] = Counter()
        """(model, kiosk record id) -> times created: 1 each, or a duplicate happened."""
        recordings = load_recordings()
        self.recorded_errors = {
            self._key(entry["request"]): entry["response"]["error"] for entry in recordings if "error" in entry["response"]
        }
        self.models: dict[str, Model] = {}
        self._seed()

    @staticmethod
    def _key(request: dict[str, Any]) -> str:
        return json.dumps(request.get("params"), sort_keys=True)

    def _seed(self) -> None:
        m = self.models
        m["hr.expense"] = Model("hr.expense", _expense_fields(), lambda r: (_desc(r.get("date") or ""), -r["id"]), 65)
        m["res.partner"] = Model("res.partner", _partner_fields(), lambda r: (r.get("name") or "", -r["id"]), 102)
        m["ir.attachment"] = Model("ir.attachment", _attachment_fields(), lambda r: -r["id"], 1048)
        m["hr.employee"] = Model("hr.employee", {
            "name": _c("char", "Employee Name"), "work_email": _c("char", "Work Email"),
            "user_id": _c("many2one", "User", relation="res.users"),
        }, lambda r: (r["name"], r["id"]), 21)
        m["product.product"] = Model("product.product", {
            "name": _c("char", "Name", required=True), "default_code": _c("char", "Internal Reference"),
            "standard_price": _c("float", "Cost"), "can_be_expensed": _c("boolean", "Can be Expensed"),
        }, lambda r: (r.get("default_code") or "\uffff", r["name"], r["id"]), 50,
            display=lambda r: f"[{r['default_code']}] {r['name']}" if r.get("default_code") else r["name"])
        m["res.country"] = Model("res.country", {"name": _c("char", "Country Name", required=True), "code": _c("char", "Country Code")},
                                 lambda r: (r["name"], r["id"]), 300)
        m["res.currency"] = Model("res.currency", {"name": _c("char", "Currency", required=True), "active": _c("boolean", "Active")},
                                  lambda r: (r["name"], r["id"]), 200, active_test=True)
        m["res.users"] = Model("res.users", {"name": _c("char", "Name"), "login": _c("char", "Login")}, lambda r: r["id"], 10)
        m["account.tax"] = Model("account.tax", {"name": _c("char", "Tax Name")}, lambda r: r["id"], 10)

        m["res.users"].rows[ADMIN_UID] = {"id": ADMIN_UID, "name": "Mitchell Admin", "login": "admin"}
        for emp_id, name in EMPLOYEES.items():
            first = name.split()[0].lower()
            email = "admin@yourcompany.example.com" if emp_id == 1 else f"{first}@example.com"
            m["hr.employee"].rows[emp_id] = {"id": emp_id, "name": name, "work_email": email, "user_id": ADMIN_UID if emp_id == 1 else False}
        for prod_id, name, code, price, expensed in PRODUCTS:
            m["product.product"].rows[prod_id] = {"id": prod_id, "name": name, "default_code": code, "standard_price": price, "can_be_expensed": expensed}
        for number, code in enumerate(sorted(set(ALPHA3_TO_ALPHA2.values())), start=1):
            m["res.country"].rows[number] = {"id": number, "name": COUNTRY_NAMES.get(code, code), "code": code}
        for cur_id, name, active in CURRENCIES:
            m["res.currency"].rows[cur_id] = {"id": cur_id, "name": name, "active": active}
        de = next(r["id"] for r in m["res.country"].rows.values() if r["code"] == "DE")
        m["res.partner"].rows[60] = {
            "id": 60, "name": "Erika Mustermann", "ref": "PASSPORT:C01X00T47", "comment": "", "function": False,
            "type": "contact", "country_id": de, "email": False, "phone": False, "is_company": False,
        }

    # -- the JSON-RPC entry point -------------------------------------------

    def dispatch(self, request: dict[str, Any]) -> dict[str, Any]:
        """One JSON-RPC request -> Odoo's answer (as a dict in Odoo's key order)."""
        answer: dict[str, Any] = {"jsonrpc": "2.0", "id": request.get("id")}
        recorded = self.recorded_errors.get(self._key(request))
        if recorded is not None:
            answer["error"] = recorded
            return answer
        params = request.get("params") or {}
        try:
            result = self._call(params.get("service"), params.get("method"), list(params.get("args") or []))
        except RpcError as exc:
            answer["error"] = {"code": 200, "message": "Odoo Server Error", "data": exc.data}
            return answer
        answer["result"] = result
        return answer

    def _call(self, service: str | None, method: str | None, args: list[Any]) -> Any:
        with self.lock:
            self.calls[f"{service}.{method}"] += 1
        if service == "common" and method == "version":
            return dict(self.version)
        if service == "common" and method in ("authenticate", "login"):
            db, login, password = args[0], args[1], args[2]
            if db != self.database:
                raise no_database(db)
            time.sleep(self.auth_delay)  # password hashing: ~0.5 s on the real server
            uid = self.keys.get(password)
            return uid if uid and self.models["res.users"].rows[uid]["login"] == login else False
        if service == "object" and method == "execute_kw":
            db, uid, password, model, model_method = args[:5]
            margs = args[5] if len(args) > 5 else []
            kwargs = args[6] if len(args) > 6 else {}
            if db != self.database:
                raise no_database(db)
            if self.keys.get(password) != uid:
                raise access_denied()
            with self.lock:
                self.calls[f"{model}.{model_method}"] += 1
                return self._execute(uid, model, model_method, margs, kwargs or {})
        raise RpcError("builtins.Exception", f"No such service or method: {service}.{method}", "Exception")

    # -- the ORM --------------------------------------------------------------

    @staticmethod
    def invalid_field(name: str, model: str) -> RpcError:
        return invalid_field(name, model)

    def _model(self, name: str) -> Model:
        if name not in self.models:
            raise no_model(name)
        return self.models[name]

    def _execute(self, uid: int, model_name: str, method: str, args: list[Any], kwargs: dict[str, Any]) -> Any:
        model = self._model(model_name)
        if method == "fields_get":
            allfields = args[0] if args else kwargs.get("allfields")
            attributes = args[1] if len(args) > 1 else kwargs.get("attributes")
            return {name: f.attributes(attributes) for name, f in model.fields.items() if not allfields or name in allfields}
        if method == "create":
            values = args[0] if args else kwargs["vals_list"]
            if isinstance(values, list):
                return [self._create(uid, model, v) for v in values] if len(values) != 1 else self._create(uid, model, values[0])
            return self._create(uid, model, values)
        if method == "write":
            ids, values = args[0], args[1]
            for record_id in ids:
                row = self._row(model, record_id, uid)
                row.update(self._clean(uid, model, values))
            return True
        if method == "read":
            ids = args[0]
            fields = args[1] if len(args) > 1 else kwargs.get("fields")
            return [self._read(model, self._row(model, i, uid), fields) for i in ids]
        if method in ("search_read", "search", "search_count"):
            domain = args[0] if args else kwargs.get("domain", [])
            rows = [r for r in model.rows.values() if self._match(model, r, domain)]
            rows.sort(key=self._order(model, kwargs.get("order")))
            if method == "search_count":
                return len(rows)
            offset = int(kwargs.get("offset") or 0)
            limit = kwargs.get("limit")
            rows = rows[offset: offset + limit if limit else None]
            if method == "search":
                return [r["id"] for r in rows]
            fields = kwargs.get("fields") or (args[1] if len(args) > 1 else None)
            return [self._read(model, r, fields) for r in rows]
        raise no_method(model_name, method)

    def _row(self, model: Model, record_id: int, uid: int) -> dict[str, Any]:
        if record_id not in model.rows:
            raise missing_record(model.name, record_id, uid)
        return model.rows[record_id]

    def _clean(self, uid: int, model: Model, values: dict[str, Any]) -> dict[str, Any]:
        for name in values:
            if name not in model.fields and name != "id":
                raise self.invalid_field(name, model.name)
        clean: dict[str, Any] = {}
        for name, value in values.items():
            f = model.fields[name]
            if f.type == "many2one" and value not in (False, None):
                if isinstance(value, str) and not value.isdigit():
                    raise not_an_integer(value)
                value = int(value)
                related = self.models.get(f.relation or "")
                if related is not None and value not in related.rows:
                    raise missing_record(related.name, value, uid)
            if f.type == "date" and value and not _is_date(str(value)[:10]):
                _bad_date(str(value)[:10])
            if f.type == "selection" and value not in (False, None) and f.selection and value not in f.selection:
                raise wrong_selection(model.name, name, value)
            clean[name] = value
        return clean

    def _create(self, uid: int, model: Model, values: dict[str, Any]) -> int:
        clean = self._clean(uid, model, values)
        row: dict[str, Any] = {name: False for name in model.fields if model.fields[name].compute is None}
        if model.name == "hr.expense":
            own = next((e["id"] for e in self.models["hr.employee"].rows.values() if e["user_id"] == uid), False)
            row.update(quantity=1.0, state="draft", currency_id=1, payment_mode="own_account", employee_id=own,
                       date=time.strftime("%Y-%m-%d"), total_amount_currency=0.0)
        if model.name == "ir.attachment":
            row.update(type="binary")
        row.update(clean)
        if model.name == "hr.expense":
            product = self.models["product.product"].rows.get(row.get("product_id") or 0)
            if product and product["standard_price"]:
                row["total_amount_currency"] = row["quantity"] * product["standard_price"]
            row["total_amount"] = row["total_amount_currency"]
        if model.name == "ir.attachment":
            raw = base64.b64decode(row.get("datas") or b"")
            row.update(file_size=len(raw), checksum=hashlib.sha1(raw).hexdigest())
        row["id"] = model.next_id
        model.next_id += 1
        model.rows[row["id"]] = row
        text = " ".join(str(row.get(k) or "") for k in ("description", "comment", "name"))
        for record_id in set(MARKER.findall(text)):
            self.creations[(model.name, record_id)] += 1
        if model.name == "ir.attachment":
            self.creations[("ir.attachment", f"{row['res_model']},{row['res_id']},{row['name']}")] += 1
        return row["id"]

    def _value(self, model: Model, row: dict[str, Any], name: str) -> Any:
        f = model.fields.get(name)
        if f is None:
            return row.get(name, False)
        if f.compute is not None:
            return f.compute(self, row)
        value = row.get(name, False)
        if f.type == "many2one" and value:
            related = self.models.get(f.relation or "")
            label = related.display(related.rows[value]) if related and value in related.rows else ""
            return [value, label]
        return value

    def _read(self, model: Model, row: dict[str, Any], fields: list[str] | None) -> dict[str, Any]:
        names = fields or [n for n in model.fields]
        for name in names:
            if name not in model.fields and name != "id":
                raise self.invalid_field(name, model.name)
        out = {"id": row["id"]}
        for name in names:
            if name != "id":
                out[name] = self._value(model, row, name)
        return out

    def _match(self, model: Model, row: dict[str, Any], domain: list[Any]) -> bool:
        if model.active_test and "active" in model.fields and not any(
            isinstance(t, (list, tuple)) and t[0] == "active" for t in domain
        ):
            if not row.get("active"):
                return False
        for term in domain:
            if term in ("&",):
                continue
            name, op, value = term
            if name not in model.fields and name != "id":
                raise self.invalid_field(name, model.name)
            have = row.get(name, False)
            if op == "=" and have != value:
                return False
            if op == "!=" and have == value:
                return False
            if op in ("ilike", "like"):
                text, pattern = str(have or ""), str(value)
                if (pattern.lower() not in text.lower()) if op == "ilike" else (pattern not in text):
                    return False
            if op == "in" and have not in value:
                return False
            if op not in ("=", "!=", "ilike", "like", "in"):
                raise RpcError("builtins.ValueError", f"Invalid search operator {op!r}", "ValueError")
        return True

    @staticmethod
    def _order(model: Model, order: str | None) -> Callable[[dict[str, Any]], Any]:
        if not order:
            return model.order
        keys = []
        for part in order.split(","):
            words = part.split()
            keys.append((words[0], len(words) > 1 and words[1].lower() == "desc"))

        def key(row: dict[str, Any]) -> tuple:
            return tuple(_desc(row.get(n)) if desc else (row.get(n) is False, row.get(n) or 0) for n, desc in keys)

        return key

    # -- what a test looks at ----------------------------------------------------

    def duplicates(self) -> dict[tuple[str, str], int]:
        with self.lock:
            return {k: n for k, n in self.creations.items() if n > 1}

    def made(self, model: str) -> list[dict[str, Any]]:
        """The rows of `model` that are not demo data the server started with (Odoo 19's demo expenses)."""
        with self.lock:
            return [row for row in self.models[model].rows.values() if not row.get("_demo")]

    def count(self, model: str) -> int:
        return len(self.made(model))


class _Desc:
    """Reverses the order of a sort key."""

    def __init__(self, value: Any) -> None:
        self.value = value

    def __lt__(self, other: "_Desc") -> bool:
        return other.value < self.value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, _Desc) and other.value == self.value


def _desc(value: Any) -> _Desc:
    return _Desc(value if value is not False else "")


@dataclass
class Faults:
    """Per request: `error_rate` answer 5xx, `timeout_rate` hang for `hang` seconds; half of each after the call took effect."""

    error_rate: float = 0.0
    timeout_rate: float = 0.0
    hang: float = 1.0
    seed: int = 0
    counts: Counter[str] = field(default_factory=Counter)

    def __post_init__(self) -> None:
        self.rng = random.Random(self.seed)
        self.lock = threading.Lock()

    def draw(self) -> tuple[str, bool]:
        """(what happens, whether it happens after the call took effect)."""
        with self.lock:
            roll, after = self.rng.random(), self.rng.random() < 0.5
            if roll < self.error_rate:
                kind = "error"
            elif roll < self.error_rate + self.timeout_rate:
                kind = "timeout"
            else:
                kind = "ok"
            self.counts[kind if kind == "ok" else f"{kind}-{'after' if after else 'before'}"] += 1
            return kind, after


class LoopbackServer:
    """A ThreadingHTTPServer on 127.0.0.1 in a thread; `restart()` keeps the port and the state."""

    def __init__(self, handler: type[BaseHTTPRequestHandler], port: int = 0) -> None:
        self.handler = handler
        self.port = port
        self.httpd: ThreadingHTTPServer | None = None
        self.restarts = 0
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "LoopbackServer":
        owner = self

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            allow_reuse_address = True
            request_queue_size = 64

            def handle_error(self, request, client_address):  # noqa: ANN001
                pass  # a client that timed out and hung up, or a restart cutting connections

            def process_request_thread(self, request, client_address):  # noqa: ANN001
                with owner._open_lock:
                    owner._open.add(request)
                try:
                    super().process_request_thread(request, client_address)
                finally:
                    with owner._open_lock:
                        owner._open.discard(request)

        self.httpd = Server(("127.0.0.1", self.port), self.handler)
        self.httpd.owner = owner  # type: ignore[attr-defined]
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop listening and cut every open connection, as a killed server would."""
        if self.httpd is None:
            return
        self.httpd.shutdown()
        self.httpd.server_close()
        with self._open_lock:
            for sock in list(self._open):
                try:
                    sock.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
        self.httpd = None

    def restart(self, downtime: float = 0.0) -> None:
        self.stop()
        time.sleep(downtime)
        self.start()
        self.restarts += 1

    def __enter__(self) -> "LoopbackServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


class FaultyHandler(BaseHTTPRequestHandler):
    """Reads the body, rolls the server's `Faults`, then lets `answer()` do the real work."""

    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body go out as two writes: no 40 ms delayed-ACK stall
    server_version = "Werkzeug/3.0.1"
    sys_version = "Python/3.12.3"

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
        pass

    @property
    def app(self) -> Any:
        return self.server.owner  # type: ignore[attr-defined]

    def send(self, status: int, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in {**getattr(self.app, "extra_headers", {}), **(headers or {})}.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def do_POST(self) -> None:  # noqa: N802
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        faults: Faults = self.app.faults
        kind, after = faults.draw()
        if kind != "ok" and not after:
            self._fail(kind, faults)
            return
        answer = self.app.answer(self, body)
        if kind != "ok":
            self._fail(kind, faults)
            return
        self.send(*answer)

    def do_GET(self) -> None:  # noqa: N802
        answer_get = getattr(self.app, "answer_get", None)
        if answer_get is None:
            self.send(404, NOT_FOUND_HTML.encode(), "text/html; charset=utf-8")
            return
        self.send(*answer_get(self))

    def _fail(self, kind: str, faults: Faults) -> None:
        if kind == "timeout":
            time.sleep(faults.hang)
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            return
        status = self.app.rng_status()
        self.send(status, f"<html><body><h1>{status} Server Error</h1></body></html>".encode(), "text/html")


class OdooServer(LoopbackServer):
    """The loopback Odoo: `with OdooServer() as odoo: ... odoo.url, odoo.state`."""

    VERSION = "18.0"
    DATABASE = DATABASE
    SECRET = PASSWORD
    """What the kiosk stores as odoo_secret for this server."""
    API_NOTE = ""
    """How the kiosk's connect summary names the protocol it chose."""

    def __init__(self, state: OdooState | None = None, faults: Faults | None = None, port: int = 0) -> None:
        super().__init__(OdooHandler, port)
        self.state = state or OdooState()
        self.faults = faults or Faults()
        self._status_rng = random.Random(1)

    def rng_status(self) -> int:
        return self._status_rng.choice((500, 502, 503, 504))

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes, str]:
        path = handler.path.split("?")[0]
        if path == "/web/webclient/version_info":
            return version_info(self.state, body)
        if path != "/jsonrpc":
            return 404, NOT_FOUND_HTML.encode(), "text/html; charset=utf-8"
        try:
            request = json.loads(body)
        except ValueError:
            request = None
        if not isinstance(request, dict):
            error = RpcError("werkzeug.exceptions.BadRequest", "400 Bad Request: Invalid JSON data", "BadRequest")
            payload = {"jsonrpc": "2.0", "id": None, "error": {"code": 400, "message": "Odoo Server Error", "data": error.data}}
            return 200, odoo_body(payload), "application/json; charset=utf-8"
        return 200, odoo_body(self.state.dispatch(request)), "application/json; charset=utf-8"


def version_info(state: OdooState, body: bytes) -> tuple[int, bytes, str]:
    """`POST /web/webclient/version_info` (a JSON-RPC route of the web client, auth none, in 17, 18 and 19)."""
    try:
        request_id = json.loads(body).get("id")
    except (ValueError, AttributeError):
        request_id = None
    payload = {"jsonrpc": "2.0", "id": request_id, "result": dict(state.version)}
    return 200, odoo_body(payload), "application/json; charset=utf-8"


class OdooHandler(FaultyHandler):
    pass


class StaticServer(LoopbackServer):
    """Something that is not Odoo (a web page, a 404, another API) at the configured URL."""

    def __init__(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8", headers: dict[str, str] | None = None) -> None:
        super().__init__(FaultyHandler)
        self.faults = Faults()
        self.reply = (status, body, content_type)
        self.extra_headers = headers or {}
        self.requests = 0

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes, str]:
        self.requests += 1
        return self.reply


# -- sample records (shared by the sync tests and bench/sync_faults.py) ----------------

SURNAMES = ("MUSTERMANN", "ERIKSSON", "OKONKWO", "TANAKA", "DUBOIS", "NOWAK", "SILVA", "KOWALCZYK")
GIVEN = ("ERIKA", "ANNA MARIA", "CHIDI", "HARUTO", "CLAIRE", "PIOTR", "JOAO", "EWA")


def sample_passport(n: int = 0, **overrides: Any):
    """A confirmed passport record with distinct, recognisable personal data."""
    from kiosk.records import Field, PassportRecord

    values = {
        "document_type": "P",
        "document_number": f"C{n:07d}X",
        "surname": f"{SURNAMES[n % len(SURNAMES)]}{'' if n < len(SURNAMES) else n}",
        "given_names": GIVEN[n % len(GIVEN)],
        "nationality": "D",
        "issuing_country": "D",
        "birth_date": "1964-08-12",
        "expiry_date": "2027-10-31",
        "sex": "F",
        **overrides,
    }
    record = PassportRecord(fields={k: Field(v, 0.97) for k, v in values.items() if v is not None})
    record.mrz_lines = (f"P<D<<{values['surname']}<<{values['given_names'].replace(' ', '<')}", f"{values['document_number']}D<<6408125F2710319")
    record.confirm("op-7", "K-01")
    return record


def sample_receipt(n: int = 0, **overrides: Any):
    from kiosk.records import Field, ReceiptRecord

    values = {"vendor": f"YONGFATT ENTERPRISE {n}", "date": "2018-12-25", "total": 80.9 + n, "tax": 4.58, "currency": None, **overrides}
    record = ReceiptRecord(fields={k: Field(v, 0.93) for k, v in values.items() if v is not None})
    record.confirm("op-7", "K-01")
    return record


JPEG = bytes.fromhex("ffd8ffe000104a46494600010100000100010000ffd9")
"""The 22-byte JPEG of the recordings (`/9j/4AAQSkZJRgABAQAAAQABAAD/2Q==`)."""
