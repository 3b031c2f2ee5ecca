"""A loopback Odoo 19 for the sync tests: the External JSON-2 API answered the way the recorded server answers.

Built from the 65 exchanges recorded on a real Odoo 19.0 (`shared/odoo/odoo19-json2.json`),
in the style of `odoo_server` (whose ORM simulation, `Faults` and restarts it shares):
- `POST /json/2/<model>/<method>`, named arguments in a JSON object, `Authorization:
  bearer <API key>`, `X-Odoo-Database` optional (a wrong one is Odoo's HTML 404 page),
  a bare JSON answer (`json.dumps(..., ensure_ascii=False)`, as `make_json_response`);
- errors with their HTTP status and a `{name, message, arguments, context, debug}`
  body: 401 Unauthorized (with `WWW-Authenticate: Bearer `), 403 AccessError,
  404 NotFound / MissingError, 422 ValidationError / UnprocessableEntity, 500
  ValueError / InvalidTextRepresentation, 400 BadRequest, and the 415 HTML page
  for a body that is not declared JSON; a recorded error request is answered with
  the recorded error itself, byte for byte;
- `GET /web/version` and `/json/version` (new in 19), `POST /web/webclient/version_info`
  (JSON-RPC envelope, also on 18) and the deprecated `POST /jsonrpc`, which logs
  the recorded deprecation warning in `state.server_log`;
- 19's demo data where the kiosk meets it: admin uid 2 / employee 1, demo uid 5 /
  employee 3, Meals product 53, EUR (126) and MYR (34) inactive, 50 demo expenses
  of employee 1, and the next ids of the recording (expense 69, attachment 1138,
  partner 100); 19's models: no `sheet_id`, no partner `mobile`, 19's expense states.
"""

from __future__ import annotations

import json
import random
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from odoo_server import (
    COUNTRY_NAMES,
    EMPLOYEES,
    NOT_FOUND_HTML,
    REPO,
    Faults,
    FaultyHandler,
    FieldDef,
    LoopbackServer,
    Model,
    OdooState,
    RpcError,
    _c,
    odoo_body,
    version_info,
)

from kiosk.countries import ALPHA3_TO_ALPHA2

RECORDINGS_CANDIDATES = (
    REPO / "tests" / "data" / "odoo19-json2.json",
    REPO.parent / "shared" / "odoo" / "odoo19-json2.json",
)
DATABASE = "kiosk19"
API_KEY = "DUMMY-API-KEY"
DEMO_API_KEY = "DUMMY-API-KEY-DEMO-USER"
ADMIN_UID, DEMO_UID = 2, 5
VERSION = {
    "server_version": "19.0",
    "server_version_info": [19, 0, 0, "final", 0, ""],
    "server_serie": "19.0",
    "protocol_version": 1,
}
JSON = "application/json; charset=utf-8"
HTML = "text/html; charset=utf-8"
DEPRECATION_WARNING = (
    "The /xmlrpc, /xmlrpc/2 and /jsonrpc endpoints are deprecated in Odoo 19 and scheduled for removal in Odoo 22. "
    "Please report the problem to the client making the request."
)
WRONG_DATABASE_HTML = (
    "<!DOCTYPE html>\n<title>404 Not Found</title>\n<h1>Not Found</h1>\n<p>No database is selected and the requested URL "
    "was not found in the server-wide controllers.</p>\n<p>Please verify the hostname, <a href=/web/login>login</a> and try "
    "again.</p>\n\n<!-- Alternatively, use the X-Odoo-Database header. -->\n"
)
UNSUPPORTED_HTML = (
    "<!doctype html>\n<html lang=en>\n<title>415 Unsupported Media Type</title>\n<h1>Unsupported Media Type</h1>\n"
    "<p>Request inferred type is compatible with [&#39;http&#39;] but &#39;/json/2/&lt;__model__&gt;/&lt;__method__&gt;&#39; "
    "is type=&#39;json2&#39;.<br><br>Please verify the Content-Type request header and try again.</p>\n"
)
STATUS = {
    "odoo.exceptions.AccessError": 403,
    "odoo.exceptions.AccessDenied": 401,
    "odoo.exceptions.MissingError": 404,
    "odoo.exceptions.ValidationError": 422,
    "odoo.exceptions.UserError": 422,
    "werkzeug.exceptions.NotFound": 404,
    "werkzeug.exceptions.Unauthorized": 401,
    "werkzeug.exceptions.UnprocessableEntity": 422,
    "werkzeug.exceptions.BadRequest": 400,
}
"""The HTTP status JSON-2 gives each exception (anything else: 500)."""
WERKZEUG_STATUS_TEXT = {400: "Bad Request", 401: "Unauthorized", 404: "Not Found", 422: "Unprocessable Entity"}
MODEL_METHODS = ("create", "search", "search_read", "search_count", "fields_get", "context_get", "generate", "revoke")
NEW_API_KEY = "DUMMY-NEW-API-KEY"
RECORD_METHODS = ("read", "write")
ARGUMENTS = {
    "create": (("vals_list",), ()),
    "write": (("vals",), ()),
    "read": ((), ("fields", "load")),
    "fields_get": ((), ("allfields", "attributes")),
    "search": (("domain",), ("offset", "limit", "order")),
    "search_read": ((), ("domain", "fields", "offset", "limit", "order")),
    "search_count": (("domain",), ("limit",)),
    "context_get": ((), ()),
    "generate": (("key", "scope", "name", "expiration_date"), ()),
    "revoke": (("key",), ()),
}
"""JSON-2's check of the named arguments: (required, optional); `context` is always allowed."""
CONSUMED_AN_ID = {"error: required field missing (hr.expense without name and product)": "hr.expense",
                  "error: many2one id that does not exist": "hr.expense"}
