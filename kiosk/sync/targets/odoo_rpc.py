"""Odoo's two external APIs behind one interface (`OdooClient`), with one wording of their failures.

- JSON-RPC (`POST {url}/jsonrpc`, Odoo 8 to 19; deprecated in 19, removal announced
  for 22): every error comes back with HTTP 200 and an `error` object whose
  `data.name` says what it is; a wrong password at login is `result: false`.
- JSON-2 (`POST {url}/json/2/<model>/<method>`, Odoo 19+): named arguments, the
  API key as `Authorization: bearer`, the database in `X-Odoo-Database`, a bare
  JSON answer, errors as real HTTP statuses with a `{name, message, ...}` body,
  except two that are HTML pages (415, and the 404 of a wrong database): no
  error body is assumed to be JSON.

`probe_version` asks `POST /web/webclient/version_info` (a JSON-RPC route of the
web client, on 17, 18 and 19), falling back to JSON-RPC `common.version` where a
proxy lets only `/jsonrpc` through. Whatever answers that is not Odoo (a web
page, another API, `python -m http.server`'s 501) is a `SyncError` naming the
URL and what it answered: a wrong setting, not a server to wait for.
"""

from __future__ import annotations

import itertools
from typing import Any, Protocol

import httpx

from kiosk.errors import SyncError
from kiosk.http_util import parse_retry_after
from kiosk.sync.targets.base import PermanentError, TransientError, redirect_error

AUTH_ERRORS = ("odoo.exceptions.AccessDenied", "odoo.http.SessionExpiredException")
TRANSIENT_ERRORS = (
    "psycopg2.errors.SerializationFailure",
    "psycopg2.errors.LockNotAvailable",
    "psycopg2.errors.DeadlockDetected",
    "odoo.exceptions.ConcurrencyError",
)
RETRY_STATUS = (408, 425, 429, 500, 502, 503, 504)
"""Answers of a server (or the proxy in front of it) that is there but cannot answer now."""
POSITIONAL = {
    "create": ("vals_list",),
    "write": ("vals",),
    "read": ("fields",),
    "fields_get": ("allfields",),
    "search": ("domain",),
    "search_read": ("domain",),
    "search_count": ("domain",),
}
"""JSON-RPC: the named arguments sent positionally (after `ids`), as Odoo 8-18 clients always did."""
CREDENTIALS_HINT = "check [odoo] login and the odoo_secret password or API key"
API_KEY_HINT = (
    "Odoo 19+ takes an API key as odoo_secret, not a password (Preferences > Account Security), "
    'or set [odoo] protocol = "jsonrpc"'
)


class OdooClient(Protocol):
    """One protocol: log in, call a model's method with named arguments, create one record."""

    endpoint: str
    protocol: str

    def login(self, login: str) -> int: ...

    def call(self, model: str, method: str, ids: list[int] | None = None, **named: Any) -> Any: ...

    def create(self, model: str, values: dict[str, Any]) -> int: ...

    def close(self) -> None: ...


def clean_reason(message: str) -> str:
    """Odoo's message as one line; Postgres's quoted SQL (`LINE 1: ...` and its caret) cut out: it echoes values."""
    lines = [line.strip() for line in message.strip().splitlines() if line.strip() and not line.startswith("LINE ")]
    return " ".join(line for line in lines if line.strip("^ ")) or "unknown error"


def odoo_error(name: str, message: str, database: str, model: str = "") -> Exception:
    """An Odoo exception (its class path and message), the same words whichever protocol brought it."""
    reason = clean_reason(message)
    if name in AUTH_ERRORS:
        return SyncError(f"Odoo refused the credentials ({reason}): {CREDENTIALS_HINT}")
    if name == "psycopg2.OperationalError" and "does not exist" in message:
        return SyncError(f"Odoo has no database {database!r}: check [odoo] database")
    if name in TRANSIENT_ERRORS or name == "psycopg2.OperationalError":
        return TransientError(f"Odoo is busy ({name.rsplit('.', 1)[-1]}): {reason}")
    if model and (
        (name == "builtins.KeyError" and reason == repr(model))
        or (name == "werkzeug.exceptions.NotFound" and reason == f"the model {model!r} does not exist")
    ):
        return PermanentError(f"Odoo has no model {model!r}")
    short = name.rsplit(".", 1)[-1] or "error"
    return PermanentError(f"Odoo refused ({short}): {reason}")


def _kind(response: httpx.Response) -> str:
    return response.headers.get("content-type", "no content type").split(";")[0].strip() or "no content type"


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


