"""The one connection check of the sync target, for `kiosk sync --check` and the Settings screen's "Test connection".

`check_target(settings, secret)` checks, in this order, and stops at the first problem:

1. a target is chosen (`[sync] target`);
2. its settings are complete (Odoo: url, database, login; GreenPay: url);
3. its secret is there: the one typed in the Settings form, else the stored one;
4. the target accepts the settings, by its own constructor (GreenPay: `[greenpay.body_fields]`
   names record fields);
5. the server, by the target's own `connect()`, as the sync worker does before delivering:
   Odoo: answers like Odoo (server version), accepts the login, has every mapped field of the
   expense, attachment and partner models, the expenses' employee (`employee_id`, else the
   login's own) and an expense product (`product_id`) that costs 0;
   GreenPay: `connect()` makes no request, so one `POST` of an empty JSON object to the
   passports path, without an Idempotency-Key, proves the URL, the path and the token without
   storing anything: GreenPay must refuse it as a record (400/422), after the token (401/403).

The answer is a `ConnectionCheck`: no exception for a problem of the settings or the server, one
line for the screen, further lines for the command. No text carries the secret (the target's
messages name settings, never values of records); `setup` (Odoo's employees and expense
products, to fill in `employee_id` and `product_id`) is read only when asked for.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

import httpx

from kiosk.config import Settings
from kiosk.errors import KioskError, SecretError
from kiosk.secrets import get_secret
from kiosk.sync.targets import create_target
from kiosk.sync.targets.base import DeliveryError, TransientError

__all__ = ["CHECK_TIMEOUT", "ConnectionCheck", "check_target", "target_kinds"]

CHECK_TIMEOUT = 15.0
"""The longest a check waits for one answer, whatever the target's own timeout: someone is waiting for it."""

SECRET_NAMES = {"odoo": "odoo_secret", "greenpay": "greenpay_token"}


@dataclass(frozen=True)
class ConnectionCheck:
    """The outcome of a connection check."""

    ok: bool
    summary: str
    """One line: what the Settings screen shows, and what `kiosk sync --check` prints after `ok:` or `error:`."""
    details: tuple[str, ...] = ()
    """Further lines: what was checked, or how to fix what was not right."""
    retry_later: bool = False
    """The server could not be asked (network, timeout, busy): the settings may well be right."""
    setup: dict[str, Any] = field(default_factory=dict)
    """With `setup=True`, after a good check: what helps fill in the settings (Odoo: employees, expense products)."""

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "summary": self.summary, "details": list(self.details), "retry_later": self.retry_later}


def target_kinds(settings: Settings) -> frozenset[str]:
    """The record kinds the target is checked for: those it can be sent."""
    return frozenset({"passport", "receipt"}) if settings.sync.target == "odoo" else frozenset({"passport"})


def check_target(settings: Settings, secret: str | None = None, *, setup: bool = False) -> ConnectionCheck:
    """Check the `[sync] target` of `settings` (saved or only typed) with `secret` (None: the stored one).

    Blocking, up to a few times `CHECK_TIMEOUT`: call it from a worker thread in the UI. Nothing is
    stored, at the target or on this machine.
    """
    settings = copy.deepcopy(settings)
    typed = secret or None
    result = _check(settings, typed, setup)
    used = typed or _stored(SECRET_NAMES.get(settings.sync.target, ""))
    return _scrub(result, used)


# ------------------------------------------------------------------ the steps


def _fail(summary: str, *details: str, retry_later: bool = False) -> ConnectionCheck:
    return ConnectionCheck(False, summary, tuple(details), retry_later)


def _stored(name: str) -> str | None:
    if not name:
        return None
    try:
        return get_secret(name)
    except SecretError:
        return None


