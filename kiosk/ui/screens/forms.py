"""Parts of the settings form, shared by the settings screen and the first-run setup.

Each section shows some settings, writes them into a `Settings` copy with
`apply(settings)`, and hands over the secrets typed into it with `secrets()`
(only non-empty ones: an empty secret box keeps what the keyring holds).
"""

from __future__ import annotations

import copy
from dataclasses import replace

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from kiosk.config import DEFAULT_TOKEN_SECRET, ENGINES, REMOTE_POLICIES, RemoteEndpoint, Settings, accepts, route
from kiosk.ui.widgets import Button, ComboBox, DoubleSpinBox, SpinBox, label, set_role

MRZ_TOKEN_SECRET = "mrz_token"
"""The secret an MRZ provider set up here gets, so its token can differ from the receipt service's."""


def form() -> QFormLayout:
    layout = QFormLayout()
    layout.setLabelAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
    layout.setHorizontalSpacing(20)
    layout.setVerticalSpacing(14)
    layout.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
    return layout


def narrow(widget: QWidget, width: int = 320) -> QWidget:
    widget.setMaximumWidth(width)
    return widget


def line_edit(name: str, placeholder: str = "", secret: bool = False) -> QLineEdit:
    edit = QLineEdit()
    edit.setObjectName(name)
    edit.setPlaceholderText(placeholder)
    if secret:
        edit.setEchoMode(QLineEdit.EchoMode.Password)
        edit.setInputMethodHints(Qt.InputMethodHint.ImhHiddenText | Qt.InputMethodHint.ImhNoPredictiveText)
    return edit


class SecretEdit(QLineEdit):
    """A password box whose placeholder says whether the keyring already holds the secret."""

    def __init__(self, name: str, secret: str) -> None:
        super().__init__()
        self.setObjectName(name)
        self.secret = secret
        self.setEchoMode(QLineEdit.EchoMode.Password)
        self.set_source("")

    def set_source(self, source: str) -> None:
        if source in ("keyring", "environment"):
            self.setPlaceholderText(self.tr("stored ({source}) - type to replace").format(source=source))
        elif source.startswith("unavailable"):
            self.setPlaceholderText(self.tr("no keyring on this machine"))
        else:
            self.setPlaceholderText(self.tr("not set"))


class TestRow(QWidget):
    """A "Test connection" button and the answer next to it."""

    clicked = Signal()

    def __init__(self, name: str) -> None:
        super().__init__()
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.button = Button(self.tr("Test connection"))
        self.button.setObjectName(name)
        self.button.clicked.connect(self.clicked)
        self.result = label("", "muted")
        layout.addWidget(self.button)
        layout.addWidget(self.result, 1)

    def set_busy(self) -> None:
        self.button.setEnabled(False)
        self.result.setText(self.tr("Testing…"))
        set_role(self.result, "muted")

    def set_result(self, ok: bool, text: str) -> None:
        self.button.setEnabled(True)
        self.result.setText(("✓ " if ok else "✗ ") + text)
        set_role(self.result, "ok" if ok else "error")

    def clear(self) -> None:
        self.button.setEnabled(True)
        self.result.setText("")


class KioskSection(QWidget):
    def __init__(self, with_idle: bool = True) -> None:
        super().__init__()
        layout = form()
        self.kiosk_id = line_edit("kiosk_id", self.tr("e.g. counter-1"))
        self.operator = line_edit("operator", self.tr("who works at this kiosk"))
        layout.addRow(self.tr("Kiosk id"), self.kiosk_id)
        layout.addRow(self.tr("Operator name"), self.operator)
        self.idle = SpinBox()
        narrow(self.idle)
        self.idle.setObjectName("idle_seconds")
        self.idle.setRange(0, 3600)  # below the minimum is refused with a message on Save, not dropped
        self.idle.setSuffix(" s")
        if with_idle:
            layout.addRow(self.tr("Back to start after"), self.idle)
        else:
            self.idle.hide()
        self.setLayout(layout)

    def load(self, settings: Settings) -> None:
        self.kiosk_id.setText(settings.kiosk.id)
        self.operator.setText(settings.kiosk.operator)
        self.idle.setValue(settings.ui.idle_seconds)

    def apply(self, settings: Settings) -> None:
        settings.kiosk.id = self.kiosk_id.text().strip()
        settings.kiosk.operator = self.operator.text().strip()
        settings.ui.idle_seconds = self.idle.value()


