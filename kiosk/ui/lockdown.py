"""Kiosk mode kept closed: the window covers the whole screen, and images come only from allowed places.

"Open image..." lists image files in the configured import folders (`[ui]
import_folders`) and on mounted removable media (`[ui] removable_media`), and
nothing else: no typing a path, no browsing up, no symbolic links out of those
places. Listing runs on a worker thread (`list_images`); nothing here touches
the disk on the UI thread.
"""

from __future__ import annotations

import os
import string
import sys
from dataclasses import dataclass
from pathlib import Path

from PySide6.QtCore import QObject, QRect, Slot
from PySide6.QtGui import QGuiApplication, QScreen
from PySide6.QtWidgets import QWidget

from kiosk.config import UiSettings
from kiosk.images import SUPPORTED_SUFFIXES

LINUX_MEDIA_ROOTS = ("/media", "/run/media", "/mnt")
"""Where Linux mounts removable media: udisks under /media/USER or /run/media/USER, by hand under /mnt."""
MAC_MEDIA_ROOTS = ("/Volumes",)
MAX_DEPTH = 4
"""Folder levels below a place that are listed (a stick's DCIM/100CANON/ is two)."""
MAX_FILES = 500
"""The newest this many files are listed; older ones are left out (and the picker says so)."""
MAX_ENTRIES = 20_000
"""Directory entries looked at per listing, so a huge stick cannot stall the picker."""
DRIVE_REMOVABLE = 2
"""GetDriveTypeW's answer for a removable drive (USB stick, SD card)."""


@dataclass(frozen=True)
class Place:
    """A folder the picker may read from, and how it is shown."""

    root: Path
    label: str
    removable: bool = False


@dataclass(frozen=True)
class ImportFile:
    path: Path
    where: str
    """The place's label and the subfolder, e.g. "STICK / DCIM"."""
    modified: float
    size: int


@dataclass(frozen=True)
class Listing:
    files: list[ImportFile]
    places: list[Place]
    truncated: bool


def _windows_removable_drives() -> list[Path]:
    import ctypes

    kernel = ctypes.windll.kernel32  # type: ignore[attr-defined]
    mask = kernel.GetLogicalDrives()
    drives = []
    for number, letter in enumerate(string.ascii_uppercase):
        root = f"{letter}:\\"
        if mask & (1 << number) and kernel.GetDriveTypeW(root) == DRIVE_REMOVABLE:
            drives.append(Path(root))
    return drives


def media_places(roots: tuple[str, ...] | None = None, is_mount=os.path.ismount) -> list[Place]:  # noqa: ANN001
    """Mounted removable media: each mount point up to two levels under a media root (Linux, macOS),
    or each removable drive letter (Windows). A folder there that is not a mount point is part of the
    system disk and is not listed."""
    if roots is None and sys.platform == "win32":
        return [Place(drive, drive.drive, True) for drive in _windows_removable_drives()]
    if roots is None:
        roots = MAC_MEDIA_ROOTS if sys.platform == "darwin" else LINUX_MEDIA_ROOTS
    places = []
    for root in map(Path, roots):
        for candidate in _children(root, depth=2):
            if is_mount(str(candidate)):
                places.append(Place(candidate, candidate.name, True))
    return places


def _children(root: Path, depth: int) -> list[Path]:
    """Folders up to `depth` levels below `root` (not following links), a mount point's contents not entered."""
    found: list[Path] = []
    try:
        entries = sorted(os.scandir(root), key=lambda entry: entry.name)
    except OSError:
        return found
    for entry in entries:
        if entry.name.startswith(".") or not entry.is_dir(follow_symlinks=False):
            continue
        path = Path(entry.path)
        found.append(path)
        if depth > 1 and not os.path.ismount(path):
            found += _children(path, depth - 1)
    return found


def import_places(ui: UiSettings) -> list[Place]:
    """The configured import folders, then the removable media mounted now."""
    places = [Place(Path(folder), Path(folder).name or folder) for folder in ui.import_folders]
    if ui.removable_media:
        places += media_places()
    return places


def list_images(places: list[Place], limit: int = MAX_FILES) -> Listing:
    """Files the kiosk reads (`SUPPORTED_SUFFIXES`) in the places, newest first; hidden files and symbolic links are skipped."""
    files: list[ImportFile] = []
    budget = [MAX_ENTRIES]
    for place in places:
        _walk(place, place.root, 0, files, budget)
    files.sort(key=lambda item: item.modified, reverse=True)
    return Listing(files[:limit], places, len(files) > limit or budget[0] <= 0)


def _walk(place: Place, folder: Path, depth: int, files: list[ImportFile], budget: list[int]) -> None:
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return
    for entry in entries:
        budget[0] -= 1
        if budget[0] <= 0:
            return
        if entry.name.startswith(".") or entry.is_symlink():
            continue
        if entry.is_dir(follow_symlinks=False):
            if depth < MAX_DEPTH:
                _walk(place, Path(entry.path), depth + 1, files, budget)
            continue
        if os.path.splitext(entry.name)[1].lower() not in SUPPORTED_SUFFIXES:
            continue
        try:
            stat = entry.stat(follow_symlinks=False)
        except OSError:
            continue
        sub = Path(entry.path).parent.relative_to(place.root)
        where = " / ".join([place.label, *sub.parts])
        files.append(ImportFile(Path(entry.path), where, stat.st_mtime, stat.st_size))


class ScreenCover(QObject):
    """Keeps a kiosk window covering the primary screen, with or without a window manager.

    Without one, `showFullScreen()` leaves the window at its size hint (972x758
    on a 1366x768 screen): the geometry is set to the screen's explicitly, and
    again whenever the screen's geometry or the primary screen changes.
    """

    def __init__(self, window: QWidget) -> None:
        super().__init__(window)
        self.window = window
        self.active = False
        self._screen: QScreen | None = None
        app = QGuiApplication.instance()
        if isinstance(app, QGuiApplication):
            app.primaryScreenChanged.connect(self._follow)

    def cover(self) -> None:
        self.active = True
        self.window.showFullScreen()
        self._follow(QGuiApplication.primaryScreen())

    def release(self) -> None:
        self.active = False
        self._watch(None)

    @Slot(QScreen)
    def _follow(self, screen: QScreen | None) -> None:
        if not self.active:
            return
        self._watch(screen)
        handle = self.window.windowHandle()
        if screen is not None and handle is not None and handle.screen() is not screen:
            handle.setScreen(screen)
        self.fit()

    def _watch(self, screen: QScreen | None) -> None:
        if self._screen is not None:
            try:
                self._screen.geometryChanged.disconnect(self._on_geometry)
            except (RuntimeError, TypeError):  # the screen was unplugged and deleted
                pass
        self._screen = screen
        if screen is not None:
            screen.geometryChanged.connect(self._on_geometry)

    @Slot(QRect)
    def _on_geometry(self, _: QRect) -> None:
        self.fit()

    def fit(self) -> None:
        """Cover the watched screen now (a no-op outside kiosk mode)."""
        if self.active and self._screen is not None:
            self.window.setGeometry(self._screen.geometry())
