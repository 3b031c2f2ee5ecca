"""Sync targets: `base` (the interface and its failures), `odoo`, `greenpay`; `create_target` picks one.

The factory imports the targets when called, so `base` never depends on them.
"""

from __future__ import annotations

from kiosk.config import Settings
from kiosk.errors import SyncError
from kiosk.sync.targets.base import Target

__all__ = ["create_target"]


def create_target(settings: Settings, secret: str | None = None) -> Target:
    """The target named by `[sync] target`; `secret` replaces the stored one (testing typed settings)."""
    if settings.sync.target == "odoo":
        from kiosk.sync.targets.odoo import OdooTarget

        return OdooTarget(settings, secret)
    if settings.sync.target == "greenpay":
        from kiosk.sync.targets.greenpay import GreenPayTarget

        return GreenPayTarget(settings, secret)
    raise SyncError("no sync target is set: set [sync] target to odoo or greenpay (records stay queued)")
