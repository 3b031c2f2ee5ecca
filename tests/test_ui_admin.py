"""Settings behind the admin PIN, the first-run setup, kiosk mode."""

from __future__ import annotations

import time

from PySide6.QtCore import Qt

from kiosk.config import load_settings, settings_path
from kiosk.secrets import get_secret, set_secret
from kiosk.ui.pin import has_pin, set_pin, verify_pin
from test_ui_support import make_window, ui_models, wait_screen  # noqa: F401 - fixtures


def enter_pin(qtbot, window, pin: str) -> None:
    pad = window.pin.pad
    qtbot.waitUntil(lambda: pad.isEnabled(), timeout=10_000)
    for digit in pin:
        qtbot.keyClick(pad, digit)
    qtbot.keyClick(pad, Qt.Key.Key_Return)


def test_settings_need_the_pin_and_a_wrong_pin_is_refused(qtbot, make_window, tmp_path, monkeypatch):
    config = tmp_path / "settings.toml"
    set_pin("2468")
    window = make_window(config_path=str(config))
    qtbot.mouseClick(window.home.settings_button, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.pin, 10_000)
    assert window.pin.title.text() == "Settings"

    enter_pin(qtbot, window, "1357")
    qtbot.waitUntil(lambda: window.pin.pad.message.text() == "Wrong PIN.", timeout=10_000)
    assert window.current_screen() is window.pin  # refused: still the PIN pad
    assert window.pin.pad.digits == ""

    # buttons work too
    qtbot.waitUntil(lambda: window.pin.pad.isEnabled(), timeout=10_000)
    for digit in "2468":
        qtbot.mouseClick(window.pin.pad.keys[digit], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(window.pin.pad.ok, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.settings_screen, 10_000)
    screen = window.settings_screen
    assert screen.capture.threshold.value() == 0.60  # the default
    qtbot.waitUntil(lambda: "not set" in screen.remote.receipt_token.placeholderText(), timeout=10_000)

    screen.kiosk.kiosk_id.setText("counter-3")
    screen.kiosk.operator.setText("Sam")
    screen.capture.threshold.setValue(0.75)
    screen.remote.receipt_url.setText("https://ocr.example.org/ocr")
    screen.remote.receipt_token.setText("tok-123")
    screen.sync.target.setCurrentIndex(screen.sync.target.findData("greenpay"))
    screen.sync.greenpay_url.setText("https://greenpay.example.org")
    screen.sync.greenpay_token.setText("gp-456")
    screen.sync.retention.setValue(14)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.home, 15_000)
    assert window.toast.text() == "Settings saved."

    saved = load_settings(config)
    assert saved.kiosk.id == "counter-3" and saved.kiosk.operator == "Sam"
    assert saved.ocr.confidence_threshold == 0.75
    assert [e.url for e in saved.remote.receipt] == ["https://ocr.example.org/ocr"]
    assert saved.sync.target == "greenpay" and saved.greenpay.url == "https://greenpay.example.org"
    assert saved.sync.retention_days == 14
    assert "tok-123" not in config.read_text() and "gp-456" not in config.read_text()
    assert get_secret("ocr_token") == "tok-123" and get_secret("greenpay_token") == "gp-456"
    assert window.settings.ocr.confidence_threshold == 0.75  # applied at once
    assert "counter-3" in window.home.kiosk_label.text()

    # the PIN is stored as a salted hash, never as itself
    stored = get_secret("admin_pin")
    assert stored.startswith("pbkdf2_sha256$") and "2468" not in stored


def test_bad_settings_are_refused_with_the_reason(qtbot, make_window, tmp_path):
    config = tmp_path / "settings.toml"
    window = make_window(config_path=str(config))
    window.open_settings()
    wait_screen(qtbot, window, window.settings_screen, 10_000)  # no PIN set yet: straight in, with a warning
    screen = window.settings_screen
    assert "No admin PIN" in screen.message.text()
    screen.kiosk.kiosk_id.setText("  ")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert "id must not be empty" in screen.message.text()
    screen.kiosk.kiosk_id.setText("k1")
    screen.remote.receipt_url.setText("ftp://nope")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert "must start with http" in screen.message.text()
    screen.remote.receipt_url.setText("")
    screen.pin.pin.setText("12")
    screen.pin.repeat.setText("12")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert "4 to 12 digits" in screen.message.text()
    assert window.current_screen() is screen and not config.exists()
    screen.pin.pin.setText("8642")
    screen.pin.repeat.setText("8642")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.home, 15_000)
    assert config.exists() and verify_pin("8642") and not verify_pin("2468")


def test_test_connection_reaches_the_ocr_service(qtbot, make_window):
    from remote_server import TOKEN, OcrTestServer

    set_pin("2468")
    with OcrTestServer() as server:
        window = make_window()
        window.open_settings()
        wait_screen(qtbot, window, window.pin, 10_000)
        enter_pin(qtbot, window, "2468")
        wait_screen(qtbot, window, window.settings_screen, 10_000)
        screen = window.settings_screen
        screen.remote.receipt_url.setText(server.endpoint("receipt"))
        screen.remote.receipt_token.setText(TOKEN)
        qtbot.mouseClick(screen.remote.tester.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: screen.remote.tester.result.text().startswith("✓"), timeout=30_000)
        assert "up" in screen.remote.tester.result.text()
        screen.remote.receipt_url.setText("http://127.0.0.1:9/ocr")  # nothing listens there
        qtbot.mouseClick(screen.remote.tester.button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: screen.remote.tester.result.text().startswith("✗"), timeout=60_000)
    assert get_secret("ocr_token") is None  # testing stores nothing


