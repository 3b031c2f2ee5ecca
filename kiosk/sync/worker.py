"""The delivery worker: takes records from the outbox, oldest first, and hands them to the target.

- Transient errors (network, timeout, 5xx, 429): the same record is tried again
  after an exponential backoff with jitter; the records behind it wait, so
  they arrive in order. Except when a create's answer was lost (or the process
  died mid-send) at a target that is not idempotent by itself (Odoo): then the
  create may still be running there, so the record waits `settle_seconds`
  before it is looked for, and the records behind it go on meanwhile.
- Permanent errors (validation, missing field): the record is marked `failed`
  with the server's reason (personal data cut out) and the next one goes.
- Target errors (wrong credentials, not Odoo, a mapped field missing, disk
  full): the record goes back to `pending`, the pass stops and says why.
Only one worker sends from an outbox at a time (an OS file lock), whether it
runs in the UI's thread or as `kiosk sync`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable

from kiosk.config import Settings, SyncSettings
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


class DeliveryWorker:
    """Delivers an outbox's records to one target. `run_pass()` for one go, `run_forever()` for a service."""

    def __init__(
        self,
        outbox: Outbox,
        sync: SyncSettings,
        target_factory: Callable[[], Target],
        *,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
        on_retry: Callable[[str, float], None] | None = None,
    ) -> None:
        """`on_retry(reason, delay)`: told of each failed attempt that will be retried (`kiosk sync --once` prints it)."""
        self.outbox = outbox
        self.sync = sync
        self.target_factory = target_factory
        self.backoff = Backoff(sync.backoff_seconds, sync.backoff_max_seconds, rng or random.Random())
        self.clock = clock
        self.on_retry = on_retry
        self.stop_event = threading.Event()
        self.wake_event = threading.Event()

    def stop(self) -> None:
        self.stop_event.set()
        self.wake_event.set()

    def wake(self) -> None:
        """A record was queued: look now rather than at the next poll."""
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
        target: Target | None = None
        connected = False
        connect_failures = 0
        tried: set[str] = set()
        try:
            while not self.stop_event.is_set():
                item = self.outbox.next_item(self.clock())
                if item is None:
                    return
                wait = item.next_attempt_at - self.clock()
                if due_now and item.id not in tried and not item.in_doubt:
                    wait = 0
                tried.add(item.id)
                if wait > 0:
                    if deadline is not None and self.clock() + wait > deadline:
                        return
                    # Look again at least every poll: a record queued meanwhile may be due before this one.
                    self.stop_event.wait(min(wait, self.sync.poll_seconds))
                    continue
                try:
                    target = target or self.target_factory()
                except Exception as exc:  # settings, secrets, keyring
                    raise self._target_unusable(exc) from None
                if item.state == SENDING and target.settle_seconds > 0:
                    # Its process died mid-send: a create may still be running at the target.
                    settle = target.settle_seconds
                    self.outbox.mark_retry(
                        item.id, self.clock() + settle, f"cut off mid-send: looking for it at the target in {settle:.0f} s", in_doubt=True
                    )
                    continue
                if not connected:
                    try:
                        summary.target = target.connect(self._kinds())
                        connected = True
                    except TransientError as exc:
                        # The target keeps what it already learned (e.g. Odoo's uid) for the next try.
                        connect_failures += 1
                        delay = self.backoff.delay(connect_failures, exc.retry_after)
                        self._retrying(summary, redact(str(exc)), delay)
                        self.outbox.mark_retry(item.id, self.clock() + delay, redact(str(exc)), in_doubt=item.in_doubt)
                        continue
                    except Exception as exc:  # settings, credentials, server, keyring, or a bug
                        raise self._target_unusable(exc) from None
                assert target is not None
                self._deliver_one(target, item, summary)
        finally:
            if target is not None:
                target.close()

    def _retrying(self, summary: RunSummary, reason: str, delay: float) -> None:
        summary.retries += 1
        summary.waiting = reason
        if self.on_retry is not None:
            self.on_retry(reason, delay)

    def _target_unusable(self, exc: Exception) -> SyncError:
        """Remember why the target cannot be used (for --status and the UI) and say it in one line."""
        if isinstance(exc, SyncError):
            message = str(exc)
        elif isinstance(exc, (KioskError, DeliveryError)):
            message = f"cannot use the {self.sync.target} target: {exc}"
        else:
            log.error("setting up the %s target failed", self.sync.target, exc_info=True)
            message = f"cannot use the {self.sync.target} target: internal error {type(exc).__name__}"
        message = redact(message)
        self.outbox.set_target_error(message)
        return SyncError(message)

    def _kinds(self) -> frozenset[str]:
        return frozenset(i.kind for state in (PENDING, SENDING) for i in self.outbox.items(state))

    def _deliver_one(self, target: Target, item: OutboxItem, summary: RunSummary) -> None:
        try:
            delivery = self.outbox.claim(item)
        except DecryptError as exc:
            self.outbox.mark_failed(item.id, str(exc))
            summary.failed += 1
            return
        if delivery is None:
            return
        record, attempts = delivery.record, delivery.item.attempts
        try:
            remote_ref = target.deliver(delivery)
        except TransientError as exc:
            message = redact(str(exc), record)
            if self.sync.max_attempts and attempts >= self.sync.max_attempts:
                summary.retries += 1
                self.outbox.mark_failed(item.id, f"gave up after {attempts} attempts: {message}")
                summary.failed += 1
                return
            delay = max(self.backoff.delay(attempts, exc.retry_after), exc.settle)
            if exc.settle:
                message = f"{message}; it may have been created: looking for it in {exc.settle:.0f} s"
            self._retrying(summary, message, delay)
            log.info("record %s: %s; next attempt in %.1f s", item.id, message, delay)
            self.outbox.mark_retry(item.id, self.clock() + delay, message, in_doubt=exc.settle > 0)
            return
        except PermanentError as exc:
            message = redact(str(exc), record)
            log.warning("record %s failed: %s", item.id, message)
            self.outbox.mark_failed(item.id, message)
            summary.failed += 1
            return
        except SyncError as exc:
            message = redact(str(exc), record)
            self.outbox.release(item.id, message)
            self.outbox.set_target_error(message)
            raise SyncError(message) from None
        except Exception as exc:  # a bug must not lose the record: it waits, like after a transient error
            log.error("record %s: unexpected %s in the target", item.id, type(exc).__name__)
            delay = self.backoff.delay(attempts)
            self._retrying(summary, f"internal error: {type(exc).__name__}", delay)
            self.outbox.mark_retry(item.id, self.clock() + delay, f"internal error: {type(exc).__name__}")
            return
        self.outbox.mark_sent(item.id, remote_ref)
        summary.sent += 1
        log.info("sent %s record %s as %s", item.kind, item.id, remote_ref)
        if summary.sent == 1 and self.outbox.get_meta("target_error"):
            self.outbox.set_target_error(None)

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
    """A worker for the settings' outbox and target (the target is made only when there is something to send)."""
    return DeliveryWorker(outbox or open_outbox(settings), settings.sync, lambda: create_target(settings), on_retry=on_retry)


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
