"""Reading receipt images end to end with the real OCR engines (each installed backend in turn)."""

import json
import re
import subprocess
import sys
from datetime import date
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from kiosk.capture.synthetic import PassportData, ReceiptData, passport_page, receipt_page, receipt_photo
from kiosk.config import ReceiptSettings
from kiosk.images import load_image
from kiosk.ocr.receipt.read import ReceiptReader, shrink_to_width
from kiosk.ocr.receipt.values import find_amounts, parse_amount, parse_date
from kiosk.records import RECEIPT_FIELDS

SROIE = Path(__file__).resolve().parents[2] / "shared" / "data" / "receipts"
TODAY = date(2024, 6, 1)

CAFE = ReceiptData(layout="cafe", cash=50.0, date="14-03-18", total_label="GRAND TOTAL", tax_label="GST")
KINA = ReceiptData(
    layout="minimal", vendor="BIG ROOSTER LIMITED", currency="PGK", date="22 MAR 2018", tax_label="GST", tax_rate=0.1
)
EURO = ReceiptData(
    layout="minimal", vendor="CAFE DE FLORE SARL", currency="EUR", date="2018.12.25", tax_label="TVA", tax_rate=0.2, decimal_comma=True
)
LONG = ReceiptData(items=tuple((f"ITEM NUMBER {i}", 1.25 * i) for i in range(1, 26)), date="Mar 22, 2018")


def squash(text):
    return re.sub(r"[^A-Z0-9]", "", str(text).upper())


def reader_for(engine, **settings):
    return ReceiptReader(engine, ReceiptSettings(**settings), today=TODAY)


def assert_reads(record, data, iso_date):
    assert record.status == "ok", (record.reason, record.lines)
    assert record.value("total") == pytest.approx(data.total)
    assert record.value("tax") == pytest.approx(data.tax)
    assert record.value("date") == iso_date
    assert squash(record.value("vendor")) == squash(data.vendor)
    assert record.field("total").confidence > 0.7
    assert record.warnings == ()


def test_a_scanned_receipt(engine):
    data = ReceiptData()
    read = reader_for(engine).read(receipt_page(data))
    assert_reads(read.record, data, "2018-12-25")
    assert read.record.value("subtotal") == pytest.approx(data.subtotal)
    assert read.record.value("currency") == "MYR"
    assert read.straightening == "unchanged" and read.seconds > 0


def test_a_photo_on_a_counter_turned_and_in_perspective(engine):
    photo, _ = receipt_photo(receipt_page(CAFE), angle=-12, perspective=0.06, seed=2)
    read = reader_for(engine).read(photo)
    assert read.straightening == "warped"
    assert_reads(read.record, CAFE, "2018-03-14")
    assert "cash - total = change" in read.record.field("total").reason


def test_a_crumpled_receipt(engine):
    photo, _ = receipt_photo(receipt_page(CAFE), angle=-6, crumple=0.8, seed=2)
    assert_reads(reader_for(engine).read(photo).record, CAFE, "2018-03-14")


def test_a_kina_receipt_lying_the_other_way_round(engine):
    photo, _ = receipt_photo(receipt_page(KINA), angle=95, perspective=0.08, seed=3)
    record = reader_for(engine).read(photo).record
    assert_reads(record, KINA, "2018-03-22")
    assert record.value("currency") == "PGK"


def test_a_euro_receipt_with_decimal_commas(engine):
    photo, _ = receipt_photo(receipt_page(EURO), angle=-4, seed=5)
    record = reader_for(engine).read(photo).record
    assert_reads(record, EURO, "2018-12-25")
    assert record.value("currency") == "EUR"


@pytest.mark.parametrize(
    "data, iso_date, currency",
    [
        (ReceiptData(layout="summary", cash=50.0, tax_label="GST", vendor="MAJU HARDWARE ENTERPRISE", date="07-02-18"), "2018-02-07", "MYR"),
        (ReceiptData(layout="summary", tax_label="VAT", tax_rate=0.2, currency="GBP", vendor="CORNER SHOP LTD", date="2019-11-03"), "2019-11-03", "GBP"),
        (ReceiptData(layout="cafe", tax_label="SST", tax_rate=0.08, vendor="KEDAI MAKAN AH SENG", date="01/09/2023"), "2023-09-01", "MYR"),
    ],
    ids=["gst-summary-table", "vat-included", "sst-payable"],
)
def test_the_tax_is_read_in_each_layout_and_adds_up(engine, data, iso_date, currency):
    photo, _ = receipt_photo(receipt_page(data), angle=-5, seed=4)
    record = reader_for(engine).read(photo).record
    assert_reads(record, data, iso_date)  # total and tax right, no contradiction
    assert record.value("currency") == currency
    assert "subtotal + tax = total" in record.field("tax").reason  # the tax is proven by the receipt's arithmetic


def test_a_long_receipt_running_off_the_photo(engine):
    photo, corners = receipt_photo(receipt_page(LONG, width=560), angle=3, seed=6)
    photo = photo[int(corners[:, 1].min()) + 30 : int(corners[:, 1].max()) - 30]  # paper cut at top and bottom
    record = reader_for(engine).read(photo).record
    assert_reads(record, LONG, "2018-03-22")
    assert "items add up" in record.field("total").reason


def test_small_print_filling_a_large_page_is_found_line_by_line(engine):
    """Text is looked for on the page shrunk; print too small for that is looked for again at full size."""
    page = receipt_page(ReceiptData(), width=640)
    one = reader_for(engine).read(page).record
    sheet = np.concatenate([np.concatenate([page] * 4, axis=1)] * 4, axis=0)  # 16 copies: print 7 px high at 800 px across
    record = reader_for(engine).read(sheet).record
    assert sum(len(find_amounts(row)) for row in record.lines) == 16 * sum(len(find_amounts(row)) for row in one.lines)
    assert record.value("total") == pytest.approx(ReceiptData().total)