"""Recorded creates that failed after Postgres drew the new id (the next expense was 74, not 72)."""


def recordings_path() -> Path | None:
    return next((p for p in RECORDINGS_CANDIDATES if p.exists()), None)


def load_recordings() -> list[dict[str, Any]]:
    path = recordings_path()
    return json.loads(path.read_text("utf-8")) if path else []


def recorded_bytes(entry: dict[str, Any]) -> bytes:
    """The body the server sent: JSON as Odoo serialises it, or the HTML page as it was."""
    body = entry["response_body"]
    if entry["response_headers"]["Content-Type"].startswith("application/json"):
        return json.dumps(body, ensure_ascii=False).encode("utf-8")
    return body.encode("utf-8")


def request_key(method: str, path: str, headers: dict[str, str], body: bytes) -> str:
    """What makes two requests the same for the recorded answers (header names case-insensitive)."""
    lower = {k.lower(): v for k, v in headers.items()}
    try:
        parsed: Any = json.loads(body) if body else ""
    except ValueError:
        parsed = body.decode("utf-8", "replace")
    wanted = [lower.get(n) for n in ("authorization", "x-odoo-database")]
    content_type = (lower.get("content-type") or "").split(";")[0]
    return json.dumps([method, path, wanted, content_type, parsed], sort_keys=True)


def recorded_request_key(entry: dict[str, Any]) -> str:
    body = entry["request_body"]
    raw = b"" if body in (None, "") else (body.encode() if isinstance(body, str) else json.dumps(body).encode())
    return request_key(entry["method"], entry["path"], entry["request_headers"], raw)


