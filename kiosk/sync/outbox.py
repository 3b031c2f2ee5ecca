"""The outbox: confirmed records in an encrypted SQLite file until a target has them.

One row per record. Plain columns hold only what carries no personal data (id,
kind, kiosk id, timestamps, state, attempts, next attempt, a sanitised last
error, the remote reference); the record itself (`payload`, the one JSON form
of `kiosk.records`) and the document image are AES-GCM blobs (`crypto.py`).

Durability: WAL with `synchronous=FULL`, so `add()` returns only once the
record is on disk; `secure_delete` so purged rows are overwritten, not just
unlinked. States: `pending` -> `sending` (set before the request goes out) ->
`sent` | `failed`, or back to `pending` after a transient error. A record found
in `sending` was being sent when its process died: the next attempt looks for
it at the target before creating it again (see `Delivery.resume`). A record
`in_doubt` (a create whose answer was lost may still be running at the target)
waits for the target to settle, without holding up the records behind it.

Each record is due at its own `next_attempt_at`: one record's back-off never
holds up the others (`next_item`). `origin` says where a record came from
(`camera`, `file`, `hand`, or `demo` / `selftest`); a demo or self-test record
is stored as `sent` with the reference `local-only` the moment it is added, so
no worker ever delivers it, and it is purged after the retention like a sent one.
"""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator, Sequence

from kiosk.config import Settings, data_dir, route
from kiosk.errors import SyncError
from kiosk.records import RECORD_TYPES, Record, RecordError, now_iso, record_from_json
from kiosk.sync.crypto import DecryptError, OutboxCipher, load_key
from kiosk.sync.filelock import FileLock

log = logging.getLogger("kiosk.sync")

PENDING, SENDING, SENT, FAILED = "pending", "sending", "sent", "failed"
STATES = (PENDING, SENDING, SENT, FAILED)
LOCAL_ORIGINS = ("demo", "selftest")
"""Origins of records that never leave the kiosk: the demo camera's specimen documents, self-test reads."""
LOCAL_ONLY = "local-only"
"""The remote reference of a record kept on the kiosk for good (a demo or self-test record)."""
_KEY_CHECK = b"scan-kiosk outbox key check"

_SCHEMA = """
CREATE TABLE IF NOT EXISTS records (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    kiosk_id TEXT NOT NULL,
    payload BLOB NOT NULL,
    image BLOB,
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    queued_at TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'sending', 'sent', 'failed')),
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at REAL NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    updated_at REAL NOT NULL,
    sent_at TEXT,
    remote_ref TEXT NOT NULL DEFAULT '',
    progress TEXT NOT NULL DEFAULT '{}',
    in_doubt INTEGER NOT NULL DEFAULT 0,
    origin TEXT NOT NULL DEFAULT 'scan'
);
CREATE INDEX IF NOT EXISTS records_state ON records (state, seq);
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value BLOB);
"""
_FINGERPRINTS = """
CREATE TABLE IF NOT EXISTS fingerprints (
    record_id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    confirmed_at TEXT NOT NULL,
    image_hash INTEGER,
    key_hash TEXT
);
CREATE INDEX IF NOT EXISTS fingerprints_time ON fingerprints (kind, confirmed_at);
"""
"""What duplicate checks need of confirmed records (`kiosk.scan.duplicates`): a perceptual hash of the picture and a
hash of the fields, no personal data; kept apart from `records`, so the purge of sent records leaves them."""
_COLUMNS = (
    "seq, id, kind, kiosk_id, created_at, confirmed_at, queued_at, state, attempts, "
    "next_attempt_at, last_error, sent_at, remote_ref, image IS NOT NULL, progress, in_doubt, origin"
)

_SQLITE_MESSAGES = {
    "SQLITE_FULL": "the kiosk disk is full",
    "SQLITE_IOERR": "the disk reported an error (full or failing?)",
    "SQLITE_READONLY": "the outbox file is read-only",
    "SQLITE_CANTOPEN": "the outbox file cannot be opened",
    "SQLITE_NOTADB": "the outbox file is damaged or not an outbox (keep it for recovery)",
    "SQLITE_CORRUPT": "the outbox file is damaged (keep it for recovery)",
    "SQLITE_BUSY": "the outbox is busy (another kiosk process holds it)",
    "SQLITE_LOCKED": "the outbox is busy (another kiosk process holds it)",
}


