"""Synthetic documents drawn from code: a passport data page and till receipts.

Used by the demo camera, the self-test, the benchmarks and the tests, so the
app does something real on any machine without shipping personal documents.
Receipts come in several layouts (`ReceiptData.layout`), currencies and date
formats, and `receipt_photo` lays one on a counter as a phone would see it
(turned, in perspective, crumpled, sideways).
The MRZ is set in OCR-B (Debian `fonts-ocr-b`, or `resources/fonts/`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kiosk.images import pil_to_bgr
from kiosk.ocr.mrz.icao import td3_lines

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
    layout: str = "classic"
    """classic (the default till slip), cafe (tax invoice, GST, cash and change), minimal (no subtotal) or
    summary (prices include the tax; a tax summary table under the payment, as Malaysian GST invoices print it)."""
    phone: str = "07-234 5678"
    time: str = "14:32"
    total_label: str = "TOTAL"
    tax_label: str = "SST"
    cash: float | None = None
    """Cash tendered (cafe layout): prints CASH and CHANGE rows."""
    decimal_comma: bool = False
    """Print amounts as 12,50 (minimal layout)."""

    @property
    def tax_included(self) -> bool:
        """Whether the item prices already include the tax (the summary layout)."""
        return self.layout == "summary"

    @property
    def subtotal(self) -> float:
        """The amount before tax."""
        if self.tax_included:
            return round(self.total - self.tax, 2)
        return round(sum(price for _, price in self.items), 2)

    @property
    def tax(self) -> float:
        if self.tax_included:
            return round(self.total * self.tax_rate / (1 + self.tax_rate), 2)
        return round(self.subtotal * self.tax_rate, 2)

    @property
    def total(self) -> float:
        if self.tax_included:
            return round(sum(price for _, price in self.items), 2)
        return round(self.subtotal + self.tax, 2)


def receipt_page(data: ReceiptData = ReceiptData(), width: int = 640) -> np.ndarray:
    """A till receipt on white paper, prices right-aligned, as a BGR image (layout from `data.layout`)."""
    if data.layout != "classic":
        return _receipt_layout(data, width)
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


RECEIPT_LAYOUTS = ("classic", "cafe", "minimal", "summary")


def _money(data: ReceiptData, value: float) -> str:
    text = f"{value:,.2f}"
    return text.replace(",", " ").replace(".", ",") if data.decimal_comma else text


def _receipt_rows(data: ReceiptData) -> list[tuple[str, str, str]]:
    """(left, right, style) rows for the cafe and minimal layouts; style: big, centre or body."""
    if data.layout == "cafe":
        rows = [
            (data.vendor, "", "big"),
            ("TAX INVOICE", "", "centre"),
            (data.address, "", "centre"),
            (f"Tel: {data.phone}", "", "centre"),
            ("GST Reg No: 001234567890", "", "centre"),
            ("", "", "body"),
            (f"Date: {data.date} {data.time}", "", "body"),
            ("Cashier: ANNA   Table 12", "", "body"),
            ("-" * 34, "", "body"),
        ]
        rows += [(f"1 x {name}", _money(data, price), "body") for name, price in data.items]
        rows += [
            ("-" * 34, "", "body"),
            ("Total (Excluding GST):", _money(data, data.subtotal), "body"),
            (f"{data.tax_label} payable ({data.tax_rate * 100:.0f}%):", _money(data, data.tax), "body"),
            (f"{data.total_label}:", f"{data.currency} {_money(data, data.total)}".strip(), "big"),
        ]
        if data.cash is not None:
            rows += [("CASH", _money(data, data.cash), "body"), ("CHANGE", _money(data, data.cash - data.total), "body")]
        rows += [("", "", "body"), ("Thank you & please come again", "", "centre")]
        return rows
    if data.layout == "minimal":
        rows = [(data.vendor, "", "big"), (data.address, "", "centre"), (f"{data.date}  {data.time}", "", "body"), ("", "", "body")]
        rows += [(name, _money(data, price), "body") for name, price in data.items]
        rows += [
            ("", "", "body"),
            (data.total_label, f"{data.currency} {_money(data, data.total)}".strip(), "big"),
            (f"incl. {data.tax_label} {data.tax_rate * 100:.0f}%", _money(data, data.tax), "body"),
            ("", "", "body"),
            ("THANK YOU", "", "centre"),
        ]
        return rows
    if data.layout == "summary":
        rate = f"{data.tax_rate * 100:.0f}%"
        rows = [
            (data.vendor, "", "big"),
            (data.address, "", "centre"),
            (f"{data.tax_label} ID: 000123456789", "", "centre"),
            ("TAX INVOICE", "", "centre"),
            (f"{data.date} {data.time}  INV 18301/102", "", "body"),
        ]
        rows += [(name, f"{_money(data, price)} SR", "body") for name, price in data.items]
        rows += [
            (f"Total Qty: {len(data.items)}", "", "body"),
            (f"Total Sales (Incl. {data.tax_label})", f"{data.currency} {_money(data, data.total)}".strip(), "body"),
        ]
        if data.cash is not None:
            rows += [("CASH", _money(data, data.cash), "body"), ("CHANGE", _money(data, data.cash - data.total), "body")]
        rows += [
            (f"{data.tax_label} Summary  Amount  Tax", "", "body"),
            (f"SR @ {rate}   {_money(data, data.subtotal)}", _money(data, data.tax), "body"),
            ("", "", "body"),
            ("Goods sold are not returnable", "", "centre"),
        ]
        return rows
    raise ValueError(f"unknown receipt layout {data.layout!r}; choose from {', '.join(RECEIPT_LAYOUTS)}")


def _receipt_layout(data: ReceiptData, width: int) -> np.ndarray:
    unit = width / 640
    faces = {"body": font("mono", int(24 * unit)), "centre": font("mono", int(22 * unit)), "big": font("mono", int(30 * unit))}
    rows = _receipt_rows(data)
    margin = int(36 * unit)
    line_height = int(42 * unit)
    page = Image.new("RGB", (width, margin * 2 + line_height * len(rows)), (250, 250, 246))
    draw = ImageDraw.Draw(page)
    for i, (left, right, style) in enumerate(rows):
        face = faces[style]
        y = margin + i * line_height
        if style in ("big", "centre") and not right:
            x = max(margin / 2, (width - face.getlength(left)) / 2)
        else:
            x = margin
        draw.text((x, y), left, font=face, fill=(25, 25, 25))
        if right:
            draw.text((width - margin - face.getlength(right), y), right, font=face, fill=(25, 25, 25))
    return pil_to_bgr(page)


def receipt_photo(
    page: np.ndarray,
    angle: float = 8.0,
    perspective: float = 0.06,
    crumple: float = 0.0,
    quarter_turns: int = 0,
    background: tuple[int, int, int] = (60, 72, 84),
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray]:
    """A phone-style photo of `page` on a darker counter, and the paper's corners in it (tl, tr, br, bl).

    `angle` turns the paper (degrees), `perspective` skews its corners (share
    of its size), `crumple` (0-1) bends the paper with soft folds and shading,
    `quarter_turns` lays it sideways (clockwise). Light falls off across the
    photo and sensor noise is added.
    """
    rng = np.random.default_rng(seed)
    paper = page.astype(np.float32)
    ph, pw = paper.shape[:2]
    if crumple > 0:
        paper = _crumple(paper, crumple, rng)
    if quarter_turns % 4:
        paper = np.ascontiguousarray(np.rot90(paper, k=-(quarter_turns % 4)))
        ph, pw = paper.shape[:2]
    side = int(max(ph, pw) * 1.45)
    canvas_h, canvas_w = side, int(side * 0.8) if ph >= pw else int(side * 1.25)
    yy, xx = np.mgrid[0:canvas_h, 0:canvas_w].astype(np.float32)
    grain = cv2.GaussianBlur(rng.normal(0, 1, (canvas_h, canvas_w)).astype(np.float32), (0, 0), 3) * 25
    counter = np.empty((canvas_h, canvas_w, 3), np.float32)
    for c in range(3):
        counter[:, :, c] = background[c] + grain + 10 * np.sin(xx / 37.0)
    centre = np.float32([canvas_w / 2, canvas_h / 2])
    corners = np.float32([[-pw / 2, -ph / 2], [pw / 2, -ph / 2], [pw / 2, ph / 2], [-pw / 2, ph / 2]])
    theta = np.deg2rad(angle)
    rotation = np.float32([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    corners = corners @ rotation.T
    corners += rng.uniform(-perspective, perspective, (4, 2)).astype(np.float32) * np.float32([pw, ph])
    corners += centre
    source = np.float32([[0, 0], [pw - 1, 0], [pw - 1, ph - 1], [0, ph - 1]])
    matrix = cv2.getPerspectiveTransform(source, corners)
    warped = cv2.warpPerspective(paper, matrix, (canvas_w, canvas_h), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(np.ones((ph, pw), np.float32), matrix, (canvas_w, canvas_h), flags=cv2.INTER_LINEAR)
    shadow = cv2.GaussianBlur(cv2.warpAffine(mask, np.float32([[1, 0, 8], [0, 1, 10]]), (canvas_w, canvas_h)), (0, 0), 9)
    counter *= 1 - 0.45 * shadow[:, :, None]
    photo = counter * (1 - mask[:, :, None]) + warped * mask[:, :, None]
    light = 1.05 - 0.3 * ((xx / canvas_w - 0.3) ** 2 + (yy / canvas_h - 0.2) ** 2)
    photo = photo * light[:, :, None] + rng.normal(0, 3.0, photo.shape).astype(np.float32)
    photo = cv2.GaussianBlur(photo, (3, 3), 0.6)
    return np.clip(photo, 0, 255).astype(np.uint8), corners


def _crumple(paper: np.ndarray, strength: float, rng: np.random.Generator) -> np.ndarray:
    """Soft random folds: a smooth displacement of the page and shading along the folds."""
    h, w = paper.shape[:2]
    coarse = rng.normal(0, 1, (max(2, h // 90), max(2, w // 90), 2)).astype(np.float32)
    field = cv2.resize(coarse, (w, h), interpolation=cv2.INTER_CUBIC) * (4.0 * strength)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float32)
    bent = cv2.remap(paper, xx + field[:, :, 0], yy + field[:, :, 1], cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    shade = cv2.Sobel(field[:, :, 0] + field[:, :, 1], cv2.CV_32F, 1, 1, ksize=5)
    shade = 1.0 - np.clip(np.abs(shade) / (np.abs(shade).max() + 1e-6), 0, 1) * 0.25 * strength
    return bent * shade[:, :, None]
