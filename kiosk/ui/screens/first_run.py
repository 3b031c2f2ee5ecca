"""First run (no settings file yet): a short setup of the kiosk id, the admin PIN, sync and the OCR service.

Whether images may go to the OCR service is asked outright (never, when the
clerk asks, automatically), never by default: nothing leaves the kiosk
unless the site chose it here. The file is written where the app's settings
live (`--config`, `KIOSK_CONFIG` or the OS folder), its folder created.
"""

from __future__ import annotations

import copy

from PySide6.QtCore import Signal
from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QRadioButton, QVBoxLayout, QWidget

from kiosk.config import Settings
from kiosk.errors import ConfigError
from kiosk.ui.qt import emit
from kiosk.ui.pin import PinError, check_new_pin
from kiosk.ui.screens.forms import KioskSection, PinFields, RemoteSection, SyncSection
from kiosk.ui.widgets import Button, label, scroll_area, set_role


class FirstRunScreen(QWidget):
    finish = Signal(object, dict, str)  # Settings, secrets, PIN
    test_remote = Signal(object, object)
    test_sync = Signal(object, object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.base = Settings()
        outer = QVBoxLayout(self)
        outer.setContentsMargins(30, 20, 30, 20)
        outer.setSpacing(12)
        outer.addWidget(label(self.tr("Welcome: set up this kiosk"), "title"))
        outer.addWidget(
            label(
                self.tr(
                    "Give the kiosk a name and an admin PIN (it guards the settings). Sync and the OCR "
                    "service can be set up now or later under Settings."
                ),
                "muted",
            )
        )
        self.message = label("", "error")
        self.message.setVisible(False)
        outer.addWidget(self.message)

        body = QWidget()
        layout = QVBoxLayout(body)
        layout.setSpacing(10)
        self.kiosk = KioskSection(with_idle=False)
        self.pin = PinFields(required=True)
        self.sync = SyncSection(with_details=False)
        self.remote = RemoteSection(with_policy=False)
        layout.addWidget(label(self.tr("This kiosk"), "subtitle"))
        layout.addWidget(self.kiosk)
        layout.addWidget(self.pin)
        layout.addWidget(label(self.tr("Sync"), "subtitle"))
        layout.addWidget(self.sync)
        layout.addWidget(label(self.tr("OCR service (optional)"), "subtitle"))
        layout.addWidget(self.remote)
        layout.addWidget(self._policy_choice())
        layout.addStretch(1)
        area, self.more = scroll_area(body)
        self.area = area
        outer.addWidget(area, 1)
        outer.addWidget(self.more)

        row = QHBoxLayout()
        self.finish_button = Button(self.tr("Save and &start"), "primary")
        self.finish_button.clicked.connect(self._finish_clicked)
        row.addStretch(1)
        row.addWidget(self.finish_button)
        outer.addLayout(row)
        self.remote.test.connect(lambda: self._test(self.test_remote, self.remote.secrets() or None))
        self.sync.test.connect(lambda: self._test(self.test_sync, self.sync.typed_secret()))

    def _policy_choice(self) -> QWidget:
        box = QWidget()
        layout = QVBoxLayout(box)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(label(self.tr("Send document images to the OCR service:"), None))
        self.policy = QButtonGroup(self)
        self.policy_buttons: dict[str, QRadioButton] = {}
        for policy, text in (
            ("off", self.tr("&Never: every document is read on this kiosk only")),
            ("manual", self.tr("Only when the clerk &asks (“Try OCR service”)")),
            ("auto", self.tr("Auto&matically when the local read fails or is unsure")),
        ):
            button = QRadioButton(text)
            button.setObjectName(f"policy_{policy}")
            self.policy.addButton(button)
            self.policy_buttons[policy] = button
            layout.addWidget(button)
        return box

    def chosen_policy(self) -> str:
        return next(policy for policy, button in self.policy_buttons.items() if button.isChecked())

    def load(self, settings: Settings) -> None:
        self.base = copy.deepcopy(settings)
        self.policy_buttons.get(settings.remote.policy, self.policy_buttons["off"]).setChecked(True)
        self.kiosk.load(settings)
        self.sync.load(settings)
        self.remote.load(settings)
        self.pin.clear()
        self.finish_button.setEnabled(True)
        self.kiosk.kiosk_id.setFocus()

    def set_message(self, text: str, role: str = "error") -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        set_role(self.message, role)

    def collect(self) -> Settings:
        settings = copy.deepcopy(self.base)
        self.kiosk.apply(settings)
        self.sync.apply(settings)
        self.remote.apply(settings)
        settings.remote.policy = self.chosen_policy()
        settings.validate()
        return settings

    def _test(self, signal: Signal, typed: str | None) -> None:
        try:
            emit(signal, self.collect(), typed)
        except ConfigError as exc:
            self.set_message(str(exc))

    def _finish_clicked(self) -> None:
        try:
            settings = self.collect()
        except ConfigError as exc:
            self.set_message(str(exc))
            return
        pin, repeated = self.pin.value()
        try:
            check_new_pin(pin, repeated)
        except PinError as exc:
            self.set_message(self.tr("Admin PIN: {reason}").format(reason=str(exc)))
            self.pin.pin.setFocus()
            return
        self.finish_button.setEnabled(False)
        self.set_message(self.tr("Saving…"), "muted")
        emit(self.finish, settings, {**self.remote.secrets(), **self.sync.secrets()}, pin)

    def failed(self, reason: str) -> None:
        self.finish_button.setEnabled(True)
        self.set_message(self.tr("Not saved: {reason}").format(reason=reason))
