"""Every screen at 1024x768, 1366x768 and 1920x1080: nothing clipped, nothing out of reach, actions always in view.

The window gets the screen's size as a full-screen kiosk does (fixed: the layout
cannot grow it past the screen). Then every input and button of the screen shown
must lie inside the window, or inside a scroll area whose scroll bar shows it
can be reached (a passport's ten fields at 1366x768 and up: all in view at
once); the screen's actions (Confirm, Cancel, Save...) are never in a
scroll area and always fully visible; and every control is touch-sized.
"""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QPoint, QRect
from PySide6.QtWidgets import QAbstractButton, QAbstractSpinBox, QComboBox, QLineEdit, QScrollArea, QWidget

from kiosk.records import Field, ReceiptRecord
from kiosk.scan.evidence import EVIDENCE_SIZE
from kiosk.scan.flow import Scan
from kiosk.ui.pin import set_pin
from test_ui_support import make_window, ui_models, wait_screen  # noqa: F401 - fixtures

SIZES = [(1024, 768), (1366, 768), (1920, 1080)]
CONTROLS = (QAbstractButton, QLineEdit, QAbstractSpinBox, QComboBox)
TOUCH_PX = 40


def window_rect(widget: QWidget, window: QWidget) -> QRect:
    return QRect(widget.mapTo(window, QPoint(0, 0)), widget.size())


def shown_rect(widget: QWidget, window: QWidget) -> QRect:
    """The part of `widget` its ancestors leave on screen, in window coordinates."""
    rect = window_rect(widget, window)
    parent = widget.parentWidget()
    while parent is not None and parent is not window:
        rect = rect.intersected(window_rect(parent, window))
        parent = parent.parentWidget()
    return rect.intersected(window.rect())


def scroll_area_of(widget: QWidget) -> QScrollArea | None:
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, QScrollArea):
            return parent
        parent = parent.parentWidget()
    return None


def inside_control(widget: QWidget) -> bool:
    """A part of another control (a spin box's line edit): checked as that control."""
    parent = widget.parentWidget()
    while parent is not None:
        if isinstance(parent, CONTROLS):
            return True
        parent = parent.parentWidget()
    return False


def layout_problems(window: QWidget, screen: QWidget, actions: list[QWidget]) -> list[str]:
    problems = []
    for widget in screen.findChildren(QWidget):
        if not isinstance(widget, CONTROLS) or not widget.isVisible() or inside_control(widget):
            continue
        name = f"{type(widget).__name__} {widget.objectName() or getattr(widget, 'text', lambda: '')()!r}"
        if widget.height() < TOUCH_PX:
            problems.append(f"{name} is {widget.height()} px tall: too small to touch")
        area = scroll_area_of(widget)
        rect = window_rect(widget, window)
        if area is None:
            if shown_rect(widget, window) != rect:
                problems.append(f"{name} is clipped: {rect} shows only {shown_rect(widget, window)}")
            continue
        if widget in actions:
            problems.append(f"{name} is an action, but inside a scroll area")
        viewport = area.viewport()
        view = window_rect(viewport, window)
        if shown_rect(viewport, window) != view:
            problems.append(f"the scroll area around {name} is itself clipped")
        if rect.left() < view.left() or rect.right() > view.right():
            problems.append(f"{name} sticks out sideways from its scroll area (no horizontal scrolling)")
        below = rect.bottom() > view.bottom() or rect.top() < view.top()
        if below and not area.verticalScrollBar().isVisible():
            problems.append(f"{name} is out of view with no scroll bar to reach it")
    for action in actions:
        if not action.isVisible():
            problems.append(f"action {action.text()!r} is not shown")
    return problems


def show_at(qtbot, window, size: tuple[int, int]) -> None:
    window.setFixedSize(*size)
    qtbot.waitUntil(lambda: window.size().width() == size[0] and window.size().height() == size[1], timeout=5_000)
    qtbot.wait(50)  # layouts settle


