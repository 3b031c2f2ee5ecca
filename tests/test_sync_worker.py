"""The delivery worker: order, backoff with jitter, giving up, a full disk mid-sync, the background thread."""

import random
import sqlite3
import time

import pytest
from greenpay_server import TOKEN, GreenPayServer
from odoo_server import JPEG, OdooServer, OdooState, sample_passport, sample_receipt
from test_sync_odoo import deliver, odoo_settings

from kiosk.config import Settings
from kiosk.secrets import set_secret
from kiosk.sync.outbox import FAILED, PENDING, SENDING, SENT, open_outbox, queue_record
from kiosk.sync.worker import Backoff, BackgroundSync, make_worker


def test_backoff_doubles_with_jitter_up_to_the_maximum():
    backoff = Backoff(base=1.0, maximum=60.0, rng=random.Random(1))
    for attempts, exp in [(1, 1.0), (2, 2.0), (3, 4.0), (6, 32.0), (7, 60.0), (30, 60.0)]:
        delays = [backoff.delay(attempts) for _ in range(200)]
        assert all(exp / 2 <= d <= exp for d in delays)
        assert len({round(d, 6) for d in delays}) > 150, "jittered, so kiosks do not retry in lockstep"
    assert backoff.delay(1, retry_after=30.0) == 30.0, "a server's Retry-After is honoured"
    assert backoff.delay(1, retry_after=3600.0) == 60.0, "but never beyond the maximum"


def test_every_record_arrives_exactly_once_despite_errors():
    from odoo_server import Faults

    with GreenPayServer(Faults(error_rate=0.4, seed=5)) as server:
        settings = Settings()
        settings.sync.target = "greenpay"
        settings.sync.backoff_seconds = 0.001
        settings.sync.backoff_max_seconds = 0.01
        settings.greenpay.url = server.url
        set_secret("greenpay_token", TOKEN)
        ids = [queue_record(settings, sample_passport(n)) for n in range(20)]
        summary, _ = deliver(settings, max_seconds=30)
        assert summary.sent == 20 and summary.retries > 0
        assert sorted(server.stored) == sorted(ids) and server.duplicates() == {}


def test_a_record_that_keeps_failing_is_given_up_after_max_attempts():
    class CreateAlwaysFails(OdooServer):
        def answer(self, handler, body):
            if b'"create"' in body:
                return 500, b"<h1>Internal Server Error</h1>", "text/html"
            return super().answer(handler, body)

    with CreateAlwaysFails() as server:
        settings = odoo_settings(server.url)
        settings.sync.max_attempts = 3
        record_id = queue_record(settings, sample_passport())
        behind = queue_record(settings, sample_passport(1))
        summary, status = deliver(settings, max_seconds=5)
    assert (summary.failed, summary.retries) == (2, 6)
    with open_outbox(settings) as outbox:
        item = outbox.get(record_id)
        assert item.state == FAILED and item.attempts == 3
        assert item.last_error == "gave up after 3 attempts: Odoo answered HTTP 500"
        assert outbox.get(behind).state == FAILED


def test_a_server_that_is_down_does_not_use_up_attempts():
    with OdooServer() as server:
        url = server.url
    settings = odoo_settings(url)  # nobody listens there any more
    settings.sync.max_attempts = 1
    record_id = queue_record(settings, sample_passport())
    for _ in range(3):
        summary, _ = deliver(settings, max_seconds=0.1)
    with open_outbox(settings) as outbox:
        item = outbox.get(record_id)
    assert item.state == PENDING and item.attempts == 0 and "cannot reach Odoo" in item.last_error


def test_a_record_that_does_not_decrypt_is_failed_and_kept_the_rest_go():
    with OdooServer() as server:
        settings = odoo_settings(server.url)
        damaged = queue_record(settings, sample_passport(0))
        queue_record(settings, sample_passport(1))
        with open_outbox(settings) as outbox:
            path = outbox.path
        with sqlite3.connect(path) as db:
            db.execute("UPDATE records SET payload = zeroblob(64) WHERE id = ?", (damaged,))
        summary, status = deliver(settings)
    assert (summary.sent, summary.failed) == (1, 1)
    assert status.items_failed[0].id == damaged and "payload" in status.items_failed[0].last_error


class DiskFullAt:
    """Stands in for the outbox's SQLite connection; the statement matching `pattern` fails as on a full disk."""

    def __init__(self, db, pattern):
        self.db, self.pattern, self.armed = db, pattern, True

    def execute(self, sql, *args):
        if self.armed and self.pattern in sql:
            raise sqlite3.OperationalError("database or disk is full")
        return self.db.execute(sql, *args)

    def __getattr__(self, name):
        return getattr(self.db, name)


@pytest.mark.parametrize("failing_write", ["SET state = 'sending'", "SET state = 'sent'"])
def test_a_full_disk_mid_sync_stops_clearly_and_loses_or_duplicates_nothing(failing_write):
    """Full disk injected at the SQLite layer: the outbox write fails with SQLITE_FULL's message."""
    with OdooServer() as server:
        settings = odoo_settings(server.url)
        record_id = queue_record(settings, sample_receipt(), JPEG)
        worker = make_worker(settings)
        worker.outbox._db = DiskFullAt(worker.outbox._db, failing_write)
        summary = worker.run_pass(5)
        assert "the kiosk disk is full" in summary.error
        assert summary.sent == 0
        worker.outbox._db.armed = False  # space freed
        summary = worker.run_pass(5)
        worker.outbox.close()
        assert summary.sent == 1 and summary.error is None
        assert server.state.count("hr.expense") == 1 and server.state.count("ir.attachment") == 1
        assert server.state.duplicates() == {}
        with open_outbox(settings) as outbox:
            assert outbox.get(record_id).state == SENT


