"""The sync queue (behind the admin PIN): the records not yet sent, and what an admin can do about them.

The list shows what carries no personal data (kind, state, age, attempts, the sanitised reason);
a failed record's fields show only when the admin opens it to correct them, in a review screen of
its own: the same editors and checks as the review after a scan. Every outbox access runs on the
`disk` lane; the screen only paints and reacts.
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Any, Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QAbstractItemView, QHeaderView, QStackedWidget, QTableWidget, QTableWidgetItem, QVBoxLayout, QWidget

from kiosk.config import SYNC_KINDS, Settings, route
from kiosk.records import Record
from kiosk.ui.screens.review import ReviewScreen
from kiosk.ui.widgets import Button, Overlay, hbox, label, set_role
from kiosk.ui.workers import TaskRunner, error_text

REFRESH_MS = 3000
COLUMNS = ("kind", "state", "age", "attempts", "reason")


def age_text(iso: str | None, now: float | None = None) -> str:
    """How long ago a record was confirmed: `45 s`, `12 min`, `3 h`, `2 d`."""
    if not iso:
        return ""
    try:
        seconds = (now or time.time()) - datetime.fromisoformat(iso).astimezone(timezone.utc).timestamp()
    except ValueError:
        return ""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f"{seconds / size:.0f} {unit}"
    return f"{max(0.0, seconds):.0f} s"


def _open_outbox(settings: Settings) -> Any:
    """(disk lane) The outbox, or None when nothing was ever queued on this kiosk."""
    from kiosk.sync.outbox import Outbox, outbox_path

    path = outbox_path(settings)
    return Outbox(path, create_key=False) if path.exists() else None


def _with_outbox(settings: Settings, action: Callable[[Any], Any], empty: Any = None) -> Any:
    outbox = _open_outbox(settings)
    if outbox is None:
        return empty
    with outbox:
        return action(outbox)


def _waiting(outbox: Any) -> list[Any]:
    """Pending, sending and failed records, oldest first (never a demo or self-test record: they are not sent)."""
    return [item for item in outbox.items() if item.state != "sent" and not item.local_only]


class QueueScreen(QWidget):
    back = Signal()

    def __init__(self, runner: TaskRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.settings = Settings()
        self.sync: Any = None
        self.sync_problem = ""
        self.items: list[Any] = []
        self.editing: str | None = None
        self._epoch = 0

        outer = QVBoxLayout(self)
        outer.setContentsMargins(30, 20, 30, 20)
        outer.setSpacing(12)
        outer.addWidget(label(self.tr("Sync queue"), "title"))
        self.summary = label("", "muted")
        self.message = label("", None)
        self.message.setVisible(False)
        outer.addWidget(self.summary)
        outer.addWidget(self.message)

        self.pages = QStackedWidget()
        outer.addWidget(self.pages, 1)
        self.list_page = QWidget()
        page = QVBoxLayout(self.list_page)
        page.setContentsMargins(0, 0, 0, 0)
        self.table = QTableWidget(0, len(COLUMNS))
        self.table.setObjectName("queue_table")
        self.table.setHorizontalHeaderLabels([self.tr("Kind"), self.tr("State"), self.tr("Age"), self.tr("Attempts"), self.tr("Reason")])
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(60)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setWordWrap(True)
        self.table.setTextElideMode(Qt.TextElideMode.ElideRight)
        header = self.table.horizontalHeader()
        for column in range(len(COLUMNS) - 1):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(len(COLUMNS) - 1, QHeaderView.ResizeMode.Stretch)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        self.empty = label(self.tr("Nothing is waiting or failed."), "muted")
        page.addWidget(self.table, 1)
        page.addWidget(self.empty)
        self.sync_button = Button(self.tr("Sync &now"), "primary")
        self.retry_button = Button(self.tr("&Retry"))
        self.correct_button = Button(self.tr("&Correct…"))
        self.discard_button = Button(self.tr("&Discard…"))
        self.back_button = Button(self.tr("&Back"))
        self.sync_button.setToolTip(self.tr("Try every waiting record now, whatever its retry time"))
        self.retry_button.setToolTip(self.tr("Queue the failed record again as it is"))
        self.correct_button.setToolTip(self.tr("Open the failed record's fields, correct them and queue it again"))
        self.discard_button.setToolTip(self.tr("Delete the failed record for good"))
        self.sync_button.clicked.connect(self.sync_now)
        self.retry_button.clicked.connect(self.retry)
        self.correct_button.clicked.connect(self.correct)
        self.discard_button.clicked.connect(self.ask_discard)
        self.back_button.clicked.connect(self.back)
        page.addLayout(hbox(self.sync_button, self.retry_button, self.correct_button, self.discard_button, None, self.back_button))
        self.pages.addWidget(self.list_page)

        self.editor = ReviewScreen()
        self.editor.rescan_button.hide()
        self.editor.remote_button.hide()
        self.editor.confirm.connect(self._save_correction)
        self.editor.cancel.connect(self.show_list)
        self.pages.addWidget(self.editor)

        self.question = Overlay(self)
        self.timer = QTimer(self)
        self.timer.setInterval(REFRESH_MS)
        self.timer.timeout.connect(self.refresh)
        self._selection_changed()

    # -- opening and listing ------------------------------------------------------------

    def open(self, settings: Settings, sync: Any, sync_problem: str = "") -> None:
        """Show the queue of `settings`' outbox; `sync` is the running background sync (None when none runs)."""
        self.settings, self.sync, self.sync_problem = settings, sync, sync_problem
        self.set_message("", None)
        self.show_list()
        self.refresh()
        self.timer.start()

    def show_list(self) -> None:
        self.editing = None
        self.editor.clear()
        self.pages.setCurrentWidget(self.list_page)
        self.table.setFocus()

    def refresh(self) -> None:
        if self.pages.currentWidget() is not self.list_page or self.runner.pending("disk") > 2:
            return
        epoch, settings = self._epoch, self.settings

        def done(found: tuple[list[Any], str]) -> None:
            if epoch == self._epoch:
                self.show_items(*found)

        def work() -> tuple[list[Any], str]:
            return _with_outbox(settings, lambda outbox: (_waiting(outbox), outbox.status().last_error), ([], ""))

        self.runner.run("disk", work, done, lambda exc: epoch == self._epoch and self.set_message(error_text(exc), "error"))

    def show_items(self, items: list[Any], last_error: str) -> None:
        selected = self.selected()
        self.items = items
        self.table.setRowCount(len(items))
        now = time.time()
        for row, item in enumerate(items):
            values = (self._kind_name(item.kind), self._state_text(item, now), age_text(item.confirmed_at or item.queued_at, now), str(item.attempts), item.last_error)
            for column, text in enumerate(values):
                cell = QTableWidgetItem(text)
                cell.setToolTip(text)
                self.table.setItem(row, column, cell)
        self.table.setVisible(bool(items))
        self.empty.setVisible(not items)
        keep = next((row for row, item in enumerate(items) if selected is not None and item.id == selected.id), 0 if items else -1)
        if keep >= 0:
            self.table.selectRow(keep)
        self._show_summary(items, last_error)
        self._selection_changed()

    def _show_summary(self, items: list[Any], last_error: str) -> None:
        failed = sum(item.state == "failed" for item in items)
        parts = [self.tr("Waiting: {waiting} · Failed: {failed}").format(waiting=len(items) - failed, failed=failed)]
        for kind, key in SYNC_KINDS.items():
            target = route(self.settings, kind)
            parts.append(self.tr("{kinds} go to {target}").format(kinds=self._kinds_name(kind), target=target) if target != "none" else self.tr("{kinds} are kept on this kiosk").format(kinds=self._kinds_name(kind)))
        if self.sync_problem:
            parts.append(self.sync_problem)
        elif last_error:
            parts.append(self.tr("Last error: {error}").format(error=last_error))
        self.summary.setText(" · ".join(parts))

    def _kind_name(self, kind: str) -> str:
        return self.tr("Passport") if kind == "passport" else self.tr("Receipt")

    def _kinds_name(self, kind: str) -> str:
        return self.tr("Passports") if kind == "passport" else self.tr("Receipts")

    def _state_text(self, item: Any, now: float) -> str:
        if item.state == "failed":
            return self.tr("Failed")
        if item.state == "sending":
            return self.tr("Sending")
        if route(self.settings, item.kind) == "none":
            return self.tr("Kept here: no target takes {kinds}").format(kinds=self._kinds_name(item.kind).lower())
        if item.next_attempt_at > now + 1:
            return self.tr("Retry in {seconds} s").format(seconds=int(item.next_attempt_at - now + 0.999))
        return self.tr("Waiting")

    def selected(self) -> Any:
        rows = self.table.selectionModel().selectedRows()
        return self.items[rows[0].row()] if rows and rows[0].row() < len(self.items) else None

    def _selection_changed(self) -> None:
        item = self.selected()
        failed = item is not None and item.state == "failed"
        for button in (self.retry_button, self.correct_button, self.discard_button):
            button.setEnabled(failed)

    def set_message(self, text: str, role: str | None = "ok") -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))
        set_role(self.message, role)

    # -- actions ------------------------------------------------------------------------

    def _act(self, work: Callable[[Any], Any], done: Callable[[Any], None], wake: bool = True) -> None:
        """Run `work(outbox)` on the disk lane; then `done(result)`, wake the sync and refresh the list."""
        epoch, settings = self._epoch, self.settings

        def finished(result: Any) -> None:
            if epoch != self._epoch:
                return
            done(result)
            if wake and self.sync is not None:
                self.sync.wake()
            self.refresh()

        def failed(exc: BaseException) -> None:
            if epoch == self._epoch:
                self.set_message(error_text(exc), "error")

        self.runner.run("disk", lambda: _with_outbox(settings, work, 0), finished, failed)

    def sync_now(self) -> None:
        if self.sync is None:
            self.set_message(self.sync_problem or self.tr("Sync is off: no target is set up (Settings, Sync)."), "warn")
            return

        def done(count: int) -> None:
            self.set_message(self.tr("Syncing now…"), "ok")
            QTimer.singleShot(1500, self.refresh)

        self._act(lambda outbox: outbox.due_now(), done)

    def retry(self) -> None:
        item = self.selected()
        if item is None or item.state != "failed":
            return
        self._act(lambda outbox: outbox.retry_failed([item.id]), lambda n: self.set_message(self.tr("Queued again.") if n else self.tr("That record is no longer failed."), "ok" if n else "warn"))

    def ask_discard(self) -> None:
        item = self.selected()
        if item is None or item.state != "failed":
            return
        kind = self._kind_name(item.kind).lower()
        self.question.ask(
            "discard",
            self.tr("Discard this {kind}?").format(kind=kind),
            self.tr("It was never sent. Discarding deletes it from this kiosk for good: it cannot be brought back."),
            self.tr("&Keep it"),
            self.tr("D&iscard for good"),
            on_other=lambda: self._discard(item.id),
        )

    def _discard(self, record_id: str) -> None:
        self._act(lambda outbox: outbox.discard([record_id]), lambda n: self.set_message(self.tr("Discarded.") if n else self.tr("That record is no longer failed."), "ok" if n else "warn"), wake=False)

    def correct(self) -> None:
        item = self.selected()
        if item is None or item.state != "failed":
            return
        epoch, settings = self._epoch, self.settings

        def done(record: Record) -> None:
            if epoch != self._epoch:
                return
            self.editing = item.id
            self.pages.setCurrentWidget(self.editor)
            self.editor.show_record(
                record.kind,
                record,
                None,
                threshold=settings.ocr.confidence_threshold,
                receipt=settings.receipt,
                passport=settings.passport,
                remote_available=False,
                note=self.tr("It failed: {reason}. Correct the fields, then Confirm to queue it again.").format(reason=item.last_error),
                note_role="error",
            )

        def failed(exc: BaseException) -> None:
            if epoch == self._epoch:
                self.set_message(error_text(exc), "error")

        self.runner.run("disk", lambda: _with_outbox(settings, lambda outbox: outbox.load(outbox.get(item.id))[0]), done, failed)

    def _save_correction(self) -> None:
        record = self.editor.current_record()
        if record is None or self.editing is None:
            return
        self.editor.set_busy(True, self.tr("Saving…"))

        def done(changed: bool) -> None:
            self.show_list()
            if changed:
                self.set_message(self.tr("Corrected and queued again."), "ok")
            else:
                self.set_message(self.tr("Not saved: that record is no longer failed."), "warn")

        self._act(lambda outbox: outbox.correct(record), done)

    def clear(self) -> None:
        """Forget what is shown (the list and any record being corrected); answers still on their way are dropped."""
        self._epoch += 1
        self.timer.stop()
        self.question.close_quietly()
        self.show_list()
        self.items = []
        self.table.setRowCount(0)
        self.set_message("", None)
