"""Rebuilding printed rows from OCR boxes: prices join their labels, currencies their amounts."""

import math

from kiosk.ocr.receipt.lines import Row, build_rows, rows_from_text, skew_angle
from kiosk.ocr.engine.types import TextLine


def box(x0, y0, x1, y1, angle=0.0, origin=(0.0, 0.0)):
    """A TextLine box, optionally turned by `angle` radians around `origin`."""
    points = [(x0, y0), (x1, y0), (x1, y1), (x0, y1)]
    cos, sin = math.cos(angle), math.sin(angle)
    ox, oy = origin
    return tuple((ox + (x - ox) * cos - (y - oy) * sin, oy + (x - ox) * sin + (y - oy) * cos) for x, y in points)


def line(text, x0, y0, x1, y1, confidence=0.95, angle=0.0):
    return TextLine(text, confidence, box(x0, y0, x1, y1, angle), ())


RECEIPT = [
    ("GREEN LEAF CAFE", 150, 20, 450, 50),
    ("FLAT WHITE", 30, 100, 200, 124),
    ("9.50", 520, 101, 580, 125),
    ("CROISSANT", 30, 140, 190, 164),
    ("6.90", 520, 141, 580, 165),
    ("TOTAL", 30, 180, 120, 206),
    ("RM", 450, 181, 490, 205),
    ("16.40", 505, 181, 580, 205),
]


def texts(rows):
    return [row.text.replace("  ", " ") for row in rows]


def test_right_aligned_prices_join_the_label_on_their_row():
    rows = build_rows([line(*spec) for spec in RECEIPT])
    assert texts(rows) == ["GREEN LEAF CAFE", "FLAT WHITE 9.50", "CROISSANT 6.90", "TOTAL RM 16.40"]


def test_a_currency_code_split_off_its_price_joins_it_again():
    rows = build_rows([line(*spec) for spec in RECEIPT])
    assert [cell.text for cell in rows[-1].cells] == ["TOTAL", "RM 16.40"]
    rows = build_rows([line("Total Sales (Inclusive GST) RM", 30, 10, 400, 34), line("9.90", 520, 10, 580, 34)])
    assert [cell.text for cell in rows[0].cells] == ["Total Sales (Inclusive GST)", "RM 9.90"]


def test_the_order_of_boxes_does_not_matter():
    shuffled = [line(*spec) for spec in reversed(RECEIPT)]
    assert texts(build_rows(shuffled)) == texts(build_rows([line(*spec) for spec in RECEIPT]))


def test_a_skewed_page_keeps_far_prices_on_their_row():
    angle = math.radians(6)  # 600 px wide rows drift ~60 px: more than a line height
    lines = [TextLine(text, 0.95, box(x0, y0, x1, y1, angle), ()) for text, x0, y0, x1, y1 in RECEIPT]
    lines += [TextLine("WELCOME BACK TO OUR CAFE", 0.95, box(40, 250, 560, 276, angle), ())]
    assert abs(skew_angle(lines) - angle) < math.radians(1)
    assert texts(build_rows(lines))[:4] == ["GREEN LEAF CAFE", "FLAT WHITE 9.50", "CROISSANT 6.90", "TOTAL RM 16.40"]


def test_a_page_read_upside_down_is_put_back_in_reading_order():
    # The engine turned each line image but left the boxes where they were on the upside-down page.
    width, height = 600, 240
    flipped = [
        TextLine(text, 0.95, box(width - x1, height - y1, width - x0, height - y0), ())
        for text, x0, y0, x1, y1 in RECEIPT
    ]
    assert texts(build_rows(flipped)) == ["GREEN LEAF CAFE", "FLAT WHITE 9.50", "CROISSANT 6.90", "TOTAL RM 16.40"]


def test_rows_from_plain_text():
    rows = rows_from_text(["TOTAL  4.90", "", "CASH 5.00"], confidence=0.8)
    assert [r.text for r in rows] == ["TOTAL  4.90", "CASH 5.00"]
    assert rows[0].confidence == 0.8
    assert Row.from_text("x").cells[0].confidence == 1.0


def test_no_boxes_no_rows():
    assert build_rows([]) == []
    assert build_rows([line("   ", 0, 0, 10, 10)]) == []
