"""Setup traps: first run where KIOSK_CONFIG points, a PIN lockout that survives a restart, a wheel that never
changes a setting, the OCR service only as the site chose, an idle time refused rather than dropped."""

from __future__ import annotations

import tomllib

from PySide6.QtCore import QPoint, QPointF, Qt, QTimer
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication

from kiosk.config import load_settings
from kiosk.ui.pin import set_pin, verify_pin
from test_ui_admin import enter_pin
from test_ui_support import make_window, ui_models, wait_screen  # noqa: F401 - fixtures


def test_first_run_creates_the_settings_file_where_kiosk_config_points(qtbot, tmp_path, monkeypatch):
    """The real `kiosk` command: a KIOSK_CONFIG file (and folder) that do not exist yet is the first run."""
    from kiosk.cli.main import main
    from kiosk.ui.main_window import MainWindow

    config = tmp_path / "etc" / "scan-kiosk" / "settings.toml"
    monkeypatch.setenv("KIOSK_CONFIG", str(config))
    monkeypatch.setenv("QT_QPA_PLATFORM", "offscreen")
    seen: dict[str, object] = {}

    def drive() -> None:
        window = next(w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow))
        seen["screen"] = window.current_screen() is window.first_run
        setup = window.first_run
        setup.kiosk.kiosk_id.setText("counter-5")
        setup.pin.pin.setText("1357")
        setup.pin.repeat.setText("1357")
        qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: window.current_screen() is window.home, timeout=15_000)
        window.quit_app()

    QTimer.singleShot(0, drive)
    assert main([]) == 0
    assert seen["screen"] is True
    saved = load_settings()  # found through KIOSK_CONFIG
    assert config.exists() and saved.kiosk.id == "counter-5" and verify_pin("1357")


def test_the_pin_lockout_survives_a_restart(qtbot, make_window, tmp_path):
    config = str(tmp_path / "settings.toml")
    set_pin("2468")
    window = make_window(config_path=config)
    window.open_settings()
    wait_screen(qtbot, window, window.pin, 10_000)
    for _ in range(5):
        enter_pin(qtbot, window, "1111")
        qtbot.waitUntil(lambda: window.pin.pad.message.text().startswith(("Wrong", "Too")), timeout=10_000)
    assert window.pin.pad.message.text() == "Wrong PIN. Locked for 30 s."
    window.quit_app()

    restarted = make_window(config_path=config)  # the app started again
    restarted.open_settings()
    wait_screen(qtbot, restarted, restarted.pin, 10_000)
    enter_pin(qtbot, restarted, "2468")  # the right PIN, but the pad is still locked
    qtbot.waitUntil(lambda: restarted.pin.pad.message.text().startswith("Too many wrong PINs"), timeout=10_000)
    assert restarted.current_screen() is restarted.pin


def wheel(widget, steps: int = -1) -> None:
    """The mouse wheel turned over `widget` (negative: towards the user, down the list)."""
    centre = QPointF(widget.width() / 2, widget.height() / 2)
    event = QWheelEvent(
        centre, QPointF(widget.mapToGlobal(QPoint(int(centre.x()), int(centre.y())))), QPoint(0, 0), QPoint(0, 120 * steps),
        Qt.MouseButton.NoButton, Qt.KeyboardModifier.NoModifier, Qt.ScrollPhase.NoScrollPhase, False,
    )
    QApplication.sendEvent(widget, event)


def test_the_wheel_over_a_closed_list_never_changes_a_setting(qtbot, make_window):
    window = make_window()
    window.open_settings()
    wait_screen(qtbot, window, window.settings_screen, 10_000)
    screen = window.settings_screen
    screen.tabs.setCurrentIndex(3)
    target, threshold = screen.sync.target, screen.capture.threshold
    screen.kiosk.kiosk_id.setFocus()
    wheel(target)
    wheel(threshold)
    assert target.currentData() == "none" and threshold.value() == 0.60  # scrolled past, nothing changed
    assert not target.hasFocus()
    target.setFocus()  # chosen on purpose: the wheel works there
    wheel(target)
    assert target.currentData() != "none"


def test_first_run_asks_whether_images_may_go_to_the_ocr_service_and_defaults_to_never(qtbot, make_window, tmp_path):
    config = tmp_path / "settings.toml"
    window = make_window(first_run=True, config_path=str(config))
    setup = window.first_run
    setup.kiosk.kiosk_id.setText("counter-8")
    setup.pin.pin.setText("1357")
    setup.pin.repeat.setText("1357")
    setup.remote.mrz_url.setText("http://10.0.0.5:5000/scan-mrz")
    qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.home, 15_000)
    assert tomllib.loads(config.read_text())["remote"]["policy"] == "off"  # nothing leaves unless chosen
    assert setup.policy_buttons["off"].isChecked() and setup.policy_buttons["off"].text().replace("&", "").startswith("Never")

    config.unlink()
    window = make_window(first_run=True, config_path=str(config))
    setup = window.first_run
    setup.kiosk.kiosk_id.setText("counter-8")
    setup.pin.pin.setText("1357")
    setup.pin.repeat.setText("1357")
    setup.remote.mrz_url.setText("http://10.0.0.5:5000/scan-mrz")
    qtbot.mouseClick(setup.policy_buttons["manual"], Qt.MouseButton.LeftButton)
    qtbot.mouseClick(setup.finish_button, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.home, 15_000)
    assert load_settings(config).remote.policy == "manual"


def test_an_idle_time_under_the_minimum_is_refused_with_a_message(qtbot, make_window, tmp_path):
    config = tmp_path / "settings.toml"
    window = make_window(config_path=str(config))
    window.open_settings()
    wait_screen(qtbot, window, window.settings_screen, 10_000)
    screen = window.settings_screen
    idle = screen.kiosk.idle
    idle.setFocus()
    idle.lineEdit().selectAll()
    qtbot.keyClicks(idle.lineEdit(), "5")
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert "at least 10 s, not 5 s" in screen.message.text()
    assert window.current_screen() is screen and not config.exists()  # nothing saved, nothing dropped
    assert idle.hasFocus()


def test_an_older_settings_file_that_used_the_ocr_service_by_default_keeps_doing_so(tmp_path):
    """Before schema 2 an unset `[remote] policy` meant `auto`; now it means `off`."""
    old = tmp_path / "old.toml"
    old.write_text("schema = 1\n\n[remote]\nurl = 'http://10.0.0.5:8000'\n")
    assert load_settings(old).remote.policy == "auto"
    old.write_text("schema = 1\n\n[kiosk]\nid = 'k1'\n")  # no service: never used it, the new default applies
    assert load_settings(old).remote.policy == "off"
    new = tmp_path / "new.toml"
    new.write_text("schema = 2\n\n[[remote.mrz]]\nurl = 'http://10.0.0.5:5000/scan-mrz'\n")
    assert load_settings(new).remote.policy == "off"