def test_first_run_asks_for_a_short_setup(qtbot, make_window):
    assert not settings_path().exists()
    window = make_window(first_run=True)
    assert window.current_screen() is window.first_run
    setup = window.first_run
    setup.kiosk.kiosk_id.setText("counter-7")
    setup.kiosk.operator.setText("Lee")
    qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
    assert "PIN" in setup.message.text()  # the PIN is required
    setup.pin.pin.setText("1357")
    setup.pin.repeat.setText("1375")
    qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
    assert "differ" in setup.message.text()
    setup.pin.repeat.setText("1357")
    setup.sync.target.setCurrentIndex(setup.sync.target.findData("odoo"))
    setup.sync.odoo_url.setText("https://odoo.example.org")
    setup.sync.odoo_database.setText("prod")
    setup.sync.odoo_login.setText("kiosk@example.org")
    setup.sync.odoo_secret.setText("odoo-key")
    qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.home, 15_000)
    saved = load_settings()
    assert saved.kiosk.id == "counter-7" and saved.kiosk.operator == "Lee"
    assert saved.sync.target == "odoo" and saved.odoo.database == "prod"
    assert get_secret("odoo_secret") == "odoo-key"
    assert has_pin() and verify_pin("1357")


def test_kiosk_mode_cannot_be_closed_without_the_pin(qtbot, make_window):
    set_pin("2468")
    window = make_window(kiosk=True)
    window.enter_kiosk_mode()
    assert window.windowFlags() & Qt.WindowType.FramelessWindowHint
    window.close()
    assert window.isVisible()  # refused
    wait_screen(qtbot, window, window.pin, 10_000)
    assert window.pin.title.text() == "Leave kiosk mode"
    enter_pin(qtbot, window, "9999")
    qtbot.waitUntil(lambda: window.pin.pad.message.text() == "Wrong PIN.", timeout=10_000)
    assert window.isVisible()
    enter_pin(qtbot, window, "2468")
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10_000)


def test_too_many_wrong_pins_lock_the_pad(qtbot, make_window):
    set_secret("admin_pin", "4321")  # stored by hand (`kiosk secret set admin_pin`): taken as the PIN itself
    window = make_window()
    window.throttle.lock_seconds = 60
    window.open_settings()
    wait_screen(qtbot, window, window.pin, 10_000)
    for attempt in range(5):
        enter_pin(qtbot, window, "1111")
        qtbot.waitUntil(lambda: window.pin.pad.message.text().startswith(("Wrong", "Too")), timeout=10_000)
    assert "Locked" in window.pin.pad.message.text()
    enter_pin(qtbot, window, "4321")  # right, but locked
    qtbot.waitUntil(lambda: window.pin.pad.message.text().startswith("Too many wrong PINs"), timeout=10_000)
    assert window.current_screen() is window.pin
    window.throttle.clock = lambda: time.time() + 61  # a minute later
    enter_pin(qtbot, window, "4321")
    wait_screen(qtbot, window, window.settings_screen, 10_000)
    assert get_secret("admin_pin").startswith("pbkdf2_sha256$")  # upgraded to a hash once it verified


def test_a_compiled_translation_is_loaded(qtbot, tmp_path, monkeypatch):
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    from PySide6.QtWidgets import QApplication

    import kiosk.ui.app as app_module
    from kiosk.ui.screens.home import HomeScreen

    lrelease = shutil.which("pyside6-lrelease") or str(Path(sys.executable).with_name("pyside6-lrelease"))
    source = tmp_path / "kiosk_xx.ts"
    source.write_text(
        '<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n<TS version="2.1" language="de">\n'
        "<context><name>HomeScreen</name><message><source>Scan kiosk</source>"
        "<translation>Scan-Kiosk</translation></message></context>\n</TS>\n",
        encoding="utf-8",
    )
    subprocess.run([lrelease, str(source), "-qm", str(tmp_path / "kiosk_xx.qm")], check=True, capture_output=True)
    monkeypatch.setattr(app_module, "translations_dir", lambda: tmp_path)
    app = QApplication.instance()
    translator = app_module.install_translator(app, "xx")
    try:
        assert translator is not None
        home = HomeScreen()
        qtbot.addWidget(home)
        assert home.title.text() == "Scan-Kiosk"
    finally:
        app.removeTranslator(translator)
    assert app_module.install_translator(app, "zz") is None  # no such language: English


def test_the_kiosk_command_passes_kiosk_mode_and_camera_to_the_app(monkeypatch, tmp_path):
    import kiosk.ui.app as app_module
    from kiosk.cli.main import main

    seen = {}

    def fake_run_app(settings, **options):
        seen.update(options, settings=settings)
        return 0

    monkeypatch.setattr(app_module, "run_app", fake_run_app)
    assert main(["--kiosk", "--camera", "demo"]) == 0
    assert seen["kiosk"] is True and seen["camera"] == "demo" and seen["config_path"] is None
    config = tmp_path / "s.toml"
    config.write_text('[kiosk]\nid = "k9"\n')
    assert main(["--config", str(config)]) == 0
    assert seen["kiosk"] is False and seen["camera"] is None and seen["config_path"] == str(config)
    assert seen["settings"].kiosk.id == "k9"
