"""Settings (behind the admin PIN): camera, OCR, the OCR service, sync, kiosk id and operator, the PIN itself.

Nothing is written until Save: the window validates the whole `Settings`,
writes the file atomically and the typed secrets to the keyring, on a
worker. "Test connection" uses what is typed, not yet saved.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QHBoxLayout, QTabWidget, QVBoxLayout, QWidget

from kiosk.config import MIN_IDLE_SECONDS, Settings
from kiosk.errors import ConfigError
from kiosk.ui.qt import emit
from kiosk.ui.pin import PinError, check_new_pin
from kiosk.ui.screens.forms import CaptureSection, KioskSection, PinFields, RemoteSection, SyncSection
from kiosk.ui.widgets import Button, label, scroll_area, set_role


def scrolled(widget: QWidget) -> QWidget:
    """A tab's page: `widget` in a scroll area, with the "More below" cue under it."""
    page = QWidget()
    layout = QVBoxLayout(page)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(4)
    area, more = scroll_area(widget)
    layout.addWidget(area, 1)
    layout.addWidget(more)
    return page


class SettingsScreen(QWidget):
    save = Signal(object, dict, object)  # Settings, secrets {name: value}, new PIN or None
    cancel = Signal()
    test_remote = Signal(object, object)  # Settings, typed tokens {secret name: token} or None
    test_sync = Signal(object, object)  # Settings, typed secret or None
    leave_kiosk = Signal()
    quit_app = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base = Settings()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(30, 20, 30, 20)
        outer.setSpacing(12)
        outer.addWidget(label(self.tr("Settings"), "title"))
        self.message = label("", "muted")
        self.message.setVisible(False)
        outer.addWidget(self.message)

        self.kiosk = KioskSection()
        self.pin = PinFields(required=False)
        kiosk_page = QWidget()
        kiosk_layout = QVBoxLayout(kiosk_page)
        kiosk_layout.addWidget(self.kiosk)
        kiosk_layout.addWidget(label(self.tr("Admin PIN"), "subtitle"))
        kiosk_layout.addWidget(self.pin)
        kiosk_layout.addStretch(1)
        self.capture = CaptureSection()
        capture_page = QWidget()
        capture_layout = QVBoxLayout(capture_page)
        capture_layout.addWidget(self.capture)
        capture_layout.addStretch(1)
        self.remote = RemoteSection()
        remote_page = QWidget()
        remote_layout = QVBoxLayout(remote_page)
        remote_layout.addWidget(self.remote)
        remote_layout.addStretch(1)
        self.sync = SyncSection()

        self.tabs = QTabWidget()
        self.tabs.addTab(scrolled(kiosk_page), self.tr("Kiosk"))
        self.tabs.addTab(scrolled(capture_page), self.tr("Camera and OCR"))
        self.tabs.addTab(scrolled(remote_page), self.tr("OCR service"))
        self.tabs.addTab(scrolled(self.sync), self.tr("Sync"))
        outer.addWidget(self.tabs, 1)

        buttons = QHBoxLayout()
        buttons.setSpacing(16)
        self.save_button = Button(self.tr("&Save"), "primary")
        self.save_button.clicked.connect(self._save_clicked)
        self.cancel_button = Button(self.tr("Cancel"))
        self.cancel_button.clicked.connect(self.cancel)
        self.leave_button = Button(self.tr("&Leave kiosk mode"))
        self.leave_button.clicked.connect(self.leave_kiosk)
        self.quit_button = Button(self.tr("&Quit the app"))
        self.quit_button.clicked.connect(self.quit_app)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        buttons.addWidget(self.leave_button)
        buttons.addWidget(self.quit_button)
        outer.addLayout(buttons)

        self.remote.test.connect(lambda: self._test(self.test_remote, self.remote.secrets() or None))
        self.sync.test.connect(lambda: self._test(self.test_sync, self.sync.typed_secret()))
        QShortcut(QKeySequence("Ctrl+S"), self, self._save_clicked, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    def load(self, settings: Settings, *, kiosk_mode: bool, camera_override: str | None, pin_missing: bool) -> None:
        self.base = copy.deepcopy(settings)
        self.kiosk.load(settings)
        self.capture.load(settings, camera_override)
        self.remote.load(settings)
        self.sync.load(settings)
        self.pin.clear()
        self.leave_button.setVisible(kiosk_mode)
        self.tabs.setCurrentIndex(0)
        if pin_missing:
            self.set_message(self.tr("No admin PIN is set yet: choose one below, then Save."), "warn")
        else:
            self.set_message("", None)
        self.save_button.setEnabled(True)
        self.kiosk.kiosk_id.setFocus()

    def set_sources(self, sources: dict[str, str]) -> None:
        self.remote.set_sources(sources)
        self.sync.set_sources(sources)

    def set_cameras(self, cameras: list[tuple[int, str]]) -> None:
        self.capture.set_cameras(cameras, self.base.capture.camera)

    def set_message(self, text: str, role: str | None) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        set_role(self.message, role)

    def collect(self) -> Settings:
        """The settings as typed; raises ConfigError naming what is wrong."""
        settings = copy.deepcopy(self.base)
        self.kiosk.apply(settings)
        self.capture.apply(settings)
        self.remote.apply(settings)
        self.sync.apply(settings)
        settings.validate()
        return settings

    def _test(self, signal: Signal, typed: str | None) -> None:
        try:
            settings = self.collect()
        except ConfigError as exc:
            self.set_message(str(exc), "error")
            return
        emit(signal, settings, typed)

    def _save_clicked(self) -> None:
        if not self.isVisible() or not self.save_button.isEnabled():
            return
        idle = self.kiosk.idle.value()
        if idle < MIN_IDLE_SECONDS:
            self.set_message(
                self.tr("Not saved: “Back to start after” must be at least {minimum} s, not {value} s.").format(minimum=MIN_IDLE_SECONDS, value=idle),
                "error",
            )
            self.tabs.setCurrentIndex(0)
            self.kiosk.idle.setFocus()
            return
        try:
            settings = self.collect()
        except ConfigError as exc:
            self.set_message(self.tr("Not saved: {reason}").format(reason=str(exc)), "error")
            return
        pin, repeated = self.pin.value()
        new_pin = None
        if pin or repeated:
            try:
                check_new_pin(pin, repeated)
            except PinError as exc:
                self.set_message(self.tr("Not saved: {reason}").format(reason=str(exc)), "error")
                self.tabs.setCurrentIndex(0)
                return
            new_pin = pin
        secrets = {**self.remote.secrets(), **self.sync.secrets()}
        self.save_button.setEnabled(False)
        self.set_message(self.tr("Saving…"), "muted")
        emit(self.save, settings, secrets, new_pin)

    def saved_failed(self, reason: str) -> None:
        self.save_button.setEnabled(True)
        self.set_message(self.tr("Not saved: {reason}").format(reason=reason), "error")

    def clear(self) -> None:
        """Forget everything typed (secrets included)."""
        self.remote.clear_tokens()
        for edit in (self.sync.odoo_secret, self.sync.greenpay_token):
            edit.clear()
        self.pin.clear()
        self.remote.tester.clear()
        self.sync.tester.clear()
        self.set_message("", None)
