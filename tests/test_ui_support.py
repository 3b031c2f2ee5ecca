"""Shared pieces of the UI tests (no tests here): one set of OCR models for every window, a window factory, outbox read-back."""

from __future__ import annotations

import time

import cv2
import numpy as np
import pytest

from kiosk.config import Settings
from kiosk.sync.outbox import open_outbox

SCAN_TIMEOUT_MS = 90_000
"""Long: the machine running the tests may be loaded; a normal demo scan takes 3-6 s."""


@pytest.fixture(scope="session")
def ui_models():
    """The OCR engine and analysers, loaded once for all UI tests (loading costs 1-2 s)."""
    from kiosk.scan.models import ScanModels

    return ScanModels(Settings()).load()


@pytest.fixture
def make_window(qtbot, ui_models):
    """`make_window(settings=None, **options)`: a shown MainWindow using the shared models (demo camera by default)."""
    from kiosk.ui.main_window import MainWindow

    made = []

    def make(settings: Settings | None = None, **options):
        options.setdefault("camera", "demo")
        window = MainWindow(settings or Settings(), models=ui_models, **options)
        qtbot.addWidget(window)
        window.resize(1280, 800)
        window.show()
        made.append(window)
        return window

    yield make
    for window in made:
        window._allow_close = True
        window.shutdown()


def wait_screen(qtbot, window, screen, timeout: int = SCAN_TIMEOUT_MS) -> None:
    def there() -> None:
        assert window.current_screen() is screen, (
            f"on {type(window.current_screen()).__name__}: hint={window.scan.hint.text()!r} "
            f"failed={window.scan.failed_reason.text()!r} busy={window.scan.busy_text.text()!r}"
        )

    qtbot.waitUntil(there, timeout=timeout)


def read_back(settings: Settings, record_id: str):
    """The record as stored in the outbox, decrypted through the outbox API."""
    with open_outbox(settings, create_key=False) as outbox:
        item = outbox.get(record_id)
        assert item is not None, "the record is not in the outbox"
        record, image = outbox.load(item)
    return item, record, image


def type_into(qtbot, edit, text: str) -> None:
    """Replace a line edit's text by typing, as an operator would (textEdited fires)."""
    edit.setFocus()
    edit.selectAll()
    qtbot.keyClicks(edit, text)


def blank_image(path) -> str:
    cv2.imwrite(str(path), np.full((600, 900, 3), 245, np.uint8))
    return str(path)


class GapMeter:
    """Longest gap between ticks of a 10 ms timer on the UI thread: how long the UI thread was blocked."""

    def __init__(self) -> None:
        from PySide6.QtCore import QTimer

        self.timer = QTimer()
        self.timer.setInterval(10)
        self.timer.timeout.connect(self.tick)
        self.last = 0.0
        self.gaps: list[float] = []

    def start(self) -> None:
        self.last = time.perf_counter()
        self.timer.start()

    def tick(self) -> None:
        now = time.perf_counter()
        self.gaps.append(now - self.last)
        self.last = now

    def stop(self) -> None:
        self.timer.stop()

    @property
    def max_ms(self) -> float:
        return 1000 * max(self.gaps, default=0.0)

    def percentile_ms(self, share: float) -> float:
        if not self.gaps:
            return 0.0
        ordered = sorted(self.gaps)
        return 1000 * ordered[min(len(ordered) - 1, int(share * len(ordered)))]
