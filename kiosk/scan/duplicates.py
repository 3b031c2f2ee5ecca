"""Duplicate receipts: was this receipt confirmed before, within `[receipt] duplicate_days`?

Two ways to be the same receipt, either one warns:

- the same picture: a 64-bit difference hash (dHash) of the grey picture, equal
  within `IMAGE_BITS` bits, so a copy re-encoded as JPEG or scaled still matches;
- the same vendor, date and total (a second photo of the same paper).

Both are kept with each confirmed receipt in the outbox file (`Outbox.add_fingerprint`),
apart from the records, so they outlive the purge of sent records; the fields only
as a hash. The hash is of the picture as given, not of the straightened receipt:
straightening decides between warping and cropping differently at other scales,
which moves the hash more than a re-encoding does.
"""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from decimal import Decimal, InvalidOperation

import cv2
import numpy as np

from kiosk.config import Settings
from kiosk.errors import KioskError
from kiosk.records import Record
from kiosk.sync.outbox import open_outbox

log = logging.getLogger("kiosk.scan")

IMAGE_BITS = 8
"""Hashes this many bits apart or fewer are the same picture (copies of one picture differ by up to 6 of 64)."""


@dataclass(frozen=True)
class Fingerprint:
    image_hash: int | None
    key_hash: str | None


@dataclass(frozen=True)
class Duplicate:
    """An earlier confirmed receipt this one matches."""

    confirmed_at: str
    """When it was confirmed (ISO, UTC)."""
    same_picture: bool
    same_fields: bool


def image_hash(image: np.ndarray) -> int:
    """The 64-bit dHash: a 9x8 grey thumbnail, one bit per pair of neighbours (is the right one brighter)."""
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
    small = cv2.resize(grey, (9, 8), interpolation=cv2.INTER_AREA).astype(np.int16)
    bits = (small[:, 1:] > small[:, :-1]).ravel()
    return int("".join("1" if bit else "0" for bit in bits), 2)


def key_hash(record: Record) -> str | None:
    """A hash of vendor (letters and digits, any case), date and total; None unless all three are there."""
    vendor, day, total = (record.value(name) for name in ("vendor", "date", "total"))
    if not vendor or not day or total in (None, ""):
        return None
    try:
        amount = f"{Decimal(str(total)):.2f}"
    except InvalidOperation:
        return None
    name = re.sub(r"[\W_]+", "", str(vendor).casefold())
    return hashlib.sha256(f"{name}|{day}|{amount}".encode()).hexdigest()


def fingerprint(record: Record, image: np.ndarray | None) -> Fingerprint:
    return Fingerprint(image_hash(image) if image is not None else None, key_hash(record))


def _since(days: int, now: datetime | None) -> str:
    moment = (now or datetime.now(timezone.utc)) - timedelta(days=days)
    return moment.replace(microsecond=0).isoformat()


def find_duplicate(settings: Settings, record: Record, image: np.ndarray | None, now: datetime | None = None) -> Duplicate | None:
    """The latest receipt confirmed within `[receipt] duplicate_days` with the same picture or fields, if any.
    Blocking (disk): run it on a worker."""
    days = settings.receipt.duplicate_days
    if record.kind != "receipt" or days <= 0:
        return None
    mine = fingerprint(record, image)
    if mine.image_hash is None and mine.key_hash is None:
        return None
    with open_outbox(settings) as outbox:
        earlier = outbox.fingerprints_since("receipt", _since(days, now))
    for record_id, confirmed_at, other_image, other_key in earlier:
        if record_id == record.id:
            continue
        picture = mine.image_hash is not None and other_image is not None and bin(mine.image_hash ^ other_image).count("1") <= IMAGE_BITS
        fields = mine.key_hash is not None and mine.key_hash == other_key
        if picture or fields:
            return Duplicate(confirmed_at, picture, fields)
    return None


def remember(settings: Settings, record: Record, image: np.ndarray | None) -> None:
    """Keep a confirmed receipt's fingerprint (after `queue_record`), and drop those older than the window.

    Never raises for the outbox: the record is already stored, and a lost fingerprint only loses one warning.
    """
    if record.kind != "receipt" or record.confirmed_at is None:
        return
    mine = fingerprint(record, image)
    try:
        with open_outbox(settings) as outbox:
            outbox.add_fingerprint(record.id, record.kind, record.confirmed_at, mine.image_hash, mine.key_hash)
            outbox.forget_fingerprints(_since(max(settings.receipt.duplicate_days, 1), None))
    except KioskError as exc:
        log.warning("the receipt's fingerprint was not kept (no duplicate warning for it): %s", exc)
