"""Kiosk lockdown: "Open image..." reaches only the import folders and removable media, the kiosk window
covers the screen without a window manager, and a file used as the camera never shows its path."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QFileDialog, QLineEdit

from kiosk.config import Settings
from test_ui_support import make_window, ui_models, wait_screen  # noqa: F401 - fixtures

ROOT = Path(__file__).resolve().parents[1]


def kiosk_settings(*folders: Path) -> Settings:
    settings = Settings()
    settings.ui.import_folders = [str(folder) for folder in folders]
    settings.ui.removable_media = False  # the test machine's own /media and /mnt stay out of it
    return settings


def aged(path: Path, minutes_ago: float) -> Path:
    stamp = time.time() - 60 * minutes_ago
    os.utime(path, (stamp, stamp))
    return path


def open_picker(qtbot, window) -> None:
    """Ctrl+O, as the clerk presses it."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5_000)
    qtbot.keyClick(QApplication.focusWidget() or window, Qt.Key.Key_O, Qt.KeyboardModifier.ControlModifier)
    wait_screen(qtbot, window, window.picker, 10_000)
    qtbot.waitUntil(lambda: window.picker.status.text() not in ("", "Looking for images…"), timeout=10_000)


def test_open_image_lists_only_the_import_folders_and_offers_no_file_operations(qtbot, make_window, tmp_path, passport_file, passport):
    imports = tmp_path / "imports"
    (imports / "scanner" / "2026").mkdir(parents=True)
    outside = tmp_path / "private"
    outside.mkdir()
    aged(Path(shutil.copy(passport_file, imports / "passport.png")), 1)
    aged(Path(shutil.copy(passport_file, imports / "scanner" / "2026" / "older.png")), 30)
    (imports / "notes.txt").write_text("not an image")
    shutil.copy(passport_file, imports / ".hidden.png")
    shutil.copy(passport_file, outside / "secret.png")
    (imports / "link.png").symlink_to(outside / "secret.png")  # a link out of the folder is not followed
    (imports / "everything").symlink_to("/")
    window = make_window(kiosk_settings(imports), kiosk=True)
    window.enter_kiosk_mode()

    open_picker(qtbot, window)
    picker = window.picker
    assert picker.names() == ["passport.png", "older.png"]  # newest first; nothing else is offered
    assert picker.list.item(1).text().split("\n")[1].startswith("imports / scanner / 2026 · ")
    # no Qt file dialog, nothing to type a path into, no context menu (rename, delete, new folder)
    assert not [w for w in QApplication.topLevelWidgets() if isinstance(w, QFileDialog)]
    assert not picker.findChildren(QLineEdit)
    assert picker.list.contextMenuPolicy() == Qt.ContextMenuPolicy.NoContextMenu
    assert picker.open_button.minimumHeight() >= 72  # touch-sized

    assert picker.list.hasFocus()
    qtbot.keyClick(picker.list, Qt.Key.Key_Return)  # the newest is selected: Enter opens it
    wait_screen(qtbot, window, window.review)
    assert window.review.value_of("document_number") == passport.number


def test_the_picker_goes_back_where_it_came_from_and_refresh_finds_new_images(qtbot, make_window, tmp_path, passport_file, passport):
    imports = tmp_path / "imports"
    imports.mkdir()
    window = make_window(kiosk_settings(imports))
    open_picker(qtbot, window)
    picker = window.picker
    assert picker.names() == [] and picker.status.text() == "No images found. Looked in: imports."
    assert not picker.open_button.isEnabled() and picker.refresh_button.hasFocus()
    shutil.copy(passport_file, imports / "arrived.png")  # a scanner drops a file into the folder
    qtbot.mouseClick(picker.refresh_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: picker.names() == ["arrived.png"], timeout=10_000)
    qtbot.mouseClick(picker.open_button, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.review)

    # from a review, Esc in the picker returns to that review with nothing lost
    open_picker(qtbot, window)
    qtbot.keyClick(picker.list, Qt.Key.Key_Escape)
    wait_screen(qtbot, window, window.review, 5_000)
    assert window.review.value_of("document_number") == passport.number
    # from home, Cancel goes home
    window.go_home()
    open_picker(qtbot, window)
    qtbot.mouseClick(picker.cancel_button, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.home, 5_000)


def test_with_nowhere_to_look_the_picker_says_so(qtbot, make_window):
    window = make_window(kiosk_settings())
    open_picker(qtbot, window)
    assert window.picker.status.text() == "No import folder is set up and no USB stick is inserted."
    assert not window.picker.open_button.isEnabled()


def test_removable_media_are_the_mount_points_under_the_media_roots(tmp_path):
    from kiosk.ui.lockdown import media_places

    media, mnt = tmp_path / "media", tmp_path / "mnt"
    for folder in (media / "clerk" / "STICK", media / "clerk" / "not-mounted", mnt / "sdcard", mnt / "plain"):
        folder.mkdir(parents=True)
    mounted = {str(media / "clerk" / "STICK"), str(mnt / "sdcard")}
    places = media_places((str(media), str(mnt), str(tmp_path / "absent")), is_mount=lambda path: path in mounted)
    assert [(place.label, place.removable) for place in places] == [("STICK", True), ("sdcard", True)]


