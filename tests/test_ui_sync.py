"""The app with a sync target: confirmed records go out in the background; the home screen says so."""

from __future__ import annotations

from PySide6.QtCore import Qt

from kiosk.config import Settings
from kiosk.secrets import set_secret
from kiosk.ui.connections import check_greenpay, check_sync
from test_ui_support import make_window, ui_models, wait_screen  # noqa: F401 - fixtures


def test_a_confirmed_passport_is_delivered_to_greenpay_in_the_background(qtbot, make_window, passport_file, passport):
    from greenpay_server import TOKEN, GreenPayServer

    set_secret("greenpay_token", TOKEN)
    with GreenPayServer() as server:
        settings = Settings()
        settings.sync.target = "greenpay"
        settings.greenpay.url = server.url
        window = make_window(settings)
        qtbot.waitUntil(lambda: window.sync is not None, timeout=15_000)
        window.open_path(str(passport_file), "passport")
        wait_screen(qtbot, window, window.review)
        assert window.review.value_of("document_number") == passport.number
        qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
        wait_screen(qtbot, window, window.home, 30_000)
        record_id = window.last_saved_id
        qtbot.waitUntil(lambda: record_id in server.stored, timeout=30_000)
        body = server.stored[record_id]
        assert body["passportNumber"] == passport.number and body["recordId"] == record_id
        window.refresh_sync_status()
        qtbot.waitUntil(lambda: window.home.sync_waiting.text() == "Nothing waiting for GreenPay", timeout=15_000)
        assert window.home.sync_last.text().startswith("Last sync: ") and "never" not in window.home.sync_last.text()


def test_sync_problems_show_on_the_home_screen(qtbot, make_window):
    settings = Settings()
    settings.sync.target = "odoo"  # no URL, no secret: the worker cannot start
    window = make_window(settings)
    qtbot.waitUntil(lambda: "Sync is not running: Odoo is not set up" in window.home.sync_error.text(), timeout=15_000)
    assert window.home.sync_error.isVisibleTo(window.home)


def test_greenpay_connection_check():
    from greenpay_server import TOKEN, GreenPayServer

    settings = Settings()
    settings.sync.target = "greenpay"
    assert check_sync(settings) == (False, "no GreenPay URL")
    with GreenPayServer() as server:
        settings.greenpay.url = server.url
        assert check_greenpay(settings) == (False, "no token")
        assert check_greenpay(settings, TOKEN) == (True, f"GreenPay answers at {server.url} and accepts the token")
        assert check_greenpay(settings, "wrong") == (False, "GreenPay refused the token (HTTP 401)")
        assert server.stored == {}  # the check stores nothing
        settings.greenpay.passports_path = "/nowhere"
        assert check_greenpay(settings, TOKEN) == (False, "GreenPay has no /nowhere (HTTP 404): check the URL")
    settings.greenpay.url = "http://127.0.0.1:9"
    ok, message = check_greenpay(settings, TOKEN)
    assert not ok and "cannot reach" in message


def test_a_receipt_no_target_takes_says_so_at_confirm_and_is_not_sent(qtbot, make_window, receipt_file):
    from greenpay_server import TOKEN, GreenPayServer

    from kiosk.sync.outbox import PENDING
    from test_ui_support import read_back

    set_secret("greenpay_token", TOKEN)
    with GreenPayServer() as server:
        settings = Settings()
        settings.sync.target = "greenpay"  # GreenPay takes passports only
        settings.greenpay.url = server.url
        window = make_window(settings)
        qtbot.waitUntil(lambda: window.sync is not None, timeout=15_000)
        window.open_path(str(receipt_file), "receipt")
        wait_screen(qtbot, window, window.review)
        qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
        wait_screen(qtbot, window, window.home, 30_000)
        assert window.toast.text() == "Saved: kept on this kiosk, no target takes receipts."
        item, _, _ = read_back(settings, window.last_saved_id)
        assert item.state == PENDING and item.attempts == 0
        window.refresh_sync_status()
        qtbot.waitUntil(lambda: "kept on this kiosk (no target for their kind): 1" in window.home.sync_waiting.text(), timeout=15_000)
        assert window.home.sync_waiting.text().startswith("Nothing waiting for GreenPay")
        assert server.requests == {}


