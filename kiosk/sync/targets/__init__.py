"""Sync targets: `base` (the interface and its failures), `odoo`, `greenpay`; `create_target` picks one.

The factory imports the targets when called, so `base` never depends on them.
"""

from __future__ import annotations

from kiosk.config import Settings, targets_in_use
from kiosk.errors import SyncError
from kiosk.sync.targets.base import Target

__all__ = ["create_target"]


def create_target(settings: Settings, secret: str | None = None, name: str | None = None) -> Target:
    """The target called `name` (None: the one records are routed to, when there is exactly one);
    `secret` replaces the stored one (testing typed settings)."""
    if name is None:
        used = list(targets_in_use(settings))
        name = used[0] if len(used) == 1 else settings.sync.target
    if name == "odoo":
        from kiosk.sync.targets.odoo import OdooTarget

        return OdooTarget(settings, secret)
    if name == "greenpay":
        from kiosk.sync.targets.greenpay import GreenPayTarget

        return GreenPayTarget(settings, secret)
    raise SyncError("no sync target is set: set [sync] target to odoo or greenpay (records stay queued)")
