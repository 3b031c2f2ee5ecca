"""Review: every field with its value, confidence badge, check digit mark, source, and the crop it came from.

Fields are edited in place: each keystroke is validated (dates, codes,
amounts); for passports every check digit is recomputed against the MRZ as
printed, so a correction turns its cross into a tick. Edited fields are
marked `edited` (confidence 1). Confirm hands the record to the window,
which stores it in the outbox.

Passports are also checked for what check digits cannot say (`kiosk.documents`),
again after every edit: expired (red; Confirm is off unless the site's
`[passport] allow_expired`, then "Confirm anyway" with the warning kept),
impossible dates (red), expiring soon and under age (amber). The title names
the kind of document the MRZ code says, and country codes show their names.
"""

from __future__ import annotations

import copy
import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QImage, QKeySequence, QPixmap, QShortcut
from PySide6.QtWidgets import (
    QBoxLayout,
    QGridLayout,
    QHBoxLayout,
    QLineEdit,
    QProgressBar,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from kiosk import documents
from kiosk.config import PassportSettings, ReceiptSettings
from kiosk.countries import country_name
from kiosk.records import SOURCE_EDITED, SOURCE_REMOTE, Field, PassportRecord, Record
from kiosk.ui.qt import emit
from kiosk.ui import fields as logic
from kiosk.ui import theme
from kiosk.scan.evidence import EVIDENCE_SIZE
from kiosk.ui.widgets import Badge, Button, Mark, MoreBelow, Picture, label, restyle, set_role

COUNTRY_FIELDS = ("nationality", "issuing_country")


def crop_size(kind: str) -> tuple[int, int]:
    """The largest evidence picture shown for a kind (workers shrink crops to it)."""
    return EVIDENCE_SIZE.get(kind, (600, 600))


@dataclass
class Row:
    name: str
    title: object
    edit: QLineEdit
    badge: Badge
    mark: Mark
    source: object
    error: object


class ReviewScreen(QWidget):
    confirm = Signal()
    rescan = Signal()
    try_remote = Signal()
    cancel = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.kind = "passport"
        self.record: Record | None = None
        self.original: dict[str, Field] = {}
        self.rows: dict[str, Row] = {}
        self.errors: dict[str, str] = {}
        self.threshold = 0.60
        self.receipt_settings = ReceiptSettings()
        self.passport_settings = PassportSettings()
        self.today: Callable[[], date] = date.today
        """Today's date for the validity checks (a test sets a fixed day)."""
        self.remote_available = False
        self.busy = False
        self.focused: str | None = None
        self.duplicate = ""
        """Set when this receipt was confirmed before (`kiosk.scan.duplicates`): said first, Confirm becomes Confirm anyway."""

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 12, 24, 12)
        outer.setSpacing(8)
        self.title = label("", "title")
        self.status = label("", None)
        self.note = label("", "muted")
        outer.addWidget(self.title)
        outer.addWidget(self.status)
        outer.addWidget(self.note)
        self.busy_bar = QProgressBar()
        self.busy_bar.setRange(0, 0)
        self.busy_bar.setTextVisible(False)
        self.busy_bar.setVisible(False)
        outer.addWidget(self.busy_bar)

        self.legend = label("", "muted")
        self.legend.setStyleSheet("font-size: 18px;")
        outer.addWidget(self.legend)

        # passports: the MRZ crop above two columns of fields; receipts: the receipt left of one column
        self.body = QBoxLayout(QBoxLayout.Direction.TopToBottom)
        self.body.setSpacing(16)
        evidence = QVBoxLayout()
        evidence.setSpacing(8)
        self.crop = Picture()
        self.crop.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignHCenter)
        self.crop.setAccessibleName(self.tr("The part of the image the fields were read from"))
        self.mrz = label("", "mrz", wrap=False)
        self.mrz.setTextFormat(Qt.TextFormat.RichText)
        self.mrz.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        self.mrz.setAlignment(Qt.AlignmentFlag.AlignHCenter)
        self.composite_label = label(self.tr("Whole-line check digit"), "muted", wrap=False)
        self.composite_mark = Mark()
        mrz_row = QHBoxLayout()
        mrz_row.setSpacing(24)
        mrz_row.addStretch(1)
        mrz_row.addWidget(self.crop)
        mrz_text = QVBoxLayout()
        mrz_text.addWidget(self.mrz)
        composite_row = QHBoxLayout()
        composite_row.addWidget(self.composite_label)
        composite_row.addWidget(self.composite_mark)
        composite_row.addStretch(1)
        mrz_text.addLayout(composite_row)
        mrz_row.addLayout(mrz_text)
        mrz_row.addStretch(1)
        evidence.addLayout(mrz_row)
        evidence.addStretch(1)
        self.evidence = evidence
        self.body.addLayout(evidence, 0)

        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.forms_box = QWidget()
        self.forms_layout = QVBoxLayout(self.forms_box)
        self.forms_layout.setContentsMargins(0, 0, 0, 0)
        self.scroll.setWidget(self.forms_box)
        self.forms: dict[tuple[str, ...], tuple[QWidget, dict[str, Row]]] = {}
        """Field forms by their field names, built once and reused: building one costs ~100 ms of UI thread."""
        self.more = MoreBelow(self.scroll)
        fields_column = QVBoxLayout()
        fields_column.setSpacing(4)
        fields_column.addWidget(self.scroll, 1)
        fields_column.addWidget(self.more)
        self.body.addLayout(fields_column, 1)
        outer.addLayout(self.body, 1)

        buttons = QHBoxLayout()
        buttons.setSpacing(16)
        self.confirm_button = Button(self.tr("&Confirm"), "primary")
        self.confirm_button.setToolTip(self.tr("Store the record (Ctrl+Enter)"))
        self.confirm_button.clicked.connect(self._confirm_clicked)
        self.rescan_button = Button(self.tr("&Rescan"))
        self.rescan_button.clicked.connect(self.rescan)
        self.remote_button = Button(self.tr("Try OCR &service"))
        self.remote_button.clicked.connect(self.try_remote)
        self.cancel_button = Button(self.tr("Cancel"))
        self.cancel_button.setToolTip(self.tr("Discard and go back to the start (Esc)"))
        self.cancel_button.clicked.connect(self.cancel)
        buttons.addWidget(self.confirm_button)
        buttons.addWidget(self.rescan_button)
        buttons.addWidget(self.remote_button)
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        outer.addLayout(buttons)
        for keys in ("Ctrl+Return", "Ctrl+Enter"):
            QShortcut(QKeySequence(keys), self, self._confirm_clicked, context=Qt.ShortcutContext.WidgetWithChildrenShortcut)

    # -- showing a record -----------------------------------------------------

    def show_record(
        self,
        kind: str,
        record: Record,
        crop: QImage | None,
        *,
        threshold: float,
        receipt: ReceiptSettings,
        remote_available: bool,
        passport: PassportSettings | None = None,
        note: str = "",
        note_role: str | None = "muted",
    ) -> None:
        self.clear()
        self.kind = kind
        self.record = copy.deepcopy(record)
        self.original = dict(self.record.fields)
        self.threshold = threshold
        self.receipt_settings = receipt
        self.passport_settings = passport or PassportSettings()
        self.remote_available = remote_available
        self.body.setDirection(QBoxLayout.Direction.TopToBottom if kind == "passport" else QBoxLayout.Direction.LeftToRight)
        if crop is not None and not crop.isNull():
            width, height = crop_size(kind)
            if crop.width() > width or crop.height() > height:  # normally shrunk on the worker already
                crop = crop.scaled(width, height, Qt.AspectRatioMode.KeepAspectRatio, Qt.TransformationMode.FastTransformation)
            self.crop.setPixmap(QPixmap.fromImage(crop))
        else:
            self.crop.setText(self.tr("No picture"))
        if kind == "passport":
            legend = self.tr("Confidence: green ≥ {threshold:.0%} · amber below · red: a check fails · ✓ ✗ check digits · type in a field to correct it")
        else:
            legend = self.tr("Confidence: green ≥ {threshold:.0%} · amber below · red: not valid · type in a field to correct it")
        self.legend.setText(legend.format(threshold=threshold))
        self._use_form(logic.fields_of(kind, self.record))
        for name in self.rows:
            error = None
            if self.record.field(name).value is None and name in logic.REQUIRED.get(kind, ()):
                error = logic.E_REQUIRED
            self._set_error(name, error)
        self.set_note(note, note_role)
        self._refresh_all()
        first = next(iter(self.rows.values()), None)
        # focus the first field that needs a look, else Confirm
        for row in self.rows.values():
            if self.errors.get(row.name) or row.badge.state in ("bad", "low"):
                row.edit.setFocus()
                break
        else:
            self.confirm_button.setFocus()
        if first is None:
            self.confirm_button.setFocus()

    def prepare(self) -> None:
        """Build the usual forms ahead (at start-up), so showing a record costs the UI thread little."""
        self._form(logic.fields_of("passport"))
        self._form(logic.fields_of("receipt"))

    def _form(self, names: tuple[str, ...]) -> tuple[QWidget, dict[str, Row]]:
        if names in self.forms:
            return self.forms[names]
        form = QWidget()
        grid = QGridLayout(form)
        grid.setHorizontalSpacing(30)
        grid.setVerticalSpacing(6)
        grid.setContentsMargins(0, 0, 0, 0)
        columns = 2 if "surname" in names else 1
        rows_per_column = (len(names) + columns - 1) // columns
        rows: dict[str, Row] = {}
        for index, name in enumerate(names):
            cell = QWidget()
            cell_layout = QVBoxLayout(cell)
            cell_layout.setContentsMargins(0, 0, 0, 0)
            cell_layout.setSpacing(2)
            title = label(logic.label(name), "muted", wrap=name in COUNTRY_FIELDS)  # a long country name wraps
            edit = QLineEdit()
            edit.setProperty("role", "field")
            edit.setObjectName(f"field_{name}")
            edit.setAccessibleName(logic.label(name))
            hint = logic.HINTS.get(name)
            if hint:
                edit.setPlaceholderText(logic.translated("Fields", hint))
            edit.setMinimumWidth(160)
            edit.textEdited.connect(lambda text, n=name: self._edited(n, text))
            edit.returnPressed.connect(lambda: self.focusNextChild())  # Enter: on to the next field
            edit.installEventFilter(self)
            badge = Badge()
            mark = Mark()
            source = label("", "muted", wrap=False)
            error = label("", "error")
            error.setVisible(False)
            title.setBuddy(edit)
            line = QHBoxLayout()
            line.setSpacing(10)
            line.addWidget(edit, 1)
            line.addWidget(badge)
            line.addWidget(mark)
            mark.setVisible(columns == 2)  # receipts have no check digits
            heading = QHBoxLayout()  # where the value came from, beside its title: the row stays narrow
            heading.setSpacing(10)
            heading.addWidget(title, 1)
            heading.addWidget(source, 0, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignBottom)
            cell_layout.addLayout(heading)
            cell_layout.addLayout(line)
            cell_layout.addWidget(error)
            grid.addWidget(cell, index % rows_per_column, index // rows_per_column)
            rows[name] = Row(name, title, edit, badge, mark, source, error)
        for column in range(columns):
            grid.setColumnStretch(column, 1)
        grid.setRowStretch(rows_per_column, 1)
        form.setVisible(False)
        self.forms_layout.addWidget(form)
        self.forms[names] = (form, rows)
        return form, rows

    def _use_form(self, names: tuple[str, ...]) -> None:
        assert self.record is not None
        form, rows = self._form(names)
        self.rows = rows
        for name, row in rows.items():
            row.edit.setText(logic.display(self.record.field(name).value))
            row.edit.setCursorPosition(0)
            row.edit.setReadOnly(False)
        previous = None
        for row in rows.values():
            if previous is not None:
                QWidget.setTabOrder(previous, row.edit)
            previous = row.edit
        if previous is not None:
            QWidget.setTabOrder(previous, self.confirm_button)
        form.setVisible(True)
        self.scroll.verticalScrollBar().setValue(0)

    # -- editing ----------------------------------------------------------------

    def _edited(self, name: str, text: str) -> None:
        if self.record is None:
            return
        value, error = logic.validate(self.kind, name, text, self.receipt_settings)
        self._set_error(name, error)
        if error is None:
            original = self.original.get(name)
            if original is not None and logic.same_value(original.value, value) and original.source != SOURCE_EDITED:
                logic.restore(self.record, name, original)
            elif value is None:
                self.record.fields.pop(name, None)
                if original is not None:
                    self.record.fields[name] = Field(None, 1.0, SOURCE_EDITED, valid=True, reason="cleared by hand")
            else:
                self.record.edit(name, value)
        self._refresh_all()

    def _set_error(self, name: str, error: str | None) -> None:
        row = self.rows[name]
        if error:
            self.errors[name] = error
            row.error.setText(logic.translated("Validation", error))
        else:
            self.errors.pop(name, None)
            row.error.setText("")
        row.error.setVisible(bool(error))
        wanted = "true" if error else "false"
        if row.edit.property("invalid") != wanted:
            row.edit.setProperty("invalid", wanted)
            restyle(row.edit)

    def _refresh_all(self) -> None:
        record = self.record
        if record is None:
            return
        checks = dict(record.checks) if isinstance(record, PassportRecord) else {}
        notes: dict[str, list[tuple[str, str]]] = {}
        if isinstance(record, PassportRecord):
            recomputed = logic.recompute_checks(record)
            if recomputed is not None:
                checks = recomputed
                record.checks = recomputed
            logic.update_status(record)
            documents.check_validity(record, self.passport_settings, self.today())
            notes = self._validity_notes(record)
        else:
            logic.update_status(record)
        self.title.setText(self._title())
        for name, row in self.rows.items():
            field = record.field(name)
            check = checks.get(name) if name in logic.CHECKED else None
            has_check = name in checks
            row.mark.set(check, applies=has_check)
            codes = [code for code, _ in notes.get(name, [])]
            text, state, spoken, tip = self._badge(name, field, has_check and check is False, codes)
            row.badge.set(text, state)
            row.badge.setAccessibleName(spoken)
            row.badge.setToolTip(tip)
            row.title.setText(self._caption(name, field.value))
            if field.value is None and not self.original.get(name):
                row.source.setText("")
            else:
                row.source.setText(logic.translated("Fields", logic.SOURCE_NAMES.get(field.source, field.source)))
            row.source.setStyleSheet(
                f"color: {theme.BLUE if field.source == SOURCE_EDITED else theme.FOCUS if field.source == SOURCE_REMOTE else theme.MUTED};"
            )
            self._show_row_notes(row, field, notes.get(name, []))
        composite = checks.get("composite") if isinstance(record, PassportRecord) else None
        self.composite_label.setVisible("composite" in checks)
        self.composite_mark.set(composite, applies="composite" in checks)
        self._show_mrz()
        self._refresh_status(checks, notes)

    def _badge(self, name: str, field: Field, check_fails: bool, codes: list[str]) -> tuple[str, str, str, str]:
        """The confidence badge of a field: text, state, what a screen reader says, tooltip.

        A value the operator typed is certain as typed; when its check digit fails, the badge says
        "fix" rather than a red 100%. An expired date says so instead of its confidence."""
        states = {"ok": self.tr("confident"), "low": self.tr("check it"), "bad": self.tr("problem"), "none": self.tr("not read")}
        percent = f"{field.confidence:.0%}"
        if name in self.errors:
            text, state = self.tr("fix"), "bad"
        elif field.value is None:
            text, state = "—", "none"
        elif check_fails and field.source == SOURCE_EDITED:
            fails = self.tr("The check digit printed on the document does not match this value")
            return self.tr("fix"), "bad", fails, fails
        elif not field.valid or check_fails:
            text, state = percent, "bad"
        elif documents.EXPIRED in codes:
            expired = self.tr("Expired")
            return self.tr("EXPIRED"), "bad", expired, expired
        elif any(code in documents.SERIOUS for code in codes):
            text, state = percent, "bad"
        else:
            text, state = percent, "ok" if field.confidence >= self.threshold else "low"
        spoken = self.tr("Confidence {value}: {state}").format(value=text, state=states[state])
        return text, state, spoken, field.reason or ""

    def _show_row_notes(self, row: Row, field: Field, validity: list[tuple[str, str]]) -> None:
        """Below a field: its validation error, else what the read says about it (amber) and its validity notes
        (red when serious, amber otherwise)."""
        if row.name in self.errors:
            set_role(row.error, "error")
            return
        texts: list[str] = []
        role = "warn"
        if field.reason and (not field.valid or field.reason.startswith("the local read")):
            texts.append(field.reason)
        for code, text in validity:
            texts.append(text)
            if code in documents.SERIOUS:
                role = "error"
        row.error.setText(" · ".join(texts))
        row.error.setVisible(bool(texts))
        set_role(row.error, role)

    def _caption(self, name: str, value: object) -> str:
        """A field's title; a country code's with the country's name beside it."""
        caption = logic.label(name)
        country = country_name(str(value)) if name in COUNTRY_FIELDS and value else None
        return f"{caption} · {country}" if country else caption

    def _title(self) -> str:
        record = self.record
        if not isinstance(record, PassportRecord):
            return self.tr("Check the receipt")
        code = record.value("document_type")
        kind = documents.document_kind(code, record.format) if code else documents.PASSPORT
        titles = {
            documents.PASSPORT: self.tr("Check the passport"),
            documents.ID_CARD: self.tr("Check the ID card"),
            documents.VISA: self.tr("Check the visa"),
            documents.RESIDENCE_PERMIT: self.tr("Check the residence permit"),
        }
        return titles.get(kind, self.tr("Check the travel document"))

    def _validity_notes(self, record: PassportRecord) -> dict[str, list[tuple[str, str]]]:
        """Each field's validity codes with the words shown under it."""
        today = self.today()
        birth = documents.iso_date(record.value("birth_date"))
        expiry = documents.iso_date(record.value("expiry_date"))
        notes: dict[str, list[tuple[str, str]]] = {}
        for code in record.warnings:
            if code not in documents.WARNING_FIELD:
                continue
            if code == documents.EXPIRED and expiry is not None:
                text = self.tr("EXPIRED on {date}").format(date=expiry.isoformat())
            elif code == documents.EXPIRES_SOON and expiry is not None:
                days = (expiry - today).days
                text = self.tr("Expires today") if days == 0 else self.tr("Expires in {days} days").format(days=days)
            elif code == documents.UNDER_AGE and birth is not None:
                text = self.tr("Under {minimum}: the holder is {age}").format(
                    minimum=self.passport_settings.minimum_age, age=documents.age_on(birth, today)
                )
            elif code == documents.BORN_IN_FUTURE:
                text = self.tr("The date of birth is in the future")
            else:
                text = self.tr("The document expires before its holder was born")
            notes.setdefault(documents.WARNING_FIELD[code], []).append((code, text))
        return notes

    def _status_message(self, checks: dict[str, bool], notes: dict[str, list[tuple[str, str]]]) -> tuple[str, str]:
        """The line under the title and its role: what stops or needs a look, most serious first."""
        record = self.record
        assert record is not None
        failed = [logic.label(name) for name, ok in checks.items() if not ok]
        if self.errors:
            return self.tr("Fix the marked fields before confirming."), "error"
        warnings = record.warnings if isinstance(record, PassportRecord) else ()
        problems = [self.duplicate] if self.duplicate else []
        if failed:
            problems.append(self.tr("Check digit fails: {fields}. Compare with the document.").format(fields=", ".join(failed)))
        if documents.EXPIRED in warnings:
            expiry = str(record.value("expiry_date"))
            if self.passport_settings.allow_expired:
                problems.append(self.tr("EXPIRED on {date}. This site accepts expired documents: Confirm anyway keeps the warning in the record.").format(date=expiry))
            else:
                problems.append(self.tr("EXPIRED on {date}: this document cannot be accepted.").format(date=expiry))
        if documents.BORN_IN_FUTURE in warnings or documents.EXPIRY_BEFORE_BIRTH in warnings:
            problems.append(self.tr("The dates cannot be right: compare them with the document."))
        if problems:
            return " ".join(problems), "error"
        if checks:
            text, role = self.tr("All check digits hold."), "ok"
        elif isinstance(record, PassportRecord):
            text, role = self.tr("No check digits: compare every field with the document."), "warn"
        elif record.status == "ok":
            return self.tr("Vendor, date and total read. Compare them with the receipt."), "ok"
        else:
            return self.tr("Some fields are missing: fill them in from the receipt."), "warn"
        amber = [f"{text}." for field_notes in notes.values() for _, text in field_notes]
        return " ".join([text, *amber]), "warn" if amber else role

    def _refresh_status(self, checks: dict[str, bool], notes: dict[str, list[tuple[str, str]]]) -> None:
        record = self.record
        assert record is not None
        text, role = self._status_message(checks, notes)
        self.status.setText(text)
        set_role(self.status, role)
        warnings = record.warnings if isinstance(record, PassportRecord) else ()
        blocked = documents.blocks_confirm(warnings, self.passport_settings)
        doubtful = any(not ok for ok in checks.values()) or any(code in documents.SERIOUS for code in warnings) or bool(self.duplicate)
        self.confirm_button.setEnabled(not self.errors and not self.busy and not blocked)
        if doubtful and not self.errors and not blocked:
            self.confirm_button.setText(self.tr("&Confirm anyway"))
            self.confirm_button.set_role("warn")
        else:
            self.confirm_button.setText(self.tr("&Confirm"))
            self.confirm_button.set_role("primary")
        self.remote_button.setVisible(self.remote_available)
        self.remote_button.setEnabled(not self.busy)
        self.rescan_button.setEnabled(not self.busy)

    def _show_mrz(self) -> None:
        record = self.record
        if not isinstance(record, PassportRecord) or not record.mrz_lines:
            self.mrz.setText("")
            self.mrz.setVisible(False)
            return
        self.mrz.setVisible(True)
        spans = logic.mrz_spans(record.format).get(self.focused or "", [])
        lines_html = []
        for index, line in enumerate(record.mrz_lines):
            marked = [False] * len(line)
            for line_no, start, end in spans:
                if line_no == index:
                    for position in range(start, min(end, len(line))):
                        marked[position] = True
            parts = []
            for char, on in zip(line, marked):
                text = html.escape(char)
                parts.append(f'<span style="background:{theme.FOCUS};color:#000000">{text}</span>' if on else text)
            lines_html.append("".join(parts))
        self.mrz.setText("<br>".join(lines_html))

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() == QEvent.Type.FocusIn:
            for name, row in self.rows.items():
                if row.edit is watched:
                    self.focused = name
                    self._show_mrz()
                    self.scroll.ensureWidgetVisible(row.edit, 50, 80)
                    break
        return super().eventFilter(watched, event)

    def set_duplicate(self, text: str) -> None:
        """Warn that this receipt was confirmed before (`text` says when), or take the warning back ("")."""
        self.duplicate = text
        if self.record is not None:
            self._refresh_all()

    def _confirm_clicked(self) -> None:
        if self.record is not None and self.confirm_button.isEnabled() and self.isVisible():
            emit(self.confirm)

    # -- window side -------------------------------------------------------------

    def current_record(self) -> Record | None:
        """The record as edited so far (a copy, safe to hand to a worker)."""
        return copy.deepcopy(self.record) if self.record is not None else None

    def value_of(self, name: str) -> str:
        row = self.rows.get(name)
        return row.edit.text() if row else ""

    def set_note(self, text: str, role: str | None = "muted") -> None:
        self.note.setText(text)
        self.note.setVisible(bool(text))
        set_role(self.note, role)

    def set_busy(self, busy: bool, text: str = "") -> None:
        self.busy = busy
        self.busy_bar.setVisible(busy)
        if text:
            self.set_note(text, "muted")
        for row in self.rows.values():
            row.edit.setReadOnly(busy)
        if self.record is not None:
            self._refresh_all()
        if not busy:
            self.focus_safe()

    def focus_safe(self) -> None:
        """After a wait or an error, the focus goes where a stray Enter loses nothing: the first field that
        needs a look, else the first field (while busy, the disabled buttons pushed it on, maybe to Cancel)."""
        focused = self.focusWidget()
        if any(focused is row.edit for row in self.rows.values()):
            return
        rows = list(self.rows.values())
        first = next((row for row in rows if self.errors.get(row.name) or row.badge.state in ("bad", "low")), rows[0] if rows else None)
        if first is not None:
            first.edit.setFocus(Qt.FocusReason.OtherFocusReason)

    def holds_data(self) -> bool:
        """Whether leaving would lose something: a record with any value read or typed."""
        return self.record is not None and any(row.edit.text().strip() for row in self.rows.values())

    def clear(self) -> None:
        """Remove every trace of the record from the screen (and from memory)."""
        self.record = None
        self.original = {}
        self.errors = {}
        self.duplicate = ""
        self.focused = None
        self.busy = False
        self.busy_bar.setVisible(False)
        for form, rows in self.forms.values():
            for row in rows.values():
                row.edit.clear()
                row.error.clear()
                row.error.setVisible(False)
                row.badge.set("", "none")
                row.mark.set(None)
                row.source.clear()
                row.edit.setToolTip("")
                row.badge.setToolTip("")
                if row.edit.property("invalid") == "true":
                    row.edit.setProperty("invalid", "false")
                    restyle(row.edit)
            form.setVisible(False)
        self.rows = {}
        self.crop.clear()
        self.mrz.clear()
        self.status.clear()
        self.note.clear()
        self.composite_mark.set(None, applies=False)