class CaptureSection(QWidget):
    def __init__(self) -> None:
        super().__init__()
        layout = form()
        self.camera = ComboBox()
        self.camera.setObjectName("camera")
        self.camera.setEditable(True)
        self.camera.setToolTip(self.tr("auto, demo, a camera number, a camera name, or an image/video path"))
        self.timeout = DoubleSpinBox()
        narrow(self.timeout)
        self.timeout.setObjectName("capture_timeout")
        self.timeout.setRange(2.0, 120.0)
        self.timeout.setDecimals(0)
        self.timeout.setSuffix(" s")
        self.engine = ComboBox()
        self.engine.setObjectName("engine")
        self.engine.addItems(list(ENGINES))
        self.threshold = DoubleSpinBox()
        narrow(self.threshold)
        self.threshold.setObjectName("confidence_threshold")
        self.threshold.setRange(0.0, 1.0)
        self.threshold.setSingleStep(0.05)
        self.threshold.setDecimals(2)
        self.threshold.setToolTip(self.tr("Fields read with less confidence are marked amber (default 0.60)"))
        self.camera_note = label("", "muted")
        layout.addRow(self.tr("Camera"), self.camera)
        layout.addRow("", self.camera_note)
        layout.addRow(self.tr("Give up reading after"), self.timeout)
        layout.addRow(self.tr("OCR engine"), self.engine)
        layout.addRow(self.tr("Confidence threshold"), self.threshold)
        self.setLayout(layout)

    def set_cameras(self, cameras: list[tuple[int, str]], current: str) -> None:
        self.camera.clear()
        self.camera.addItem("auto", "auto")
        self.camera.addItem("demo", "demo")
        for index, name in cameras:
            self.camera.addItem(f"{index}: {name}", str(index))
        self._select_camera(current)

    def _select_camera(self, value: str) -> None:
        index = self.camera.findData(value)
        if index >= 0:
            self.camera.setCurrentIndex(index)
        else:
            self.camera.setEditText(value)

    def load(self, settings: Settings, override: str | None = None) -> None:
        if self.camera.count() == 0:
            self.set_cameras([], settings.capture.camera)
        self._select_camera(settings.capture.camera)
        self.timeout.setValue(settings.capture.timeout)
        self.engine.setCurrentText(settings.ocr.engine)
        self.threshold.setValue(settings.ocr.confidence_threshold)
        self.camera_note.setText(
            self.tr("This session uses --camera {spec}.").format(spec=override) if override else ""
        )
        self.camera_note.setVisible(bool(override))

    def camera_value(self) -> str:
        text = self.camera.currentText().strip()
        data = self.camera.currentData()
        if data is not None and self.camera.itemText(self.camera.currentIndex()) == text:
            return str(data)
        return text or "auto"

    def apply(self, settings: Settings) -> None:
        settings.capture.camera = self.camera_value()
        settings.capture.timeout = float(self.timeout.value())
        settings.ocr.engine = self.engine.currentText()
        settings.ocr.confidence_threshold = round(float(self.threshold.value()), 2)


