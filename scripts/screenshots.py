#!/usr/bin/env python3
"""Screenshots of the app for the README: home, scanning, review (passport and receipt), PIN and settings.

    .venv/bin/python scripts/screenshots.py [--out docs/screenshots] [--size 1280x800]

Starts the app under Xvfb (Debian `xvfb`; Qt's xcb plugin also needs
`libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1`, see scripts/setup.sh) with
the demo camera, in a throw-away settings folder and file keyring (your own
settings and keyring are never touched), drives it like an operator and saves
one PNG per screen. With `--no-xvfb` it uses the current $DISPLAY instead.
PNGs are palette-reduced when needed to stay under `--max-kb`.

It also prints the longest the UI thread was blocked during the live scan.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def start_xvfb(width: int, height: int) -> tuple[subprocess.Popen, str]:
    if not shutil.which("Xvfb"):
        sys.exit("screenshots: Xvfb is not installed (apt-get install xvfb), or use --no-xvfb with a display")
    for number in range(99, 140):
        if Path(f"/tmp/.X11-unix/X{number}").exists() or Path(f"/tmp/.X{number}-lock").exists():
            continue
        process = subprocess.Popen(
            ["Xvfb", f":{number}", "-screen", "0", f"{width}x{height}x24", "-nolisten", "tcp", "-noreset"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            if Path(f"/tmp/.X11-unix/X{number}").exists():
                return process, f":{number}"
            if process.poll() is not None:
                break
            time.sleep(0.05)
        process.kill()
    sys.exit("screenshots: could not start Xvfb")


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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(ROOT / "docs" / "screenshots"), help="folder for the PNGs")
    parser.add_argument("--size", default="1280x800", help="screen size WxH")
    parser.add_argument("--max-kb", type=int, default=200, help="largest PNG size")
    parser.add_argument("--no-xvfb", action="store_true", help="use the current $DISPLAY")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.lower().split("x"))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)

    xvfb = None
    if not args.no_xvfb:
        xvfb, display = start_xvfb(width, height)
        os.environ["DISPLAY"] = display
        os.environ["QT_QPA_PLATFORM"] = "xcb"
    scratch = Path(tempfile.mkdtemp(prefix="kiosk-screenshots-"))
    os.environ.update(
        {
            "XDG_CONFIG_HOME": str(scratch / "config"),
            "XDG_DATA_HOME": str(scratch / "data"),
            "PYTHON_KEYRING_BACKEND": "kiosk.keyring_file.FileKeyring",
            "KIOSK_KEYRING_FILE": str(scratch / "keyring.json"),
        }
    )
    os.environ.pop("KIOSK_CONFIG", None)
    sys.path.insert(0, str(ROOT))
    try:
        return run(out, width, height, args.max_kb)
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait(5)
        shutil.rmtree(scratch, ignore_errors=True)


def run(out: Path, width: int, height: int, max_kb: int) -> int:
    from PySide6.QtCore import QEventLoop, QTimer
    from PySide6.QtWidgets import QApplication

    from kiosk.config import Settings, save_settings
    from kiosk.ui.app import create_app
    from kiosk.ui.main_window import MainWindow
    from kiosk.ui.pin import set_pin

    app = create_app()
    settings = Settings()
    settings.kiosk.id = "counter-1"
    settings.kiosk.operator = "Alex"
    save_settings(settings)
    set_pin("2468")
    window = MainWindow(settings, camera="demo")
    window.resize(width, height)
    window.enter_kiosk_mode()

    gaps: list[float] = []
    last = [time.perf_counter()]
    shooting = [False]

    def pump(seconds: float) -> None:
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)

    def wait(condition, timeout: float = 90.0, what: str = "") -> None:
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 20)
            if condition():
                return
        raise SystemExit(f"screenshots: timed out waiting for {what}")

    def shoot(name: str) -> None:
        shooting[0] = True  # taking a screenshot blocks the UI thread: not counted
        pump(0.4)  # let everything paint
        path = out / f"{name}.png"
        pixmap = window.screen().grabWindow(0)
        if pixmap.isNull() or pixmap.width() == 0:
            pixmap = window.grab()
        pixmap.save(str(path), "PNG")
        shrink(path, max_kb)
        print(f"{path}  {path.stat().st_size // 1024} KB", flush=True)
        app.processEvents()
        last[0] = time.perf_counter()
        shooting[0] = False

    wait(lambda: window.models.ready, what="the OCR models")
    pump(1.0)

    # scanning: the passport in view, the MRZ found, reading

    def tick() -> None:
        now = time.perf_counter()
        if not shooting[0]:
            gaps.append(now - last[0])
        last[0] = now

    meter = QTimer()
    meter.setInterval(10)
    meter.timeout.connect(tick)
    meter.start()
    last[0] = time.perf_counter()
    window.start_scan("passport")
    wait(lambda: window.scan.preview.found or window.current_screen() is window.review, what="the passport in view")
    if window.current_screen() is window.scan:
        shoot("scanning")
    wait(lambda: window.current_screen() is window.review, what="the passport review")
    meter.stop()
    window.review.rows["given_names"].edit.setFocus()  # shows where the field sits in the MRZ
    shoot("review")
    window.confirm_record()
    wait(lambda: window.current_screen() is window.home, what="home after confirming")
    pump(0.6)
    shoot("home")

    window.start_scan("receipt")
    wait(lambda: window.current_screen() is window.review, what="the receipt review")
    shoot("review-receipt")
    window.go_home()

    window.open_settings()
    wait(lambda: window.current_screen() is window.pin, 15, "the PIN pad")
    for digit in "24":
        window.pin.pad.press(digit)
    shoot("pin")
    for digit in "68":
        window.pin.pad.press(digit)
    window.pin.pad.submit()
    wait(lambda: window.current_screen() is window.settings_screen, 15, "the settings")
    screen = window.settings_screen
    screen.tabs.setCurrentIndex(3)  # sync, filled in as an example (not saved)
    screen.sync.target.setCurrentIndex(screen.sync.target.findData("odoo"))
    screen.sync.odoo_url.setText("https://odoo.example.org")
    screen.sync.odoo_database.setText("company")
    screen.sync.odoo_login.setText("kiosk@example.org")
    screen.sync.odoo_secret.setText("example-api-key")
    shoot("settings")
    window.go_home()

    ordered = sorted(gaps)
    if ordered:
        print(
            f"UI thread during the live passport scan: longest gap {1000 * ordered[-1]:.0f} ms, "
            f"99th percentile {1000 * ordered[int(0.99 * (len(ordered) - 1))]:.0f} ms "
            f"({len(ordered)} ticks of a 10 ms timer)"
        )
    window.quit_app()
    QApplication.processEvents()
    return 0


if __name__ == "__main__":
    sys.exit(main())
