"""Home: the two large actions, plus how sync, the OCR service and the camera are doing."""

from __future__ import annotations

from PySide6.QtCore import QRect, QSize, Qt, Signal
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QGridLayout, QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from kiosk.ui.widgets import Button, Card, label, set_role


BREAKS = ("/", ":", ".", "_", "=", "?", "&")
"""Where a long word (a URL, a path) may wrap, besides spaces."""


class ClippedText(QLabel):
    """Wrapped text in the room the layout gives it (one line at least, `lines` when there is room), never
    clipped: what does not fit ends in "…" and the whole text is the tooltip. Long words (URLs) wrap too."""

    def __init__(self, role: str | None, lines: int = 3) -> None:
        super().__init__()
        self.lines = lines
        self.full = ""
        self.setProperty("role", role or "")
        self.setWordWrap(True)
        self.setTextFormat(Qt.TextFormat.PlainText)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

    def set_full_text(self, text: str) -> None:
        self.full = text
        self._fit()

    def hasHeightForWidth(self) -> bool:  # noqa: N802 - Qt name
        return False

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(0, self.fontMetrics().lineSpacing() + 2)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return QSize(0, self.fontMetrics().lineSpacing() * self.lines + 2)

    def fits(self, text: str) -> bool:
        """Whether `text` shows whole in the label as it is laid out now."""
        room = self.contentsRect()
        width, height = max(40, room.width()), max(self.fontMetrics().lineSpacing(), room.height())
        box = self.fontMetrics().boundingRect(QRect(0, 0, width, 1 << 20), Qt.TextFlag.TextWordWrap, text)
        return box.height() <= height and box.width() <= width

    def _breakable(self, word: str) -> str:
        """A word too wide for a line (a URL) with places to wrap it (zero-width spaces); others as they are."""
        if self.fontMetrics().horizontalAdvance(word) <= max(40, self.contentsRect().width()):
            return word
        for mark in BREAKS:
            word = word.replace(mark, mark + "\u200b")
        return word

    def _fit(self) -> None:
        text = " ".join(self._breakable(word) for word in self.full.split(" "))
        if not self.fits(text):
            low, high = 0, len(text)
            while low < high:
                middle = (low + high + 1) // 2
                if self.fits(text[:middle].rstrip() + "…"):
                    low = middle
                else:
                    high = middle - 1
            text = text[:low].rstrip() + "…"
        self.setText(text)
        self.setToolTip(self.full if text.replace("\u200b", "") != self.full else "")

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        self._fit()


class HomeScreen(QWidget):
    scan_passport = Signal()
    scan_receipt = Signal()
    open_image = Signal()
    open_settings = Signal()
    use_demo = Signal()
    open_queue = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(40, 24, 40, 24)
        outer.setSpacing(20)

        top = QHBoxLayout()
        self.title = label(self.tr("Scan kiosk"), "title")
        self.kiosk_label = label("", "muted", wrap=False)
        self.kiosk_label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        top.addWidget(self.title, 1)
        top.addWidget(self.kiosk_label)
        outer.addLayout(top)

        actions = QHBoxLayout()
        actions.setSpacing(30)
        self.passport_button = Button(self.tr("Scan &passport"), "big")
        self.passport_button.setToolTip(self.tr("Passport, ID card or visa (Alt+P)"))
        self.passport_button.clicked.connect(self.scan_passport)
        self.receipt_button = Button(self.tr("Capture &receipt"), "big")
        self.receipt_button.setToolTip(self.tr("A receipt for an expense (Alt+R)"))
        self.receipt_button.clicked.connect(self.scan_receipt)
        actions.addWidget(self.passport_button, 1)
        actions.addWidget(self.receipt_button, 1)
        outer.addLayout(actions)

        self.camera_card = Card(self.tr("Camera"))
        self.camera_text = label("", None)
        camera_row = QHBoxLayout()
        camera_row.setSpacing(16)
        self.demo_button = Button(self.tr("Use the &demo camera"))
        self.demo_button.clicked.connect(self.use_demo)
        self.open_button = Button(self.tr("&Open image…"))
        self.open_button.clicked.connect(self.open_image)
        camera_row.addWidget(self.camera_text, 1)
        camera_row.addWidget(self.demo_button)
        camera_row.addWidget(self.open_button)
        self.camera_card.layout_.addLayout(camera_row)

        self.sync_card = Card(self.tr("Sync"))
        self.sync_waiting = label("", "subtitle")
        self.sync_last = label("", "muted")
        self.sync_error = ClippedText("error")
        for widget in (self.sync_waiting, self.sync_last, self.sync_error):
            self.sync_card.layout_.addWidget(widget)
        self.sync_card.layout_.addStretch(1)

        self.service_card = Card(self.tr("OCR service"))
        self.service_text = label("", None)
        self.engine_text = label("", "muted")
        self.service_card.layout_.addWidget(self.service_text)
        self.service_card.layout_.addWidget(self.engine_text)
        self.service_card.layout_.addStretch(1)

        grid = QGridLayout()
        grid.setSpacing(24)
        grid.addWidget(self.sync_card, 0, 0)
        grid.addWidget(self.service_card, 0, 1)
        grid.addWidget(self.camera_card, 1, 0, 1, 2)
        grid.setColumnStretch(0, 1)
        grid.setColumnStretch(1, 1)
        outer.addLayout(grid)
        outer.addStretch(1)

        bottom = QHBoxLayout()
        self.hint = label(self.tr("Drop an image file anywhere to read it."), "muted")
        self.settings_button = Button(self.tr("&Settings"))
        self.settings_button.clicked.connect(self.open_settings)
        self.queue_button = Button(self.tr("Sync &queue…"))
        self.queue_button.setToolTip(self.tr("Pending and failed records (admin PIN): sync now, retry, correct, discard"))
        self.queue_button.clicked.connect(self.open_queue)
        bottom.addWidget(self.hint, 1)
        bottom.addWidget(self.queue_button)
        bottom.addWidget(self.settings_button)
        outer.addLayout(bottom)
        self.setTabOrder(self.passport_button, self.receipt_button)

    def set_kiosk(self, kiosk_id: str, operator: str) -> None:
        text = self.tr("Kiosk {id}").format(id=kiosk_id)
        if operator:
            text += " · " + operator
        self.kiosk_label.setText(text)

    def set_camera(self, text: str, missing: bool, demo_offered: bool) -> None:
        self.camera_text.setText(text)
        set_role(self.camera_text, "warn" if missing else None)
        self.demo_button.setVisible(demo_offered)

    def set_sync(self, waiting: str, last: str, error: str) -> None:
        self.sync_waiting.setText(waiting)
        self.sync_last.setText(last)
        self.sync_error.set_full_text(error)
        self.sync_error.setVisible(bool(error))

    def set_service(self, text: str, role: str | None) -> None:
        self.service_text.setText(text)
        set_role(self.service_text, role)

    def set_engine(self, text: str) -> None:
        self.engine_text.setText(text)
