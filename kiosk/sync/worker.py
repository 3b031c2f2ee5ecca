"""The delivery worker: takes due records from the outbox, oldest first, and hands each to its kind's target.

- Routing: each kind goes to its own target (`kiosk.config.route`: `[sync] passports`, `receipts`, else
  `target`); a kind no target takes stays queued on the kiosk. One `Target` is made per target in use.
- Each record is due at its own next attempt: a record backing off never holds up the others.
- Transient errors (network, timeout, 5xx, 429): the same record is tried again
  after an exponential backoff with jitter. When a create's answer was lost (or the process
  died mid-send) at a target that is not idempotent by itself (Odoo), the
  create may still be running there, so the record waits `settle_seconds`
  before it is looked for. Two transient failures in a row at one target (or one when connecting)
  pause that target, not the records: nothing is tried there until the pause ends. When a target
  delivers again (after such a pause, or for the first time in a pass), the records backing off there
  since it was down are due at once: the target is back, they need not wait any longer.
- Permanent errors (validation, missing field): the record is marked `failed`
  with the server's reason (personal data cut out) and the next one goes.
- Target errors (wrong credentials, not Odoo, a mapped field missing): the record goes back to
  `pending`, that target is left alone for the rest of the pass, the others go on, and the pass
  ends saying why. A full disk stops the pass at once.
- Demo and self-test records never leave the kiosk (`kiosk.sync.outbox.LOCAL_ORIGINS`).
Only one worker sends from an outbox at a time (an OS file lock), whether it
runs in the UI's thread or as `kiosk sync`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable, Iterable

from kiosk.config import Settings, route, targets_in_use
from kiosk.errors import KioskError, SyncError
from kiosk.sync.crypto import DecryptError
from kiosk.sync.outbox import PENDING, SENDING, Outbox, OutboxItem, OutboxStatus, open_outbox
from kiosk.sync.targets import create_target
from kiosk.sync.targets.base import DeliveryError, PermanentError, Target, TransientError, redact

log = logging.getLogger("kiosk.sync")


@dataclass
class Backoff:
    """Exponential backoff with "equal jitter": half the delay fixed, half random."""

    base: float
    maximum: float
    rng: random.Random

    def delay(self, attempts: int, retry_after: float | None = None) -> float:
        exp = min(self.maximum, self.base * 2 ** max(0, attempts - 1))
        delay = exp / 2 + self.rng.uniform(0, exp / 2)
        if retry_after is not None:
            delay = max(delay, min(retry_after, self.maximum))
        return delay


@dataclass
class RunSummary:
    sent: int = 0
    failed: int = 0
    retries: int = 0
    """Transient errors met (each one a later retry of the same record)."""
    pending: int = 0
    """Records still waiting after the pass (pending or interrupted while sending)."""
    error: str | None = None
    """Why the pass stopped early, when the target or the outbox could not be used."""
    target: str = ""
    seconds: float = 0.0
    waiting: str = ""
    """Why the last attempt failed, when records still wait for a retry (the target down, busy)."""

    def line(self, with_error: bool = True) -> str:
        """One line; `with_error=False` when the caller says the error itself (`kiosk sync --once` on stderr)."""
        text = f"sync: {self.sent} sent, {self.failed} failed, {self.pending} pending ({self.retries} retries, {self.seconds:.1f} s)"
        if self.error:
            return f"{text}; stopped: {self.error}" if with_error else text
        return f"{text}; waiting: {self.waiting}" if self.pending and self.waiting else text

    def to_json(self) -> dict[str, object]:
        return {
            "sent": self.sent,
            "failed": self.failed,
            "pending": self.pending,
            "retries": self.retries,
            "error": self.error,
            "target": self.target,
            "waiting": self.waiting or None,
            "seconds": round(self.seconds, 3),
        }


@dataclass
class _Link:
    """One target during a pass: made and connected when first needed; paused or left alone after a failure."""

    name: str
    kinds: frozenset[str]
    target: Target | None = None
    connected: bool = False
    failures: int = 0
    """Transient failures in a row (connecting or delivering); a delivery resets it."""
    paused_until: float = 0.0
    error: str = ""
    """Why the target cannot be used (settings, credentials, server): nothing more goes there this pass."""
    delivered: bool = False

    def open(self, now: float) -> bool:
        return not self.error and self.paused_until <= now


PAUSE_AFTER = 2
"""Transient delivery failures in a row, on different records, after which a target counts as down and is paused."""


class DeliveryWorker:
    """Delivers an outbox's records to their targets. `run_pass()` for one go, `run_forever()` for a service."""

    def __init__(
        self,
        outbox: Outbox,
        settings: Settings,
        target_factory: Callable[[str], Target],
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        on_retry: Callable[[str, float], None] | None = None,
    ) -> None:
        """`target_factory(name)` makes the target called `name`; `on_retry(reason, delay)`: told of each failed
        attempt that will be retried (`kiosk sync --once` prints it)."""
        self.outbox = outbox
        self.settings = settings
        self.sync = settings.sync
        self.target_factory = target_factory
        self.backoff = Backoff(self.sync.backoff_seconds, self.sync.backoff_max_seconds, rng or random.Random())
        self.clock = clock
        self.on_retry = on_retry
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()

    def stop(self) -> None:
        self.stop_event.set()
        self.wake_event.set()

    def wake(self) -> None:
        """A record was queued (or a person asked for a sync): look now rather than at the next poll."""
        self.wake_event.set()

    def run_pass(self, max_seconds: float | None = None, due_now: bool = False) -> RunSummary:
        """Deliver what is due, waiting out backoffs that end within `max_seconds` (None: no limit).

        `due_now`: a person asked (`kiosk sync --once`): each waiting record gets
        one attempt at once, whatever its retry time; backoff applies after that.
        """
        summary = RunSummary()
        started = self.clock()
        try:
            with self.outbox.worker_lock():
                self._deliver_all(summary, None if max_seconds is None else started + max_seconds, due_now)
            self.outbox.purge(self.sync.retention_days)
        except SyncError as exc:
            summary.error = str(exc)
            log.info("sync stopped: %s", exc)
        try:
            status = self.outbox.status()
            summary.pending = status.counts[PENDING] + status.counts[SENDING]
        except SyncError as exc:
            summary.error = summary.error or str(exc)
        summary.seconds = self.clock() - started
        return summary

    def _deliver_all(self, summary: RunSummary, deadline: float | None, due_now: bool) -> None:
        self._pass_started = self.clock()
        links = {name: _Link(name, kinds) for name, kinds in targets_in_use(self.settings).items()}
        if not links:
            if self.outbox.waiting_kinds():
                raise SyncError("no sync target is set: set [sync] target to odoo or greenpay (records stay queued)")
            return
        if due_now:
            self.outbox.due_now(sorted(k for link in links.values() for k in link.kinds))
        descriptions: dict[str, str] = {}
        try:
            while not self.stop_event.is_set():
                now = self.clock()
                kinds = sorted(k for link in links.values() if link.open(now) for k in link.kinds)
                item = self.outbox.next_item(now, kinds) if kinds else None
                if item is None:
                    wake_at = self._next_wake(links.values())
                    if wake_at is None or (deadline is not None and wake_at > deadline):
                        break
                    # Look again at least every poll, and when woken: a record queued meanwhile, or a person
                    # asking for a sync, may make something due sooner.
                    if self.wake_event.wait(max(0.0, min(wake_at - now, self.sync.poll_seconds))):
                        self.wake_event.clear()
                    continue
                link = links[route(self.settings, item.kind)]
                target = self._ready(link, summary, descriptions)
                if target is not None:
                    self._send(link, target, item, summary)
        finally:
            for link in links.values():
                if link.target is not None:
                    link.target.close()
        errors = [link.error for link in links.values() if link.error]
        if errors:
            raise SyncError("; ".join(errors))

    def _next_wake(self, links: Iterable[_Link]) -> float | None:
        """When the next record of a usable target is due (after that target's pause); None when none waits."""
        times = []
        for link in links:
            if link.error:
                continue
            due = self.outbox.next_due_at(sorted(link.kinds))
            if due is not None:
                times.append(max(due, link.paused_until))
        return min(times, default=None)

    def _ready(self, link: _Link, summary: RunSummary, descriptions: dict[str, str]) -> Target | None:
        """The link's target, made and connected; None when it cannot be used now (paused or unusable)."""
        try:
            link.target = link.target or self.target_factory(link.name)
        except Exception as exc:  # settings, secrets, keyring
            link.error = self._target_unusable(link.name, exc)
            return None
        if link.connected:
            return link.target
        try:
            descriptions[link.name] = link.target.connect(link.kinds & self.outbox.waiting_kinds())
        except TransientError as exc:
            # The target keeps what it already learned (e.g. Odoo's uid) for the next try.
            message = redact(str(exc))
            self._pause(link, summary, message, exc.retry_after)
            self.outbox.pause(sorted(link.kinds), link.paused_until, message)
            return None
        except Exception as exc:  # settings, credentials, server, keyring, or a bug
            link.error = self._target_unusable(link.name, exc)
            return None
        link.connected = True
        summary.target = "; ".join(descriptions.values())
        return link.target

    def _pause(self, link: _Link, summary: RunSummary, reason: str, retry_after: float | None) -> None:
        link.failures += 1
        delay = self.backoff.delay(link.failures, retry_after)
        link.paused_until = self.clock() + delay
        self._retrying(summary, reason, delay)
        log.info("%s paused for %.1f s: %s", link.name, delay, reason)

    def _send(self, link: _Link, target: Target, item: OutboxItem, summary: RunSummary) -> None:
        if item.state == SENDING and target.settle_seconds > 0:
            # Its process died mid-send: a create may still be running at the target.
            settle = target.settle_seconds
            self.outbox.mark_retry(
                item.id, self.clock() + settle, f"cut off mid-send: looking for it at the target in {settle:.0f} s", in_doubt=True
            )
            return
        outcome = self._deliver_one(link, target, item, summary)
        if outcome == "sent":
            # The target takes records (again): what waited out a back-off there while it was down need not
            # wait any longer. A record refused on its own this pass keeps its back-off.
            if link.failures >= PAUSE_AFTER:
                self.outbox.due_now(sorted(link.kinds))
            elif not link.delivered:
                self.outbox.due_now(sorted(link.kinds), changed_before=self._pass_started)
            link.failures, link.delivered = 0, True
        elif outcome == "retry":
            link.failures += 1
            if link.failures >= PAUSE_AFTER:
                self._pause_only(link)

    def _pause_only(self, link: _Link) -> None:
        """Pause a target that failed on several records in a row (each record already has its own retry time)."""
        delay = self.backoff.delay(link.failures - PAUSE_AFTER + 1)
        link.paused_until = self.clock() + delay
        log.info("%s paused for %.1f s after %d failures in a row", link.name, delay, link.failures)

    def _retrying(self, summary: RunSummary, reason: str, delay: float) -> None:
        summary.retries += 1
        summary.waiting = reason
        if self.on_retry is not None:
            self.on_retry(reason, delay)

    def _target_unusable(self, name: str, exc: Exception) -> str:
        """Remember why a target cannot be used (for --status and the UI) and say it in one line."""
        if isinstance(exc, SyncError):
            message = str(exc)
        elif isinstance(exc, (KioskError, DeliveryError)):
            message = f"cannot use the {name} target: {exc}"
        else:
            log.error("setting up the %s target failed", name, exc_info=True)
            message = f"cannot use the {name} target: internal error {type(exc).__name__}"
        message = redact(message)
        self.outbox.set_target_error(message)
        return message

    def _deliver_one(self, link: _Link, target: Target, item: OutboxItem, summary: RunSummary) -> str:
        """Try one record: `sent`, `retry` (a transient error), `failed`, `target` (the target cannot be used:
        `link.error` says why) or `skipped` (another worker took it)."""
        try:
            delivery = self.outbox.claim(item)
        except DecryptError as exc:
            self.outbox.mark_failed(item.id, str(exc))
            summary.failed += 1
            return "failed"
        if delivery is None:
            return "skipped"
        record, attempts = delivery.record, delivery.item.attempts
        try:
            remote_ref = target.deliver(delivery)
        except TransientError as exc:
            message = redact(str(exc), record)
            if self.sync.max_attempts and attempts >= self.sync.max_attempts:
                summary.retries += 1
                self.outbox.mark_failed(item.id, f"gave up after {attempts} attempts: {message}")
                summary.failed += 1
                return "failed"
            delay = max(self.backoff.delay(attempts, exc.retry_after), exc.settle)
            if exc.settle:
                message = f"{message}; it may have been created: looking for it in {exc.settle:.0f} s"
            self._retrying(summary, message, delay)
            log.info("record %s: %s; next attempt in %.1f s", item.id, message, delay)
            self.outbox.mark_retry(item.id, self.clock() + delay, message, in_doubt=exc.settle > 0)
            return "retry"
        except PermanentError as exc:
            message = redact(str(exc), record)
            log.warning("record %s failed: %s", item.id, message)
            self.outbox.mark_failed(item.id, message)
            summary.failed += 1
            return "failed"
        except SyncError as exc:
            message = redact(str(exc), record)
            self.outbox.release(item.id, message)
            link.error = self._target_unusable(link.name, SyncError(message))
            return "target"
        except Exception as exc:  # a bug must not lose the record: it waits, like after a transient error
            log.error("record %s: unexpected %s in the target", item.id, type(exc).__name__)
            delay = self.backoff.delay(attempts)
            self._retrying(summary, f"internal error: {type(exc).__name__}", delay)
            self.outbox.mark_retry(item.id, self.clock() + delay, f"internal error: {type(exc).__name__}")
            return "retry"
        self.outbox.mark_sent(item.id, remote_ref)
        summary.sent += 1
        log.info("sent %s record %s as %s", item.kind, item.id, remote_ref)
        if summary.sent == 1 and self.outbox.get_meta("target_error"):
            self.outbox.set_target_error(None)
        return "sent"

    def run_forever(self) -> None:
        """Deliver until `stop()`: after each pass, sleep until woken, the next poll, or the next retry."""
        while not self.stop_event.is_set():
            try:
                summary = self.run_pass(max_seconds=None)
            except Exception as exc:  # the service must outlive a bug; records stay where they are
                log.error("sync pass failed: %s", type(exc).__name__, exc_info=True)
                summary = RunSummary(error=f"internal error: {type(exc).__name__}")
            if summary.error:
                log.warning("%s", summary.line())
            elif summary.sent or summary.failed:
                log.info("%s", summary.line())
            # After a target error (credentials, server), try again less often; a wake() still comes at once.
            pause = min(self.sync.backoff_max_seconds, self.sync.poll_seconds * 6) if summary.error else self.sync.poll_seconds
            self.wake_event.wait(pause)
            self.wake_event.clear()


def make_worker(
    settings: Settings, outbox: Outbox | None = None, on_retry: Callable[[str, float], None] | None = None
) -> DeliveryWorker:
    """A worker for the settings' outbox and targets (a target is made only when there is something to send to it)."""
    return DeliveryWorker(outbox or open_outbox(settings), settings, lambda name: create_target(settings, name=name), on_retry=on_retry)


class BackgroundSync:
    """The worker in a daemon thread, for the UI: `start()`, `wake()` after queueing, `stop()` on exit.

    No Qt here: the UI polls `status()` (or wraps this in its own Qt worker).
    """

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.worker = make_worker(settings)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        if self._thread is None or not self._thread.is_alive():
            self.worker.stop_event.clear()
            self._thread = threading.Thread(target=self.worker.run_forever, name="kiosk-sync", daemon=True)
            self._thread.start()

    def wake(self) -> None:
        self.worker.wake()

    def status(self) -> OutboxStatus:
        return self.worker.outbox.status()

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current request; a record cut off mid-send is finished by the next run."""
        self.worker.stop()
        if self._thread is not None:
            self._thread.join(timeout)
            if self._thread.is_alive():
                return  # still inside a request; the daemon thread ends with the process
        self.worker.outbox.close()
