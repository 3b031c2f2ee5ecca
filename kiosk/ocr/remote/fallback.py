"""When to ask the remote OCR service, and how its answer and the local read become one record.

Policy (`[remote] policy`):
- `off`: never ask the service, not even when the operator asks.
- `manual`: only when the operator asks ("Try OCR service", `kiosk scan --remote`).
- `auto` (default): also when the final local read failed (no MRZ, check
  digits failing once the capture timeout has passed: pass the best read
  then, with `failed=True`) or its confidence is below `[ocr] confidence_threshold`.

The command line follows the same policy: `kiosk scan --fallback` asks the
service only when this policy would (so never under `manual`), and
`kiosk scan --remote` is the operator asking.

When both answered, `merge()` keeps per field the better-validated value
(edited by hand > valid > read at all > more confident), each field keeping
its `source`, so the operator sees where every value came from. When the
service fails, `read_with_fallback()` keeps the local result usable and
carries the service's error to show.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from kiosk.config import Settings
from kiosk.errors import KioskError
from kiosk.status import Status, rank
from kiosk.records import SOURCE_EDITED, SOURCE_LOCAL, SOURCE_REMOTE, Field, Record, same_value

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
    if not settings.remote.url:
        return "no OCR service configured ([remote] url)"
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


def _record_rank(record: Record) -> tuple[int, int, float]:
    valid = sum(1 for f in record.fields.values() if f.value is not None and f.valid)
    return rank(record.status), valid, record.confidence


def _field_rank(item: Field) -> tuple[bool, bool, bool, float]:
    read = item.value is not None
    return item.source == SOURCE_EDITED, read and item.valid, read, item.confidence


def merge(local: Record | None, remote: Record | None) -> Record:
    """One record from a local and a remote read of the same document.

    The better record as a whole (status, then valid fields, then
    confidence) is the base: its MRZ lines, checks and format are kept.
    Each field is the better of the two (edited > valid > read > more
    confident; the base wins ties) and keeps its `source`. A field where both
    read different values says so in its `reason`. The status stays the
    base's when no field came from the other read; a mix is `ok` only if the
    base was `ok` and every field is valid, otherwise `invalid` with a reason
    asking the operator to check. The id, timestamps and operator are the
    local record's, since it is the same scan.
    """
    if remote is None:
        if local is None:
            raise ValueError("merge needs at least one record")
        return local
    if local is None:
        return remote
    if type(local) is not type(remote):
        raise TypeError(f"cannot merge a {local.kind} record with a {remote.kind} record")
    base, other = (remote, local) if _record_rank(remote) > _record_rank(local) else (local, remote)
    fields: dict[str, Field] = {}
    mixed = False
    for name in base.FIELDS:
        mine, theirs = base.fields.get(name), other.fields.get(name)
        if mine is None and theirs is None:
            continue
        if mine is None or (theirs is not None and _field_rank(theirs) > _field_rank(mine)):
            chosen = theirs
            mixed = mixed or (theirs is not None and theirs.value is not None)
        else:
            chosen = mine
        assert chosen is not None
        if (
            mine is not None and theirs is not None
            and mine.value is not None and theirs.value is not None
            and not same_value(mine.value, theirs.value)
            and chosen.source != SOURCE_EDITED
            and not chosen.reason
        ):
            chosen = replace(chosen, reason="the local read and the OCR service differ")
        fields[name] = chosen
    status, reason = base.status, base.reason
    if mixed:
        all_valid = all(f.valid for f in fields.values() if f.value is not None)
        if base.status == "ok" and all_valid:
            status, reason = "ok", ""
        else:
            status = "invalid"
            reason = "fields combined from the local read and the OCR service: check them"
    return replace(
        base,
        fields=fields,
        status=status,
        reason=reason,
        id=local.id,
        created_at=local.created_at,
        confirmed_at=local.confirmed_at,
        operator=local.operator,
        kiosk_id=local.kiosk_id,
    )


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
            remote = client.scan(kind, image)
        finally:
            if own:
                client.close()
    except KioskError as exc:
        return FallbackOutcome(local, local, None, True, exc, reason)
    return FallbackOutcome(merge(local, remote), local, remote, True, None, reason)
