"""Nothing read is lost by a stray key: Esc and Cancel ask before discarding a read, a stray Enter keeps it,
focus after an error lands where Enter loses nothing, and the idle reset warns first."""

from __future__ import annotations

from PySide6.QtCore import QPoint, Qt

from kiosk.config import Settings
from kiosk.secrets import set_secret
from test_ui_support import make_window, type_into, ui_models, wait_screen  # noqa: F401 - fixtures


def read_passport(qtbot, window, passport_file):
    window.open_path(str(passport_file), "passport")
    wait_screen(qtbot, window, window.review)
    return window.review


def test_escape_on_an_edited_review_asks_and_a_stray_key_keeps_the_read(qtbot, make_window, passport_file, passport):
    window = make_window()
    review = read_passport(qtbot, window, passport_file)
    type_into(qtbot, review.rows["given_names"].edit, "ANNA MARIE")

    qtbot.keyClick(review.rows["given_names"].edit, Qt.Key.Key_Escape)
    assert window.current_screen() is review  # not discarded: asked first
    assert window.question.showing("discard") and window.question.title.text() == "Discard this read?"
    assert window.question.safe_button.hasFocus()  # the answer that loses nothing
    qtbot.keyClick(window.question.safe_button, Qt.Key.Key_Return)  # a stray Enter
    qtbot.waitUntil(lambda: not window.question.isVisible(), timeout=2_000)
    assert window.current_screen() is review
    assert review.value_of("given_names") == "ANNA MARIE" and review.rows["given_names"].edit.hasFocus()

    qtbot.keyClick(review.rows["given_names"].edit, Qt.Key.Key_Escape)
    qtbot.keyClick(window.question.safe_button, Qt.Key.Key_Escape)  # Esc twice: still kept
    assert window.current_screen() is review and review.value_of("surname") == passport.surname

    qtbot.mouseClick(review.cancel_button, Qt.MouseButton.LeftButton)  # Cancel asks too
    assert window.question.showing("discard")
    qtbot.keyClick(window.question.safe_button, Qt.Key.Key_Tab)  # Tab stays among the answers
    assert window.question.other_button.hasFocus()
    qtbot.keyClick(window.question.other_button, Qt.Key.Key_Return)  # Discard, chosen on purpose
    wait_screen(qtbot, window, window.home, 2_000)
    assert review.record is None


def test_after_the_ocr_service_fails_enter_does_not_discard_the_read(qtbot, make_window, passport_file):
    from remote_server import remote_settings

    set_secret("ocr_token", "tok")
    settings = Settings()
    settings.remote = remote_settings("http://127.0.0.1:9", "manual", connect_timeout=1.0, retries=0)  # nothing listens
    window = make_window(settings)
    review = read_passport(qtbot, window, passport_file)
    assert review.remote_button.isVisible()
    review.remote_button.setFocus()
    qtbot.keyClick(review.remote_button, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "could not help" in review.note.text() and not review.busy, timeout=60_000)
    focused = window.focusWidget()
    assert focused in [row.edit for row in review.rows.values()], f"focus on {focused.objectName() or focused.text()!r}"
    qtbot.keyClick(focused, Qt.Key.Key_Return)  # Enter: on to the next field, nothing discarded
    assert window.current_screen() is review and review.record is not None and not window.question.isVisible()


def test_the_idle_reset_warns_first_and_a_touch_keeps_the_read(qtbot, make_window, passport_file, passport):
    window = make_window()
    review = read_passport(qtbot, window, passport_file)
    window.idle.set_interval_ms(3_000)  # the last second is the countdown
    qtbot.waitUntil(lambda: window.question.showing("idle"), timeout=5_000)
    assert window.question.title.text() == "Still here?"
    assert "Going back to the start in 1 s" in window.question.text.text()
    assert window.current_screen() is review

    qtbot.mouseClick(window.question, Qt.MouseButton.LeftButton, pos=QPoint(5, 5))  # a touch anywhere
    assert not window.question.isVisible() and window.current_screen() is review
    assert review.value_of("surname") == passport.surname and window.idle.active

    qtbot.waitUntil(lambda: window.question.showing("idle"), timeout=5_000)  # left alone again
    wait_screen(qtbot, window, window.home, 5_000)
    assert review.record is None and not window.question.isVisible()
