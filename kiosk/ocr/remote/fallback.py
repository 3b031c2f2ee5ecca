"""When to ask the remote OCR service, and how its answer and the local read become one record.

Policy (`[remote] policy`):
- `off` (default): never ask the service, not even when the operator asks.
- `manual`: only when the operator asks ("Try OCR service", `kiosk scan --remote`).
- `auto`: also when the final local read failed (no MRZ, check
  digits failing once the capture timeout has passed: pass the best read
  then, with `failed=True`) or its confidence is below `[ocr] confidence_threshold`.

The command line follows the same policy: `kiosk scan --fallback` asks the
service only when this policy would (so never under `manual`), and
`kiosk scan --remote` is the operator asking.

When both answered, `merge()` (`kiosk.ocr.remote.merge`) keeps per field the
value a check proved (edited by hand > proved > valid > read at all > more
confident), each field keeping its `source`; where the two reads disagree the
record is not `ok` and the field names both values for the operator. When the
service fails, `read_with_fallback()` keeps the local result usable and
carries the service's error to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.config import Settings
from kiosk.errors import KioskError
from kiosk.ocr.remote.merge import merge
from kiosk.records import SOURCE_LOCAL, SOURCE_REMOTE, Record
from kiosk.status import Status

__all__ = [
    "VIA_BOTH",
    "VIA_LOCAL",
    "VIA_REMOTE",
    "FallbackOutcome",
    "local_read_problem",
    "merge",
    "read_with_fallback",
    "remote_allowed",
    "should_ask_remote",
    "via",
]

VIA_LOCAL = "local"
VIA_REMOTE = "remote"
VIA_BOTH = "local+remote"


def remote_allowed(settings: Settings) -> str | None:
    """Why the service cannot be used at all with these settings, or None when it can."""
    if settings.remote.policy == "off":
        return "the OCR service is turned off ([remote] policy = off)"
    if not settings.remote.configured:
        return "no OCR service configured ([[remote.receipt]] or [[remote.mrz]] url)"
    return None


def local_read_problem(local: Record | None, threshold: float) -> str | None:
    """What is wrong with a final local read, in words for the operator; None when it is good enough."""
    if local is None:
        return "nothing was read locally"
    if local.status == Status.NO_MRZ:
        return "no MRZ found locally"
    if local.status == Status.NO_RECEIPT:
        return "no receipt found locally"
    if local.status != Status.OK:
        return f"local read {local.status}{': ' + local.reason if local.reason else ''}"
    if local.confidence < threshold:
        return f"local confidence {local.confidence:.2f} is below {threshold:.2f}"
    return None


def should_ask_remote(local: Record | None, settings: Settings, operator_asked: bool = False, failed: bool = False) -> bool:
    """Whether to send the image to the service, per `[remote] policy`: the one rule, for the app and the CLI.

    `local` is the final local read (None when there is none, e.g. the
    engine failed); `operator_asked` is the "Try OCR service" button (or
    `kiosk scan --remote`); `failed` says the capture ended without a certain
    read (e.g. its timeout), whatever the partial read looks like.
    """
    if remote_allowed(settings) is not None:
        return False
    if operator_asked:
        return True
    if settings.remote.policy != "auto":
        return False
    return failed or local_read_problem(local, settings.ocr.confidence_threshold) is not None


def via(record: Record | None) -> str:
    """Where a record's read values came from: `local`, `remote` or `local+remote` (hand edits aside)."""
    if record is None:
        return VIA_LOCAL
    sources = {f.source for f in record.fields.values() if f.value is not None}
    if SOURCE_REMOTE in sources:
        return VIA_BOTH if SOURCE_LOCAL in sources else VIA_REMOTE
    return VIA_LOCAL


@dataclass
class FallbackOutcome:
    """What to show: the record, where it came from, and the service's error if it failed."""

    record: Record | None
    """The merged record; the local one when the service was not asked or failed; None when neither read."""
    local: Record | None
    remote: Record | None
    asked: bool
    """Whether the service was asked."""
    remote_error: KioskError | None = None
    reason: str = ""
    """Why the service was asked (or why it could not be), for the operator."""
    provider: str = ""
    """The URL of the provider that answered ("" when none did)."""

    @property
    def via(self) -> str:
        return via(self.record)

    @property
    def remote_error_text(self) -> str | None:
        return str(self.remote_error) if self.remote_error is not None else None

    def json_extra(self) -> dict[str, object]:
        """`via`, and `remote_error` when the service was asked and failed: added to the record's JSON."""
        extra: dict[str, object] = {"via": self.via}
        if self.remote_error is not None:
            extra["remote_error"] = str(self.remote_error)
            extra["remote_error_kind"] = getattr(self.remote_error, "kind", "error")
        return extra


def read_with_fallback(
    kind: str,
    image: bytes | np.ndarray,
    local: Record | None,
    settings: Settings,
    *,
    operator_asked: bool = False,
    force: bool = False,
    client: Any = None,
    client_factory: Callable[[Settings], Any] | None = None,
    failed: bool = False,
) -> FallbackOutcome:
    """Ask the service when the policy says so (or `force`, for `--remote`-style use) and merge.

    Never raises for a service failure: the outcome carries it in
    `remote_error` and the local record stays the result. `client` is a
    `RemoteOcr` to reuse (keep one per app for its circuit breaker);
    otherwise one is made from `settings` and closed again. Blocking: call it
    from a worker thread, never the UI thread.
    """
    if force:
        problem = remote_allowed(settings)
        if problem is not None:
            return FallbackOutcome(local, local, None, False, None, problem)
        reason = "asked for the OCR service"
    elif not should_ask_remote(local, settings, operator_asked, failed):
        return FallbackOutcome(local, local, None, False, None, remote_allowed(settings) or "")
    else:
        reason = "operator asked" if operator_asked else local_read_problem(local, settings.ocr.confidence_threshold) or ("no certain read" if failed else "")
    own = client is None
    try:
        if client is None:
            if client_factory is None:
                from kiosk.ocr.remote.client import RemoteOcr

                client_factory = RemoteOcr.from_settings
            client = client_factory(settings)
        try:
            answer = client.read(kind, image)
        finally:
            if own:
                client.close()
    except KioskError as exc:
        return FallbackOutcome(local, local, None, True, exc, reason)
    return FallbackOutcome(merge(local, answer.record), local, answer.record, True, None, reason, answer.provider)