class _Http:
    """The HTTP side both protocols share: timeouts, lost answers (doubt), statuses of a server that is there."""

    def __init__(self, url: str, database: str, timeout: float, doubt_seconds: float) -> None:
        self.url = url.rstrip("/")
        self.database = database
        self.doubt_seconds = doubt_seconds
        self._http = httpx.Client(timeout=httpx.Timeout(timeout), follow_redirects=False)

    def close(self) -> None:
        self._http.close()

    def _post(self, endpoint: str, what: str, creates: bool, **kwargs: Any) -> httpx.Response:
        settle = self.doubt_seconds if creates else 0.0
        try:
            response = self._http.post(endpoint, **kwargs)
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise TransientError(f"cannot reach Odoo at {self.url}: {type(exc).__name__}") from None  # nothing was sent
        except httpx.TimeoutException:
            raise TransientError(f"Odoo did not answer in time ({what})", settle=settle) from None
        except httpx.TransportError as exc:
            raise TransientError(f"lost the connection to Odoo at {self.url}: {type(exc).__name__}", settle=settle) from None
        status = response.status_code
        if 300 <= status < 400:
            raise redirect_error("Odoo", status, response.headers, "[odoo] url")
        if status in (501, 505):
            raise SyncError(f"{endpoint} answered HTTP {status} ({_kind(response)}): that is not Odoo; check [odoo] url")
        return response

    def _busy(self, response: httpx.Response, creates: bool) -> TransientError:
        # 504: a proxy gave up waiting; Odoo behind it may still be working on the request.
        status = response.status_code
        settle = self.doubt_seconds if creates and status == 504 else 0.0
        return TransientError(f"Odoo answered HTTP {status}", parse_retry_after(response.headers.get("Retry-After")), settle)


class OdooRpc(_Http):
    """JSON-RPC: turns Odoo's answers into results, `TransientError`, `PermanentError` or `SyncError`."""

    protocol = "JSON-RPC"

    def __init__(self, url: str, database: str, timeout: float, doubt_seconds: float = 0.0) -> None:
        super().__init__(url, database, timeout, doubt_seconds)
        self.endpoint = f"{self.url}/jsonrpc"
        self._ids = itertools.count(1)
        self.uid: int | None = None
        self._secret = ""

    def rpc(self, service: str, method: str, *args: Any, creates: bool = False, model: str = "") -> Any:
        """One JSON-RPC call. `creates`: a lost answer leaves the record in doubt (TransientError.settle)."""
        params = {"service": service, "method": method, "args": list(args)}
        return self.post_envelope(self.endpoint, params, method, creates, model)

    def post_envelope(self, endpoint: str, params: dict[str, Any], what: str, creates: bool = False, model: str = "") -> Any:
        body = {"jsonrpc": "2.0", "method": "call", "id": next(self._ids), "params": params}
        response = self._post(endpoint, what, creates, json=body)
        status = response.status_code
        if status in RETRY_STATUS or status >= 500:
            raise self._busy(response, creates)
        if status in (404, 405):
            raise SyncError(f"no Odoo JSON-RPC at {endpoint} (HTTP {status}): check [odoo] url")
        if status in (401, 403):
            raise SyncError(f"{endpoint} refused access (HTTP {status}): check the proxy in front of Odoo")
        if status != 200:
            raise SyncError(f"{endpoint} answered HTTP {status}: not Odoo's JSON-RPC; check [odoo] url")
        data = _json(response)
        if not isinstance(data, dict) or data.get("jsonrpc") != "2.0" or not ("result" in data or "error" in data):
            raise SyncError(f"{endpoint} does not answer like Odoo (got {_kind(response)}, not JSON-RPC): check [odoo] url")
        if "error" in data:
            raise self._error(data["error"], model)
        return data["result"]

    def _error(self, error: Any, model: str = "") -> Exception:
        data = error.get("data") if isinstance(error, dict) else None
        data = data if isinstance(data, dict) else {}
        message = str(data.get("message") or (error.get("message") if isinstance(error, dict) else "") or "unknown error")
        return odoo_error(str(data.get("name") or ""), message, self.database, model)

    def login(self, login: str, secret: str = "", version: str = "") -> int:
        """`common.authenticate` (~0.5 s of password hashing on the server): once, the uid is kept."""
        self._secret = secret or self._secret
        uid = self.rpc("common", "authenticate", self.database, login, self._secret, {})
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise SyncError(
                f"Odoo {version} refused the login {login!r} on database {self.database!r}: {CREDENTIALS_HINT}"
            )
        self.uid = uid
        return uid

    def execute(self, uid: int, secret: str, model: str, method: str, args: list[Any], kwargs: dict[str, Any] | None = None) -> Any:
        return self.rpc("object", "execute_kw", self.database, uid, secret, model, method, args, kwargs or {},
                        creates=method == "create", model=model)

    def call(self, model: str, method: str, ids: list[int] | None = None, **named: Any) -> Any:
        assert self.uid is not None, "login() first"
        args: list[Any] = [] if ids is None else [ids]
        for name in POSITIONAL.get(method, ()):
            if name in named:
                args.append(named.pop(name))
        return self.execute(self.uid, self._secret, model, method, args, named)

    def create(self, model: str, values: dict[str, Any]) -> int:
        return int(self.call(model, "create", vals_list=values))


