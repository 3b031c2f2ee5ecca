"""The app's own image picker behind "Open image...": files in the import folders and on removable media only.

No path to type, no folder to climb out of, no rename, delete or new folder:
in kiosk mode it is no route to the filesystem. The listing is made on a
worker (`kiosk.ui.lockdown.list_images`) and handed to `show_listing`.
"""

from __future__ import annotations

from datetime import datetime

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import QAbstractItemView, QListWidget, QListWidgetItem, QScroller, QVBoxLayout, QWidget

from kiosk.ui import theme
from kiosk.ui.lockdown import ImportFile, Listing
from kiosk.ui.widgets import Button, hbox, label, set_role

PATH_ROLE = Qt.ItemDataRole.UserRole
LIST_STYLE = f"""
QListWidget {{ background: #000000; border: 2px solid {theme.MUTED}; border-radius: 8px; font-size: 24px; }}
QListWidget:focus {{ border: 4px solid {theme.FOCUS}; }}
QListWidget::item {{ min-height: 72px; padding: 6px 14px; border-bottom: 1px solid #3a414b; }}
QListWidget::item:selected {{ background: {theme.BLUE}; color: #000000; }}
"""


def _size(size: int) -> str:
    for unit in ("B", "KB", "MB"):
        if size < 1024 or unit == "MB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024  # type: ignore[assignment]
    return ""


class PickerScreen(QWidget):
    chosen = Signal(str)
    """The path of the picked file (one the listing offered)."""
    cancel = Signal()
    refresh = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind: str | None = None
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 24, 40, 24)
        outer.setSpacing(14)
        self.title = label(self.tr("Open an image"), "title")
        self.help = label(self.tr("Photos and scans in this kiosk's import folders and on USB sticks or SD cards. Insert one, then press Refresh."), "muted")
        self.status = label("", "muted")
        self.list = QListWidget()
        self.list.setStyleSheet(LIST_STYLE)
        self.list.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.list.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.list.setContextMenuPolicy(Qt.ContextMenuPolicy.NoContextMenu)
        self.list.setDragEnabled(False)
        self.list.setWordWrap(True)
        self.list.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        QScroller.grabGesture(self.list.viewport(), QScroller.ScrollerGestureType.LeftMouseButtonGesture)  # swipe to scroll
        self.list.currentItemChanged.connect(lambda *_: self._update_open())
        self.list.itemActivated.connect(self._activate)
        self.open_button = Button(self.tr("&Open"), "primary")
        self.open_button.clicked.connect(lambda: self._activate(self.list.currentItem()))
        self.refresh_button = Button(self.tr("&Refresh"))
        self.refresh_button.clicked.connect(self.refresh)
        self.cancel_button = Button(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        outer.addWidget(self.title)
        outer.addWidget(self.help)
        outer.addWidget(self.status)
        outer.addWidget(self.list, 1)
        outer.addLayout(hbox(self.open_button, self.refresh_button, None, self.cancel_button))
        self.installEventFilter(self)
        self.list.installEventFilter(self)
        self._update_open()

    def open(self, kind: str | None) -> None:
        """Show the picker for a document kind (None: a passport if the image has an MRZ, else a receipt)."""
        self.kind = kind
        self.clear()

    def show_loading(self) -> None:
        self.list.clear()
        self.status.setText(self.tr("Looking for images…"))
        set_role(self.status, "muted")
        self._update_open()

    def show_listing(self, listing: Listing) -> None:
        self.list.clear()
        for found in listing.files:
            self.list.addItem(self._item(found))
        self.status.setText(self._summary(listing))
        set_role(self.status, "muted" if listing.files else "warn")
        if listing.files:
            self.list.setCurrentRow(0)
        self._update_open()
        (self.list if listing.files else self.refresh_button).setFocus()

    def show_error(self, text: str) -> None:
        self.list.clear()
        self.status.setText(self.tr("The images cannot be listed: {reason}").format(reason=text))
        set_role(self.status, "error")
        self._update_open()
        self.refresh_button.setFocus()

    def clear(self) -> None:
        self.list.clear()
        self.status.setText("")
        self._update_open()

    def names(self) -> list[str]:
        """The file names listed, in order (what the clerk sees first on each line)."""
        return [self.list.item(i).text().split("\n", 1)[0] for i in range(self.list.count())]

    def _item(self, found: ImportFile) -> QListWidgetItem:
        when = datetime.fromtimestamp(found.modified).strftime("%Y-%m-%d %H:%M")
        item = QListWidgetItem(f"{found.path.name}\n{found.where} · {when} · {_size(found.size)}")
        item.setData(PATH_ROLE, str(found.path))
        return item

    def _summary(self, listing: Listing) -> str:
        where = ", ".join(place.label for place in listing.places if not place.removable)
        if not listing.files:
            if not listing.places:
                return self.tr("No import folder is set up and no USB stick is inserted.")
            return self.tr("No images found. Looked in: {where}.").format(where=where or self.tr("USB sticks and SD cards"))
        text = self.tr("{count} images, newest first.").format(count=len(listing.files))
        if listing.truncated:
            text += " " + self.tr("Older ones are not shown.")
        return text

    def _update_open(self) -> None:
        self.open_button.setEnabled(self.list.currentItem() is not None)

    def _activate(self, item: QListWidgetItem | None) -> None:
        if item is not None:
            self.chosen.emit(item.data(PATH_ROLE))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        """Esc cancels the picker (taken before the window's own Esc shortcut sends the app home)."""
        if event.type() in (QEvent.Type.ShortcutOverride, QEvent.Type.KeyPress) and isinstance(event, QKeyEvent):
            if event.key() == Qt.Key.Key_Escape and self.isVisible():
                event.accept()
                if event.type() == QEvent.Type.KeyPress:
                    self.cancel.emit()
                return True
        return super().eventFilter(watched, event)
