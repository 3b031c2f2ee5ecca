"""The one place the OCR engine, the document readers and the live analysers are built from the settings."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

import numpy as np

from kiosk.config import Settings
from kiosk.errors import KioskError
from kiosk.ocr.engine.types import OcrEngine
from kiosk.ocr.mrz.read import MrzReader, PassportRead
from kiosk.ocr.receipt.read import ReceiptRead, ReceiptReader

log = logging.getLogger("kiosk.scan")

KINDS = ("passport", "receipt")


class ScanModels:
    """The engine, readers and analysers, loaded once and shared. Loading is slow: do it on a worker.

    `live=True` (the app) sizes the engine's threads for live capture, leaving a
    core to the preview, and `load()` warms the capture analysers too; the
    command line uses `[ocr] threads` and loads only what a file read needs.
    Reading is not thread-safe: one worker reads at a time.
    """

    def __init__(self, settings: Settings, *, engine: str | None = None, live: bool = True) -> None:
        self.settings = settings
        self.engine_name = engine
        self.live = live
        self.engine: OcrEngine | None = None
        self.analysers: dict[str, Any] = {}
        self._readers: dict[str, Any] = {}
        self._lock = threading.RLock()
        self.error: str | None = None
        self.seconds = 0.0

    @property
    def key(self) -> tuple:
        """What the loaded models depend on: new settings with another key need new models."""
        s = self.settings
        return (s.ocr.engine, s.ocr.max_side, s.capture.analysis_threads, s.receipt.currency, s.receipt.date_order)

    @property
    def ready(self) -> bool:
        return bool(self.analysers) if self.live else self.engine is not None

    def load_engine(self) -> OcrEngine:
        from kiosk.capture.pipeline import analysis_threads
        from kiosk.ocr.engine import create_engine

        with self._lock:
            if self.engine is None:
                threads = analysis_threads(self.settings) if self.live else self.settings.ocr.threads
                try:
                    self.engine = create_engine(self.engine_name or self.settings.ocr.engine, threads, self.settings.ocr.max_side)
                except KioskError as exc:
                    self.error = str(exc)
                    raise
            return self.engine

    def load(self) -> "ScanModels":
        """The engine, and for live use the two capture analysers, warmed up."""
        from kiosk.capture.pipeline import create_analyser

        with self._lock:
            if self.ready:
                return self
            started = time.perf_counter()
            engine = self.load_engine()
            if self.live:
                try:
                    analysers = {mode: create_analyser(mode, self.settings, engine) for mode in KINDS}
                    for analyser in analysers.values():
                        analyser.warm()
                except KioskError as exc:
                    self.error = str(exc)
                    raise
                self.analysers = analysers
            self.seconds = time.perf_counter() - started
            log.info("OCR models ready in %.2f s", self.seconds)
            return self

    def analyser(self, mode: str) -> Any:
        return self.analysers[mode]

    def reader(self, kind: str) -> MrzReader | ReceiptReader:
        """The file reader for `kind` (made once)."""
        if kind not in KINDS:
            raise KioskError(f"unknown document kind {kind!r}; choose passport or receipt")
        with self._lock:
            reader = self._readers.get(kind)
            if reader is None:
                reader = MrzReader() if kind == "passport" else ReceiptReader(self.load_engine(), self.settings.receipt)
                self._readers[kind] = reader
            return reader

    def read(self, kind: str, image: np.ndarray) -> PassportRead | ReceiptRead:
        """Read one picture of a `kind` document: the same flow as live capture from the region finder on."""
        return self.reader(kind).read(image)
