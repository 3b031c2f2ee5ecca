"""Durable outbox and delivery to Odoo and GreenPay (no Qt).

- `queue_record(settings, record, image_bytes)`: store a confirmed record
  (encrypted, committed to disk) and return its id; what "Save" and
  `kiosk scan ... --confirm` call.
- `open_outbox(settings)` -> `Outbox`: `status()` (counts per state, waiting
  records per kind, oldest pending, last error), `due_now()` (sync now),
  `retry_failed()`, `correct()` (a failed record's fields replaced and queued
  again), `discard()`, `purge()`.
- `queue_record(..., origin="demo")`: a demo or self-test record, kept on the
  kiosk and never sent; `destination(settings, kind, origin)` says where a
  record goes (a target, `none`, or `local-only`).
- `BackgroundSync(settings)`: the delivery worker in a thread for the UI
  (`start()`, `wake()` after queueing, `status()`, `stop()`);
  `make_worker(settings).run_pass()` for one pass (`kiosk sync --once`).
"""

from kiosk.sync.outbox import Outbox, OutboxStatus, open_outbox, queue_record
from kiosk.sync.worker import BackgroundSync, RunSummary, make_worker

__all__ = ["BackgroundSync", "Outbox", "OutboxStatus", "RunSummary", "make_worker", "open_outbox", "queue_record"]
