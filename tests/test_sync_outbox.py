"""The outbox: durable, encrypted, nothing lost when the key, the disk or the operator get in the way."""

import json
import os
import sqlite3
import stat
from datetime import datetime, timedelta, timezone

import pytest
from odoo_server import JPEG, sample_passport, sample_receipt

from kiosk.config import Settings
from kiosk.errors import SyncError
from kiosk.secrets import delete_secret, get_secret, set_secret
from kiosk.sync.crypto import DecryptError, new_key
from kiosk.sync.outbox import FAILED, PENDING, SENDING, SENT, keeps_image, open_outbox, outbox_path, queue_record


@pytest.fixture
def settings(tmp_path):
    s = Settings()
    s.kiosk.id = "K-01"
    s.kiosk.operator = "op-7"
    s.sync.target = "odoo"
    return s


def raw_bytes(path):
    """Everything SQLite keeps on disk for the outbox: the file, its WAL and its shared memory."""
    data = b""
    for suffix in ("", "-wal", "-shm"):
        p = path.with_name(path.name + suffix)
        if p.exists():
            data += p.read_bytes()
    return data


def test_queued_records_are_on_disk_with_no_readable_personal_data(settings):
    settings.sync.store_images = True
    passports = [sample_passport(n) for n in range(5)]
    receipts = [sample_receipt(n) for n in range(3)]
    ids = [queue_record(settings, r, JPEG) for r in passports + receipts]
    path = outbox_path(settings)
    assert path.parent.name == "scan-kiosk" and path.name == "outbox.db"
    # Another process (a fresh connection) sees every record: they were committed before queue_record returned.
    with sqlite3.connect(path) as db:
        rows = db.execute("SELECT id, kind, state FROM records ORDER BY seq").fetchall()
    assert [r[0] for r in rows] == ids
    assert {r[2] for r in rows} == {PENDING}
    raw = raw_bytes(path)
    for record in passports:
        for value in (record.value("surname"), record.value("document_number"), record.value("given_names")):
            assert value.encode() not in raw
            assert value.lower().encode() not in raw
        assert record.mrz_lines[0].encode() not in raw
    assert b"YONGFATT" not in raw and b"op-7" not in raw
    assert JPEG not in raw
    # ... and they read back intact with the key.
    with open_outbox(settings) as outbox:
        record, image = outbox.load(outbox.get(ids[0]))
        assert record.to_json() == passports[0].to_json()
        assert image == JPEG


