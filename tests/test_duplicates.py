"""Duplicate receipts: the same picture (re-encoded, rescaled) or the same vendor, date and total, confirmed
within `[receipt] duplicate_days`, is named before Confirm; real shared receipts, a real outbox file."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import cv2
import pytest
from PySide6.QtCore import Qt

from kiosk.config import Settings
from kiosk.records import ReceiptRecord
from kiosk.scan.duplicates import find_duplicate, remember
from kiosk.sync.outbox import open_outbox, queue_record
from test_ui_support import make_window, ui_models, wait_screen  # noqa: F401 - fixtures

RECEIPTS = Path(__file__).resolve().parents[2] / "shared" / "data" / "receipts"
FIRST, OTHER = RECEIPTS / "sroie_000.jpg", RECEIPTS / "sroie_006.jpg"
pytestmark = pytest.mark.skipif(not FIRST.exists(), reason="the shared receipts are not here")


def receipt(vendor: str, day: str, total: str) -> ReceiptRecord:
    record = ReceiptRecord(status="ok")
    for name, value in (("vendor", vendor), ("date", day), ("total", total)):
        if value:
            record.edit(name, value)
    return record


def copy_of(path: Path, scale: float, quality: int, folder: Path) -> Path:
    """The same receipt saved again: scaled and JPEG re-encoded, as a second export of one scan would be."""
    image = cv2.imread(str(path))
    image = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    out = folder / f"copy-{scale}-{quality}.jpg"
    cv2.imwrite(str(out), image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return out


def confirmed(settings: Settings, record: ReceiptRecord, path: Path) -> ReceiptRecord:
    queue_record(settings, record)
    remember(settings, record, cv2.imread(str(path)))
    return record


@pytest.mark.parametrize("scale, quality", [(1.0, 40), (0.5, 75), (1.4, 60)])
def test_the_same_picture_re_encoded_or_rescaled_is_found_a_different_receipt_is_not(tmp_path, scale, quality):
    settings = Settings()
    first = confirmed(settings, receipt("BOOK TA .K (TAMAN DAYA) SDN BHD", "2018-12-25", "9.00"), FIRST)
    unread = receipt("", "", "")  # nothing to compare but the picture
    found = find_duplicate(settings, unread, cv2.imread(str(copy_of(FIRST, scale, quality, tmp_path))))
    assert found is not None and found.same_picture and not found.same_fields
    assert found.confirmed_at == first.confirmed_at
    assert find_duplicate(settings, unread, cv2.imread(str(OTHER))) is None


def test_same_vendor_date_and_total_on_another_picture_is_found_within_the_window_only():
    settings = Settings()
    settings.receipt.duplicate_days = 30
    confirmed(settings, receipt("Book Ta.K (Taman Daya) Sdn Bhd", "2018-12-25", "9.00"), FIRST)
    again = receipt("BOOK TA .K (TAMAN DAYA) SDN BHD", "2018-12-25", "9")  # typed differently, same receipt
    image = cv2.imread(str(OTHER))
    found = find_duplicate(settings, again, image)
    assert found is not None and found.same_fields and not found.same_picture
    assert find_duplicate(settings, receipt("BOOK TA .K (TAMAN DAYA) SDN BHD", "2018-12-25", "9.50"), image) is None
    later = datetime.now(timezone.utc) + timedelta(days=31)
    assert find_duplicate(settings, again, image, now=later) is None
    settings.receipt.duplicate_days = 0
    assert find_duplicate(settings, again, image) is None  # the site turned the check off


def test_fingerprints_outlive_the_purge_of_sent_records():
    settings = Settings()
    first = confirmed(settings, receipt("SOON HUAT MACHINERY ENTERPRISE", "2019-01-11", "327.00"), OTHER)
    with open_outbox(settings) as outbox:
        outbox.mark_sent(first.id, "expense 7")
        assert outbox.purge(0, now=datetime.now(timezone.utc) + timedelta(days=1)) == 1
        assert outbox.get(first.id) is None
    found = find_duplicate(settings, receipt("Soon Huat Machinery Enterprise", "2019-01-11", "327.00"), None)
    assert found is not None and found.confirmed_at == first.confirmed_at


def test_review_names_the_earlier_confirmation_and_confirm_becomes_confirm_anyway(qtbot, make_window, tmp_path):
    window = make_window(Settings())
    qtbot.waitUntil(lambda: window.models.ready, timeout=60_000)
    review = window.review
    window.open_path(str(FIRST), "receipt")
    wait_screen(qtbot, window, review, 120_000)
    qtbot.waitUntil(lambda: window.runner.pending("disk") == 0, timeout=10_000)
    assert "duplicate" not in review.status.text()
    assert review.confirm_button.text().replace("&", "") == "Confirm"
    qtbot.mouseClick(review.confirm_button, Qt.MouseButton.LeftButton)
    wait_screen(qtbot, window, window.home, 30_000)

    window.open_path(str(copy_of(FIRST, 0.6, 50, tmp_path)), "receipt")
    wait_screen(qtbot, window, review, 120_000)
    qtbot.waitUntil(lambda: "Possible duplicate" in review.status.text(), timeout=10_000)
    with open_outbox(window.settings) as outbox:
        when = outbox.items()[0].confirmed_at
    assert when is not None and when.replace("T", " ").removesuffix("+00:00") in review.status.text()
    assert review.confirm_button.text().replace("&", "") == "Confirm anyway" and review.confirm_button.isEnabled()

    window.go_home()
    window.open_path(str(OTHER), "receipt")
    wait_screen(qtbot, window, review, 120_000)
    qtbot.waitUntil(lambda: window.runner.pending("disk") == 0, timeout=10_000)
    assert "duplicate" not in review.status.text()
    assert review.confirm_button.text().replace("&", "") == "Confirm"
