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
