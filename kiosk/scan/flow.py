"""One scan, from a picture to what the operator reviews: local read, evidence crop, remote fallback.

    scan = read_file(models, "receipt", "receipt.jpg")
    if needs_remote(scan, settings):
        scan = ask_remote(scan, settings, client=client)
    scan.record, scan.problem, scan.to_json("receipt.jpg")

Blocking and Qt-free: the app runs these on its workers, the command line
directly. Whether to ask the OCR service is decided by
`kiosk.ocr.remote.fallback.should_ask_remote`, the one policy.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from kiosk.config import Settings
from kiosk.ocr.mrz.read import PassportRead
from kiosk.ocr.receipt.extract import extract_receipt
from kiosk.ocr.receipt.read import ReceiptRead
from kiosk.ocr.remote.fallback import FallbackOutcome, read_with_fallback, should_ask_remote
from kiosk.records import Record
from kiosk.scan.evidence import evidence_crop
from kiosk.scan.models import ScanModels
from kiosk.status import NOTHING_READ, Status

__all__ = ["Scan", "ask_remote", "from_capture", "needs_remote", "read_file", "read_image", "usable"]


def usable(record: Record | None) -> bool:
    """Something was read that is worth showing for review."""
    if record is None or record.status in NOTHING_READ:
        return False
    return any(f.value is not None for f in record.fields.values())


@dataclass
class Scan:
    """One document being handled: the local read, the record to review, the picture and its crop."""

    kind: str
    read: PassportRead | ReceiptRead | None
    """The local read (None when there was none: typed in by hand, read by the OCR service only)."""
    record: Record | None
    """What to review: the local read's record, or merged with the OCR service's answer."""
    image: np.ndarray | None
    """The picture (sent to the OCR service, stored with the record where the site allows)."""
    crop: np.ndarray | None
    """The evidence crop (BGR)."""
    origin: str
    """camera, file, hand, or demo (the demo camera's specimen documents: kept on the kiosk, never sent)."""
    seconds: float = 0.0
    problem: str = ""
    """Why the capture gave no certain read (e.g. its timeout), when it says so; empty otherwise."""
    outcome: FallbackOutcome | None = None
    """The OCR service's part, once asked (or found not askable)."""
    attachment: bytes | None = None
    """The file to keep with the record instead of the picture: a PDF, whole (every page)."""

    @property
    def usable(self) -> bool:
        return usable(self.record)

    def to_json(self, name: str) -> dict[str, Any]:
        """The one JSON form of a scan: the record (with the MRZ detail for a passport, fields at the top
        level for a receipt), `seconds`, `via` and, when the OCR service failed, `remote_error`."""
        assert self.record is not None
        local = self.read if self.outcome is None or self.outcome.via != "remote" else None
        if self.kind == "passport":
            detail = local.to_json(self.record) if isinstance(local, PassportRead) else {**self.record.to_json(), "corrections": [], "ambiguities": []}
        else:
            shown = local if isinstance(local, ReceiptRead) else ReceiptRead(self.record, self.seconds)  # type: ignore[arg-type]
            detail = shown.to_json(self.record)  # type: ignore[arg-type]
        out: dict[str, Any] = {"file": name, **detail, "seconds": round(self.seconds, 3)}
        out.update(self.outcome.json_extra() if self.outcome is not None else {"via": "local"})
        return out


def read_image(models: ScanModels, kind: str, image: np.ndarray, *, origin: str = "file") -> Scan:
    """Read a picture of a `kind` document locally and cut its evidence crop."""
    started = time.perf_counter()
    read = models.read(kind, image)
    crop = evidence_crop(kind, image, region=read.region if isinstance(read, PassportRead) else None)
    return Scan(kind, read, read.record, image, crop, origin, time.perf_counter() - started)


def read_file(models: ScanModels, kind: str | None, path: str) -> Scan:
    """Read an image file or a PDF; `kind` None: a passport if it has an MRZ, else a receipt (else the passport read).

    A PDF's first page is read from its text layer when it has one (exact, no OCR) and is not a passport,
    else from its picture; the whole file is kept as the record's attachment.
    """
    from kiosk.images import decode_image, read_file_bytes
    from kiosk.pdf import is_pdf

    data = read_file_bytes(path)
    if is_pdf(data):
        return _read_pdf(models, kind, path, data)
    return _read_picture(models, kind, decode_image(data, path))


def _read_pdf(models: ScanModels, kind: str | None, path: str, data: bytes) -> Scan:
    from kiosk.ocr.mrz.parse import find_mrz_lines
    from kiosk.pdf import read_first_page

    page = read_first_page(data, path)
    text_receipt = page.has_text and kind != "passport" and find_mrz_lines(page.lines) is None
    if text_receipt:
        started = time.perf_counter()
        record = extract_receipt(page.lines, models.settings.receipt)
        read = ReceiptRead(record, time.perf_counter() - started, straightening="text layer")
        scan = Scan("receipt", read, record, page.image, evidence_crop("receipt", page.image), "file", read.seconds)
    else:
        scan = _read_picture(models, kind, page.image)
    return replace(scan, attachment=data)


def _read_picture(models: ScanModels, kind: str | None, image: np.ndarray) -> Scan:
    if kind is not None:
        return read_image(models, kind, image)
    first = read_image(models, "passport", image)
    if first.record is not None and first.record.status != Status.NO_MRZ:
        return first
    second = read_image(models, "receipt", image)
    return second if second.record is not None and second.record.status != Status.NO_RECEIPT else first


def from_capture(result: Any, crop: np.ndarray | None, origin: str = "camera") -> Scan:
    """A finished live capture (`kiosk.capture.auto.CaptureResult`) as a scan; `origin` "demo" from the demo camera."""
    return Scan(result.mode, result.read, result.record, result.best_frame, crop, origin, result.read_seconds, "" if result.ok else result.reason)


def needs_remote(scan: Scan, settings: Settings) -> bool:
    """Whether the policy sends this scan's picture to the OCR service without the operator asking."""
    if scan.image is None:
        return False
    return should_ask_remote(scan.record, settings, failed=bool(scan.problem) or not scan.usable)


def ask_remote(scan: Scan, settings: Settings, *, client: Any = None, operator_asked: bool = False, force: bool = False) -> Scan:
    """The scan with the OCR service's answer merged in (or its error in `outcome`). Blocking; never raises for
    a service failure. `operator_asked`: "Try OCR service"; `force`: read with the service only."""
    started = time.perf_counter()
    local = None if force else (scan.record if scan.usable or not operator_asked else None)
    image: Any = scan.image
    outcome = read_with_fallback(
        scan.kind, image, local, settings, operator_asked=operator_asked, force=force, client=client,
        failed=bool(scan.problem),
    )
    record = outcome.record if outcome.record is not None else scan.record
    return replace(scan, record=record, outcome=outcome, seconds=scan.seconds + time.perf_counter() - started)