def test_files_are_private(settings):
    queue_record(settings, sample_passport())
    path = outbox_path(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_the_key_is_made_on_first_use_and_kept_in_the_keyring(settings):
    assert get_secret("outbox_key") is None
    queue_record(settings, sample_passport())
    key = get_secret("outbox_key")
    assert key and len(key) == 44
    queue_record(settings, sample_passport(1))
    assert get_secret("outbox_key") == key


def test_a_missing_key_stops_with_a_clear_message_and_loses_nothing(settings):
    ids = [queue_record(settings, sample_passport(n)) for n in range(3)]
    key = get_secret("outbox_key")
    delete_secret("outbox_key")
    with pytest.raises(SyncError, match=r"outbox key \(secret outbox_key\) is missing: the 3 records .* do not delete"):
        open_outbox(settings)
    assert get_secret("outbox_key") is None, "no new key may replace the lost one while records wait"
    set_secret("outbox_key", key)
    with open_outbox(settings) as outbox:
        assert [i.id for i in outbox.items(PENDING)] == ids
        assert outbox.load(outbox.get(ids[2]))[0].value("surname") == sample_passport(2).value("surname")


def test_a_wrong_key_stops_with_a_clear_message(settings):
    queue_record(settings, sample_passport())
    set_secret("outbox_key", new_key())
    with pytest.raises(SyncError, match="does not match"):
        open_outbox(settings)
    set_secret("outbox_key", "not a key")
    with pytest.raises(SyncError, match="not an outbox key"):
        open_outbox(settings)


def test_a_payload_moved_to_another_row_does_not_decrypt(settings):
    first, second = queue_record(settings, sample_passport(0)), queue_record(settings, sample_passport(1))
    path = outbox_path(settings)
    with sqlite3.connect(path) as db:
        blob = db.execute("SELECT payload FROM records WHERE id = ?", (first,)).fetchone()[0]
        db.execute("UPDATE records SET payload = ? WHERE id = ?", (blob, second))
    with open_outbox(settings) as outbox:
        with pytest.raises(DecryptError, match="does not decrypt"):
            outbox.load(outbox.get(second))


def test_queueing_the_same_record_twice_keeps_one(settings):
    record = sample_receipt()
    assert queue_record(settings, record, JPEG) == queue_record(settings, record, JPEG)
    with open_outbox(settings) as outbox:
        assert outbox.status().counts[PENDING] == 1


def test_images_are_kept_only_when_the_settings_allow(settings):
    settings.sync.store_images = False
    assert keeps_image(settings, "receipt") is True  # Odoo expenses need their receipt
    assert keeps_image(settings, "passport") is False
    passport_id = queue_record(settings, sample_passport(), JPEG)
    receipt_id = queue_record(settings, sample_receipt(), JPEG)
    with open_outbox(settings) as outbox:
        assert outbox.get(passport_id).has_image is False
        assert outbox.get(receipt_id).has_image is True
    settings.sync.target = "greenpay"
    assert keeps_image(settings, "receipt") is False
    settings.sync.store_images = True
    assert keeps_image(settings, "passport") is True


def test_an_unconfirmed_record_is_confirmed_by_this_kiosk(settings):
    from kiosk.records import Field, PassportRecord

    record = PassportRecord(fields={"surname": Field("TEST", 0.9)})
    queue_record(settings, record)
    assert record.confirmed_at and record.kiosk_id == "K-01" and record.operator == "op-7"


def test_a_full_disk_refuses_the_record_clearly_and_keeps_the_others(settings):
    """Full disk simulated with SQLite's `max_page_count`: writes past it fail with SQLITE_FULL, as on a full disk."""
    kept = [queue_record(settings, sample_passport(n)) for n in range(3)]
    with open_outbox(settings) as outbox:
        pages = outbox._db.execute("PRAGMA page_count").fetchone()[0]
        outbox._db.execute(f"PRAGMA max_page_count = {pages}")
        big = sample_receipt(lines=tuple("x" * 200 for _ in range(200)))
        with pytest.raises(SyncError) as raised:
            outbox.add(big, os.urandom(200_000))
        message = str(raised.value)
        assert "the receipt record was NOT queued: the kiosk disk is full" in message
        assert "Traceback" not in message
        assert outbox.get(big.id) is None
        outbox._db.execute("PRAGMA max_page_count = 1073741823")
        outbox.add(big, os.urandom(1000))  # space freed: the operator confirms again
        assert [i.id for i in outbox.items(PENDING)] == kept + [big.id]


def test_an_outbox_that_is_not_a_database_is_named_not_overwritten(settings, tmp_path):
    path = tmp_path / "damaged.db"
    path.write_bytes(b"this is not sqlite" * 100)
    settings.sync.outbox = str(path)
    with pytest.raises(SyncError, match="damaged"):
        open_outbox(settings)
    assert path.read_bytes() == b"this is not sqlite" * 100


def test_state_changes_retry_discard_and_status(settings):
    ids = [queue_record(settings, sample_passport(n)) for n in range(4)]
    with open_outbox(settings) as outbox:
        first = outbox.claim(outbox.next_item())
        assert first.item.id == ids[0] and first.resume is False and outbox.get(ids[0]).state == SENDING
        outbox.mark_sent(ids[0], "res.partner,102")
        second = outbox.claim(outbox.next_item())
        outbox.mark_failed(second.item.id, "Odoo refused (ValidationError): bad date")
        third = outbox.claim(outbox.next_item())
        outbox.mark_retry(third.item.id, 4_000_000_000.0, "Odoo answered HTTP 503")
        again = outbox.claim(outbox.get(ids[2]))
        assert again.resume is True and again.item.attempts == 2
        outbox.release(ids[2], "")
        status = outbox.status()
        assert status.counts == {PENDING: 2, SENDING: 0, SENT: 1, FAILED: 1}
        assert status.oldest_pending and status.items_failed[0].id == ids[1]
        assert "HTTP 503" in status.last_error or "ValidationError" in status.last_error
        assert json.dumps(status.to_json())
        assert outbox.discard([ids[0], ids[2]]) == 0, "only failed records can be discarded"
        assert outbox.retry_failed() == 1
        assert outbox.get(ids[1]).state == PENDING
        outbox.mark_failed(ids[1], "x")
        assert outbox.discard(["all-but-not-this"]) == 0
        assert outbox.discard(None) == 1 and outbox.get(ids[1]) is None


def test_sent_records_are_purged_after_the_retention_and_images_at_once(settings):
    settings.sync.store_images = True
    ids = [queue_record(settings, sample_receipt(n), JPEG) for n in range(3)]
    with open_outbox(settings) as outbox:
        for record_id in ids[:2]:
            outbox.claim(outbox.get(record_id))
            outbox.mark_sent(record_id, "hr.expense,1")
        assert outbox.get(ids[0]).has_image is False, "a delivered record's image goes at once"
        assert outbox.get(ids[2]).has_image is True
        outbox.claim(outbox.get(ids[2]))
        outbox.mark_failed(ids[2], "x")
        assert outbox.purge(7) == 0
        later = datetime.now(timezone.utc) + timedelta(days=7, seconds=1)
        assert outbox.purge(7, now=later) == 2
        assert [i.id for i in outbox.items()] == [ids[2]], "failed records stay until an operator acts"
        assert outbox.purge(0, now=later + timedelta(days=30)) == 0


def test_only_one_worker_at_a_time(settings):
    with open_outbox(settings) as first, open_outbox(settings) as second:
        with first.worker_lock():
            with pytest.raises(SyncError, match="another sync is already running"):
                with second.worker_lock():
                    pass
        with second.worker_lock():
            pass


def test_a_failed_record_is_corrected_and_queued_again_in_one_transaction(settings):
    from dataclasses import replace

    from kiosk.records import Field
    from test_sync_worker import DiskFullAt

    receipt = sample_receipt(0, currency="MAD")
    record_id = queue_record(settings, receipt, JPEG)
    with open_outbox(settings) as outbox:
        outbox.claim(outbox.get(record_id))
        outbox.mark_failed(record_id, "the currency MAD is not active in Odoo")
        corrected, _ = outbox.load(outbox.get(record_id))
        corrected.edit("currency", "EUR")
        outbox._db = DiskFullAt(outbox._db, "SET payload")
        with pytest.raises(SyncError, match="the corrected record was NOT saved: the kiosk disk is full"):
            outbox.correct(corrected)
        outbox._db = outbox._db.db
        item = outbox.get(record_id)
        assert item.state == FAILED and outbox.load(item)[0].value("currency") == "MAD", "all or nothing"
        assert outbox.correct(corrected) is True
        assert outbox.correct(corrected) is False, "only a failed record can be replaced"
        assert outbox.correct(replace(sample_passport(0), id=record_id)) is False, "nor by a record of another kind"
    with sqlite3.connect(outbox_path(settings)) as db:  # another process sees it at once
        state, attempts, error = db.execute("SELECT state, attempts, last_error FROM records WHERE id = ?", (record_id,)).fetchone()
    assert (state, attempts, error) == (PENDING, 0, "")
    with open_outbox(settings) as outbox:
        item = outbox.get(record_id)
        record, image = outbox.load(item)
        assert record.field("currency") == Field("EUR", 1.0, "edited") and image == JPEG
        assert outbox.next_item() == item, "due now"


def test_an_outbox_from_the_previous_release_gets_the_origin_column(settings):
    from kiosk.sync import outbox as module

    old_schema = module._SCHEMA.replace(",\n    origin TEXT NOT NULL DEFAULT 'scan'", "")
    assert "origin" not in old_schema
    path = outbox_path(settings)
    path.parent.mkdir(parents=True)
    with sqlite3.connect(path) as db:
        db.executescript(old_schema)
    record_id = queue_record(settings, sample_passport(0))
    demo = queue_record(settings, sample_passport(1), origin="demo")
    with open_outbox(settings) as outbox:
        assert (outbox.get(record_id).origin, outbox.get(demo).state) == ("scan", SENT)
        assert outbox.next_item().id == record_id