def outbox_path(settings: Settings) -> Path:
    """`[sync] outbox`, or `outbox.db` in the OS data folder."""
    return Path(settings.sync.outbox) if settings.sync.outbox else data_dir() / "outbox.db"


def keeps_image(settings: Settings, kind: str) -> bool:
    """Whether a record's image may be stored: receipts bound for Odoo need theirs; others only when allowed."""
    if kind == "receipt" and route(settings, kind) == "odoo":
        return True
    return settings.sync.store_images


@dataclass(frozen=True)
class OutboxItem:
    """One row's plain columns: safe to show and log (no personal data)."""

    seq: int
    id: str
    kind: str
    kiosk_id: str
    created_at: str
    confirmed_at: str | None
    queued_at: str
    state: str
    attempts: int
    next_attempt_at: float
    last_error: str
    sent_at: str | None
    remote_ref: str
    has_image: bool
    progress: dict[str, int]
    """What a target learned from its answers so far (remote ids, e.g. the expense created); no personal data."""
    in_doubt: bool
    """A create was sent and its answer lost: the record waits until the target must have settled."""
    origin: str = "scan"
    """Where the record came from (camera, file, hand, demo, selftest): demo and self-test records never leave."""

    @property
    def local_only(self) -> bool:
        return self.origin in LOCAL_ORIGINS


@dataclass
class Delivery:
    """What a target gets: the decrypted record and image, and whether an earlier attempt may have arrived."""

    item: OutboxItem
    record: Record
    image: bytes | None
    resume: bool
    progress: dict[str, int]
    outbox: "Outbox | None" = None

    def remember(self, **facts: int) -> None:
        """Save a step's answer (e.g. `expense_id=65`) on disk, so a later attempt need not search for it.

        Only an optimisation: a crash before this is saved is covered by the
        target's search for its marker when `resume` is true.
        """
        self.progress.update(facts)
        if self.outbox is not None:
            self.outbox.save_progress(self.item.id, self.progress)


@dataclass
class OutboxStatus:
    path: Path
    counts: dict[str, int]
    oldest_pending: str | None
    """Confirmation time of the oldest record not yet sent (ISO), or None."""
    next_attempt_at: float | None
    last_error: str
    """The newest error of a record not sent, or of the target; never personal data."""
    last_sync_at: str | None
    items_failed: list[OutboxItem] = field(default_factory=list)
    waiting: dict[str, int] = field(default_factory=dict)
    """Records not yet sent (pending or sending), by kind."""
    local_only: int = 0
    """Demo and self-test records kept on the kiosk (never sent; not in `counts`)."""

    def to_json(self) -> dict[str, object]:
        return {
            "outbox": str(self.path),
            "counts": dict(self.counts),
            "oldest_pending": self.oldest_pending,
            "next_attempt_at": self.next_attempt_at,
            "last_error": self.last_error,
            "last_sync_at": self.last_sync_at,
            "waiting": dict(self.waiting),
            "local_only": self.local_only,
            "failed": [{"id": i.id, "kind": i.kind, "attempts": i.attempts, "error": i.last_error} for i in self.items_failed],
        }


def sqlite_error(exc: sqlite3.Error, action: str, path: Path) -> SyncError:
    """One clear line for a SQLite failure, naming what was being done."""
    name = getattr(exc, "sqlite_errorname", "") or ""
    base = next((text for code, text in _SQLITE_MESSAGES.items() if name.startswith(code)), "")
    if not base and "disk is full" in str(exc):
        base = _SQLITE_MESSAGES["SQLITE_FULL"]
    return SyncError(f"{action}: {base or str(exc)} (outbox {path})")