class RemoteSection(QWidget):
    """The receipt OCR and MRZ OCR services: the URL and token of the first provider of each
    (`[[remote.receipt]]`, `[[remote.mrz]]`); further providers stay as the settings file has them."""

    test = Signal()

    def __init__(self, with_policy: bool = True) -> None:
        super().__init__()
        layout = form()
        self.receipt_url = line_edit("remote_receipt_url", "http://10.0.0.5:8000/ocr")
        self.receipt_token = SecretEdit("receipt_token", DEFAULT_TOKEN_SECRET)
        self.receipt_more = label("", "muted")
        self.mrz_url = line_edit("remote_mrz_url", "http://10.0.0.5:5000/scan-mrz")
        self.mrz_token = SecretEdit("mrz_token", MRZ_TOKEN_SECRET)
        self.mrz_more = label("", "muted")
        self.policy = ComboBox()
        self.policy.setObjectName("remote_policy")
        names = {
            "off": self.tr("Off: never"),
            "manual": self.tr("Manual: when the operator asks"),
            "auto": self.tr("Automatic: also when the local read fails"),
        }
        for policy in REMOTE_POLICIES:
            self.policy.addItem(names[policy], policy)
        self.tester = TestRow("test_remote")
        self.tester.clicked.connect(self.test)
        layout.addRow(self.tr("Receipt OCR URL"), self.receipt_url)
        layout.addRow(self.tr("Receipt OCR token"), self.receipt_token)
        layout.addRow("", self.receipt_more)
        layout.addRow(self.tr("MRZ OCR URL"), self.mrz_url)
        layout.addRow(self.tr("MRZ OCR token"), self.mrz_token)
        layout.addRow("", self.mrz_more)
        if with_policy:
            layout.addRow(self.tr("Use the services"), self.policy)
        else:
            self.policy.hide()
        layout.addRow("", self.tester)
        self.setLayout(layout)

    def load(self, settings: Settings) -> None:
        remote = settings.remote
        for entries, url, token, more, default in (
            (remote.receipt, self.receipt_url, self.receipt_token, self.receipt_more, DEFAULT_TOKEN_SECRET),
            (remote.mrz, self.mrz_url, self.mrz_token, self.mrz_more, MRZ_TOKEN_SECRET),
        ):
            url.setText(entries[0].url if entries else "")
            token.clear()
            token.secret = entries[0].token_secret if entries else default
            more.setText(self.tr("+{count} more in the settings file").format(count=len(entries) - 1) if len(entries) > 1 else "")
            more.setVisible(len(entries) > 1)
        self.policy.setCurrentIndex(max(0, self.policy.findData(remote.policy)))
        self.tester.clear()

    def _secret_names(self) -> tuple[str, str]:
        """The receipt and MRZ token names: an MRZ token typed for a provider that shares the receipt
        provider's secret gets its own, so typing it cannot change the receipt service's."""
        receipt, mrz = self.receipt_token.secret, self.mrz_token.secret
        if mrz == receipt and self.mrz_token.text():
            mrz = MRZ_TOKEN_SECRET if receipt != MRZ_TOKEN_SECRET else DEFAULT_TOKEN_SECRET
        return receipt, mrz

    def apply(self, settings: Settings) -> None:
        receipt_secret, mrz_secret = self._secret_names()
        remote = settings.remote
        remote.receipt = _with_first(remote.receipt, self.receipt_url.text().strip(), receipt_secret)
        remote.mrz = _with_first(remote.mrz, self.mrz_url.text().strip(), mrz_secret)
        remote.policy = str(self.policy.currentData())

    def secrets(self) -> dict[str, str]:
        """The tokens typed, by secret name."""
        names = self._secret_names()
        return {name: edit.text() for name, edit in zip(names, (self.receipt_token, self.mrz_token)) if edit.text()}

    def set_sources(self, sources: dict[str, str]) -> None:
        for edit in (self.receipt_token, self.mrz_token):
            edit.set_source(sources.get(edit.secret, ""))

    def clear_tokens(self) -> None:
        self.receipt_token.clear()
        self.mrz_token.clear()


def _with_first(entries: list[RemoteEndpoint], url: str, secret: str) -> list[RemoteEndpoint]:
    """`entries` with the first provider at `url` using `secret` (added when there was none, removed when `url`
    is empty); the others unchanged."""
    rest = entries[1:]
    if not url:
        return rest
    first = replace(entries[0], url=url, token_secret=secret) if entries else RemoteEndpoint(url=url, token_secret=secret)
    return [first, *rest]


TARGET_LABELS = {"odoo": "Odoo", "greenpay": "GreenPay"}