class Json2Error(Exception):
    """An error JSON-2 answers with its status and `{name, message, arguments, context, debug}`."""

    def __init__(self, name: str, message: str, debug_tail: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status or STATUS.get(name, 500)
        arguments: list[Any] = [message, self.status] if name.startswith("werkzeug.") else [message]
        self.body = {"name": name, "message": message, "arguments": arguments, "context": {},
                     "debug": f"[traceback trimmed to its last 3 lines] ...\n{debug_tail}\n"}

    @classmethod
    def werkzeug(cls, name: str, status: int, message: str, line: int) -> "Json2Error":
        tail = (f'  File "<odoo>/addons/rpc/controllers/json2.py", line {line}, in web_json_2_rpc\n'
                f"    raise {name}(exc.args[0]) from exc\n"
                f"werkzeug.exceptions.{name}: {status} {WERKZEUG_STATUS_TEXT[status]}: {message}")
        return cls(f"werkzeug.exceptions.{name}", message, tail, status)


def _sel(*pairs: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    return pairs[0::2], pairs[1::2]


class Odoo19State(OdooState):
    """Odoo 19's database, demo data and wording, on `odoo_server`'s simulated ORM."""

    database = DATABASE
    version = VERSION
    keys = {API_KEY: ADMIN_UID, DEMO_API_KEY: DEMO_UID}
    IDS = {"expense": 69, "attachment": 1138, "partner": 100, "meals": 53, "mileage": 55, "eur": 126, "myr": 34,
           "holder": 60, "de": 57, "employee": 1, "other_employee": 6}

    def __init__(self, auth_delay: float = 0.0) -> None:
        self.server_log: list[str] = []
        super().__init__(auth_delay)
        self.recorded_errors = {}  # JSON-RPC's table (the 18 recordings) does not apply
        recordings = [e for e in load_recordings() if e["path"].startswith("/json/2")]
        answered = {recorded_request_key(e) for e in recordings if e["http_status"] < 400}
        # A request recorded both answered and refused (a key before and after its revocation) is left to the state.
        self.json2_errors = {
            key: e for e in recordings if e["http_status"] >= 400 and (key := recorded_request_key(e)) not in answered
        }

    @staticmethod
    def invalid_field(name: str, model: str) -> RpcError:
        message = f"Invalid field {name!r} in {model!r}"
        tail = ('  File "<odoo>/odoo/orm/models.py", line 4659, in create\n'
                f'    raise ValueError(f"Invalid field {{field_name!r}} in {{self._name!r}}")\nValueError: {message}')
        return RpcError("builtins.ValueError", message, tail)

    def _seed(self) -> None:
        super()._seed()
        m = self.models
        states, labels = _sel("draft", "Draft", "submitted", "Submitted", "approved", "Approved", "posted", "Posted",
                              "in_payment", "In Payment", "paid", "Paid", "refused", "Refused")
        approval, approval_labels = _sel("submitted", "Submitted", "approved", "Approved", "refused", "Refused")
        modes, mode_labels = _sel("own_account", "Employee (to reimburse)", "company_account", "Company")
        attachments = m["ir.attachment"]
        expense = m["hr.expense"]
        old = expense.fields
        expense.fields = {
            "message_main_attachment_id": old["message_main_attachment_id"], "name": old["name"], "date": old["date"],
            "employee_id": old["employee_id"],
            "company_id": _c("many2one", "Company", required=True, readonly=True, relation="res.company"),
            "product_id": old["product_id"], "quantity": old["quantity"], "description": old["description"],
            "nb_attachment": _c("integer", "Number of Attachments", readonly=True,
                                compute=lambda s, r: len(old["attachment_ids"].compute(s, r))),  # type: ignore[misc]
            "attachment_ids": old["attachment_ids"],
            "state": FieldDef("selection", "Status", readonly=True, selection=states, labels=labels),
            "approval_state": FieldDef("selection", "Approval State", readonly=True, selection=approval, labels=approval_labels),
            "total_amount_currency": old["total_amount_currency"], "total_amount": old["total_amount"],
            "price_unit": _c("float", "Unit Price", required=True, readonly=True,
                             compute=lambda s, r: round(r["total_amount_currency"] / (r["quantity"] or 1.0), 2)),
            "currency_id": old["currency_id"],
            "account_move_id": _c("many2one", "Journal Entry", readonly=True, relation="account.move"),
            "payment_mode": FieldDef("selection", "Paid By", required=True, selection=modes, labels=mode_labels),
            "vendor_id": old["vendor_id"], "tax_ids": old["tax_ids"],
            "company_currency_id": _c("many2one", "Report Company Currency", readonly=True, relation="res.currency"),
            "currency_rate": _c("float", "Rate", readonly=True),
        }
        expense.next_id, m["ir.attachment"].next_id, m["res.partner"].next_id = 69, 1138, 100
        attachments.fields["public"] = _c("boolean", "Is public document")
        partner = m["res.partner"]
        partner.fields = {"name": partner.fields["name"], "ref": partner.fields["ref"],
                          "lang": _c("selection", "Language"), "vat": _c("char", "Tax ID"),
                          **{k: v for k, v in partner.fields.items() if k not in ("name", "ref")}}
        m["res.company"] = Model("res.company", {"name": _c("char", "Company Name")}, lambda r: r["id"], 2)
        m["res.company"].rows[1] = {"id": 1, "name": "YourCompany"}
        m["uom.uom"] = Model("uom.uom", {"name": _c("char", "Unit")}, lambda r: r["id"], 20)
        m["uom.uom"].rows.update({1: {"id": 1, "name": "Units"}, 10: {"id": 10, "name": "km"}})
        m["account.move"] = Model("account.move", {"name": _c("char", "Number")}, lambda r: r["id"], 1)
        users = m["res.users"]
        users.fields.update(partner_id=_c("many2one", "Related Partner", relation="res.partner"),
                            company_id=_c("many2one", "Company", relation="res.company"),
                            employee_ids=_c("one2many", "Related employee", relation="hr.employee",
                                            compute=lambda s, r: sorted(e["id"] for e in s.models["hr.employee"].rows.values()
                                                                        if e["user_id"] == r["id"])),
                            lang=_c("selection", "Language"), tz=_c("selection", "Timezone"))
        users.rows = {
            ADMIN_UID: {"id": ADMIN_UID, "name": "Mitchell Admin", "login": "admin", "partner_id": 3, "company_id": 1,
                        "lang": "en_US", "tz": "Europe/Brussels"},
            DEMO_UID: {"id": DEMO_UID, "name": "Marc Demo", "login": "demo", "partner_id": 7, "company_id": 1,
                       "lang": "en_US", "tz": "Europe/Brussels"},
        }
        partner.rows[3] = {"id": 3, "name": "YourCompany, Mitchell Admin", "ref": False, "comment": False, "function": False,
                           "type": "contact", "country_id": False, "email": False, "phone": False, "is_company": False,
                           "_demo": True}
        partner.display = lambda r: r["name"]
        employees = m["hr.employee"]
        employees.fields["company_id"] = _c("many2one", "Company", relation="res.company")
        names = dict(EMPLOYEES)
        names[3], names[5] = names[5], names[3]  # 19's demo data: Marc Demo is employee 3
        employees.rows = {
            emp_id: {"id": emp_id, "name": name, "company_id": 1,
                     "work_email": "admin@example.com" if emp_id == 1 else f"{name.split()[0].lower()}@example.com",
                     "user_id": {1: ADMIN_UID, 3: DEMO_UID}.get(emp_id, False)}
            for emp_id, name in names.items()
        }
        products = m["product.product"]
        products.fields["uom_id"] = _c("many2one", "Unit", relation="uom.uom")
        products.rows = {}
        for prod_id, name, code, price, uom, expensed in (
            (53, "Meals", "FOOD", 0.0, 1, True), (54, "Travel & Accommodation", "TRANS & ACC", 0.0, 1, True),
            (55, "Mileage", "MIL", 1.0, 10, True), (56, "Gifts", "GIFT", 0.0, 1, True),
            (57, "Communication", "COMM", 0.0, 1, True), (58, "Expenses", "EXP_GEN", 0.0, 1, True),
            (20, "Office Chair", "FURN_7777", 70.0, 1, False),
        ):
            products.rows[prod_id] = {"id": prod_id, "name": name, "default_code": code, "standard_price": price,
                                      "uom_id": uom, "can_be_expensed": expensed}
        currencies = m["res.currency"]
        currencies.fields.update(symbol=_c("char", "Symbol"), rate=_c("float", "Current Rate"))
        currencies.order = lambda r: (not r["active"], r["name"])  # res.currency: _order = "active desc, name"
        currencies.rows = {cur_id: {"id": cur_id, "name": name, "symbol": symbol, "active": active, "rate": rate}
                           for cur_id, name, symbol, active, rate in (
                               (1, "USD", "$", True, 1.0), (126, "EUR", "\u20ac", False, 1.2834), (34, "MYR", "RM", False, 4.8887))}
        countries = m["res.country"]
        assert all(countries.rows[n]["code"] == code for n, code in enumerate(sorted(set(ALPHA3_TO_ALPHA2.values())), start=1))
        assert COUNTRY_NAMES["DE"] == "Germany"
        m["res.users.apikeys"] = Model("res.users.apikeys", {"name": _c("char", "Description"),
                                                             "user_id": _c("many2one", "User", relation="res.users")},
                                       lambda r: r["id"], 4)
        m["res.users.apikeys"].rows.update({1: {"id": 1, "name": "kiosk-sync", "user_id": ADMIN_UID},
                                            2: {"id": 2, "name": "kiosk-sync-demo", "user_id": DEMO_UID}})
        for number in range(1, 51):  # demo expenses of Mitchell Admin
            expense.rows[number] = {"id": number, "name": f"Demo expense {number}", "employee_id": 1, "quantity": 1.0,
                                    "total_amount_currency": 10.0, "total_amount": 10.0, "currency_id": 1,
                                    "payment_mode": "own_account", "state": "draft", "date": "2026-11-01", "_demo": True}

    def _create(self, uid: int, model: Model, values: dict[str, Any]) -> int:
        new_id = super()._create(uid, model, values)
        row = model.rows[new_id]
        if model.name == "hr.expense":
            rate = self.models["res.currency"].rows.get(row.get("currency_id") or 1, {}).get("rate") or 1.0
            row.update(company_id=1, company_currency_id=1, approval_state=False, account_move_id=False)
            row["total_amount"] = round(row["total_amount_currency"] / rate, 2)
            share = row["total_amount"] / row["total_amount_currency"] if row["total_amount_currency"] else 1.0
            row["currency_rate"] = round(share, 9)
        if model.name == "ir.attachment":
            row.setdefault("public", False)
        return new_id

    # -- JSON-2 -----------------------------------------------------------------

    def json2(self, uid: int, model_name: str, method: str, args: dict[str, Any]) -> Any:
        """One call: the checks JSON-2 makes before the method runs, then the ORM."""
        with self.lock:
            self.calls["json2"] += 1
            self.calls[f"{model_name}.{method}"] += 1
        if model_name not in self.models:
            raise Json2Error.werkzeug("NotFound", 404, f"the model {model_name!r} does not exist", 69)
        if method.startswith("_"):
            message = f"Private methods (such as '{model_name}.{method}') cannot be called remotely."
            raise Json2Error("odoo.exceptions.AccessError", message,
                             '  File "<odoo>/odoo/service/model.py", line 55, in get_public_method\n'
                             f"    raise AccessError(e)\nodoo.exceptions.AccessError: {message}")
        if method not in ARGUMENTS:
            raise Json2Error.werkzeug("NotFound", 404, f"The method '{model_name}.{method}' does not exist", 74)
        args = dict(args)
        context = args.pop("context", None) or {}
        ids = args.pop("ids", None)
        if ids is not None and method in MODEL_METHODS:
            raise Json2Error.werkzeug("UnprocessableEntity", 422, f"cannot call {model_name}.{method} with ids", 77)
        required, optional = ARGUMENTS[method]
        for name in args:
            if name not in required + optional and method == "search_read":  # the rest goes to _read_format
                message = f"BaseModel._read_format() got an unexpected keyword argument {name!r}"
                raise Json2Error("builtins.TypeError", message, f"TypeError: {message}")
            if name not in required + optional:
                raise Json2Error.werkzeug("UnprocessableEntity", 422, f"got an unexpected keyword argument {name!r}", 84)
        for name in required:
            if name not in args:
                raise Json2Error.werkzeug("UnprocessableEntity", 422, f"missing a required argument: {name!r}", 84)
        if method == "context_get":
            user = self.models["res.users"].rows[uid]
            return {"lang": user["lang"], "tz": user["tz"], "uid": uid}
        if method in ("generate", "revoke"):
            return self._api_key(uid, method, args)
        with self.lock:
            model = self.models[model_name]
            if method == "create":
                values = args["vals_list"]
                return [self._create(uid, model, v) for v in (values if isinstance(values, list) else [values])]
            if method == "read":
                return [self._read(model, model.rows[i], args.get("fields")) for i in ids or [] if i in model.rows]
            if method == "write":
                return self._execute(uid, model_name, "write", [ids or [], args["vals"]], {})
            if method == "fields_get":
                return self._fields_get(model, args.get("allfields"), args.get("attributes"))
            saved = model.active_test
            model.active_test = saved and context.get("active_test", True)
            try:
                domain = args.pop("domain", [])
                if model_name == "res.users.apikeys":  # the record rule: one's own keys
                    domain = [*domain, ["user_id", "=", uid]]
                return self._execute(uid, model_name, method, [domain], args)
            finally:
                model.active_test = saved

    def _api_key(self, uid: int, method: str, args: dict[str, Any]) -> Any:
        """New in 19: `generate` a key from one of one's own keys, `revoke` a key."""
        with self.lock:
            if method == "revoke":
                return self.keys.pop(args["key"], None) is not None or True
            if self.keys.get(args["key"]) != uid:
                raise RpcError("odoo.exceptions.AccessDenied", "Access Denied", "odoo.exceptions.AccessDenied: Access Denied")
            new = NEW_API_KEY if NEW_API_KEY not in self.keys else f"{NEW_API_KEY}-{len(self.keys)}"
            self.keys = {**self.keys, new: uid}
            return new

    @staticmethod
    def _fields_get(model: Model, allfields: list[str] | None, attributes: list[str] | None) -> dict[str, Any]:
        return {name: f.attributes(attributes) for name, f in model.fields.items() if not allfields or name in allfields}

    def json2_error(self, exc: RpcError) -> Json2Error:
        """An ORM error as JSON-2 answers it: the status for its class, Odoo 19's body."""
        data = exc.data
        tail = data["debug"].split("\n", 1)[1] if "\n" in data["debug"] else data["debug"]
        return Json2Error(data["name"], data["message"], tail.rstrip("\n"))

    def rpc_deprecated(self, request: dict[str, Any]) -> dict[str, Any]:
        self.server_log.append(f"WARNING {self.database} odoo.addons.rpc.controllers.jsonrpc: {DEPRECATION_WARNING}")
        return self.dispatch(request)


class Json2Handler(FaultyHandler):
    server_version = "Werkzeug/3.1.3"


class Odoo19Server(LoopbackServer):
    """The loopback Odoo 19: `with Odoo19Server() as odoo: ... odoo.url, odoo.state`."""

    VERSION = "19.0"
    DATABASE = DATABASE
    SECRET = API_KEY
    API_NOTE = ", JSON-2 API"

    def __init__(self, state: Odoo19State | None = None, faults: Faults | None = None, port: int = 0) -> None:
        super().__init__(Json2Handler, port)
        self.state = state or Odoo19State()
        self.faults = faults or Faults()
        self._status_rng = random.Random(1)

    def rng_status(self) -> int:
        return self._status_rng.choice((500, 502, 503, 504))

    def answer_get(self, handler: BaseHTTPRequestHandler) -> tuple[int, bytes, str, dict[str, str]]:
        path = handler.path.split("?")[0]
        recorded = self.state.json2_errors.get(request_key("GET", path, self._headers(handler), b""))
        if recorded is not None:
            return self._recorded(recorded)
        if path in ("/web/version", "/json/version"):
            return 200, odoo_body({"version_info": VERSION["server_version_info"], "version": VERSION["server_version"]}), JSON, {}
        if path == "/json/2" or path.startswith("/json/2/"):
            error = Json2Error.werkzeug("NotFound", 404, "Did you mean POST /json/2/<model>/<method>?", 47)
            error.body["debug"] = error.body["debug"].replace("raise NotFound(exc.args[0]) from exc", "raise NotFound(e) from exc")
            return 404, odoo_body(error.body), JSON, {}
        return 404, NOT_FOUND_HTML.encode(), HTML, {}

    def answer(self, handler: BaseHTTPRequestHandler, body: bytes) -> tuple[int, bytes, str, dict[str, str]]:
        path = handler.path.split("?")[0]
        if path == "/web/webclient/version_info":
            return (*version_info(self.state, body), {})
        if path == "/jsonrpc":
            try:
                request = json.loads(body)
            except ValueError:
                request = {}
            return 200, odoo_body(self.state.rpc_deprecated(request if isinstance(request, dict) else {})), JSON, {}
        if not path.startswith("/json/2/"):
            return 404, NOT_FOUND_HTML.encode(), HTML, {}
        recorded = self.state.json2_errors.get(request_key("POST", path, self._headers(handler), body))
        if recorded is not None:
            return self._recorded(recorded)
        try:
            return 200, odoo_body(self._json2(handler, path, body)), JSON, {}
        except Json2Error as exc:
            headers = {"WWW-Authenticate": "Bearer "} if exc.status == 401 else {}
            return exc.status, odoo_body(exc.body), JSON, headers
        except _Page as page:
            return page.status, page.html.encode(), HTML, {}

    def _headers(self, handler: BaseHTTPRequestHandler) -> dict[str, str]:
        """The request's headers; `X-Odoo-Database` naming this server's database changes nothing, so it is dropped."""
        headers = dict(handler.headers)
        return {k: v for k, v in headers.items() if k.lower() != "x-odoo-database" or v != self.state.database}

    def _recorded(self, entry: dict[str, Any]) -> tuple[int, bytes, str, dict[str, str]]:
        model = CONSUMED_AN_ID.get(entry["note"])
        if model:
            with self.state.lock:
                self.state.models[model].next_id += 1
        headers = {k: v for k, v in entry["response_headers"].items() if k != "Content-Type"}
        return entry["http_status"], recorded_bytes(entry), entry["response_headers"]["Content-Type"], headers

    def _json2(self, handler: BaseHTTPRequestHandler, path: str, body: bytes) -> Any:
        state = self.state
        content_type = (handler.headers.get("Content-Type") or "").split(";")[0].strip()
        if body and content_type != "application/json":
            raise _Page(415, UNSUPPORTED_HTML)
        database = handler.headers.get("X-Odoo-Database")
        if database is not None and database != state.database:
            raise _Page(404, WRONG_DATABASE_HTML)
        scheme, _, key = (handler.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer":
            raise Json2Error("werkzeug.exceptions.Unauthorized",
                             "User not authenticated, use an API Key with a Bearer Authorization header.",
                             _auth_tail("User not authenticated, use an API Key with a Bearer Authorization header."), 401)
        uid = state.keys.get(key.strip())
        if uid is None:
            raise Json2Error("werkzeug.exceptions.Unauthorized", "Invalid apikey", _auth_tail("Invalid apikey"), 401)
        try:
            args = json.loads(body) if body else {}
        except ValueError as exc:
            message = f"could not parse the body as json: {exc}"
            raise Json2Error("werkzeug.exceptions.BadRequest", message,
                             '  File "<odoo>/odoo/http.py", line 2630, in dispatch\n'
                             "    raise werkzeug.exceptions.BadRequest(e) from exc\n"
                             f"werkzeug.exceptions.BadRequest: 400 Bad Request: {message}", 400) from None
        _, model, method = path.rsplit("/", 2)
        try:
            return state.json2(uid, model, method, args if isinstance(args, dict) else {})
        except RpcError as exc:
            raise state.json2_error(exc) from None


class _Page(Exception):
    def __init__(self, status: int, html: str) -> None:
        super().__init__(status)
        self.status, self.html = status, html


def _auth_tail(message: str) -> str:
    line = 242 if message == "Invalid apikey" else 250
    return (f'  File "<odoo>/odoo/addons/base/models/ir_http.py", line {line}, in _auth_method_bearer\n'
            "    raise Unauthorized(e, www_authenticate=WWWAuthenticate('bearer'))\n"
            f"werkzeug.exceptions.Unauthorized: 401 Unauthorized: {message}")

