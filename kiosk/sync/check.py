"""The one connection check of the sync targets, for `kiosk sync --check` and the Settings screen's "Test connection".

`check_target(settings, secret)` checks each target records are routed to (`kiosk.config.targets_in_use`:
receipts and passports may go to different ones), or the one called `name`; for each, in this order,
it stops at the first problem:

1. a target is chosen (`[sync] target`, `passports`, `receipts`);
2. its settings are complete (Odoo: url, database, and login unless `[odoo] protocol = "json2"`; GreenPay: url);
3. its secret is there: the one typed in the Settings form, else the stored one;
4. the target accepts the settings, by its own constructor (GreenPay: `[greenpay.body_fields]`
   names record fields);
5. the server, by the target's own `connect()`, as the sync worker does before delivering:
   Odoo: answers like Odoo (server version, which picks JSON-2 or JSON-RPC), accepts the login or API key,
   has every mapped field of the
   expense, attachment and partner models, the expenses' employee (`employee_id`, else the
   login's own) and an expense product (`product_id`) that costs 0;
   GreenPay: `connect()` makes no request, so the check makes one with the token: `GET
   [greenpay] check_path` when set (GreenPay's health, `{"status": "ok"}`), else a `POST` of an
   empty JSON object to the passports path without an Idempotency-Key, which proves the URL, the
   path and the token without storing anything: GreenPay must refuse it as a record (400/422,
   its error in JSON), after the token (401/403). Nothing listening, no answer in time, a refused
   token and a server that is not GreenPay (a web page, no such path, JSON of another shape)
   are reported apart.

The answer is a `ConnectionCheck`: no exception for a problem of the settings or the server, one
line for the screen, further lines for the command. No text carries the secret (the target's
messages name settings, never values of records); `setup` (Odoo's employees and expense
products, to fill in `employee_id` and `product_id`) is read only when asked for.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import httpx

from kiosk.config import Settings, targets_in_use
from kiosk.errors import KioskError, SecretError
from kiosk.http_util import error_detail
from kiosk.secrets import get_secret
from kiosk.sync.targets import create_target
from kiosk.sync.targets.base import DeliveryError, TransientError
from kiosk.sync.targets.odoo import required_settings

__all__ = ["CHECK_TIMEOUT", "ConnectionCheck", "check_target", "target_kinds"]

TARGET_NAMES = {"odoo": "Odoo", "greenpay": "GreenPay"}

CHECK_TIMEOUT = 15.0
"""The longest a check waits for one answer, whatever the target's own timeout: someone is waiting for it."""

SECRET_NAMES = {"odoo": "odoo_secret", "greenpay": "greenpay_token"}
HEALTHY = ("ok", "healthy")
"""A GreenPay health answer's `status` when it is up (the seeds' services say one or the other)."""


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


def target_kinds(settings: Settings, name: str) -> frozenset[str]:
    """The record kinds a target is checked for: those routed to it (all it takes when none is)."""
    routed = targets_in_use(settings).get(name)
    if routed:
        return routed
    return frozenset({"passport", "receipt"}) if name == "odoo" else frozenset({"passport"})


def check_target(
    settings: Settings, secret: str | Mapping[str, str] | None = None, *, setup: bool = False, name: str | None = None
) -> ConnectionCheck:
    """Check the targets of `settings` (saved or only typed), or the one called `name`.

    `secret`: the secret typed for the one target, or typed secrets by name (`odoo_secret`,
    `greenpay_token`); None or a missing name: the stored one. With two targets, the answer is one
    check whose lines name each. Blocking, up to a few times `CHECK_TIMEOUT` per target: call it from a
    worker thread in the UI. Nothing is stored, at the target or on this machine.
    """
    names = [name] if name else list(targets_in_use(settings))
    if not names:
        return _fail("no sync target chosen", "set [sync] target (or passports and receipts) to odoo or greenpay (records stay queued)")
    results = [(each, _check_one(settings, each, _typed(secret, each), setup)) for each in names]
    if len(results) == 1:
        return results[0][1]
    return ConnectionCheck(
        all(r.ok for _, r in results),
        "; ".join(f"{TARGET_NAMES[n]}: {r.summary}" for n, r in results),
        tuple(f"{TARGET_NAMES[n]}: {line}" for n, r in results for line in r.details),
        any(r.retry_later for _, r in results),
        {key: value for _, r in results for key, value in r.setup.items()},
    )


def _typed(secret: str | Mapping[str, str] | None, name: str) -> str | None:
    if isinstance(secret, Mapping):
        return secret.get(SECRET_NAMES.get(name, "")) or None
    return secret or None


def _check_one(settings: Settings, name: str, typed: str | None, setup: bool) -> ConnectionCheck:
    settings = copy.deepcopy(settings)
    result = _check(settings, name, typed, setup)
    used = typed or _stored(SECRET_NAMES.get(name, ""))
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


