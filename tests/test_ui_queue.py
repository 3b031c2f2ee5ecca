"""The sync queue behind the admin PIN: see what waits and why, sync now, retry, correct a failed record, discard one."""

from __future__ import annotations

from greenpay_server import TOKEN, GreenPayServer
from odoo_server import JPEG, OdooServer, OdooState, sample_passport, sample_receipt
from PySide6.QtCore import Qt
from test_sync_odoo import deliver, odoo_settings
from test_ui_support import make_window, type_into, ui_models, wait_screen  # noqa: F401 - fixtures

from kiosk.secrets import set_secret
from kiosk.sync.outbox import FAILED, PENDING, SENT, open_outbox, queue_record
from kiosk.ui.pin import set_pin

PIN = "2468"


def open_queue(qtbot, window) -> None:
    """From the home screen's sync card, through the PIN pad, as the admin does."""
    qtbot.mouseClick(window.home.queue_button, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.pin, 10_000)
    assert window.pin.title.text() == "Sync queue"
    for digit in PIN:
        qtbot.keyClick(window.pin.pad, digit)
    qtbot.keyClick(window.pin.pad, Qt.Key.Key_Return)
    wait_screen(qtbot, window, window.queue, 10_000)


def state_of(settings, record_id: str) -> str | None:
    with open_outbox(settings) as outbox:
        item = outbox.get(record_id)
    return item.state if item is not None else None


def cells(queue, row: int) -> list[str]:
    return [queue.table.item(row, column).text() for column in range(queue.table.columnCount())]


def test_a_failed_receipt_is_corrected_in_the_app_and_then_delivered(qtbot, make_window):
    with OdooServer() as odoo:
        settings = odoo_settings(odoo.url)
        record_id = queue_record(settings, sample_receipt(0, currency="MYR"), JPEG)  # MYR is not active in this Odoo
        assert deliver(settings)[0].failed == 1
        set_pin(PIN)
        window = make_window(settings)
        qtbot.waitUntil(lambda: window.sync is not None, timeout=15_000)
        open_queue(qtbot, window)
        queue = window.queue
        qtbot.waitUntil(lambda: queue.table.rowCount() == 1, timeout=10_000)
        kind, state, age, attempts, reason = cells(queue, 0)
        assert (kind, state, attempts) == ("Receipt", "Failed", "1") and age.endswith("s")
        assert "the currency MYR is not active in Odoo" in reason
        assert not any("YONGFATT" in text for text in cells(queue, 0)), "the list shows no field of the record"
        assert queue.correct_button.isEnabled() and queue.retry_button.isEnabled() and queue.discard_button.isEnabled()

        qtbot.mouseClick(queue.correct_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: queue.pages.currentWidget() is queue.editor, timeout=10_000)
        editor = queue.editor
        assert editor.value_of("currency") == "MYR" and editor.value_of("vendor") == "YONGFATT ENTERPRISE 0"
        assert "MYR is not active" in editor.note.text()
        assert not editor.rescan_button.isVisible() and not editor.remote_button.isVisible()
        type_into(qtbot, editor.rows["currency"].edit, "XX1")
        assert editor.rows["currency"].error.isVisible(), "checked as on review"
        type_into(qtbot, editor.rows["currency"].edit, "EUR")
        assert not editor.rows["currency"].error.isVisible()
        qtbot.mouseClick(editor.confirm_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: queue.message.text() == "Corrected and queued again.", timeout=10_000)
        assert queue.pages.currentWidget() is queue.list_page and editor.record is None

        qtbot.waitUntil(lambda: state_of(settings, record_id) == SENT, timeout=30_000)
        (expense,) = odoo.state.made("hr.expense")
        assert expense["currency_id"] == OdooState.IDS["eur"] and expense["total_amount_currency"] == 80.9
        qtbot.waitUntil(lambda: queue.table.rowCount() == 0 and queue.empty.isVisible(), timeout=10_000)


def test_retry_and_discard_a_failed_record_discard_asks_first(qtbot, make_window):
    with OdooServer() as odoo:
        settings = odoo_settings(odoo.url)
        first = queue_record(settings, sample_receipt(0, currency="MYR"), JPEG)
        second = queue_record(settings, sample_receipt(1, currency="MYR"), JPEG)
        assert deliver(settings)[0].failed == 2
        set_pin(PIN)
        window = make_window(settings)
        open_queue(qtbot, window)
        queue = window.queue
        qtbot.waitUntil(lambda: queue.table.rowCount() == 2, timeout=10_000)

        queue.table.setFocus()
        qtbot.keyClick(queue.table, Qt.Key.Key_Down)  # the keyboard picks the second record
        assert queue.selected().id == second
        qtbot.mouseClick(queue.discard_button, Qt.MouseButton.LeftButton)
        assert queue.question.showing("discard") and "cannot be brought back" in queue.question.text.text()
        qtbot.keyClick(queue.question.safe_button, Qt.Key.Key_Return)  # a stray Enter keeps it
        qtbot.waitUntil(lambda: not queue.question.isVisible(), timeout=5_000)
        assert state_of(settings, second) == FAILED
        qtbot.mouseClick(queue.discard_button, Qt.MouseButton.LeftButton)
        qtbot.mouseClick(queue.question.other_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: queue.message.text() == "Discarded.", timeout=10_000)
        qtbot.waitUntil(lambda: queue.table.rowCount() == 1, timeout=10_000)
        assert state_of(settings, second) is None

        queue.table.selectRow(0)
        qtbot.mouseClick(queue.retry_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: queue.message.text() == "Queued again.", timeout=10_000)
        assert state_of(settings, first) in (PENDING, "sending", FAILED)  # the worker may have tried it already
        qtbot.keyClick(window, Qt.Key.Key_Escape)
        wait_screen(qtbot, window, window.home, 10_000)
        assert queue.table.rowCount() == 0, "nothing of the queue stays behind"


def test_sync_now_sends_what_waits_out_a_back_off(qtbot, make_window):
    import time

    with GreenPayServer() as greenpay:
        settings = odoo_settings("http://127.0.0.1:9")
        settings.sync.target = "greenpay"
        settings.greenpay.url = greenpay.url
        settings.sync.poll_seconds = 60.0
        set_secret("greenpay_token", TOKEN)
        record_id = queue_record(settings, sample_passport(0))
        with open_outbox(settings) as outbox:
            outbox.mark_retry(record_id, time.time() + 3600, "cannot reach GreenPay at somewhere: ConnectError")
        set_pin(PIN)
        window = make_window(settings)
        qtbot.waitUntil(lambda: window.sync is not None, timeout=15_000)
        open_queue(qtbot, window)
        queue = window.queue
        qtbot.waitUntil(lambda: queue.table.rowCount() == 1, timeout=10_000)
        assert cells(queue, 0)[1].startswith("Retry in ") and not queue.retry_button.isEnabled()
        qtbot.mouseClick(queue.sync_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: record_id in greenpay.stored, timeout=15_000)
        qtbot.waitUntil(lambda: queue.table.rowCount() == 0, timeout=10_000)