def _check(settings: Settings, typed: str | None, setup: bool) -> ConnectionCheck:
    name = settings.sync.target
    if name not in SECRET_NAMES:
        return _fail("no sync target chosen", "set [sync] target to odoo or greenpay (records stay queued)")
    if name == "odoo":
        missing = [key for key in ("url", "database", "login") if not getattr(settings.odoo, key)]
        if missing:
            return _fail(f"fill in: {', '.join(missing)}", f"set [odoo] {', '.join(missing)}")
        settings.odoo.timeout = min(settings.odoo.timeout, CHECK_TIMEOUT)
    else:
        if not settings.greenpay.url:
            return _fail("no GreenPay URL", "set [greenpay] url")
        settings.greenpay.timeout = min(settings.greenpay.timeout, CHECK_TIMEOUT)
    secret_name = SECRET_NAMES[name]
    secret = typed
    if secret is None:
        try:
            secret = get_secret(secret_name)
        except SecretError as exc:
            return _fail(str(exc))
    if not secret:
        what = "no password or API key" if name == "odoo" else "no token"
        return _fail(what, f"store it with `kiosk secret set {secret_name}`")

    try:
        target = create_target(settings, typed)
    except KioskError as exc:  # SyncError: the target refuses these settings
        return _fail(str(exc))
    try:
        description = target.connect(target_kinds(settings))
        if name == "greenpay":
            return _probe_greenpay(settings, secret)
        found = dict(target.describe_setup()) if setup and hasattr(target, "describe_setup") else {}
        return ConnectionCheck(True, description, _odoo_checked(settings, target), setup=found)
    except TransientError as exc:
        return _fail(str(exc), retry_later=True)
    except (KioskError, DeliveryError) as exc:  # SyncError: settings, credentials, mapping; PermanentError: a refused read
        return _fail(str(exc))
    finally:
        target.close()


def _odoo_checked(settings: Settings, target: Any) -> tuple[str, ...]:
    odoo = settings.odoo
    lines = [
        f"the login is accepted on database {odoo.database}",
        f"mapped fields found in {odoo.expense_model}, ir.attachment and {odoo.partner_model}",
    ]
    employee = getattr(target, "employee_id", 0)
    if employee:
        lines.append(f"expenses go to employee {employee}" + ("" if odoo.employee_id else " (the login's own)"))
    if odoo.product_id:
        lines.append(f"expense product {odoo.product_id} found, with a cost of 0")
    return tuple(lines)


def _probe_greenpay(settings: Settings, token: str) -> ConnectionCheck:
    """POST `{}` without an Idempotency-Key to the passports path: GreenPay must refuse it as a record.

    The contract has no health endpoint; a 2xx means the backend stored an empty record, which is
    reported as its problem.
    """
    greenpay = settings.greenpay
    url = greenpay.url.rstrip("/") + greenpay.passports_path
    try:
        response = httpx.post(
            url,
            json={},
            headers={"Authorization": f"Bearer {token}"},
            timeout=greenpay.timeout,
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        return _fail(f"GreenPay at {greenpay.url} did not answer in time", retry_later=True)
    except httpx.HTTPError as exc:
        return _fail(f"cannot reach GreenPay at {greenpay.url}: {type(exc).__name__}", retry_later=True)
    status = response.status_code
    if status in (401, 403):
        return _fail(f"GreenPay refused the token (HTTP {status})", "check the greenpay_token secret")
    if status in (404, 405):
        return _fail(f"GreenPay has no {greenpay.passports_path} (HTTP {status}): check the URL", "check [greenpay] url and passports_path")
    if 300 <= status < 400:
        where = response.headers.get("Location", "elsewhere")
        return _fail(f"GreenPay redirects (HTTP {status}): check the URL", f"it redirects to {where}: set [greenpay] url to the final address")
    if status >= 500:
        return _fail(f"GreenPay is failing (HTTP {status})", retry_later=True)
    if response.headers.get("content-type", "").startswith("text/html"):
        return _fail(f"{url} answers with a web page, not GreenPay")
    if 200 <= status < 300:
        return _fail(f"GreenPay accepted an empty test record (HTTP {status}): it should validate records")
    return ConnectionCheck(
        True,
        f"GreenPay answers at {greenpay.url} and accepts the token",
        (f"POST {greenpay.passports_path} without a record: refused with HTTP {status}, as it should be",),
    )


# ------------------------------------------------------------------ helpers


def _scrub(result: ConnectionCheck, secret: str | None) -> ConnectionCheck:
    """The check with the secret cut out of its texts, should a server have echoed it."""
    if not secret or len(secret) < 4:
        return result

    def clean(text: str) -> str:
        return text.replace(secret, "***")

    return ConnectionCheck(result.ok, clean(result.summary), tuple(clean(d) for d in result.details), result.retry_later, result.setup)
