"""OCR off the UI thread: one QThread owns the engine and reads files on request."""

from __future__ import annotations

import time

from PySide6.QtCore import QObject, QThread, Signal, Slot

from kiosk.config import OcrSettings
from kiosk.errors import KioskError
from kiosk.images import load_image
from kiosk.ocr import OcrEngine, create_engine


class OcrWorker(QObject):
    """Lives on the OCR thread. The engine is built there, on first use."""

    status = Signal(str)
    finished = Signal(str, list, float)
    failed = Signal(str, str)

    def __init__(self, settings: OcrSettings) -> None:
        super().__init__()
        self._settings = settings
        self._engine: OcrEngine | None = None

    @Slot(str)
    def read_file(self, path: str) -> None:
        try:
            if self._engine is None:
                self.status.emit(f"Loading the {self._settings.engine} OCR engine…")
                self._engine = create_engine(self._settings.engine, self._settings.threads, self._settings.max_side)
            self.status.emit("Reading…")
            started = time.perf_counter()
            lines = self._engine.read(load_image(path))
            self.finished.emit(path, lines, time.perf_counter() - started)
        except KioskError as exc:
            self.failed.emit(path, str(exc))
        except Exception as exc:  # a bug must not kill the OCR thread and freeze the app
            self.failed.emit(path, f"unexpected error: {type(exc).__name__}")


class OcrService(QObject):
    """The UI side: `read(path)` queues a file; results arrive as the worker's signals."""

    requested = Signal(str)

    def __init__(self, settings: OcrSettings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.thread = QThread()
        self.thread.setObjectName("ocr")
        self.worker = OcrWorker(settings)
        self.worker.moveToThread(self.thread)
        self.requested.connect(self.worker.read_file)
        self.thread.start()

    def read(self, path: str) -> None:
        self.requested.emit(path)

    def shutdown(self) -> None:
        self.thread.quit()
        self.thread.wait()
