"""Reading a receipt image: straighten, OCR, rebuild rows, extract the fields.

    reader = ReceiptReader(create_engine("onnx"), settings.receipt)
    read = reader.read(load_image("receipt.jpg"))
    read.record.value("total"), read.record.status, read.seconds

Headless and Qt-free; one reader per worker thread (the engine is not thread-safe).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import date
from typing import Any

import cv2
import numpy as np

from kiosk.config import ReceiptSettings
from kiosk.ocr.engine.engines import receipt_engine
from kiosk.ocr.engine.pipeline import as_bgr
from kiosk.ocr.receipt.extract import extract_receipt
from kiosk.ocr.receipt.lines import build_rows
from kiosk.ocr.receipt.straighten import straighten
from kiosk.ocr.engine.types import OcrEngine
from kiosk.records import RECEIPT_FIELDS, ReceiptRecord

__all__ = ["ReceiptRead", "ReceiptReader", "shrink_to_width"]

STRAIGHTEN_FACTOR = 2
"""Pictures are straightened at most this many times `read_width` across (a receipt on a larger page keeps
its print legible after the crop), then shrunk to `read_width` for OCR."""

DETECT_FRACTION = 0.6
"""Text is found on the receipt shrunk to this fraction of `read_width` (480 of 800 px across) and read from the
crops at `read_width`. On the 135 shared receipts (bench/receipt_eval.py): median 1.05 -> 0.80 s, p95 1.50 -> 1.16 s,
peak RSS 740-820 -> 590-650 MB, the same fields read right; smaller print is found at `read_width`
(`pipeline.COARSE_MIN_BOX`)."""


def shrink_to_width(image: np.ndarray, width: int) -> np.ndarray:
    """`image` scaled down so its shorter side (across an upright receipt) is at most `width`; 0 keeps it.

    Receipt print stays legible at 800 px across 80 mm paper, and the OCR
    detector's work falls with the pixel count.
    """
    short = min(image.shape[:2])
    if not width or short <= width:
        return image
    factor = width / short
    return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA)


@dataclass(frozen=True)
class ReceiptRead:
    """One receipt read: the record, how long it took, and what straightening did."""

    record: ReceiptRecord
    seconds: float
    straightening: str = "unchanged"
    """`warped`, `cropped` or `unchanged` (see `receipt_straighten.Straightened.action`)."""
    ocr_seconds: float = 0.0

    def to_json(self, record: ReceiptRecord | None = None) -> dict[str, Any]:
        """The record's JSON (this read's, or `record`, e.g. merged with the OCR service's), its fields at the
        top level.

        `vendor`, `date`, `total`, `tax`, `subtotal` and `currency` are each
        `{value, confidence, source, valid, reason}`; `amount` repeats `total`
        under the remote OCR service's name, so the two answers line up.
        """
        data = (record or self.record).to_json()
        fields = data.pop("fields")
        return {**data, **{key: fields[key] for key in RECEIPT_FIELDS}, "amount": fields["total"], "straightening": self.straightening}


class ReceiptReader:
    """Reads receipts with one OCR engine and the site's receipt settings."""

    def __init__(self, engine: OcrEngine, settings: ReceiptSettings | None = None, today: date | None = None) -> None:
        self.settings = settings or ReceiptSettings()
        self.engine = receipt_engine(engine, round(DETECT_FRACTION * self.settings.read_width))
        self.today = today

    def read(self, image: np.ndarray) -> ReceiptRead:
        """Read one receipt image (BGR or grey uint8). Raises EngineError on an unusable array."""
        started = time.perf_counter()
        image = as_bgr(image)
        if self.settings.read_width:
            image = shrink_to_width(image, STRAIGHTEN_FACTOR * self.settings.read_width)  # a 35-megapixel scan is not warped whole
        straight = straighten(image)
        ocr_started = time.perf_counter()
        lines = self.engine.read(shrink_to_width(straight.image, self.settings.read_width))
        ocr_seconds = time.perf_counter() - ocr_started
        record = extract_receipt(build_rows(lines), self.settings, self.today)
        return ReceiptRead(record, time.perf_counter() - started, straight.action, ocr_seconds)
