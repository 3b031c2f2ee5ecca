"""Scanning: the live preview with its guide, the hint of the moment, progress, cancel; and what follows a failure."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QProgressBar, QStackedWidget, QVBoxLayout, QWidget

from kiosk.ui.widgets import Button, Preview, label, set_role

STEPS = ("searching", "in_view", "steady", "reading", "done")


class ScanScreen(QWidget):
    cancel = Signal()
    open_image = Signal()
    use_demo = Signal()
    rescan = Signal()
    try_remote = Signal()
    review_partial = Signal()
    type_in = Signal()

    LIVE, BUSY, FAILED, NO_CAMERA = range(4)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = "passport"
        self.state = ""
        outer = QVBoxLayout(self)
        outer.setContentsMargins(30, 20, 30, 20)
        outer.setSpacing(14)
        top = QHBoxLayout()
        self.title = label("", "title")
        self.timer_bar = QProgressBar()
        self.timer_bar.setTextVisible(False)
        self.timer_bar.setMaximumWidth(320)
        self.timer_bar.setRange(0, 1000)
        self.timer_bar.setAccessibleName(self.tr("Time left"))
        top.addWidget(self.title, 1)
        top.addWidget(self.timer_bar)
        outer.addLayout(top)

        self.pages = QStackedWidget()
        outer.addWidget(self.pages, 1)
        self.pages.addWidget(self._live_page())
        self.pages.addWidget(self._busy_page())
        self.pages.addWidget(self._failed_page())
        self.pages.addWidget(self._no_camera_page())

    # -- pages ---------------------------------------------------------------

    def _live_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(12)
        self.preview = Preview()
        layout.addWidget(self.preview, 1)
        self.hint = label("", "hint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.hint.setMinimumHeight(56)
        layout.addWidget(self.hint)
        steps = QHBoxLayout()
        names = {
            "searching": self.tr("Looking"),
            "in_view": self.tr("In view"),
            "steady": self.tr("Steady"),
            "reading": self.tr("Reading"),
            "done": self.tr("Done"),
        }
        self.step_labels = {}
        for step in STEPS:
            widget = label(names[step], "muted", wrap=False)
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
            self.step_labels[step] = widget
            steps.addWidget(widget, 1)
        layout.addLayout(steps)
        self.reading_bar = QProgressBar()
        self.reading_bar.setRange(0, 0)
        self.reading_bar.setTextVisible(False)
        self.reading_bar.setAccessibleName(self.tr("Reading"))
        self.reading_bar.setVisible(False)
        layout.addWidget(self.reading_bar)
        buttons = QHBoxLayout()
        self.cancel_button = Button(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Back to the start (Esc)"))
        self.cancel_button.clicked.connect(self.cancel)
        self.open_button = Button(self.tr("&Open image…"))
        self.open_button.clicked.connect(self.open_image)
        self.live_demo_button = Button(self.tr("Use the &demo camera"))
        self.live_demo_button.clicked.connect(self.use_demo)
        self.live_demo_button.setVisible(False)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.live_demo_button)
        buttons.addWidget(self.open_button)
        layout.addLayout(buttons)
        return page

    def _busy_page(self) -> QWidget:
        page = QWidget()
        page.setFocusPolicy(Qt.FocusPolicy.ClickFocus)
        self.busy_page = page
        layout = QVBoxLayout(page)
        layout.addStretch(1)
        self.busy_text = label("", "hint")
        self.busy_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.busy_text)
        bar = QProgressBar()
        bar.setRange(0, 0)
        bar.setTextVisible(False)
        layout.addWidget(bar)
        layout.addStretch(1)
        self.busy_cancel = Button(self.tr("Cancel"))
        self.busy_cancel.clicked.connect(self.cancel)
        row = QHBoxLayout()
        row.addWidget(self.busy_cancel)
        row.addStretch(1)
        layout.addLayout(row)
        return page

    def _failed_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setSpacing(18)
        layout.addStretch(1)
        self.failed_title = label("", "title")
        self.failed_title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.failed_reason = label("", "error")
        self.failed_reason.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.failed_help = label("", "muted")
        self.failed_help.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.failed_title)
        layout.addWidget(self.failed_reason)
        layout.addWidget(self.failed_help)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.setSpacing(16)
        second = QHBoxLayout()
        second.setSpacing(16)
        self.rescan_button = Button(self.tr("Scan &again"), "primary")
        self.rescan_button.clicked.connect(self.rescan)
        self.remote_button = Button(self.tr("Try OCR &service"))
        self.remote_button.clicked.connect(self.try_remote)
        self.partial_button = Button(self.tr("&Check what was read"))
        self.partial_button.clicked.connect(self.review_partial)
        self.type_button = Button(self.tr("&Type it in"))
        self.type_button.clicked.connect(self.type_in)
        self.failed_home = Button(self.tr("Home"))
        self.failed_home.clicked.connect(self.cancel)
        row.addWidget(self.rescan_button)
        row.addWidget(self.remote_button)
        row.addStretch(1)
        second.addWidget(self.partial_button)
        second.addWidget(self.type_button)
        second.addStretch(1)
        second.addWidget(self.failed_home)
        layout.addLayout(row)
        layout.addLayout(second)
        return page

    def _no_camera_page(self) -> QWidget:
        page = QWidget()
        layout = QVBoxLayout(page)
        layout.setSpacing(18)
        layout.addStretch(1)
        self.no_camera_text = label("", "hint")
        self.no_camera_text.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.no_camera_text)
        layout.addWidget(label(self.tr("Use the demo camera, or open an image file of the document."), "muted"))
        layout.addStretch(1)
        row = QHBoxLayout()
        self.demo_button = Button(self.tr("Use the &demo camera"), "primary")
        self.demo_button.clicked.connect(self.use_demo)
        self.no_camera_open = Button(self.tr("&Open image…"))
        self.no_camera_open.clicked.connect(self.open_image)
        home = Button(self.tr("Home"))
        home.clicked.connect(self.cancel)
        row.addWidget(self.demo_button)
        row.addWidget(self.no_camera_open)
        row.addStretch(1)
        row.addWidget(home)
        layout.addLayout(row)
        return page

    # -- state ---------------------------------------------------------------

    def set_kind(self, kind: str) -> None:
        self.kind = kind
        self.title.setText(self.tr("Scan passport") if kind == "passport" else self.tr("Capture receipt"))
        self.preview.set_mode(kind)

    def show_live(self, message: str = "") -> None:
        self.state = "live"
        self.pages.setCurrentIndex(self.LIVE)
        self.preview.clear()
        self.preview.set_message(message)
        self.hint.setText(message)
        self.timer_bar.setValue(0)
        self.timer_bar.setVisible(True)
        self.reading_bar.setVisible(False)
        self.live_demo_button.setVisible(False)
        self._mark_step("searching")
        self.cancel_button.setFocus()

    def set_hint(self, text: str) -> None:
        self.hint.setText(text)

    def set_source_problem(self, text: str | None, offer_demo: bool) -> None:
        """The camera is missing or failing: say so over the preview, offer the demo and a file."""
        self.preview.set_message(text or "")
        if text:
            self.hint.setText(text)
        self.live_demo_button.setVisible(bool(text) and offer_demo)

    def set_scan_state(self, state: str, elapsed: float, timeout: float) -> None:
        self._mark_step(state)
        self.reading_bar.setVisible(state == "reading")
        if timeout > 0:
            self.timer_bar.setValue(int(1000 * min(1.0, elapsed / timeout)))

    def _mark_step(self, state: str) -> None:
        current = STEPS.index(state) if state in STEPS else -1
        for index, step in enumerate(STEPS):
            widget = self.step_labels[step]
            role = "ok" if index < current else ("warn" if index == current else "muted")
            set_role(widget, role)

    def show_busy(self, text: str) -> None:
        self.state = "busy"
        self.preview.clear()
        self.timer_bar.setVisible(False)
        self.busy_text.setText(text)
        self.pages.setCurrentIndex(self.BUSY)
        self.busy_page.setFocus(Qt.FocusReason.OtherFocusReason)  # not Cancel: a stray Enter must not drop the read

    def show_failed(self, title: str, reason: str, help_text: str, *, remote: bool, partial: bool) -> None:
        self.state = "failed"
        self.preview.clear()
        self.timer_bar.setVisible(False)
        self.failed_title.setText(title)
        self.failed_reason.setText(reason)
        self.failed_help.setText(help_text)
        self.remote_button.setVisible(remote)
        self.partial_button.setVisible(partial)
        self.pages.setCurrentIndex(self.FAILED)
        # the safe action: with a partial read, look at it (scanning again would drop it)
        (self.partial_button if partial else self.rescan_button).setFocus()

    def show_no_camera(self, text: str) -> None:
        self.state = "no_camera"
        self.preview.clear()
        self.timer_bar.setVisible(False)
        self.no_camera_text.setText(text)
        self.pages.setCurrentIndex(self.NO_CAMERA)
        self.demo_button.setFocus()

    def clear(self) -> None:
        """Nothing of the last customer stays: the picture, the hint, the reasons."""
        self.state = ""
        self.preview.clear()
        self.hint.setText("")
        self.failed_reason.setText("")
        self.busy_text.setText("")
        self.pages.setCurrentIndex(self.LIVE)