def test_no_target_keeps_records_queued_and_says_so():
    settings = Settings()
    summary, _ = deliver(settings)
    assert summary.error is None and summary.pending == 0, "nothing queued: nothing to complain about"
    queue_record(settings, sample_passport())
    summary, status = deliver(settings)
    assert summary.error == "no sync target is set: set [sync] target to odoo or greenpay (records stay queued)"
    assert status.counts[PENDING] == 1


def test_one_worker_per_outbox():
    with OdooServer() as server:
        settings = odoo_settings(server.url)
        queue_record(settings, sample_passport())
        with open_outbox(settings) as other, other.worker_lock():
            summary, status = deliver(settings)
        assert summary.error.startswith("another sync is already running")
        assert status.counts[PENDING] == 1 and server.state.calls["common.authenticate"] == 0


def test_background_sync_delivers_what_the_ui_queues():
    with OdooServer(OdooState()) as server:
        settings = odoo_settings(server.url)
        settings.sync.poll_seconds = 30.0
        background = BackgroundSync(settings)
        background.start()
        try:
            started = time.monotonic()
            ids = [queue_record(settings, sample_receipt(n), JPEG) for n in range(3)]
            background.wake()
            while background.status().counts[SENT] < 3 and time.monotonic() - started < 10:
                time.sleep(0.05)
            status = background.status()
        finally:
            background.stop()
        assert status.counts == {PENDING: 0, SENDING: 0, SENT: 3, FAILED: 0}
        assert time.monotonic() - started < 10, "woken, not waiting for the 30 s poll"
        assert server.state.count("hr.expense") == 3 and len(ids) == 3


def test_a_person_asking_for_a_sync_does_not_wait_for_the_retry_time():
    with OdooServer() as server:
        settings = odoo_settings(server.url)
        record_id = queue_record(settings, sample_passport())
        with open_outbox(settings) as outbox:
            outbox.mark_retry(record_id, time.time() + 3600, "Odoo answered HTTP 503")
        summary, _ = deliver(settings, max_seconds=1)
        assert (summary.sent, summary.pending) == (0, 1), "the service waits for the retry time"
        worker = make_worker(settings)
        summary = worker.run_pass(1, due_now=True)  # kiosk sync --once
        worker.outbox.close()
        assert summary.sent == 1


def test_a_record_in_doubt_waits_even_for_a_person_but_not_the_records_behind_it():
    with OdooServer() as server:
        settings = odoo_settings(server.url)
        in_doubt = queue_record(settings, sample_passport(0))
        behind = queue_record(settings, sample_passport(1))
        with open_outbox(settings) as outbox:
            outbox.mark_retry(in_doubt, time.time() + 3600, "Odoo did not answer in time (create)", in_doubt=True)
        worker = make_worker(settings)
        summary = worker.run_pass(1, due_now=True)
        assert (summary.sent, summary.pending) == (1, 1)
        assert worker.outbox.get(behind).state == SENT and worker.outbox.get(in_doubt).state == PENDING
        worker.outbox.close()


class RefusesOne(GreenPayServer):
    """GreenPay answering 503 to one record (its Idempotency-Key), as a backend that chokes on one body does."""

    def __init__(self, refused: set[str], **kwargs):
        super().__init__(**kwargs)
        self.refused = refused

    def answer(self, handler, body):
        if handler.headers.get("Idempotency-Key") in self.refused:
            self._arrive(handler)
            return 503, b'{"error": "try later"}', "application/json"
        return super().answer(handler, body)


def greenpay_worker_settings(url):
    settings = Settings()
    settings.sync.target = "greenpay"
    settings.sync.backoff_seconds = 60.0
    settings.sync.backoff_max_seconds = 900.0
    settings.greenpay.url = url
    set_secret("greenpay_token", TOKEN)
    return settings


def test_one_records_back_off_never_holds_up_the_records_behind_it():
    settings = greenpay_worker_settings("http://127.0.0.1:9")
    first = queue_record(settings, sample_passport(0))
    behind = [queue_record(settings, sample_passport(n)) for n in (1, 2)]
    with RefusesOne({first}) as server:
        settings.greenpay.url = server.url
        summary, status = deliver(settings, max_seconds=3)
    assert list(server.stored) == behind, "the two records behind the refused one went at once"
    assert (summary.sent, summary.pending, summary.retries) == (2, 1, 1)
    with open_outbox(settings) as outbox:
        item = outbox.get(first)
    assert item.state == PENDING and item.next_attempt_at > time.time() + 20 and "HTTP 503" in item.last_error


def test_when_the_target_is_back_the_records_waiting_out_a_back_off_go_at_once():
    with GreenPayServer() as server:
        port = server.port
    settings = greenpay_worker_settings(f"http://127.0.0.1:{port}")
    waiting = [queue_record(settings, sample_passport(n)) for n in range(2)]
    summary, _ = deliver(settings, max_seconds=0.5)  # GreenPay is down: both back off for 30-60 s
    assert summary.sent == 0 and summary.pending == 2 and "cannot reach GreenPay" in summary.waiting
    with GreenPayServer(port=port) as server:
        newest = queue_record(settings, sample_passport(2))
        summary, _ = deliver(settings, max_seconds=3)
        assert summary.sent == 3, "the new record went, and with it the two that were waiting"
        assert sorted(server.stored) == sorted(waiting + [newest])
