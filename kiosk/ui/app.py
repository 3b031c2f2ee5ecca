"""Starting the Qt application."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from kiosk.config import Settings


def run_app(settings: Settings) -> int:
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("scan-kiosk")
    from kiosk.ui.main_window import MainWindow

    window = MainWindow(settings)
    window.resize(1024, 768)
    window.show()
    return app.exec()