class Outbox:
    """The encrypted outbox file. Thread-safe; several processes may open it at once."""

    def __init__(self, path: Path, *, create_key: bool = True, busy_timeout: float = 10.0) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        self._worker_lock = FileLock(self.path.with_name(self.path.name + ".lock"))
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            if not self.path.exists():
                # Created here with 0600 so SQLite's WAL and SHM files inherit it.
                os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600))
        except OSError as exc:
            raise SyncError(f"cannot create the outbox at {self.path}: {exc.strerror}") from None
        try:
            self._db = sqlite3.connect(self.path, timeout=busy_timeout, isolation_level=None, check_same_thread=False)
        except sqlite3.Error as exc:
            raise sqlite_error(exc, "cannot open the outbox", self.path) from None
        try:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.execute("PRAGMA secure_delete=ON")
            self._db.executescript(_SCHEMA)
            self._db.executescript(_FINGERPRINTS)
            self._upgrade()
            self._cipher = self._open_cipher(create_key)
        except sqlite3.Error as exc:
            self._db.close()
            raise sqlite_error(exc, "cannot open the outbox", self.path) from None
        except BaseException:
            self._db.close()
            raise

    # -- plumbing ---------------------------------------------------------

    def __enter__(self) -> "Outbox":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._worker_lock.release()
        with self._lock:
            self._db.close()

    @contextmanager
    def _tx(self, action: str) -> Iterator[sqlite3.Connection]:
        """One write transaction, committed (and fsynced) before the block's caller goes on."""
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                try:
                    yield self._db
                    self._db.execute("COMMIT")
                except BaseException:
                    if self._db.in_transaction:
                        self._db.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                raise sqlite_error(exc, action, self.path) from None

    def _read(self, sql: str, args: Sequence[object] = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._db.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise sqlite_error(exc, "cannot read the outbox", self.path) from None

    def _upgrade(self) -> None:
        """Columns later releases added, added to an older outbox file (their defaults fit its rows)."""
        columns = {row[1] for row in self._db.execute("PRAGMA table_info(records)")}
        if "origin" not in columns:
            with self._tx("cannot upgrade the outbox") as db:
                db.execute("ALTER TABLE records ADD COLUMN origin TEXT NOT NULL DEFAULT 'scan'")

    def _open_cipher(self, create_key: bool) -> OutboxCipher:
        # Under the write lock, so two processes opening a new outbox make one key, not two.
        with self._tx("cannot set up the outbox key") as db:
            row = db.execute("SELECT value FROM meta WHERE name = 'key_check'").fetchone()
            records = db.execute("SELECT count(*) FROM records").fetchone()[0]
            key = load_key(create=create_key and records == 0)
            if key is None:
                if records:
                    raise SyncError(
                        f"the outbox key (secret outbox_key) is missing: the {records} records in {self.path} "
                        "cannot be read or sent. Restore the key with `kiosk secret set outbox_key`; "
                        "do not delete the outbox"
                    )
                raise SyncError("no outbox key (secret outbox_key) in the keyring")
            cipher = OutboxCipher(key)
            if row is None or records == 0:
                # Nothing queued yet (or any more): this key becomes the outbox's key.
                db.execute(
                    "INSERT OR REPLACE INTO meta (name, value) VALUES ('key_check', ?)",
                    (cipher.encrypt(_KEY_CHECK, "meta", "key_check"),),
                )
                return cipher
        try:
            if cipher.decrypt(row[0], "meta", "key_check") == _KEY_CHECK:
                return cipher
        except DecryptError:
            pass
        raise SyncError(
            f"the outbox key (secret outbox_key) does not match {self.path}: its records cannot be read. "
            "Restore the key this outbox was made with; do not delete the outbox"
        )

    # -- adding -----------------------------------------------------------

    def _seal(self, record: Record) -> bytes:
        if record.kind not in RECORD_TYPES or type(record) is not RECORD_TYPES[record.kind]:
            raise SyncError(f"cannot queue a record of kind {record.kind!r}")
        payload = json.dumps(record.to_json(), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        return self._cipher.encrypt(payload, record.id, "payload")

    def add(self, record: Record, image: bytes | None = None, origin: str = "scan") -> str:
        """Store a confirmed record (and its image) durably; return its id. Adding the same id again is a no-op.

        A record of a `LOCAL_ORIGINS` origin is kept on the kiosk for good: stored as sent (`local-only`),
        so no worker takes it; its image goes with the next purge, as a sent record's does.
        """
        sealed = self._seal(record)
        local = origin in LOCAL_ORIGINS
        sealed_image = self._cipher.encrypt(image, record.id, "image") if image else None
        now = time.time()
        with self._tx(f"the {record.kind} record was NOT queued") as db:
            cursor = db.execute(
                "INSERT OR IGNORE INTO records (id, kind, kiosk_id, payload, image, created_at, confirmed_at, "
                "queued_at, state, attempts, next_attempt_at, updated_at, sent_at, remote_ref, origin) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?, ?, ?, ?, ?)",
                (record.id, record.kind, record.kiosk_id, sealed, sealed_image, record.created_at,
                 record.confirmed_at, now_iso(), SENT if local else PENDING, now, now,
                 now_iso() if local else None, LOCAL_ONLY if local else "", origin),
            )
        if cursor.rowcount and local:
            log.info("kept %s record %s on this kiosk (%s: never sent)", record.kind, record.id, origin)
        elif cursor.rowcount:
            log.info("queued %s record %s", record.kind, record.id)
        else:
            log.info("record %s was already queued", record.id)
        return record.id

    # -- reading ----------------------------------------------------------

    @staticmethod
    def _item(row: tuple) -> OutboxItem:
        return OutboxItem(
            *row[:13], has_image=bool(row[13]), progress=json.loads(row[14] or "{}"), in_doubt=bool(row[15]), origin=row[16]
        )

    def get(self, record_id: str) -> OutboxItem | None:
        rows = self._read(f"SELECT {_COLUMNS} FROM records WHERE id = ?", (record_id,))
        return self._item(rows[0]) if rows else None

    def items(self, state: str | None = None) -> list[OutboxItem]:
        if state is None:
            rows = self._read(f"SELECT {_COLUMNS} FROM records ORDER BY seq")
        else:
            rows = self._read(f"SELECT {_COLUMNS} FROM records WHERE state = ? ORDER BY seq", (state,))
        return [self._item(row) for row in rows]

    @staticmethod
    def _waiting_where(kinds: Sequence[str] | None) -> tuple[str, list[object]]:
        """The records a worker may send: not yet sent, not kept here for good, of `kinds` (None: any)."""
        where = f"state IN ('pending', 'sending') AND origin NOT IN ({', '.join('?' * len(LOCAL_ORIGINS))})"
        args: list[object] = list(LOCAL_ORIGINS)
        if kinds is not None:
            where += f" AND kind IN ({', '.join('?' * len(kinds))})"
            args += list(kinds)
        return where, args

    def next_item(self, now: float | None = None, kinds: Sequence[str] | None = None) -> OutboxItem | None:
        """The oldest record that is due now (of `kinds`; None: any).

        Each record is due at its own next attempt: one backing off (after an error,
        or in doubt while the target settles) never holds up the records behind it.
        """
        now = time.time() if now is None else now
        where, args = self._waiting_where(kinds)
        rows = self._read(f"SELECT {_COLUMNS} FROM records WHERE {where} AND next_attempt_at <= ? ORDER BY seq LIMIT 1", (*args, now))
        return self._item(rows[0]) if rows else None

    def next_due_at(self, kinds: Sequence[str] | None = None) -> float | None:
        """When the next record (of `kinds`) becomes due; None when none waits."""
        where, args = self._waiting_where(kinds)
        return self._read(f"SELECT min(next_attempt_at) FROM records WHERE {where}", args)[0][0]

    def waiting_kinds(self) -> frozenset[str]:
        """The kinds of the records waiting to be sent."""
        where, args = self._waiting_where(None)
        return frozenset(row[0] for row in self._read(f"SELECT DISTINCT kind FROM records WHERE {where}", args))

    def load(self, item: OutboxItem) -> tuple[Record, bytes | None]:
        """Decrypt a record and its image (raises DecryptError / SyncError, never returns garbage)."""
        rows = self._read("SELECT payload, image FROM records WHERE id = ?", (item.id,))
        if not rows:
            raise SyncError(f"record {item.id} is no longer in the outbox")
        payload, image = rows[0]
        data = self._cipher.decrypt(payload, item.id, "payload")
        try:
            record = record_from_json(json.loads(data))
        except (ValueError, RecordError) as exc:
            raise DecryptError(f"record {item.id}: payload cannot be read ({type(exc).__name__})") from None
        return record, (self._cipher.decrypt(image, item.id, "image") if image is not None else None)

    def count(self, state: str) -> int:
        return self._read("SELECT count(*) FROM records WHERE state = ?", (state,))[0][0]

    def status(self) -> OutboxStatus:
        counts = {state: 0 for state in STATES}
        local = ", ".join("?" * len(LOCAL_ORIGINS))
        for state, number in self._read(f"SELECT state, count(*) FROM records WHERE origin NOT IN ({local}) GROUP BY state", LOCAL_ORIGINS):
            counts[state] = number
        where, args = self._waiting_where(None)
        waiting = dict(self._read(f"SELECT kind, count(*) FROM records WHERE {where} GROUP BY kind", args))
        local_only = self._read(f"SELECT count(*) FROM records WHERE origin IN ({local})", LOCAL_ORIGINS)[0][0]
        oldest, next_at = self._read(
            "SELECT min(coalesce(confirmed_at, queued_at)), min(next_attempt_at) FROM records "
            "WHERE state IN ('pending', 'sending')"
        )[0]
        errors = self._read(
            "SELECT last_error, updated_at FROM records WHERE state != 'sent' AND last_error != '' "
            "ORDER BY updated_at DESC LIMIT 1"
        )
        target_error = self.get_meta("target_error")
        last_error = ""
        if errors:
            last_error = errors[0][0]
        if target_error:
            at, _, text = target_error.partition(" ")
            if not errors or float(at) >= errors[0][1]:
                last_error = text
        return OutboxStatus(
            path=self.path,
            counts=counts,
            oldest_pending=oldest,
            next_attempt_at=next_at,
            last_error=last_error,
            last_sync_at=self.get_meta("last_sync_at"),
            items_failed=self.items(FAILED),
            waiting=waiting,
            local_only=local_only,
        )

    def get_meta(self, name: str) -> str | None:
        rows = self._read("SELECT value FROM meta WHERE name = ?", (name,))
        return rows[0][0] if rows else None

    def set_meta(self, name: str, value: str | None) -> None:
        with self._tx("cannot update the outbox") as db:
            if value is None:
                db.execute("DELETE FROM meta WHERE name = ?", (name,))
            else:
                db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES (?, ?)", (name, value))

    def set_target_error(self, message: str | None) -> None:
        """Remember (or clear) an error of the whole target, e.g. wrong credentials."""
        self.set_meta("target_error", None if message is None else f"{time.time()} {message}")

    # -- the delivery life cycle -------------------------------------------

    def claim(self, item: OutboxItem) -> Delivery | None:
        """Mark the record `sending` (committed before any request goes out) and decrypt it.

        `resume` is true when an earlier attempt may have reached the target: the
        record was already `sending` (its process died) or had been tried before.
        None when another worker took the record meanwhile.
        """
        with self._tx("cannot mark the record as sending") as db:
            row = db.execute("SELECT state, attempts FROM records WHERE id = ?", (item.id,)).fetchone()
            if row is None or row[0] not in (PENDING, SENDING):
                return None
            db.execute(
                "UPDATE records SET state = 'sending', attempts = attempts + 1, in_doubt = 0, updated_at = ? WHERE id = ?",
                (time.time(), item.id),
            )
        state, attempts = row
        claimed = self.get(item.id)
        assert claimed is not None
        try:
            record, image = self.load(claimed)
        except DecryptError:
            self.release(item.id, "")  # never lose it: back to pending, the caller decides
            raise
        return Delivery(claimed, record, image, resume=state == SENDING or attempts > 0, progress=dict(claimed.progress), outbox=self)

    def save_progress(self, record_id: str, progress: dict[str, int]) -> None:
        with self._tx("cannot save the delivery progress") as db:
            db.execute("UPDATE records SET progress = ?, updated_at = ? WHERE id = ?", (json.dumps(progress), time.time(), record_id))

    def mark_sent(self, record_id: str, remote_ref: str) -> None:
        """Delivered: the image goes at once (privacy), the record after the retention period."""
        with self._tx("the record was delivered but its state could not be saved") as db:
            db.execute(
                "UPDATE records SET state = 'sent', sent_at = ?, remote_ref = ?, last_error = '', image = NULL, "
                "in_doubt = 0, updated_at = ? WHERE id = ?",
                (now_iso(), remote_ref, time.time(), record_id),
            )
            db.execute("INSERT OR REPLACE INTO meta (name, value) VALUES ('last_sync_at', ?)", (now_iso(),))

    def mark_retry(self, record_id: str, next_attempt_at: float, error: str, in_doubt: bool = False) -> None:
        """Back to `pending` until `next_attempt_at`; `in_doubt`: let the records behind it go meanwhile."""
        with self._tx("cannot save the retry time") as db:
            db.execute(
                "UPDATE records SET state = 'pending', next_attempt_at = ?, last_error = ?, in_doubt = ?, updated_at = ? "
                "WHERE id = ?",
                (next_attempt_at, error, int(in_doubt), time.time(), record_id),
            )

    def mark_failed(self, record_id: str, error: str) -> None:
        with self._tx("cannot mark the record as failed") as db:
            db.execute(
                "UPDATE records SET state = 'failed', last_error = ?, in_doubt = 0, updated_at = ? WHERE id = ?",
                (error, time.time(), record_id),
            )

    def release(self, record_id: str, error: str) -> None:
        """Back to `pending` without a new retry time (the target, not the record, had a problem)."""
        with self._tx("cannot release the record") as db:
            db.execute(
                "UPDATE records SET state = 'pending', last_error = ?, updated_at = ? WHERE id = ? AND state = 'sending'",
                (error, time.time(), record_id),
            )

    # -- operator actions -------------------------------------------------

    def retry_failed(self, ids: Sequence[str] | None = None) -> int:
        """Failed records (all, or those named) go back to `pending`, due now."""
        now = time.time()
        with self._tx("cannot retry the failed records") as db:
            if ids is None:
                cursor = db.execute(
                    "UPDATE records SET state = 'pending', next_attempt_at = ?, updated_at = ? WHERE state = 'failed'",
                    (now, now),
                )
                return cursor.rowcount
            changed = 0
            for record_id in ids:
                changed += db.execute(
                    "UPDATE records SET state = 'pending', next_attempt_at = ?, updated_at = ? "
                    "WHERE id = ? AND state = 'failed'",
                    (now, now, record_id),
                ).rowcount
            return changed

    def pause(self, kinds: Sequence[str], until: float, error: str) -> None:
        """Their target is down: the waiting records of `kinds` say why, and none is due before `until`
        (no attempt of theirs is counted; a delivery there makes them all due again)."""
        where, args = self._waiting_where(kinds)
        with self._tx("cannot save the sync error") as db:
            db.execute(
                f"UPDATE records SET last_error = ?, next_attempt_at = max(next_attempt_at, ?), updated_at = ? "
                f"WHERE {where} AND NOT in_doubt",
                (error, until, time.time(), *args),
            )

    def due_now(self, kinds: Sequence[str] | None = None, changed_before: float | None = None) -> int:
        """Records waiting out a back-off (of `kinds`; None: any; last changed before `changed_before`) are due now:
        a person asked for a sync, or their target is back.

        Records in doubt keep their time: the target may still be creating them.
        """
        now = time.time()
        where, args = self._waiting_where(kinds)
        if changed_before is not None:
            where += " AND updated_at < ?"
            args.append(changed_before)
        with self._tx("cannot update the retry times") as db:
            return db.execute(
                f"UPDATE records SET next_attempt_at = ?, updated_at = ? WHERE {where} AND NOT in_doubt AND next_attempt_at > ?",
                (now, now, *args, now),
            ).rowcount

    def correct(self, record: Record) -> bool:
        """Replace a failed record's fields with corrected ones and queue it again, due now, in one transaction.

        The delivery progress stays (what an earlier attempt created is found again, not duplicated).
        False when the record is not (or no longer) failed: nothing changes.
        """
        sealed = self._seal(record)
        now = time.time()
        with self._tx("the corrected record was NOT saved") as db:
            changed = db.execute(
                "UPDATE records SET payload = ?, state = 'pending', attempts = 0, next_attempt_at = ?, last_error = '', "
                "in_doubt = 0, updated_at = ? WHERE id = ? AND kind = ? AND state = 'failed'",
                (sealed, now, now, record.id, record.kind),
            ).rowcount
        if changed:
            log.info("corrected %s record %s and queued it again", record.kind, record.id)
        return bool(changed)

    def discard(self, ids: Sequence[str] | None = None) -> int:
        """Delete failed records (all, or those named): the operator gave up on them. Never touches others."""
        with self._tx("cannot discard the failed records") as db:
            if ids is None:
                return db.execute("DELETE FROM records WHERE state = 'failed'").rowcount
            return sum(db.execute("DELETE FROM records WHERE id = ? AND state = 'failed'", (i,)).rowcount for i in ids)

    def purge(self, retention_days: float, now: datetime | None = None) -> int:
        """Delete sent records older than the retention (their images went when they were sent)."""
        cutoff = (now or datetime.now(timezone.utc)) - timedelta(days=retention_days)
        with self._tx("cannot purge the outbox") as db:
            db.execute("UPDATE records SET image = NULL WHERE state = 'sent' AND image IS NOT NULL")
            removed = db.execute(
                "DELETE FROM records WHERE state = 'sent' AND sent_at <= ?",
                (cutoff.replace(microsecond=0).isoformat(),),
            ).rowcount
        if removed:
            log.info("purged %d sent records", removed)
            self.checkpoint()
        return removed

    def checkpoint(self) -> None:
        """Fold the WAL into the main file, so deleted rows leave no copy in the WAL either."""
        with self._lock:
            try:
                self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            except sqlite3.Error as exc:
                log.warning("outbox checkpoint failed: %s", exc)

    # -- fingerprints of confirmed records (duplicate checks) ---------------

    def add_fingerprint(self, record_id: str, kind: str, confirmed_at: str, image_hash: int | None, key_hash: str | None) -> None:
        """Keep what a later duplicate check compares (`image_hash`: 64 bits, unsigned); durable on return."""
        stored = image_hash - (1 << 64) if image_hash is not None and image_hash >= 1 << 63 else image_hash
        with self._tx("cannot store the record's fingerprint") as db:
            db.execute(
                "INSERT OR REPLACE INTO fingerprints (record_id, kind, confirmed_at, image_hash, key_hash) VALUES (?, ?, ?, ?, ?)",
                (record_id, kind, confirmed_at, stored, key_hash),
            )

    def fingerprints_since(self, kind: str, since: str) -> list[tuple[str, str, int | None, str | None]]:
        """(record id, confirmed at, image hash, key hash) of the `kind` records confirmed at or after `since` (ISO)."""
        rows = self._read(
            "SELECT record_id, confirmed_at, image_hash, key_hash FROM fingerprints WHERE kind = ? AND confirmed_at >= ? "
            "ORDER BY confirmed_at DESC",
            (kind, since),
        )
        return [(rid, at, None if h is None else h & ((1 << 64) - 1), key) for rid, at, h, key in rows]

    def forget_fingerprints(self, before: str) -> int:
        """Drop the fingerprints of records confirmed before `before` (ISO): outside every duplicate window."""
        with self._tx("cannot drop old fingerprints") as db:
            return db.execute("DELETE FROM fingerprints WHERE confirmed_at < ?", (before,)).rowcount

    # -- the one worker -----------------------------------------------------

    @contextmanager
    def worker_lock(self) -> Iterator[None]:
        """Held while delivering, so two workers never send from the same outbox at once."""
        if not self._worker_lock.acquire():
            raise SyncError(f"another sync is already running on {self.path}")
        try:
            yield
        finally:
            self._worker_lock.release()


def open_outbox(settings: Settings, *, create_key: bool = True) -> Outbox:
    """The outbox named by the settings; its key is created in the keyring when the outbox is new."""
    return Outbox(outbox_path(settings), create_key=create_key)


def queue_record(settings: Settings, record: Record, image_bytes: bytes | None = None, origin: str = "scan") -> str:
    """Queue a confirmed record durably, as the UI's "Save" does; returns its id once it is on disk.

    A record not yet confirmed is confirmed here with the kiosk's operator and
    id. The image is kept only when the settings allow it (`keeps_image`).
    `origin` `demo` or `selftest`: the record is kept on this kiosk and never sent.
    Raises SyncError (disk full, no key, ...) when the record could NOT be
    stored: the caller must then keep it and say so.
    """
    if record.confirmed_at is None:
        record.confirm(settings.kiosk.operator, settings.kiosk.id)
    if not record.kiosk_id:
        record.kiosk_id = settings.kiosk.id
    image = image_bytes if image_bytes and keeps_image(settings, record.kind) else None
    with open_outbox(settings) as outbox:
        return outbox.add(record, image, origin)


def destination(settings: Settings, kind: str, origin: str = "scan") -> str:
    """Where a record confirmed now goes: a target's name, `none` (kept until a target takes its kind)
    or `local-only` (a demo or self-test record, never sent)."""
    return LOCAL_ONLY if origin in LOCAL_ORIGINS else route(settings, kind)