def test_a_demo_camera_passport_is_kept_on_the_kiosk_never_sent(qtbot, make_window):
    from greenpay_server import TOKEN, GreenPayServer

    from kiosk.sync.outbox import LOCAL_ONLY, SENT
    from test_ui_support import read_back

    set_secret("greenpay_token", TOKEN)
    with GreenPayServer() as server:
        settings = Settings()
        settings.sync.target = "greenpay"
        settings.greenpay.url = server.url
        window = make_window(settings)  # the demo camera
        qtbot.waitUntil(lambda: window.sync is not None, timeout=15_000)
        window.start_scan("passport")
        wait_screen(qtbot, window, window.review)
        assert window.review.value_of("surname") == "ERIKSSON"
        qtbot.mouseClick(window.review.confirm_button, Qt.MouseButton.LeftButton)
        wait_screen(qtbot, window, window.home, 30_000)
        assert window.toast.text() == "Saved on this kiosk: demo record, not sent."
        item, record, _ = read_back(settings, window.last_saved_id)
        assert (item.state, item.remote_ref, item.origin) == (SENT, LOCAL_ONLY, "demo") and record.value("surname") == "ERIKSSON"
        window.sync.wake()
        qtbot.wait(1500)
        assert server.requests == {}, "nothing reached GreenPay"


def test_the_sync_cards_error_is_never_clipped(qtbot):
    from kiosk.ui import theme
    from kiosk.ui.screens.home import HomeScreen

    home = HomeScreen()
    home.setStyleSheet(theme.STYLE)
    qtbot.addWidget(home)
    home.resize(1366, 768)
    home.show()
    error = "cannot reach GreenPay at https://greenpay.example.org/api/v2/passports/with/a/very/long/path: ConnectError " * 6
    home.set_sync("Records waiting for GreenPay: 3", "Last sync: never", error.strip())
    qtbot.wait(50)
    shown = home.sync_error
    assert shown.fits(shown.text()) and shown.text().endswith("…")
    assert shown.toolTip() == error.strip(), "the whole error is one hover away"
    box = shown.fontMetrics().boundingRect(shown.contentsRect(), Qt.TextFlag.TextWordWrap, shown.text())
    assert box.height() <= shown.contentsRect().height() + 1 and box.width() <= shown.contentsRect().width()
    home.set_sync("", "", "Odoo refused the login")
    assert shown.text() == "Odoo refused the login" and shown.toolTip() == ""
    assert home.height() == 768 and home.sync_card.geometry().bottom() < home.camera_card.geometry().top()


def test_sync_settings_offer_each_kind_only_the_targets_that_take_it(qtbot):
    from kiosk.config import route
    from kiosk.ui.screens.forms import SyncSection

    section = SyncSection()
    qtbot.addWidget(section)
    settings = Settings()
    section.load(settings)
    receipts = [section.receipts.itemData(i) for i in range(section.receipts.count())]
    assert receipts == ["none", "odoo"], "GreenPay takes no receipts without a receipts_path"
    section.target.setCurrentIndex(section.target.findData("odoo"))
    assert section.receipts.currentData() == "odoo", "receipts follow the passports' target while left alone"
    section.target.setCurrentIndex(section.target.findData("greenpay"))
    assert section.receipts.currentData() == "none" and section.receipts_note.isVisibleTo(section)
    section.receipts.setCurrentIndex(section.receipts.findData("odoo"))
    section.receipts.activated.emit(section.receipts.currentIndex())
    assert section.odoo_box.isVisibleTo(section) and section.greenpay_box.isVisibleTo(section)
    section.apply(settings)
    settings.validate()
    assert (route(settings, "passport"), route(settings, "receipt")) == ("greenpay", "odoo")
    settings.greenpay.receipts_path = "/api/receipts"
    section.load(settings)
    assert section.receipts.findData("greenpay") >= 0 and section.receipts.currentData() == "odoo"
