"""The review screen says what check digits cannot, driven through the real window with real images:
an expired document is red and cannot be confirmed (unless the site allows it), expiring soon and under age are
amber and follow the operator's edits, the title names the kind of document, country codes show their names,
and an edited value whose check digit fails says "fix" instead of a red 100%."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from PySide6.QtCore import Qt

from kiosk.config import Settings
from test_ui_support import make_window, read_back, type_into, ui_models, wait_screen  # noqa: F401 - fixtures

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mrz"


def open_review(qtbot, window, name: str):
    window.open_path(str(DATA / name) if isinstance(name, str) else str(name), "passport")
    wait_screen(qtbot, window, window.review)
    return window.review


def plain(text: str) -> str:
    return text.replace("&", "")


def test_an_expired_passport_is_red_and_cannot_be_confirmed(qtbot, make_window):
    window = make_window(Settings())
    review = open_review(qtbot, window, "fastmrz__td3.jpg")  # every check digit holds; expired 2012-04-15

    assert review.title.text() == "Check the passport"
    assert review.status.text() == "EXPIRED on 2012-04-15: this document cannot be accepted."
    assert review.status.property("role") == "error"
    expiry = review.rows["expiry_date"]
    assert expiry.mark.ok is True  # the check digit itself holds
    assert expiry.badge.text() == "EXPIRED" and expiry.badge.state == "bad"
    assert expiry.error.isVisible() and expiry.error.text() == "EXPIRED on 2012-04-15"
    assert expiry.error.property("role") == "error"
    assert review.rows["issuing_country"].title.text() == "Issuing country · Utopia (specimen)"
    assert review.rows["nationality"].title.text() == "Nationality · Utopia (specimen)"

    assert not review.confirm_button.isEnabled()
    qtbot.keyClick(review.rows["surname"].edit, Qt.Key.Key_Return, Qt.KeyboardModifier.ControlModifier)  # Ctrl+Enter
    qtbot.wait(300)
    assert window.current_screen() is review and window.last_saved_id is None  # nothing stored


def test_a_site_that_accepts_expired_documents_confirms_anyway_and_keeps_the_warning(qtbot, make_window):
    settings = Settings()
    settings.passport.allow_expired = True
    window = make_window(settings)
    review = open_review(qtbot, window, "fastmrz__td3.jpg")

    assert review.status.text().startswith("EXPIRED on 2012-04-15. This site accepts expired documents")
    assert review.confirm_button.isEnabled() and plain(review.confirm_button.text()) == "Confirm anyway"
    qtbot.mouseClick(review.confirm_button, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.home, 30_000)
    _, record, _ = read_back(settings, window.last_saved_id)
    assert record.warnings == ("expired",)
    assert record.value("expiry_date") == "2012-04-15"


def test_id_card_and_visa_reviews_are_titled_by_their_kind(qtbot, make_window):
    window = make_window(Settings())
    review = open_review(qtbot, window, "fastmrz__td1.jpg")  # I<UTO...: an identity card
    assert review.title.text() == "Check the ID card"
    type_into(qtbot, review.rows["document_type"].edit, "IR")  # the operator corrects the code: the title follows
    assert review.title.text() == "Check the residence permit"
    window.go_home()
    review = open_review(qtbot, window, "fastmrz__mrva.jpg")  # V<UTO...: a visa, nationality XXX
    assert review.title.text() == "Check the visa"
    assert review.rows["nationality"].title.text() == "Nationality · Unspecified"


def test_warnings_follow_edits_and_a_failing_edit_says_fix(qtbot, make_window, passport_file):
    window = make_window(Settings())
    window.review.today = lambda: date(2032, 4, 1)  # the specimen expires 2032-04-15: in 14 days
    review = open_review(qtbot, window, passport_file)
    expiry = review.rows["expiry_date"]

    assert review.status.text() == "All check digits hold. Expires in 14 days."
    assert review.status.property("role") == "warn"
    assert expiry.error.text() == "Expires in 14 days" and expiry.error.property("role") == "warn"
    assert expiry.badge.state == "ok"
    assert review.confirm_button.isEnabled() and plain(review.confirm_button.text()) == "Confirm"

    # a date the operator types that has passed: expired at once, Confirm off
    type_into(qtbot, expiry.edit, "2032-03-31")
    assert "EXPIRED on 2032-03-31: this document cannot be accepted." in review.status.text()
    assert expiry.error.text() == "EXPIRED on 2032-03-31" and expiry.error.property("role") == "error"
    assert not review.confirm_button.isEnabled()
    assert review.current_record().warnings == ("expired",)

    # typed back as printed: the warning is the one of the document again
    type_into(qtbot, expiry.edit, "2032-04-15")
    assert expiry.error.text() == "Expires in 14 days"
    assert review.confirm_button.isEnabled()

    # a birth date that makes the holder a child: amber under age; its check digit fails: "fix", not a red 100%
    birth = review.rows["birth_date"]
    type_into(qtbot, birth.edit, "2020-08-12")
    assert birth.error.text() == "Under 18: the holder is 11" and birth.error.property("role") == "warn"
    assert birth.mark.ok is False
    assert birth.badge.text() == "fix" and birth.badge.state == "bad"
    assert "100%" not in birth.badge.text()
    assert review.current_record().warnings == ("expires_soon", "under_age")
    assert plain(review.confirm_button.text()) == "Confirm anyway"