def _check(settings: Settings, name: str, typed: str | None, setup: bool) -> ConnectionCheck:
    if name not in SECRET_NAMES:
        return _fail("no sync target chosen", "set [sync] target to odoo or greenpay (records stay queued)")
    if name == "odoo":
        missing = [key for key in required_settings(settings.odoo.protocol) if not getattr(settings.odoo, key)]
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
        target = create_target(settings, typed, name)
    except KioskError as exc:  # SyncError: the target refuses these settings
        return _fail(str(exc))
    try:
        description = target.connect(target_kinds(settings, name))
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
    protocol = getattr(getattr(target, "client", None), "protocol", "JSON-RPC")
    lines = [
        f"the {'API key' if protocol == 'JSON-2' else 'login'} is accepted on database {odoo.database} ({protocol})",
        f"mapped fields found in {odoo.expense_model}, ir.attachment and {odoo.partner_model}",
    ]
    employee = getattr(target, "employee_id", 0)
    if employee:
        lines.append(f"expenses go to employee {employee}" + ("" if odoo.employee_id else " (the login's own)"))
    if odoo.product_id:
        lines.append(f"expense product {odoo.product_id} found, with a cost of 0")
    return tuple(lines)


def _probe_greenpay(settings: Settings, token: str) -> ConnectionCheck:
    """One request with the token: `GET [greenpay] check_path`, or without one a POST of `{}` to the passports path.

    The POST carries no Idempotency-Key, so GreenPay must refuse it as a record (400/422, with its
    error in JSON) after accepting the token; a 2xx means the backend stored an empty record,
    reported as its problem. A check path must check the token and answer `{"status": "ok"}`.
    """
    greenpay = settings.greenpay
    path = greenpay.check_path or greenpay.passports_path
    method = "GET" if greenpay.check_path else "POST"
    try:
        response = httpx.request(
            method,
            greenpay.url.rstrip("/") + path,
            json=None if greenpay.check_path else {},
            headers={"Authorization": f"Bearer {token}"},
            timeout=greenpay.timeout,
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        return _fail(
            f"GreenPay at {greenpay.url} did not answer within {greenpay.timeout:g} s",
            "it may be busy or the network slow; if this lasts, check that GreenPay is running",
            retry_later=True,
        )
    except httpx.HTTPError as exc:
        return _fail(
            f"cannot reach GreenPay at {greenpay.url}: nothing answers there ({type(exc).__name__})",
            "check that GreenPay is running and that [greenpay] url names its host and port",
            retry_later=True,
        )
    problem = _greenpay_status_problem(settings, path, response)
    if problem is not None:
        return problem
    return _greenpay_answer(settings, method, path, response)


def _greenpay_status_problem(settings: Settings, path: str, response: httpx.Response) -> ConnectionCheck | None:
    """What the status of GreenPay's answer says is wrong, before its body is read; None when nothing."""
    greenpay, status = settings.greenpay, response.status_code
    setting = "check_path" if greenpay.check_path else "passports_path"
    if status in (401, 403):
        return _fail(f"GreenPay refused the token (HTTP {status})", "check the greenpay_token secret")
    if status in (404, 405):
        return _fail(
            f"GreenPay has no {path} (HTTP {status}): check the URL",
            f"{greenpay.url} is not GreenPay, or not at this address: check [greenpay] url and {setting}",
        )
    if 300 <= status < 400:
        where = response.headers.get("Location", "elsewhere")
        return _fail(f"GreenPay redirects (HTTP {status}): check the URL", f"it redirects to {where}: set [greenpay] url to the final address")
    if status in (408, 429):
        return _fail(f"GreenPay is busy (HTTP {status})", "it did not look at the request: try again in a minute", retry_later=True)
    if status >= 500:
        return _fail(f"GreenPay is failing (HTTP {status})", "the server answered but could not work: ask its administrator", retry_later=True)
    if response.headers.get("content-type", "").startswith("text/html"):
        return _fail(f"{greenpay.url}{path} answers with a web page, not GreenPay", "check [greenpay] url: a web server or a login portal answered")
    return None


def _greenpay_answer(settings: Settings, method: str, path: str, response: httpx.Response) -> ConnectionCheck:
    """The check's outcome from an answer whose status was not a problem: is it GreenPay's?"""
    greenpay, status = settings.greenpay, response.status_code
    try:
        data = response.json()
    except ValueError:
        data = None
    if method == "POST":
        if 200 <= status < 300:
            return _fail(f"GreenPay accepted an empty test record (HTTP {status}): it should validate records")
        if not error_detail(data):
            return _not_greenpay(settings, path, f"refused the empty test record with HTTP {status} but no error in JSON")
        checked = f"POST {path} without a record: refused with HTTP {status}, as it should be"
    else:
        health = data.get("status") if isinstance(data, dict) else None
        if not 200 <= status < 300 or not isinstance(health, str):
            return _not_greenpay(settings, path, f"answered HTTP {status} without a JSON status")
        if health.lower() not in HEALTHY:
            return _fail(f"GreenPay says it is not well (status {health[:40]!r})", "ask its administrator", retry_later=True)
        checked = f"GET {path} with the token: status {health.lower()}"
    return ConnectionCheck(True, f"GreenPay answers at {greenpay.url} and accepts the token", (checked,))


def _not_greenpay(settings: Settings, path: str, what: str) -> ConnectionCheck:
    setting = "check_path" if settings.greenpay.check_path else "passports_path"
    return _fail(
        f"{settings.greenpay.url}{path} does not answer like GreenPay",
        f"it {what}: check [greenpay] url and {setting}",
    )


# ------------------------------------------------------------------ helpers


def _scrub(result: ConnectionCheck, secret: str | None) -> ConnectionCheck:
    """The check with the secret cut out of its texts, should a server have echoed it."""
    if not secret or len(secret) < 4:
        return result

    def clean(text: str) -> str:
        return text.replace(secret, "***")

    return ConnectionCheck(result.ok, clean(result.summary), tuple(clean(d) for d in result.details), result.retry_later, result.setup)
