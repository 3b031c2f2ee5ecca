"""Finding the paper in a photo and making it upright; scans left alone."""

from pathlib import Path

import numpy as np
import pytest

from kiosk.capture.synthetic import ReceiptData, receipt_page, receipt_photo
from kiosk.images import load_image
from kiosk.ocr.receipt.straighten import _text_runs_vertically, straighten

SROIE = Path(__file__).resolve().parents[2] / "shared" / "data" / "receipts"


def corner_error(found, truth):
    """Largest distance between matching corners, trying every starting corner."""
    return min(np.abs(np.roll(found, k, axis=0) - truth).max() for k in range(4))


@pytest.mark.parametrize(
    "options",
    [
        dict(angle=0, perspective=0.0),
        dict(angle=-14, perspective=0.05, seed=1),
        dict(angle=9, perspective=0.1, seed=2),
        dict(angle=4, crumple=0.8, seed=3),
    ],
)
def test_the_paper_outline_is_found_and_warped_upright(options):
    page = receipt_page()
    photo, corners = receipt_photo(page, **options)
    result = straighten(photo)
    assert result.action == "warped"
    assert result.quarter_turns == 0
    limit = 0.05 * max(page.shape[:2]) + (12 if options.get("crumple") else 0)
    assert corner_error(result.quad, corners) < limit
    h, w = result.image.shape[:2]
    assert abs(h / w - page.shape[0] / page.shape[1]) < 0.12  # the page's proportions are back


def test_a_receipt_lying_sideways_is_turned_so_its_lines_run_across():
    page = receipt_page()
    photo, _ = receipt_photo(page, angle=2, quarter_turns=1, seed=4)
    result = straighten(photo)
    assert result.action == "warped" and result.quarter_turns == 1
    h, w = result.image.shape[:2]
    assert h > w  # portrait again, like the page


def test_a_long_receipt_is_found_whole():
    long = ReceiptData(items=tuple((f"ITEM {i}", 1.0 + i) for i in range(40)))
    page = receipt_page(long, width=480)
    photo, corners = receipt_photo(page, angle=-3, seed=5)
    result = straighten(photo)
    assert result.action == "warped"
    assert corner_error(result.quad, corners) < 0.05 * page.shape[0]


def test_a_long_receipt_running_off_the_photo_stays_upright():
    long = ReceiptData(items=tuple((f"ITEM {i}", 1.0 + i) for i in range(25)))
    photo, corners = receipt_photo(receipt_page(long, width=560), angle=3, seed=6)
    cut = photo[int(corners[:, 1].min()) + 30 : int(corners[:, 1].max()) - 30]
    result = straighten(cut)
    assert result.action == "warped" and result.quarter_turns == 0
    assert result.image.shape[0] > 2 * result.image.shape[1]


def pages():
    layouts = [ReceiptData(), ReceiptData(layout="cafe", cash=50.0), ReceiptData(layout="minimal", currency="PGK")]
    yield from (receipt_page(data) for data in layouts)
    if SROIE.is_dir():
        yield from (load_image(path) for path in sorted(SROIE.glob("*.jpg"))[::3])


def test_the_direction_of_text_lines_is_told_on_synthetic_and_real_receipts():
    for page in pages():
        for turns in range(4):
            turned = np.ascontiguousarray(np.rot90(page, turns))
            assert _text_runs_vertically(turned) == (turns % 2 == 1)


def test_a_scan_is_not_warped():
    page = receipt_page()
    result = straighten(page)
    assert result.action == "unchanged"
    assert result.image is page


def test_a_scan_with_wide_white_margins_is_only_cropped():
    page = receipt_page()
    sheet = np.full((page.shape[0] * 3, page.shape[1] * 3, 3), 250, np.uint8)
    top, left = page.shape[0], page.shape[1]
    sheet[top : top + page.shape[0], left : left + page.shape[1]] = page
    result = straighten(sheet)
    assert result.action == "cropped"
    h, w = result.image.shape[:2]
    assert h < sheet.shape[0] * 0.6 and w < sheet.shape[1] * 0.6
    assert h >= page.shape[0] * 0.7  # the text is all still there


@pytest.mark.parametrize(
    "image",
    [
        np.full((600, 400, 3), 255, np.uint8),  # blank page
        np.zeros((600, 400, 3), np.uint8),  # black frame
        np.random.default_rng(0).integers(0, 255, (480, 640, 3), dtype=np.uint8),  # noise
        np.full((600, 400), 128, np.uint8),  # grey, one channel
    ],
)
def test_odd_images_come_back_without_error(image):
    result = straighten(image)
    assert result.action in ("unchanged", "cropped", "warped")
    assert result.image.ndim == 3 and result.image.size > 0
