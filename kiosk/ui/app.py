"""Starting the Qt application."""

from __future__ import annotations

import os
import sys

from kiosk.config import Settings
from kiosk.errors import KioskError


def check_display() -> None:
    """Fail with a sentence rather than Qt's abort when Linux has no screen to draw on."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise KioskError("no display: start the app from the kiosk's desktop session, or set QT_QPA_PLATFORM=offscreen")


def run_app(settings: Settings) -> int:
    check_display()
    from PySide6.QtWidgets import QApplication

    from kiosk.ui.main_window import MainWindow

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("scan-kiosk")
    window = MainWindow(settings)
    window.resize(1024, 768)
    window.show()
    return app.exec()
