#!/usr/bin/env python3
"""Screenshots of every screen at every kiosk screen size: 1024x768, 1366x768 and 1920x1080.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--sizes 1024x768,1366x768,1920x1080]

Renders the app on Qt's offscreen platform (no display, no Xvfb needed) with
the demo camera, in a throw-away settings folder and file keyring (your own
settings and keyring are never touched), drives it like an operator and saves
one PNG per screen and size, `NAME-WxH.png`: home, scanning, scan-failed,
review, review-receipt, discard (Esc on a review), idle (the countdown before
the reset), pin, settings, settings-sync, first-run. The window gets each size
fixed, as a full-screen kiosk does: what does not fit is clipped, as it would
be on that screen. PNGs are palette-reduced when needed to stay under
`--max-kb`.

It also prints the longest the UI thread was blocked during the live scan.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SIZES = "1024x768,1366x768,1920x1080"


def shrink(path: Path, max_kb: int) -> None:
    """Keep the PNG under `max_kb`: palette-reduce it (and scale it down if still too big)."""
    from PIL import Image

    if path.stat().st_size <= max_kb * 1024:
        return
    image = Image.open(path).convert("RGB")
    for scale in (1.0, 0.85, 0.7, 0.6):
        candidate = image if scale == 1.0 else image.resize((int(image.width * scale), int(image.height * scale)), Image.LANCZOS)
        for colours in (256, 128, 64):
            candidate.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(path, optimize=True)
            if path.stat().st_size <= max_kb * 1024:
                return


def parse_sizes(text: str) -> list[tuple[int, int]]:
    sizes = []
    for item in text.split(","):
        width, height = (int(v) for v in item.lower().strip().split("x"))
        sizes.append((width, height))
    return sizes


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="folder for the PNGs")
    parser.add_argument("--sizes", default=SIZES, help=f"screen sizes WxH, comma-separated (default {SIZES})")
    parser.add_argument("--max-kb", type=int, default=200, help="largest PNG size")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    scratch = Path(tempfile.mkdtemp(prefix="kiosk-screenshots-"))
    os.environ.update(
        {
            "QT_QPA_PLATFORM": "offscreen",
            "XDG_CONFIG_HOME": str(scratch / "config"),
            "XDG_DATA_HOME": str(scratch / "data"),
            "PYTHON_KEYRING_BACKEND": "kiosk.keyring_file.FileKeyring",
            "KIOSK_KEYRING_FILE": str(scratch / "keyring.json"),
        }
    )
    os.environ.pop("KIOSK_CONFIG", None)
    sys.path.insert(0, str(ROOT))
    try:
        return run(out, parse_sizes(args.sizes), args.max_kb)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def sample_imports(folder: Path) -> Path:
    """An import folder with a passport page and a receipt, for the picker."""
    import cv2

    from kiosk.capture.synthetic import passport_page, receipt_page

    folder.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(folder / "passport-scan.png"), passport_page())
    cv2.imwrite(str(folder / "receipt-scan.jpg"), receipt_page())
    return folder


class Driver:
    """The app's window and the event loop, driven like an operator."""

    def __init__(self, out: Path, max_kb: int) -> None:
        from kiosk.config import Settings, save_settings
        from kiosk.ui.app import create_app
        from kiosk.ui.main_window import MainWindow
        from kiosk.ui.pin import set_pin

        self.app = create_app()
        self.out, self.max_kb = out, max_kb
        settings = Settings()
        settings.kiosk.id = "counter-1"
        settings.kiosk.operator = "Alex"
        settings.ui.import_folders = [str(sample_imports(Path(os.environ["XDG_DATA_HOME"]) / "imports"))]
        save_settings(settings)
        set_pin("2468")
        self.window = MainWindow(settings, camera="demo")
        self.window.show()
        self.size = (1366, 768)

    def pump(self, seconds: float) -> None:
        from PySide6.QtCore import QEventLoop

        end = time.monotonic() + seconds
        while time.monotonic() < end:
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    def wait(self, condition, timeout: float = 90.0, what: str = "") -> None:
        from PySide6.QtCore import QEventLoop

        end = time.monotonic() + timeout
        while time.monotonic() < end:
            self.app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if condition():
                return
        raise SystemExit(f"screenshots: timed out waiting for {what}")

    def resize(self, size: tuple[int, int]) -> None:
        self.size = size
        self.window.setFixedSize(*size)
        self.pump(0.2)

    def shoot(self, name: str) -> None:
        self.pump(0.3)  # let everything lay out and paint
        path = self.out / f"{name}-{self.size[0]}x{self.size[1]}.png"
        self.window.grab().save(str(path), "PNG")
        shrink(path, self.max_kb)
        print(f"{path}  {path.stat().st_size // 1024} KB", flush=True)


