"""The admin PIN gate in front of the settings and of leaving kiosk mode."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QVBoxLayout, QWidget

from kiosk.ui.widgets import PinPad, label


class PinScreen(QWidget):
    submitted = Signal(str)
    cancel = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.purpose = "settings"
        outer = QVBoxLayout(self)
        outer.setContentsMargins(30, 20, 30, 20)
        self.title = label(self.tr("Settings"), "title")
        outer.addWidget(self.title)
        row = QHBoxLayout()
        row.addStretch(1)
        self.pad = PinPad()
        self.pad.setMaximumWidth(560)
        row.addWidget(self.pad, 2)
        row.addStretch(1)
        outer.addLayout(row, 1)
        self.pad.submitted.connect(self.submitted)
        self.pad.cancelled.connect(self.cancel)

    def open(self, purpose: str) -> None:
        self.purpose = purpose
        titles = {"settings": self.tr("Settings"), "queue": self.tr("Sync queue")}
        self.title.setText(titles.get(purpose, self.tr("Leave kiosk mode")))
        self.pad.clear()
        self.pad.setEnabled(True)
        self.pad.setFocus(Qt.FocusReason.OtherFocusReason)

    def checking(self) -> None:
        self.pad.setEnabled(False)
        self.pad.set_message(self.tr("Checking…"), "muted")

    def refused(self, text: str) -> None:
        self.pad.setEnabled(True)
        self.pad.set_message(text, "error")
        self.pad.setFocus()

    def clear(self) -> None:
        self.pad.clear()