class SyncSection(QWidget):
    """Where passports and receipts go, and the settings of the targets in use.

    `target` (`[sync] target`) is where passports go; receipts follow it while "Send receipts to"
    is left alone (`[sync] receipts` empty), else go where that says. Each list offers only the
    targets that take its kind: GreenPay takes receipts only with a `[greenpay] receipts_path`.
    """

    test = Signal()
    open_queue = Signal()

    def __init__(self, with_details: bool = True) -> None:
        super().__init__()
        self.base = Settings()
        self._receipts_follow = True
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        top = form()
        self.target = self._target_box("sync_target")
        self.receipts = self._target_box("sync_receipts")
        self._fill(self.receipts, "receipt")
        self.receipts_note = label("", "muted")
        self.receipts_note.setVisible(False)
        top.addRow(self.tr("Send passports to"), self.target)
        top.addRow(self.tr("Send receipts to"), self.receipts)
        top.addRow("", self.receipts_note)
        outer.addLayout(top)

        self.odoo_box = QWidget()
        odoo = form()
        self.odoo_url = line_edit("odoo_url", "https://odoo.example.org")
        self.odoo_database = line_edit("odoo_database")
        self.odoo_login = line_edit("odoo_login")
        self.odoo_secret = SecretEdit("odoo_secret", "odoo_secret")
        self.odoo_employee = SpinBox()
        narrow(self.odoo_employee, 420)
        self.odoo_employee.setObjectName("odoo_employee_id")
        self.odoo_employee.setRange(0, 10**9)
        self.odoo_employee.setSpecialValueText(self.tr("the login's employee"))
        self.odoo_product = SpinBox()
        narrow(self.odoo_product)
        self.odoo_product.setObjectName("odoo_product_id")
        self.odoo_product.setRange(0, 10**9)
        self.odoo_product.setSpecialValueText(self.tr("none"))
        odoo.addRow(self.tr("Odoo URL"), self.odoo_url)
        odoo.addRow(self.tr("Database"), self.odoo_database)
        odoo.addRow(self.tr("Login"), self.odoo_login)
        odoo.addRow(self.tr("Password or API key"), self.odoo_secret)
        if with_details:
            odoo.addRow(self.tr("Employee id"), self.odoo_employee)
            odoo.addRow(self.tr("Expense product id"), self.odoo_product)
        self.odoo_box.setLayout(odoo)
        outer.addWidget(self.odoo_box)
        self.greenpay_box = QWidget()
        greenpay = form()
        self.greenpay_url = line_edit("greenpay_url", "https://greenpay.example.org")
        self.greenpay_token = SecretEdit("greenpay_token", "greenpay_token")
        greenpay.addRow(self.tr("GreenPay URL"), self.greenpay_url)
        greenpay.addRow(self.tr("Token"), self.greenpay_token)
        self.greenpay_box.setLayout(greenpay)
        outer.addWidget(self.greenpay_box)

        bottom = form()
        self.tester = TestRow("test_sync")
        self.tester.clicked.connect(self.test)
        bottom.addRow("", self.tester)
        self.retention = SpinBox()
        narrow(self.retention)
        self.retention.setObjectName("retention_days")
        self.retention.setRange(0, 3650)
        self.retention.setSuffix(self.tr(" days"))
        self.store_images = QCheckBox(self.tr("Keep document images"))
        self.store_images.setObjectName("store_images")
        self.store_images.setToolTip(self.tr("Receipts sent to Odoo always keep theirs: the expense needs it"))
        self.queue_button = Button(self.tr("Records in the &queue…"))
        self.queue_button.setObjectName("open_queue")
        self.queue_button.setToolTip(self.tr("Pending and failed records: sync now, retry, correct or discard them"))
        self.queue_button.clicked.connect(self.open_queue)
        if with_details:
            bottom.addRow(self.tr("Delete sent records after"), self.retention)
            bottom.addRow("", self.store_images)
            bottom.addRow("", self.queue_button)
        else:
            self.queue_button.hide()
        outer.addLayout(bottom)
        outer.addStretch(1)
        self.target.currentIndexChanged.connect(self._target_changed)
        self.receipts.activated.connect(self._receipts_chosen)

    def _target_box(self, name: str) -> ComboBox:
        box = ComboBox()
        box.setObjectName(name)
        self._fill(box, "passport")
        return box

    def _fill(self, box: ComboBox, kind: str) -> None:
        """The choices for a kind: keeping records here, and each target that takes that kind."""
        box.blockSignals(True)
        box.clear()
        box.addItem(self.tr("None (keep them on this kiosk)"), "none")
        for target, text in TARGET_LABELS.items():
            if accepts(self.base, target, kind):
                box.addItem(text, target)
        box.blockSignals(False)

    def _select(self, box: ComboBox, target: str) -> None:
        box.setCurrentIndex(max(0, box.findData(target)))

    def _receipts_chosen(self) -> None:
        self._receipts_follow = False
        self._refresh()

    def _target_changed(self) -> None:
        if self._receipts_follow:
            chosen = str(self.target.currentData())
            self._select(self.receipts, chosen if accepts(self.base, chosen, "receipt") else "none")
        self._refresh()

    def _refresh(self) -> None:
        used = self.used()
        self.odoo_box.setVisible("odoo" in used)
        self.greenpay_box.setVisible("greenpay" in used)
        self.tester.setVisible(bool(used))
        self.tester.clear()
        passports = self.target.currentData()
        note = ""
        if passports == "greenpay" and not accepts(self.base, "greenpay", "receipt") and self.receipts.currentData() == "none":
            note = self.tr("GreenPay takes passports only: receipts are kept on this kiosk unless they go to Odoo.")
        self.receipts_note.setText(note)
        self.receipts_note.setVisible(bool(note))

    def used(self) -> set[str]:
        """The targets chosen for some kind."""
        return {str(box.currentData()) for box in (self.target, self.receipts)} - {"none"}

    def load(self, settings: Settings) -> None:
        self.base = copy.deepcopy(settings)
        self._fill(self.receipts, "receipt")
        self._receipts_follow = not settings.sync.receipts
        self.target.blockSignals(True)
        self._select(self.target, settings.sync.chosen("passport"))
        self.target.blockSignals(False)
        self._select(self.receipts, route(settings, "receipt"))
        self.odoo_url.setText(settings.odoo.url)
        self.odoo_database.setText(settings.odoo.database)
        self.odoo_login.setText(settings.odoo.login)
        self.odoo_secret.clear()
        self.odoo_employee.setValue(settings.odoo.employee_id)
        self.odoo_product.setValue(settings.odoo.product_id)
        self.greenpay_url.setText(settings.greenpay.url)
        self.greenpay_token.clear()
        self.retention.setValue(settings.sync.retention_days)
        self.store_images.setChecked(settings.sync.store_images)
        self._refresh()

    def apply(self, settings: Settings) -> None:
        settings.sync.target = str(self.target.currentData())
        settings.sync.passports = ""
        settings.sync.receipts = "" if self._receipts_follow else str(self.receipts.currentData())
        settings.odoo.url = self.odoo_url.text().strip()
        settings.odoo.database = self.odoo_database.text().strip()
        settings.odoo.login = self.odoo_login.text().strip()
        settings.odoo.employee_id = self.odoo_employee.value()
        settings.odoo.product_id = self.odoo_product.value()
        settings.greenpay.url = self.greenpay_url.text().strip()
        settings.sync.retention_days = self.retention.value()
        settings.sync.store_images = self.store_images.isChecked()

    def secrets(self) -> dict[str, str]:
        found = {}
        if self.odoo_secret.text():
            found["odoo_secret"] = self.odoo_secret.text()
        if self.greenpay_token.text():
            found["greenpay_token"] = self.greenpay_token.text()
        return found

    def typed_secret(self) -> dict[str, str] | None:
        """The secrets typed for the targets in use, by name (for "Test connection"), if any."""
        typed = {name: value for name, value in self.secrets().items() if name.split("_")[0] in self.used()}
        return typed or None

    def set_sources(self, sources: dict[str, str]) -> None:
        self.odoo_secret.set_source(sources.get("odoo_secret", ""))
        self.greenpay_token.set_source(sources.get("greenpay_token", ""))


class PinFields(QWidget):
    """A new admin PIN, typed twice (digits only)."""

    def __init__(self, required: bool) -> None:
        super().__init__()
        self.required = required
        layout = form()
        self.pin = line_edit("new_pin", self.tr("4 to 12 digits") if required else self.tr("leave empty to keep the PIN"), secret=True)
        self.repeat = line_edit("repeat_pin", self.tr("the same again"), secret=True)
        for edit in (self.pin, self.repeat):
            edit.setInputMethodHints(Qt.InputMethodHint.ImhDigitsOnly | Qt.InputMethodHint.ImhHiddenText)
            edit.setMaxLength(12)
        layout.addRow(self.tr("New admin PIN") if not required else self.tr("Admin PIN"), self.pin)
        layout.addRow(self.tr("Repeat the PIN"), self.repeat)
        self.setLayout(layout)

    def value(self) -> tuple[str, str]:
        return self.pin.text(), self.repeat.text()

    def clear(self) -> None:
        self.pin.clear()
        self.repeat.clear()
