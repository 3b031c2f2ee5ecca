"""The main window: open or drop an image and see the lines the engine reads."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Slot
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import QFileDialog, QLabel, QListWidget, QMainWindow, QPushButton, QVBoxLayout, QWidget

from kiosk.config import Settings
from kiosk.images import SUPPORTED_SUFFIXES
from kiosk.ocr import TextLine
from kiosk.ui.ocr_worker import OcrService


class MainWindow(QMainWindow):
    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self.settings = settings
        self.setWindowTitle(self.tr("Scan kiosk"))
        self.setAcceptDrops(True)
        self.ocr = OcrService(settings.ocr, self)
        self.ocr.worker.status.connect(self.show_status)
        self.ocr.worker.finished.connect(self.show_lines)
        self.ocr.worker.failed.connect(self.show_error)

        self.open_button = QPushButton(self.tr("Open image…"))
        self.open_button.setMinimumHeight(72)
        self.open_button.clicked.connect(self.choose_file)
        self.status = QLabel(self.tr("Open an image or drop one here."))
        self.status.setWordWrap(True)
        self.lines = QListWidget()
        layout = QVBoxLayout()
        layout.addWidget(self.open_button)
        layout.addWidget(self.status)
        layout.addWidget(self.lines, 1)
        central = QWidget()
        central.setLayout(layout)
        self.setCentralWidget(central)
        QShortcut(QKeySequence.StandardKey.Open, self, self.choose_file)
        self.setStyleSheet("QWidget { font-size: 20px; } QPushButton { font-size: 26px; }")

    @Slot()
    def choose_file(self) -> None:
        patterns = " ".join(f"*{s}" for s in SUPPORTED_SUFFIXES)
        path, _ = QFileDialog.getOpenFileName(self, self.tr("Open image"), str(Path.home()), f"Images ({patterns})")
        if path:
            self.open_path(path)

    def open_path(self, path: str) -> None:
        self.lines.clear()
        self.open_button.setEnabled(False)
        self.show_status(self.tr("Queued {name}").format(name=Path(path).name))
        self.ocr.read(path)

    @Slot(str)
    def show_status(self, message: str) -> None:
        self.status.setText(message)

    @Slot(str, list, float)
    def show_lines(self, path: str, lines: list[TextLine], seconds: float) -> None:
        self.open_button.setEnabled(True)
        for line in lines:
            self.lines.addItem(f"{line.confidence:4.2f}   {line.text}")
        self.show_status(self.tr("{count} lines read from {name} in {seconds:.1f} s").format(count=len(lines), name=Path(path).name, seconds=seconds))

    @Slot(str, str)
    def show_error(self, path: str, message: str) -> None:
        self.open_button.setEnabled(True)
        self.show_status(self.tr("Could not read the image: {message}").format(message=message))

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event: QDropEvent) -> None:
        urls = [u for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.open_path(urls[0].toLocalFile())

    def closeEvent(self, event) -> None:  # noqa: ANN001 - Qt signature
        self.ocr.shutdown()
        super().closeEvent(event)