def test_exif_orientation_is_applied_before_reading(engine, tmp_path):
    data = ReceiptData()
    sideways = cv2.rotate(receipt_page(data), cv2.ROTATE_90_COUNTERCLOCKWISE)
    image = Image.fromarray(cv2.cvtColor(sideways, cv2.COLOR_BGR2RGB))
    exif = image.getexif()
    exif[0x0112] = 6  # "turn 90 degrees clockwise to display"
    path = tmp_path / "phone.jpg"
    image.save(path, exif=exif, quality=92)
    assert_reads(reader_for(engine).read(load_image(path)).record, data, "2018-12-25")


def blank_page():
    return np.full((1100, 800, 3), 252, np.uint8)


def shapes_photo():
    rng = np.random.default_rng(1)
    photo = np.full((600, 800, 3), 40, np.uint8)
    for _ in range(40):
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.circle(photo, tuple(int(c) for c in rng.integers(0, 800, 2)), int(rng.integers(10, 60)), colour, -1)
    return photo


@pytest.mark.parametrize("make", [blank_page, shapes_photo, lambda: passport_page(PassportData())], ids=["blank", "shapes", "passport"])
def test_what_is_no_receipt_says_so_and_invents_nothing(engine, make):
    record = reader_for(engine).read(make()).record
    assert record.status == "no_receipt", record.lines
    assert record.reason
    assert all(record.value(name) is None for name in RECEIPT_FIELDS)


SROIE_SAMPLE = ["sroie_021.jpg", "sroie_105.jpg", "sroie_153.jpg", "sroie_285.jpg"]


@pytest.mark.skipif(not (SROIE / "labels.json").exists(), reason="shared SROIE receipts not present")
def test_real_scanned_receipts(engine):
    labels = json.loads((SROIE / "labels.json").read_text())
    reader = ReceiptReader(engine, ReceiptSettings())
    for name in SROIE_SAMPLE:
        record = reader.read(load_image(SROIE / name)).record
        label = labels[name]
        assert record.value("total") == pytest.approx(parse_amount(label["total"])), name
        assert record.value("date") == parse_date(label["date"]), name
        assert squash(record.value("vendor")).startswith(squash(label["company"])[:10]), name


def kiosk(*args):
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=600)


def test_scan_receipt_json_lines(tmp_path):
    good = tmp_path / "receipt.jpg"
    cv2.imwrite(str(good), receipt_page(ReceiptData()), [cv2.IMWRITE_JPEG_QUALITY, 90])
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), blank_page())
    corrupt = tmp_path / "corrupt.jpg"
    corrupt.write_bytes(good.read_bytes()[:1500])
    result = kiosk("scan", "receipt", str(good), str(blank), str(corrupt), "--json")
    assert result.returncode == 1  # one file could not be read
    assert "Traceback" not in result.stderr
    first, second, third = (json.loads(line) for line in result.stdout.splitlines())
    assert first["file"] == str(good) and first["status"] == "ok"
    for key in ("vendor", "date", "total", "tax", "subtotal", "currency", "amount"):
        assert set(first[key]) >= {"value", "confidence"}
    assert first["total"]["value"] == pytest.approx(20.03) and first["amount"] == first["total"]
    assert first["date"]["value"] == "2018-12-25" and first["currency"]["value"] == "MYR"
    assert 0 < first["confidence"] <= 1 and first["seconds"] > 0 and first["lines"]
    assert second["status"] == "no_receipt" and second["total"]["value"] is None
    assert third["file"] == str(corrupt) and "damaged" in third["error"]
    assert "damaged" in result.stderr


def test_scan_receipt_for_people(tmp_path):
    good = tmp_path / "receipt.png"
    cv2.imwrite(str(good), receipt_page(ReceiptData()))
    result = kiosk("scan", "receipt", str(good))
    assert result.returncode == 0, result.stderr
    assert f"{good}: ok" in result.stdout
    assert re.search(r"total\s+20\.03", result.stdout)


def test_wide_images_are_shrunk_across_before_ocr_and_narrow_ones_kept():
    wide = np.zeros((2000, 1000, 3), np.uint8)
    assert shrink_to_width(wide, 800).shape[:2] == (1600, 800)
    assert shrink_to_width(wide, 0) is wide
    narrow = np.zeros((1200, 640, 3), np.uint8)
    assert shrink_to_width(narrow, 800) is narrow


def test_read_width_setting_is_checked():
    from kiosk.errors import ConfigError

    ReceiptSettings(read_width=0).validate()
    with pytest.raises(ConfigError, match="read_width"):
        ReceiptSettings(read_width=100).validate()


def test_json_object_flattens_the_record_fields():
    from kiosk.ocr.receipt.extract import extract_receipt
    from kiosk.ocr.receipt.read import ReceiptRead

    record = extract_receipt(["ACME SDN BHD", "Date: 01/02/2019", "TOTAL RM 5.00"], today=TODAY)
    from kiosk.scan.flow import Scan

    read = ReceiptRead(record, 0.1234)
    out = Scan("receipt", read, read.record, None, None, "file", read.seconds).to_json("a.jpg")
    assert out["file"] == "a.jpg" and out["kind"] == "receipt" and out["seconds"] == 0.123
    assert out["total"]["value"] == 5.0 and "fields" not in out
    assert json.loads(json.dumps(out)) == out