def tall_receipt(window) -> None:
    """A receipt review with the tallest picture a receipt gets (a long till roll)."""
    width, height = EVIDENCE_SIZE["receipt"]
    crop = np.full((height, width, 3), 235, np.uint8)
    record = ReceiptRecord(status="ok")
    for name, value in (("vendor", "GREEN LEAF CAFE SDN BHD"), ("date", "2018-12-25"), ("total", 20.03), ("tax", 1.13), ("currency", "MYR")):
        record.fields[name] = Field(value, 0.9, "local")
    window.read = Scan("receipt", None, record, crop, crop, "file")
    note = (
        "The OCR service could not help: it answered 503 Service Unavailable twice, then stopped answering. "
        "This is the local read: compare every field with the receipt before you confirm it."
    )
    window.show_review("receipt", record, note=note, note_role="error")


def screens(window, passport_file, qtbot):
    """(name, show it, its actions) for every screen."""

    def review_passport() -> None:
        window.open_path(str(passport_file), "passport")
        wait_screen(qtbot, window, window.review)

    def failed() -> None:
        window.kind = "passport"
        window.show_failure("passport", "No machine-readable zone read (too blurred). The OCR service could not help: it is down.")

    def settings_tab(index: int):
        def show() -> None:
            if window.current_screen() is not window.settings_screen:
                window._show_settings(pin_missing=False)
            window.settings_screen.tabs.setCurrentIndex(index)
            sync = window.settings_screen.sync
            sync.target.setCurrentIndex(sync.target.findData("odoo"))

        return show

    def first_run() -> None:
        window.first_run.load(window.settings)
        window.show_screen(window.first_run)

    def pin() -> None:
        window.pin.open("settings")
        window.show_screen(window.pin)

    review, scan, settings = window.review, window.scan, window.settings_screen
    return [
        ("home", window.go_home, [window.home.passport_button, window.home.receipt_button]),
        ("scanning", lambda: window.start_scan("passport"), [scan.cancel_button, scan.open_button]),
        ("scan failed", failed, [scan.rescan_button, scan.type_button, scan.failed_home]),
        ("passport review", review_passport, [review.confirm_button, review.cancel_button, review.rescan_button]),
        ("receipt review", lambda: tall_receipt(window), [review.confirm_button, review.cancel_button]),
        ("pin", pin, [window.pin.pad.ok, window.pin.pad.cancel]),
        *[(f"settings tab {i}", settings_tab(i), [settings.save_button, settings.cancel_button]) for i in range(4)],
        ("first run", first_run, [window.first_run.finish_button]),
    ]


def test_every_screen_fits_each_screen_size_with_its_actions_in_view(qtbot, make_window, passport_file):
    set_pin("2468")
    found = {}
    for size in SIZES:
        window = make_window()
        for name, show, actions in screens(window, passport_file, qtbot):
            show()
            show_at(qtbot, window, size)
            problems = layout_problems(window, window.current_screen(), actions)
            if name == "passport review" and size[0] >= 1366:
                problems += [f"{n} is below the fold" for n in hidden_fields(window)]
            if problems:
                found[f"{name} at {size[0]}x{size[1]}"] = problems
        window.go_home()
    assert found == {}


def hidden_fields(window) -> list[str]:
    """The review's fields not wholly in view without scrolling."""
    view = window_rect(window.review.scroll.viewport(), window)
    return [name for name, row in window.review.rows.items() if not view.contains(window_rect(row.edit, window))]


def test_a_form_longer_than_the_screen_scrolls_with_a_visible_bar_and_a_more_below_cue(qtbot, make_window):
    window = make_window()
    window._show_settings(pin_missing=False)
    screen = window.settings_screen
    screen.tabs.setCurrentIndex(3)  # sync, with Odoo's fields
    screen.sync.target.setCurrentIndex(screen.sync.target.findData("odoo"))
    show_at(qtbot, window, (1024, 768))
    page = screen.tabs.currentWidget()
    area = page.findChild(QScrollArea)
    qtbot.waitUntil(lambda: area.verticalScrollBar().maximum() > 0, timeout=5_000)
    bar = area.verticalScrollBar()
    assert bar.isVisible() and bar.width() >= 24  # a bar a finger can find
    more = [w for w in page.findChildren(QWidget) if w.property("role") == "more"]
    assert len(more) == 1 and more[0].isVisible() and "More below" in more[0].text()
    bar.setValue(bar.maximum())
    assert not more[0].isVisible()  # at the end: nothing more below