DRIVER = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtCore import QRect, QTimer
    from PySide6.QtGui import QGuiApplication
    from PySide6.QtWidgets import QApplication
    from kiosk.config import Settings
    from kiosk.ui.app import create_app, run_app

    app = create_app()
    seen = {}

    def window():
        return next(w for w in QApplication.topLevelWidgets() if type(w).__name__ == "MainWindow")

    def first():
        screen = QGuiApplication.primaryScreen()
        seen["screen"] = screen.geometry().getRect()
        seen["kiosk"] = window().geometry().getRect()
        window().setGeometry(QRect(40, 30, 1000, 700))  # something moved it (a screen re-layout)
        screen.geometryChanged.emit(screen.geometry())
        QTimer.singleShot(500, second)

    def second():
        seen["after_change"] = window().geometry().getRect()
        print(json.dumps(seen), flush=True)
        window().quit_app()

    QTimer.singleShot(2500, first)
    sys.exit(run_app(Settings(), kiosk=True, camera="demo"))
    """
)


@pytest.mark.skipif(not shutil.which("Xvfb"), reason="needs Xvfb (scripts/setup.sh installs it)")
def test_kiosk_mode_covers_the_screen_without_a_window_manager(tmp_path):
    """A bare X server (no window manager), as the kiosk session runs it: the window is the whole screen."""
    read, write = os.pipe()
    xvfb = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write), "-screen", "0", "1366x768x24", "-nolisten", "tcp"],
        pass_fds=(write,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    os.close(write)
    try:
        with os.fdopen(read) as display_fd:
            display = display_fd.readline().strip()
        assert display, "Xvfb did not start"
        env = {**os.environ, "DISPLAY": f":{display}", "QT_QPA_PLATFORM": "xcb", "XDG_CONFIG_HOME": str(tmp_path / "config"),
               "XDG_DATA_HOME": str(tmp_path / "data")}
        env.pop("WAYLAND_DISPLAY", None)
        run = subprocess.run([sys.executable, "-c", DRIVER], env=env, cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert run.returncode == 0, run.stderr[-2000:]
        seen = json.loads(run.stdout.strip().splitlines()[-1])
    finally:
        xvfb.terminate()
        xvfb.wait(10)
    assert seen["screen"] == [0, 0, 1366, 768]
    assert seen["kiosk"] == seen["screen"]  # not the 972x758 size hint
    assert seen["after_change"] == seen["screen"]  # and kept when the screen changes


def test_a_file_as_the_camera_never_shows_its_path_and_a_non_image_says_so(qtbot, make_window, tmp_path, passport_file):
    folder = tmp_path / "private-folder-name"
    folder.mkdir()
    notes = folder / "notes.jpg"
    notes.write_text("meeting notes, not a picture")
    window = make_window(camera=str(notes))
    window.start_scan("passport")
    qtbot.waitUntil(lambda: "not an image" in window.scan.hint.text(), timeout=15_000)
    assert window.scan.state == "live"  # the camera is refused at once, not a scan that "could not read the passport"
    assert str(folder) not in window.scan.hint.text() and "notes.jpg" not in window.scan.hint.text()
    assert window.scan.live_demo_button.isVisible()

    image = Path(shutil.copy(passport_file, folder / "holder.png"))
    window = make_window(camera=str(image))
    hints: set[str] = set()

    def reviewed() -> None:
        hints.add(window.scan.hint.text())
        hints.add(window.scan.preview.message)
        assert window.current_screen() is window.review

    window.start_scan("passport")
    qtbot.waitUntil(reviewed, timeout=90_000)
    assert not [hint for hint in hints if str(folder) in hint or "holder.png" in hint], hints


def test_import_folders_must_be_absolute_paths(tmp_path):
    from kiosk.config import settings_from_dict
    from kiosk.errors import ConfigError

    loaded = settings_from_dict({"schema": 2, "ui": {"import_folders": [str(tmp_path)], "removable_media": False}})
    assert loaded.ui.import_folders == [str(tmp_path)] and loaded.ui.removable_media is False
    with pytest.raises(ConfigError, match="absolute folder paths"):
        settings_from_dict({"schema": 2, "ui": {"import_folders": ["scans"]}})


def test_the_home_screen_names_a_file_camera_by_what_it_is_never_by_its_path(qtbot, make_window, tmp_path):
    import cv2

    from kiosk.capture.synthetic import ReceiptData, receipt_page

    folder = tmp_path / "Private Holder Name"
    folder.mkdir()
    still = folder / "receipt-of-anna.jpg"
    cv2.imwrite(str(still), receipt_page(ReceiptData()))
    window = make_window(camera=str(still))
    qtbot.waitUntil(lambda: "Camera:" in window.home.camera_text.text(), timeout=10_000)
    text = window.home.camera_text.text()
    assert "image file" in text
    assert "Private" not in text and "anna" not in text and str(tmp_path) not in text