def live_scan(driver: Driver) -> list[float]:
    """A live demo passport scan, measuring the UI thread's longest pauses; shoots the scan in progress."""
    from PySide6.QtCore import QTimer

    window = driver.window
    gaps: list[float] = []
    last = [time.perf_counter()]

    def tick() -> None:
        now = time.perf_counter()
        gaps.append(now - last[0])
        last[0] = now

    meter = QTimer()
    meter.setInterval(10)
    meter.timeout.connect(tick)
    meter.start()
    window.start_scan("passport")
    driver.wait(lambda: window.scan.preview.found or window.current_screen() is window.review, what="the passport in view")
    meter.stop()
    if window.current_screen() is window.scan:
        driver.shoot("scanning")
    driver.wait(lambda: window.current_screen() is window.review, what="the passport review")
    return gaps


def shoot_size(driver: Driver, size: tuple[int, int]) -> list[float]:
    window = driver.window
    driver.resize(size)
    window.go_home()
    driver.shoot("home")

    gaps = live_scan(driver)
    window.review.rows["given_names"].edit.setFocus()  # shows where the field sits in the MRZ
    driver.shoot("review")
    window.escape()  # Esc on a read: asked first
    driver.shoot("discard")
    window.question.dismiss()
    window.idle.set_interval_ms(60_000)
    window.idle._warn()  # the countdown, as after a while without input
    driver.shoot("idle")
    window.idle.set_seconds(window.settings.ui.idle_seconds)
    window.go_home()

    window.start_scan("receipt")
    driver.wait(lambda: window.current_screen() is window.review, what="the receipt review")
    driver.shoot("review-receipt")
    window.go_home()
    window.kind = "passport"
    window.show_failure("passport", window.tr("No certain read within 20 s (the MRZ is too blurred)."))
    driver.shoot("scan-failed")
    window.go_home()

    window.open_settings()
    driver.wait(lambda: window.current_screen() is window.pin, 15, "the PIN pad")
    for digit in "24":
        window.pin.pad.press(digit)
    driver.shoot("pin")
    for digit in "68":
        window.pin.pad.press(digit)
    window.pin.pad.submit()
    driver.wait(lambda: window.current_screen() is window.settings_screen, 15, "the settings")
    driver.shoot("settings")
    screen = window.settings_screen
    screen.tabs.setCurrentIndex(3)  # sync, filled in as an example (not saved)
    screen.sync.target.setCurrentIndex(screen.sync.target.findData("odoo"))
    screen.sync.odoo_url.setText("https://odoo.example.org")
    screen.sync.odoo_database.setText("company")
    screen.sync.odoo_login.setText("kiosk@example.org")
    screen.sync.odoo_secret.setText("example-api-key")
    driver.shoot("settings-sync")
    window.go_home()

    window.choose_file(None)
    driver.wait(lambda: window.picker.list.count() > 0, 15, "the image picker")
    driver.shoot("picker")
    window.go_home()

    window.open_settings("queue")
    driver.wait(lambda: window.current_screen() is window.pin, 15, "the PIN pad")
    for digit in "2468":
        window.pin.pad.press(digit)
    window.pin.pad.submit()
    driver.wait(lambda: window.current_screen() is window.queue, 15, "the sync queue")
    driver.shoot("queue")
    window.go_home()

    window.first_run.load(window.settings)
    window.show_screen(window.first_run)
    driver.shoot("first-run")
    window.go_home()
    return gaps


def run(out: Path, sizes: list[tuple[int, int]], max_kb: int) -> int:
    driver = Driver(out, max_kb)
    driver.wait(lambda: driver.window.models.ready, what="the OCR models")
    gaps: list[float] = []
    for size in sizes:
        gaps += shoot_size(driver, size)
    ordered = sorted(gaps)
    if ordered:
        print(
            f"UI thread during the live passport scans: longest gap {1000 * ordered[-1]:.0f} ms, "
            f"99th percentile {1000 * ordered[int(0.99 * (len(ordered) - 1))]:.0f} ms "
            f"({len(ordered)} ticks of a 10 ms timer)"
        )
    driver.window.quit_app()
    driver.app.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
