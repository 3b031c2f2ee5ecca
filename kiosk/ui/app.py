"""Starting the Qt application: translations, theme, the window (kiosk mode, first run)."""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

from kiosk.config import Settings, settings_path
from kiosk.errors import KioskError

log = logging.getLogger("kiosk.ui")

TRANSLATION_PREFIX = "kiosk_"


def check_display() -> None:
    """Fail with a sentence rather than Qt's abort when Linux has no screen to draw on."""
    if not sys.platform.startswith("linux") or os.environ.get("QT_QPA_PLATFORM"):
        return
    if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise KioskError("no display: start the app from the kiosk's desktop session, or set QT_QPA_PLATFORM=offscreen")


def translations_dir() -> Path:
    """`resources/translations`: next to the package in a checkout, or inside a frozen bundle."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "resources" / "translations"
    return Path(__file__).resolve().parents[2] / "resources" / "translations"


def install_translator(app, language: str | None = None):  # noqa: ANN001 - QApplication
    """Load `kiosk_<lang>.qm` for the system language (or `language`) when there is one; None otherwise."""
    from PySide6.QtCore import QLocale, QTranslator

    translator = QTranslator(app)
    folder = str(translations_dir())
    if language:
        found = translator.load(f"{TRANSLATION_PREFIX}{language}", folder)
    else:
        found = translator.load(QLocale.system(), TRANSLATION_PREFIX.rstrip("_"), "_", folder)
    if not found:
        return None
    app.installTranslator(translator)
    return translator


def create_app():  # noqa: ANN201 - QApplication
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("scan-kiosk")
    app.setApplicationDisplayName("Scan kiosk")
    app.setStyle("Fusion")
    return app


def run_app(
    settings: Settings,
    *,
    kiosk: bool = False,
    camera: str | None = None,
    config_path: str | None = None,
) -> int:
    """The app: `kiosk` full-screen without window controls (leaving needs the admin PIN), `camera` overrides the setting."""
    check_display()
    app = create_app()
    install_translator(app, os.environ.get("KIOSK_LANGUAGE") or None)

    from kiosk.ui.main_window import MainWindow

    first_run = not settings_path(config_path).exists()
    window = MainWindow(settings, kiosk=kiosk, camera=camera, config_path=config_path, first_run=first_run)
    if kiosk:
        window.enter_kiosk_mode()
    else:
        window.resize(1280, 800)
        window.showMaximized()
    return app.exec()
