"""Widgets shared by the screens: big buttons, badges, the camera preview with its guide, the PIN pad, toasts."""

from __future__ import annotations

from collections.abc import Callable

import shiboken6
from PySide6.QtCore import QEvent, QObject, QRect, QRectF, QSize, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QFont, QImage, QKeyEvent, QMouseEvent, QPainter, QPaintEvent, QPen, QResizeEvent, QWheelEvent
from PySide6.QtWidgets import (
    QAbstractScrollArea,
    QComboBox,
    QDoubleSpinBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from kiosk.ui.qt import emit
from kiosk.ui import theme


def restyle(widget: QWidget) -> None:
    """Re-apply the style sheet after a dynamic property changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    widget.update()


class Button(QPushButton):
    """A push button that Return and Enter press too (keyboard-only use), with a style role."""

    def __init__(self, text: str = "", role: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        if role:
            self.setProperty("role", role)
        self.setMinimumHeight(72)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)

    def set_role(self, role: str | None) -> None:
        self.setProperty("role", role or "")
        restyle(self)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and not event.modifiers() & ~Qt.KeyboardModifier.KeypadModifier:
            if self.isEnabled():
                self.animateClick()
            event.accept()
            return
        super().keyPressEvent(event)


class _FocusedWheel:
    """Mixin: the wheel changes the value only of a focused control; over an unfocused one it scrolls the
    form instead (a wheel turned to scroll must never change a setting on its way)."""

    def _setup_wheel(self) -> None:
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)  # not WheelFocus: the wheel alone never focuses it

    def wheelEvent(self, event: QWheelEvent) -> None:  # noqa: N802 - Qt name
        if self.hasFocus():
            super().wheelEvent(event)
        else:
            event.ignore()  # to the scroll area around it


class ComboBox(_FocusedWheel, QComboBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setup_wheel()


class SpinBox(_FocusedWheel, QSpinBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setup_wheel()


class DoubleSpinBox(_FocusedWheel, QDoubleSpinBox):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._setup_wheel()


def label(text: str = "", role: str | None = None, wrap: bool = True) -> QLabel:
    widget = QLabel(text)
    if role:
        widget.setProperty("role", role)
    widget.setWordWrap(wrap)
    return widget


def set_role(widget: QWidget, role: str | None) -> None:
    if widget.property("role") != (role or ""):
        widget.setProperty("role", role or "")
        restyle(widget)


class Card(QFrame):
    """A framed panel with a title line and a body."""

    def __init__(self, title: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setProperty("role", "card")
        self.layout_ = QVBoxLayout(self)
        self.layout_.setContentsMargins(22, 16, 22, 16)
        self.layout_.setSpacing(8)
        self.title = label(title, "subtitle")
        self.layout_.addWidget(self.title)


class Badge(QLabel):
    """A coloured pill: green (ok), amber (low), red (bad), grey (none), always with text, never colour alone."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setMinimumWidth(92)
        self.state = "none"
        self.set("", "none")

    def set(self, text: str, state: str) -> None:
        if self.text() != text:
            self.setText(text)
        if state != getattr(self, "_styled", None):
            self._styled = state
            colour = theme.badge_colour(state)
            self.setStyleSheet(
                f"background: {colour}; color: #000000; border-radius: 16px; padding: 6px 14px; font-weight: bold; font-size: 22px;"
            )
        self.state = state


class Mark(QLabel):
    """A check digit's tick or cross (with a word for screen readers and colour-blind eyes)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setMinimumWidth(56)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.ok: bool | None = None
        self.set(None)

    def set(self, ok: bool | None, applies: bool = True) -> None:
        self.ok = ok if applies else None
        if not applies:
            self.setText("")
            self.setToolTip("")
            self.setAccessibleName("")
            self._styled = None
            return
        if ok is None:
            text, colour, name = "–", theme.GREY, self.tr("check digit not known")
        elif ok:
            text, colour, name = "✓", theme.GREEN, self.tr("check digit holds")
        else:
            text, colour, name = "✗", theme.RED, self.tr("check digit fails")
        self.setText(text)
        self.setToolTip(name)
        self.setAccessibleName(name)
        if getattr(self, "_styled", None) != colour:
            self._styled = colour
            self.setStyleSheet(f"color: {colour}; font-size: 40px; font-weight: bold;")


class Preview(QWidget):
    """The live picture with the guide frame (MRZ band or page outline) and what the quality meter found."""

    resized = Signal(int, int)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.setMinimumSize(480, 270)
        self.image: QImage | None = None
        self.mode = "passport"
        self.mrz: QRect | None = None
        self.document: QRect | None = None
        self.found = False
        self.message = ""
        self.paints = 0

    def set_mode(self, mode: str) -> None:
        self.mode = mode
        self.update()

    def set_frame(self, image: QImage, mrz: QRect | None, document: QRect | None, found: bool) -> None:
        self.image, self.mrz, self.document, self.found = image, mrz, document, found
        self.update()

    def set_message(self, text: str) -> None:
        self.message = text
        self.update()

    def clear(self) -> None:
        self.image = None
        self.mrz = self.document = None
        self.found = False
        self.message = ""
        self.update()

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 - Qt name
        super().resizeEvent(event)
        emit(self.resized, self.width(), self.height())

    def _image_rect(self) -> QRectF:
        if self.image is None or self.image.isNull():
            return QRectF(self.rect())
        iw, ih = self.image.width(), self.image.height()
        scale = min(self.width() / iw, self.height() / ih)
        w, h = iw * scale, ih * scale
        return QRectF((self.width() - w) / 2, (self.height() - h) / 2, w, h)

    def guide_rect(self) -> QRectF:
        """Where the operator should hold the document, in widget pixels."""
        area = self._image_rect()
        if self.mode == "passport":
            # the MRZ band: the bottom of a passport page held in the middle of the view
            return QRectF(area.x() + area.width() * 0.10, area.y() + area.height() * 0.58, area.width() * 0.80, area.height() * 0.26)
        height = area.height() * 0.92
        width = min(area.width() * 0.9, height * 0.62)
        return QRectF(area.x() + (area.width() - width) / 2, area.y() + area.height() * 0.04, width, height)

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt name
        self.paints += 1
        painter = QPainter(self)
        painter.fillRect(self.rect(), QColor("#000000"))
        area = self._image_rect()
        scale = 1.0
        if self.image is not None and not self.image.isNull():
            painter.drawImage(area, self.image)
            scale = area.width() / self.image.width()
        # the guide
        guide = self.guide_rect()
        pen = QPen(QColor(theme.GREEN if self.found else theme.FOCUS), 5, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(Qt.BrushStyle.NoBrush)
        painter.drawRoundedRect(guide, 14, 14)
        caption = self.tr("Machine-readable zone here") if self.mode == "passport" else self.tr("Receipt here")
        font = QFont(painter.font())
        font.setPixelSize(24)
        font.setBold(True)
        painter.setFont(font)
        painter.setPen(QColor(theme.GREEN if self.found else theme.FOCUS))
        painter.drawText(QRectF(guide.x(), guide.y() - 36, guide.width(), 32), Qt.AlignmentFlag.AlignCenter, caption)
        # what was found
        found = self.mrz if self.mode == "passport" else self.document
        if found is not None and self.image is not None:
            painter.setPen(QPen(QColor(theme.GREEN), 4))
            painter.drawRect(QRectF(area.x() + found.x() * scale, area.y() + found.y() * scale, found.width() * scale, found.height() * scale))
        if self.message:
            font.setPixelSize(30)
            painter.setFont(font)
            box = QRectF(self.rect()).adjusted(40, 40, -40, -40)
            painter.setPen(QColor(theme.TEXT))
            painter.drawText(box, Qt.AlignmentFlag.AlignCenter | Qt.TextFlag.TextWordWrap, self.message)
        painter.end()


class PinPad(QWidget):
    """Digits 0-9, erase and OK, big enough for a thumb; the keyboard's digits, Backspace and Enter work too."""

    submitted = Signal(str)
    cancelled = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.digits = ""
        self.max_length = 12
        layout = QVBoxLayout(self)
        layout.setSpacing(14)
        self.prompt = label(self.tr("Enter the admin PIN"), "subtitle")
        self.prompt.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display = QLabel()
        self.display.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.display.setMinimumHeight(70)
        self.display.setStyleSheet("font-size: 48px; letter-spacing: 12px; border: 2px solid #c8ccd2; border-radius: 10px;")
        self.message = label("", "error")
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        layout.addWidget(self.prompt)
        layout.addWidget(self.display)
        layout.addWidget(self.message)
        grid = QGridLayout()
        grid.setSpacing(12)
        self.keys: dict[str, Button] = {}
        for index, key in enumerate("123456789"):
            self._add_key(grid, key, index // 3, index % 3)
        self.erase = Button("⌫", "pinkey")
        self.erase.setAccessibleName(self.tr("Erase"))
        self.erase.clicked.connect(self.backspace)
        grid.addWidget(self.erase, 3, 0)
        self._add_key(grid, "0", 3, 1)
        self.ok = Button(self.tr("OK"), "primary")
        self.ok.setProperty("role", "primary")
        self.ok.setMinimumHeight(72)
        self.ok.clicked.connect(self.submit)
        grid.addWidget(self.ok, 3, 2)
        layout.addLayout(grid)
        self.cancel = Button(self.tr("Cancel"))
        self.cancel.clicked.connect(self.cancelled)
        layout.addWidget(self.cancel)
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self._refresh()

    def _add_key(self, grid: QGridLayout, key: str, row: int, column: int) -> None:
        button = Button(key, "pinkey")
        button.clicked.connect(lambda: self.press(key))
        button.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.keys[key] = button
        grid.addWidget(button, row, column)

    def _refresh(self) -> None:
        self.display.setText("●" * len(self.digits) if self.digits else " ")
        self.ok.setEnabled(bool(self.digits))

    def press(self, key: str) -> None:
        if len(self.digits) < self.max_length:
            self.digits += key
            self._refresh()

    def backspace(self) -> None:
        self.digits = self.digits[:-1]
        self._refresh()

    def clear(self) -> None:
        self.digits = ""
        self.message.setText("")
        self._refresh()

    def submit(self) -> None:
        if self.digits and self.isEnabled():
            pin, self.digits = self.digits, ""
            self._refresh()
            emit(self.submitted, pin)

    def set_message(self, text: str, role: str = "error") -> None:
        self.message.setText(text)
        set_role(self.message, role)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt name
        text = event.text()
        if text.isdigit() and len(text) == 1:
            self.press(text)
        elif event.key() == Qt.Key.Key_Backspace:
            self.backspace()
        elif event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self.submit()
        elif event.key() == Qt.Key.Key_Escape:
            emit(self.cancelled)
        else:
            super().keyPressEvent(event)


class Toast(QLabel):
    """A short message over the bottom of the window that goes away by itself."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setWordWrap(True)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.hide)
        self.hide()

    def show_message(self, text: str, role: str = "ok", ms: int = 4000) -> None:
        colour = {"ok": theme.GREEN, "warn": theme.AMBER, "error": theme.RED}.get(role, theme.TEXT)
        self.setStyleSheet(
            f"background: #000000; color: {colour}; border: 4px solid {colour}; border-radius: 14px; "
            "padding: 18px 30px; font-size: 30px; font-weight: bold;"
        )
        self.setText(text)
        self.place()
        self.show()
        self.raise_()
        self.timer.start(ms)

    def place(self) -> None:
        parent = self.parentWidget()
        if parent is None:
            return
        width = min(parent.width() - 80, 1000)
        self.setFixedWidth(max(200, width))
        self.adjustSize()
        self.move((parent.width() - self.width()) // 2, parent.height() - self.height() - 40)

    def clear(self) -> None:
        self.timer.stop()
        self.setText("")
        self.hide()


def hbox(*widgets: QWidget | None, stretch_first: bool = False, spacing: int = 16) -> QHBoxLayout:
    layout = QHBoxLayout()
    layout.setSpacing(spacing)
    for index, widget in enumerate(widgets):
        if widget is None:
            layout.addStretch(1)
        else:
            layout.addWidget(widget, 1 if stretch_first and index == 0 else 0)
    return layout


class MoreBelow(QLabel):
    """A "More below" cue under a scroll area, shown while part of its content is out of view below."""

    def __init__(self, area: QAbstractScrollArea) -> None:
        super().__init__()
        self.setProperty("role", "more")
        self.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.setText(self.tr("▼ More below: scroll down"))
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Fixed)
        self.bar = area.verticalScrollBar()
        self.bar.rangeChanged.connect(self.refresh)
        self.bar.valueChanged.connect(self.refresh)
        self.setVisible(False)

    def refresh(self) -> None:
        self.setVisible(self.bar.value() < self.bar.maximum())


def scroll_area(content: QWidget) -> tuple[QScrollArea, MoreBelow]:
    """`content` in a vertical scroll area (its scroll bar shown when needed), with its "More below" cue to
    place under it."""
    area = QScrollArea()
    area.setWidgetResizable(True)
    area.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    area.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    area.setWidget(content)
    return area, MoreBelow(area)


class Picture(QLabel):
    """A picture that shrinks to the room it gets (keeping its shape) instead of pushing the screen's
    buttons out of view; without a picture it shows its text. Same API as QLabel: setPixmap, pixmap, clear."""

    MIN_SIZE = QSize(160, 60)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setSizePolicy(QSizePolicy.Policy.Preferred, QSizePolicy.Policy.Preferred)

    def sizeHint(self) -> QSize:  # noqa: N802 - Qt name
        pixmap = self.pixmap()
        return pixmap.size() if not pixmap.isNull() else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt name
        return self.MIN_SIZE if not self.pixmap().isNull() else super().minimumSizeHint()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802 - Qt name
        pixmap = self.pixmap()
        if pixmap.isNull():
            super().paintEvent(event)
            return
        shown = pixmap.size().scaled(self.size().boundedTo(pixmap.size()), Qt.AspectRatioMode.KeepAspectRatio)
        x = (self.width() - shown.width()) // 2
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform)
        painter.drawPixmap(QRect(x, 0, shown.width(), shown.height()), pixmap)
        painter.end()


class Overlay(QFrame):
    """A question over the whole window, e.g. "Discard this read?" or the idle countdown.

    The first answer is the safe one (it loses nothing): it has the focus, so a stray Enter picks it, and
    Esc, a touch beside the panel and `dismiss()` pick it too. Tab stays among the answers; what is under
    the overlay cannot be touched while it is up.
    """

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.setObjectName("overlay")
        self.setStyleSheet("QFrame#overlay { background: rgba(0, 0, 0, 200); }")
        self.panel = QFrame(self)
        self.panel.setProperty("role", "card")
        self.panel.setMaximumWidth(900)
        inner = QVBoxLayout(self.panel)
        inner.setContentsMargins(36, 28, 36, 28)
        inner.setSpacing(18)
        self.title = label("", "title")
        self.text = label("", None)
        self.safe_button = Button("", "primary")
        self.other_button = Button("")
        self.safe_button.clicked.connect(self.dismiss)
        self.other_button.clicked.connect(self._other)
        buttons = QHBoxLayout()
        buttons.setSpacing(16)
        buttons.addWidget(self.safe_button)
        buttons.addStretch(1)
        buttons.addWidget(self.other_button)
        inner.addWidget(self.title)
        inner.addWidget(self.text)
        inner.addLayout(buttons)
        layout = QVBoxLayout(self)
        layout.addStretch(1)
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(self.panel, 4)
        row.addStretch(1)
        layout.addLayout(row)
        layout.addStretch(1)
        self.on_other: Callable[[], None] | None = None
        self.on_dismiss: Callable[[], None] | None = None
        self.kind = ""
        self._previous: QWidget | None = None
        parent.installEventFilter(self)
        self.hide()

    def ask(
        self,
        kind: str,
        title: str,
        text: str,
        safe: str,
        other: str = "",
        on_other: Callable[[], None] | None = None,
        on_dismiss: Callable[[], None] | None = None,
    ) -> None:
        """Show the question; `kind` names it (e.g. "discard", "idle") for `showing()`."""
        self.kind = kind
        self.title.setText(title)
        self.text.setText(text)
        self.safe_button.setText(safe)
        self.other_button.setText(other)
        self.other_button.setVisible(bool(other))
        self.on_other, self.on_dismiss = on_other, on_dismiss
        if not self.isVisible():
            parent = self.parentWidget()
            self._previous = parent.focusWidget() if parent is not None else None
        self.place()
        self.show()
        self.raise_()
        self.safe_button.setFocus(Qt.FocusReason.OtherFocusReason)

    def showing(self, kind: str | None = None) -> bool:
        return self.isVisible() and (kind is None or self.kind == kind)

    def set_text(self, text: str) -> None:
        self.text.setText(text)

    def dismiss(self) -> None:
        """The safe answer: nothing happens but the question going away."""
        callback = self.on_dismiss
        self.close_quietly()
        if callback is not None:
            callback()

    def close_quietly(self) -> None:
        """Hide without answering (the window moved on by itself)."""
        self.on_other = self.on_dismiss = None
        self.kind = ""
        was_visible = self.isVisible()
        self.hide()
        previous, self._previous = self._previous, None
        if was_visible and previous is not None and shiboken6.isValid(previous) and previous.isVisible():
            previous.setFocus(Qt.FocusReason.OtherFocusReason)

    def _other(self) -> None:
        callback = self.on_other
        self.close_quietly()
        if callback is not None:
            callback()

    def place(self) -> None:
        parent = self.parentWidget()
        if parent is not None:
            self.setGeometry(parent.rect())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if watched is self.parentWidget() and event.type() == QEvent.Type.Resize and self.isVisible():
            self.place()
        return False

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt name
        if not self.panel.geometry().contains(event.position().toPoint()):
            self.dismiss()
        event.accept()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt name
        if event.key() == Qt.Key.Key_Escape:
            self.dismiss()
            return
        super().keyPressEvent(event)

    def focusNextPrevChild(self, next: bool) -> bool:  # noqa: N802, A002 - Qt names
        buttons = [b for b in (self.safe_button, self.other_button) if b.isVisible()]
        if not buttons:  # hiding: Qt moves the focus out of the overlay
            return super().focusNextPrevChild(next)
        current = buttons.index(self.focusWidget()) if self.focusWidget() in buttons else -1
        next_index = (current + (1 if next else -1)) % len(buttons)
        buttons[next_index].setFocus(Qt.FocusReason.TabFocusReason)
        return True
