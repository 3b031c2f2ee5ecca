"""Synthetic documents drawn from code: a passport data page and a till receipt.

Used by the demo camera, the self-test, the benchmarks and the tests, so the
app does something real on any machine without shipping personal documents.
The MRZ is set in OCR-B (Debian `fonts-ocr-b`, or `resources/fonts/`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kiosk.images import pil_to_bgr
from kiosk.ocr.icao import td3_lines

RESOURCE_FONTS = Path(__file__).resolve().parents[2] / "resources" / "fonts"
FONT_CANDIDATES = {
    "ocrb": [RESOURCE_FONTS / "OCRB.otf", Path("/usr/share/fonts/opentype/ocr-b/OCRB.otf")],
    "mono": [
        RESOURCE_FONTS / "DejaVuSansMono.ttf",
        Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"),
    ],
    "sans": [RESOURCE_FONTS / "DejaVuSans.ttf", Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")],
}


class FontMissing(RuntimeError):
    pass


@lru_cache(maxsize=32)
def font(kind: str, size: int) -> ImageFont.FreeTypeFont:
    for path in FONT_CANDIDATES[kind]:
        if path.exists():
            return ImageFont.truetype(str(path), size)
    names = ", ".join(str(p) for p in FONT_CANDIDATES[kind])
    raise FontMissing(f"font {kind!r} not found (looked in {names}); run scripts/setup.sh")


@dataclass(frozen=True)
class PassportData:
    surname: str = "ERIKSSON"
    given_names: str = "ANNA MARIA"
    number: str = "L898902C3"
    nationality: str = "UTO"
    issuing_state: str = "UTO"
    birth_date: str = "740812"
    sex: str = "F"
    expiry_date: str = "320415"
    personal_number: str = "ZE184226B"

    def mrz(self) -> tuple[str, str]:
        return td3_lines(
            document_type="P",
            issuing_state=self.issuing_state,
            surname=self.surname,
            given_names=self.given_names,
            number=self.number,
            nationality=self.nationality,
            birth_date=self.birth_date,
            sex=self.sex,
            expiry_date=self.expiry_date,
            personal_number=self.personal_number,
        )


def passport_page(data: PassportData = PassportData(), width: int = 1250) -> np.ndarray:
    """A TD3 data page (125 x 88 mm proportions) as a BGR image, MRZ at the bottom."""
    height = int(width * 88 / 125)
    unit = width / 1250
    page = Image.new("RGB", (width, height), (236, 240, 232))
    draw = ImageDraw.Draw(page)
    for y in range(0, height, max(1, int(14 * unit))):
        draw.line([(0, y), (width, y + 40 * unit)], fill=(226, 232, 224), width=1)
    draw.text((40 * unit, 28 * unit), "PASSPORT / PASSEPORT", font=font("sans", int(34 * unit)), fill=(40, 50, 90))
    draw.text((760 * unit, 28 * unit), f"Type P   Code {data.issuing_state}", font=font("sans", int(26 * unit)), fill=(40, 50, 90))
    draw.rectangle([40 * unit, 100 * unit, 330 * unit, 500 * unit], fill=(200, 205, 210), outline=(120, 120, 130), width=2)
    draw.ellipse([120 * unit, 160 * unit, 250 * unit, 300 * unit], fill=(170, 160, 150))
    draw.rectangle([95 * unit, 310 * unit, 275 * unit, 500 * unit], fill=(170, 160, 150))
    labels = [
        ("Surname", data.surname),
        ("Given names", data.given_names),
        ("Nationality", data.nationality),
        ("Date of birth", f"{data.birth_date[4:]}.{data.birth_date[2:4]}.{data.birth_date[:2]}"),
        ("Sex", data.sex),
        ("Date of expiry", f"{data.expiry_date[4:]}.{data.expiry_date[2:4]}.{data.expiry_date[:2]}"),
        ("Passport No.", data.number),
    ]
    y = 100 * unit
    for label, value in labels:
        draw.text((370 * unit, y), label, font=font("sans", int(18 * unit)), fill=(90, 90, 110))
        draw.text((370 * unit, y + 20 * unit), value, font=font("sans", int(28 * unit)), fill=(20, 20, 30))
        y += 60 * unit
    mrz_font = _fit_font("ocrb", "<" * 44, width - 2 * int(45 * unit))
    line_height = mrz_font.size * 1.45
    top = height - 2 * line_height - 30 * unit
    for i, line in enumerate(data.mrz()):
        draw.text((45 * unit, top + i * line_height), line, font=mrz_font, fill=(15, 15, 20))
    return pil_to_bgr(page)


def _fit_font(kind: str, sample: str, width: float) -> ImageFont.FreeTypeFont:
    size = 10
    while font(kind, size + 1).getlength(sample) <= width:
        size += 1
    return font(kind, size)


@dataclass(frozen=True)
class ReceiptData:
    vendor: str = "GREEN LEAF CAFE SDN BHD"
    address: str = "12 JALAN TAMPOI, 81200 JOHOR BAHRU"
    date: str = "25/12/2018"
    currency: str = "RM"
    items: tuple[tuple[str, float], ...] = field(
        default=(("FLAT WHITE", 9.50), ("CROISSANT", 6.90), ("MINERAL WATER", 2.50))
    )
    tax_rate: float = 0.06

    @property
    def subtotal(self) -> float:
        return round(sum(price for _, price in self.items), 2)

    @property
    def tax(self) -> float:
        return round(self.subtotal * self.tax_rate, 2)

    @property
    def total(self) -> float:
        return round(self.subtotal + self.tax, 2)


def receipt_page(data: ReceiptData = ReceiptData(), width: int = 640) -> np.ndarray:
    """A till receipt on white paper, prices right-aligned, as a BGR image."""
    unit = width / 640
    body = font("mono", int(24 * unit))
    big = font("mono", int(30 * unit))
    margin = int(36 * unit)
    rows: list[tuple[str, str, ImageFont.FreeTypeFont, bool]] = [
        (data.vendor, "", big, True),
        (data.address, "", body, True),
        ("TEL: 07-234 5678", "", body, True),
        ("", "", body, False),
        (f"DATE: {data.date}   TIME: 14:32", "", body, False),
        ("-" * 34, "", body, False),
    ]
    rows += [(name, f"{price:.2f}", body, False) for name, price in data.items]
    rows += [
        ("-" * 34, "", body, False),
        ("SUBTOTAL", f"{data.subtotal:.2f}", body, False),
        (f"SST {data.tax_rate * 100:.0f}%", f"{data.tax:.2f}", body, False),
        ("TOTAL", f"{data.currency} {data.total:.2f}", big, False),
        ("", "", body, False),
        ("THANK YOU, PLEASE COME AGAIN", "", body, True),
    ]
    line_height = int(42 * unit)
    height = margin * 2 + line_height * len(rows)
    page = Image.new("RGB", (width, height), (250, 250, 246))
    draw = ImageDraw.Draw(page)
    for i, (left, right, face, centred) in enumerate(rows):
        y = margin + i * line_height
        if centred:
            x = (width - face.getlength(left)) / 2
            draw.text((max(margin / 2, x), y), left, font=face, fill=(25, 25, 25))
        else:
            draw.text((margin, y), left, font=face, fill=(25, 25, 25))
        if right:
            draw.text((width - margin - face.getlength(right), y), right, font=face, fill=(25, 25, 25))
    return pil_to_bgr(page)
