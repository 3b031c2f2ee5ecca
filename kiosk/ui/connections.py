"""The settings' "Test connection" buttons: blocking calls for a worker thread, returning `(ok, message)`.

Each takes the settings as typed in the form (not yet saved) and the secret typed there, else
the stored one, and runs the same check as the command line: `kiosk.ocr.remote.check` (as
`kiosk service check`) and `kiosk.sync.check` (as `kiosk sync --check`). The message is the
check's one line, which never carries the secret.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping

from kiosk.config import Settings


def check_remote(settings: Settings, typed_tokens: Mapping[str, str] | None = None) -> tuple[bool, str]:
    """Each OCR provider: health, version, latency, its token (typed by secret name, else stored) accepted, plain HTTP."""
    from kiosk.ocr.remote.check import check_service

    result = check_service(settings, typed_tokens or None)
    return result.ok, result.line()


def check_sync(settings: Settings, typed_secret: str | None = None) -> tuple[bool, str]:
    """The `[sync] target`: settings, secret, server, login and field mapping (Odoo), token and path (GreenPay)."""
    from kiosk.sync.check import check_target

    result = check_target(settings, typed_secret or None)
    return result.ok, result.summary


def _as(target: str, settings: Settings) -> Settings:
    settings = copy.deepcopy(settings)
    settings.sync.target = target
    return settings


def check_odoo(settings: Settings, typed_secret: str | None = None) -> tuple[bool, str]:
    return check_sync(_as("odoo", settings), typed_secret)


def check_greenpay(settings: Settings, typed_token: str | None = None) -> tuple[bool, str]:
    return check_sync(_as("greenpay", settings), typed_token)