class OdooJson2(_Http):
    """Odoo 19's External JSON-2 API: `POST /json/2/<model>/<method>` with named arguments and an API key."""

    protocol = "JSON-2"

    def __init__(self, url: str, database: str, timeout: float, doubt_seconds: float, api_key: str) -> None:
        super().__init__(url, database, timeout, doubt_seconds)
        self.endpoint = f"{self.url}/json/2"
        self._headers = {"Authorization": f"bearer {api_key}"}
        if database:
            self._headers["X-Odoo-Database"] = database
        self.uid: int | None = None

    def login(self, login: str = "") -> int:
        """No login in JSON-2: the API key is the user; `res.users/context_get` says which (its uid)."""
        context = self.call("res.users", "context_get")
        uid = context.get("uid") if isinstance(context, dict) else None
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            raise SyncError(f"{self.endpoint}/res.users/context_get does not answer like Odoo (no uid): check [odoo] url")
        self.uid = uid
        return uid

    def call(self, model: str, method: str, ids: list[int] | None = None, **named: Any) -> Any:
        body = dict(named) if ids is None else {"ids": ids, **named}
        endpoint = f"{self.endpoint}/{model}/{method}"
        creates = method == "create"
        response = self._post(endpoint, method, creates, json=body, headers=self._headers)
        status = response.status_code
        data = _json(response)
        odoo = isinstance(data, dict) and isinstance(data.get("name"), str) and "message" in data
        if status == 200:
            if data is None and response.content.strip() != b"null":
                raise SyncError(f"{endpoint} does not answer like Odoo (got {_kind(response)}, not JSON): check [odoo] url")
            return data
        if odoo and status not in (429, 502, 503, 504):
            raise self._error(status, data, model)
        if status in RETRY_STATUS or status >= 500:
            raise self._busy(response, creates)
        if status == 404 and b"No database is selected" in response.content:
            raise SyncError(f"Odoo has no database {self.database!r}: check [odoo] database")
        if status in (404, 405):
            raise SyncError(f"no Odoo JSON-2 API at {endpoint} (HTTP {status}, {_kind(response)}): check [odoo] url")
        if status in (401, 403):
            raise SyncError(f"{endpoint} refused access (HTTP {status}): check the proxy in front of Odoo")
        raise SyncError(f"{endpoint} answered HTTP {status} ({_kind(response)}): not Odoo's JSON-2 API; check [odoo] url")

    def _error(self, status: int, data: dict[str, Any], model: str) -> Exception:
        name, message = str(data["name"]), str(data.get("message") or "unknown error")
        if status == 401:
            return SyncError(f"Odoo refused the API key ({clean_reason(message)}): {API_KEY_HINT}")
        return odoo_error(name, message, self.database, model)

    def create(self, model: str, values: dict[str, Any]) -> int:
        ids = self.call(model, "create", vals_list=[values])
        if not isinstance(ids, list) or len(ids) != 1:
            raise PermanentError(f"Odoo answered the create of one {model} with {type(ids).__name__}, not one id")
        return int(ids[0])


def probe_version(rpc: OdooRpc) -> tuple[str, int]:
    """The server version ("18.0", "saas~18.3") and its major number, by the one probe 17, 18 and 19 answer."""
    try:
        info = rpc.post_envelope(f"{rpc.url}/web/webclient/version_info", {}, "version_info")
    except SyncError as exc:
        if "(HTTP 404)" not in str(exc) and "(HTTP 405)" not in str(exc):
            raise
        info = rpc.rpc("common", "version")  # only /jsonrpc reaches Odoo through this proxy
    numbers = info.get("server_version_info") if isinstance(info, dict) else None
    major = major_version(str(numbers[0])) if isinstance(numbers, list) and numbers else 0
    if not major or "server_version" not in info:
        raise SyncError(f"{rpc.url} does not answer like Odoo (no server version): check [odoo] url")
    return str(info["server_version"]), major


def major_version(first: str) -> int:
    """The major version from the first item of `server_version_info`: 19 from 19, 18 from "saas~18"; 0 when unreadable."""
    digits = "".join(c if c.isdigit() else " " for c in first).split()
    return int(digits[0]) if digits else 0
