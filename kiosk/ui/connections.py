"""The settings' "Test connection" buttons, without Qt: blocking calls for a worker thread.

Each check takes the settings as typed in the form (not yet saved) and the
secret typed there, else the stored one, and returns `(ok, message)` with a
message for the operator that never carries the secret.
"""

from __future__ import annotations

import copy
from typing import Any

import httpx

from kiosk.config import Settings
from kiosk.errors import KioskError
from kiosk.secrets import get_secret


def _secret(typed: str | None, name: str) -> str | None:
    if typed:
        return typed
    try:
        return get_secret(name)
    except KioskError:
        return None


def check_remote(settings: Settings, typed_token: str | None = None) -> tuple[bool, str]:
    """`GET /health` of the remote OCR service."""
    from kiosk.ocr.remote.client import RemoteOcr

    if not settings.remote.url:
        return False, "no OCR service URL"
    token = _secret(typed_token, "ocr_token")
    try:
        with RemoteOcr(settings.remote, token, receipt=settings.receipt) as client:
            health = client.health()
    except KioskError as exc:
        return False, str(exc)
    what = " ".join(filter(None, [health.service, health.version]))
    latency = f"{health.latency * 1000:.0f} ms"
    token_note = "" if token else "; no token stored: scans will be refused"
    if health.up:
        return True, f"up ({what + ', ' if what else ''}{latency}){token_note}"
    return False, f"answers but is not up: status {health.status!r}"


def check_odoo(settings: Settings, typed_secret: str | None = None) -> tuple[bool, str]:
    """Log in to Odoo and check that every mapped field of the expense and partner models exists."""
    from kiosk.sync.targets.odoo import OdooRpc

    odoo = settings.odoo
    missing = [name for name in ("url", "database", "login") if not getattr(odoo, name)]
    if missing:
        return False, f"fill in: {', '.join(missing)}"
    secret = _secret(typed_secret, "odoo_secret")
    if not secret:
        return False, "no password or API key"
    rpc = OdooRpc(odoo.url, odoo.database, min(odoo.timeout, 15.0))
    try:
        info = rpc.call("common", "version")
        if not isinstance(info, dict) or "server_version" not in info:
            return False, f"{odoo.url} does not answer like Odoo"
        version = str(info["server_version"])
        uid = rpc.call("common", "authenticate", odoo.database, odoo.login, secret, {})
        if not isinstance(uid, int) or isinstance(uid, bool) or uid <= 0:
            return False, f"Odoo {version} refused the login {odoo.login!r} on database {odoo.database!r}"
        problems = []
        for model, mapping in ((odoo.expense_model, odoo.expense_fields), (odoo.partner_model, odoo.partner_fields)):
            wanted = [f for f in mapping.values() if f]
            try:
                found: Any = rpc.execute(uid, secret, model, "fields_get", [wanted], {"attributes": ["type"]})
            except KioskError as exc:
                problems.append(f"{model}: {exc}")
                continue
            except Exception as exc:  # PermanentError / TransientError from the RPC layer
                problems.append(f"{model}: {exc}")
                continue
            absent = [f for f in wanted if not isinstance(found, dict) or f not in found]
            if absent:
                problems.append(f"{model} has no field {', '.join(absent)}")
        if problems:
            return False, f"Odoo {version}, logged in, but " + "; ".join(problems)
        return True, f"Odoo {version}: logged in as {odoo.login}, fields checked"
    except KioskError as exc:
        return False, str(exc)
    except Exception as exc:  # TransientError (network) is not a KioskError
        return False, str(exc) or type(exc).__name__
    finally:
        rpc.close()


def check_greenpay(settings: Settings, typed_token: str | None = None) -> tuple[bool, str]:
    """POST an empty JSON object, without an Idempotency-Key, to the passports path: GreenPay must refuse it.

    The contract has no health endpoint, so this is the one request that
    proves the URL, the path and the token without storing anything: a
    GreenPay backend refuses a body without a record (400/422) after
    checking the token (401/403). A 2xx means it stored an empty record,
    which is reported as a problem of the backend.
    """
    greenpay = settings.greenpay
    if not greenpay.url:
        return False, "no GreenPay URL"
    token = _secret(typed_token, "greenpay_token")
    if not token:
        return False, "no token"
    url = greenpay.url.rstrip("/") + greenpay.passports_path
    try:
        response = httpx.post(
            url,
            json={},
            headers={"Authorization": f"Bearer {token}"},
            timeout=min(greenpay.timeout, 15.0),
            follow_redirects=False,
        )
    except httpx.TimeoutException:
        return False, f"GreenPay at {greenpay.url} did not answer in time"
    except httpx.HTTPError as exc:
        return False, f"cannot reach GreenPay at {greenpay.url}: {type(exc).__name__}"
    status = response.status_code
    if status in (401, 403):
        return False, f"GreenPay refused the token (HTTP {status})"
    if status in (404, 405):
        return False, f"GreenPay has no {greenpay.passports_path} (HTTP {status}): check the URL"
    if 300 <= status < 400:
        return False, f"GreenPay redirects (HTTP {status}): check the URL"
    if status >= 500:
        return False, f"GreenPay is failing (HTTP {status})"
    if response.headers.get("content-type", "").startswith("text/html"):
        return False, f"{url} answers with a web page, not GreenPay"
    if 200 <= status < 300:
        return False, f"GreenPay accepted an empty test record (HTTP {status}): it should validate records"
    return True, f"GreenPay answers at {greenpay.url} and accepts the token"


def check_sync(settings: Settings, typed_secret: str | None = None) -> tuple[bool, str]:
    settings = copy.deepcopy(settings)
    if settings.sync.target == "odoo":
        return check_odoo(settings, typed_secret)
    if settings.sync.target == "greenpay":
        return check_greenpay(settings, typed_secret)
    return False, "no sync target chosen"
