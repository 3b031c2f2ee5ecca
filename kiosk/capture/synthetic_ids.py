"""Random synthetic identity documents of every MRZ format, photographed badly.

`random_document(rng)` draws a made-up identity and lays it out as a TD1 card,
a TD2 card, a TD3 passport page, or an MRV-A / MRV-B visa, with the MRZ set in
OCR-B. `photograph(page, rng)` puts it on a desk and spoils it the way
counters do: rotation (including 90/180 degrees), skew and perspective, blur,
noise, uneven light, low resolution and JPEG. Used by the MRZ evaluation set
(`bench/mrz_set.py`) and the tests; the names are invented and the state
codes real, so nothing here is anyone's personal data.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kiosk.capture.synthetic import _fit_font, font
from kiosk.images import pil_to_bgr
from kiosk.ocr.mrz.icao import td1_lines, td2_lines, td3_lines

FORMATS = ("TD1", "TD2", "TD3", "MRVA", "MRVB")
SIZES_MM = {"TD1": (85.6, 54.0), "TD2": (105.0, 74.0), "TD3": (125.0, 88.0), "MRVA": (125.0, 88.0), "MRVB": (105.0, 74.0)}
SURNAMES = (
    "ERIKSSON", "NGUYEN", "OKONKWO-BAPTISTE", "MULLER", "DE LA CRUZ", "O'BRIEN", "WANJIKU", "SILVA SANTOS",
    "KOWALCZYK", "TAN", "VAN DER BERG", "ABDULRAHMAN", "LI", "PAPADOPOULOS", "MBEKI", "HERNANDEZ GARCIA",
)
GIVEN = ("ANNA MARIA", "JOHN", "CHIMAMANDA", "LUCAS", "MARIA JOSE", "SEAN PATRICK", "AMINA", "WEI", "NIKOS", "JOAO", "YUKI", "OLUWASEUN ADE")
STATES = ("UTO", "D", "GBR", "FRA", "USA", "NLD", "MYS", "PHL", "PNG", "NGA", "KEN", "BRA", "JPN", "GBD", "UNO", "XXA", "EUE", "CAN", "AUS", "IND")
ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"


@dataclass(frozen=True)
class Document:
    """One made-up document: its format, exact MRZ lines, and the rendered page (BGR)."""

    format: str
    mrz_lines: tuple[str, ...]
    page: np.ndarray

    @property
    def mrz_char_px(self) -> float:
        """How tall an MRZ capital is on the page, in the page's pixels."""
        top, bottom = mrz_font(len(self.mrz_lines[0]), self.page.shape[1]).getbbox("H")[1::2]
        return float(bottom - top)


def _yymmdd(rng: np.random.Generator, first_year: int, last_year: int) -> str:
    year = int(rng.integers(first_year, last_year + 1))
    return f"{year % 100:02d}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 29)):02d}"


def _code(rng: np.random.Generator, length: int, letters_first: int = 1) -> str:
    head = "".join(rng.choice(list(ALNUM[:26]), letters_first))
    return head + "".join(rng.choice(list(ALNUM), length - letters_first))


def random_mrz(rng: np.random.Generator, fmt: str) -> tuple[str, ...]:
    """Valid MRZ lines of `fmt` for a random identity."""
    common = dict(
        issuing_state=str(rng.choice(STATES)),
        surname=str(rng.choice(SURNAMES)),
        given_names=str(rng.choice(GIVEN)),
        nationality=str(rng.choice(STATES)),
        birth_date=_yymmdd(rng, 1950, 2015),
        sex=str(rng.choice(["M", "F", "<"], p=[0.45, 0.45, 0.1])),
        expiry_date=_yymmdd(rng, 2018, 2036),
    )
    if fmt == "TD1":
        number = _code(rng, 12 if rng.random() < 0.15 else 9, 2)
        optional = "" if rng.random() < 0.5 else _code(rng, 5)
        return td1_lines(document_type=str(rng.choice(["I", "ID", "AC"])), number=number, optional_1=optional, **common)
    if fmt in ("TD2", "MRVB"):
        doc_type = "V" if fmt == "MRVB" else str(rng.choice(["I", "ID", "IR"]))
        line1, line2 = td2_lines(document_type=doc_type, number=_code(rng, 9, 2), **common)
        if fmt == "MRVB":
            optional = _code(rng, 8) if rng.random() < 0.5 else ""
            line2 = line2[:28] + optional.ljust(8, "<")
        return line1, line2
    doc_type = "V" if fmt == "MRVA" else str(rng.choice(["P", "PP", "PD"]))
    personal = "" if rng.random() < 0.3 else _code(rng, int(rng.integers(6, 15)))
    line1, line2 = td3_lines(document_type=doc_type, number=_code(rng, 9, 1), personal_number=personal, **common)
    if fmt == "MRVA":
        line2 = line2[:28] + personal.ljust(16, "<")[:16]
    return line1, line2


def spoil_check_digit(lines: tuple[str, ...], rng: np.random.Generator) -> tuple[str, ...]:
    """The same MRZ with one check digit changed: a document that must never read as valid."""
    fmt_positions = {44: [(1, 9), (1, 19), (1, 27)], 36: [(1, 9), (1, 19), (1, 27)], 30: [(0, 14), (1, 6), (1, 14)]}
    row, col = fmt_positions[len(lines[0])][int(rng.integers(0, 3))]
    chars = list(lines[row])
    chars[col] = str((int(chars[col]) + int(rng.integers(1, 10))) % 10) if chars[col].isdigit() else "1"
    out = list(lines)
    out[row] = "".join(chars)
    return tuple(out)


def render_document(fmt: str, lines: tuple[str, ...], rng: np.random.Generator, width: int = 1250) -> np.ndarray:
    """A plain document page of `fmt`'s proportions with some printed text and the MRZ at the bottom."""
    w_mm, h_mm = SIZES_MM[fmt]
    height = int(width * h_mm / w_mm)
    unit = width / 1250
    tint = tuple(int(v) for v in rng.integers(215, 245, 3))
    page = Image.new("RGB", (width, height), tint)
    draw = ImageDraw.Draw(page)
    ink = (40, 50, 90)
    for y in range(0, height, max(1, int(18 * unit))):
        draw.line([(0, y), (width, y + 30 * unit)], fill=tuple(max(0, t - 10) for t in tint), width=1)
    title = {"TD1": "IDENTITY CARD", "TD2": "RESIDENCE PERMIT", "TD3": "PASSPORT", "MRVA": "VISA", "MRVB": "VISA"}[fmt]
    draw.text((40 * unit, 24 * unit), title, font=font("sans", int(40 * unit)), fill=ink)
    draw.rectangle([40 * unit, 100 * unit, 300 * unit, 420 * unit], fill=(195, 200, 205), outline=(120, 120, 130))
    for i, label in enumerate(("Surname", "Given names", "Nationality", "Date of birth", "Valid until")):
        y = (100 + 64 * i) * unit
        draw.text((340 * unit, y), label, font=font("sans", int(20 * unit)), fill=(90, 90, 110))
        draw.text((340 * unit, y + 24 * unit), _code(rng, 8), font=font("sans", int(28 * unit)), fill=(20, 20, 30))
    ocrb = mrz_font(len(lines[0]), width)
    line_height = ocrb.size * 1.4
    top = height - len(lines) * line_height - 30 * unit
    for i, line in enumerate(lines):
        draw.text((50 * unit, top + i * line_height), line, font=ocrb, fill=(15, 15, 20))
    return pil_to_bgr(page)


def mrz_font(chars: int, page_width: int) -> ImageFont.FreeTypeFont:
    """OCR-B at the size that fits a line of `chars` characters between the page's margins."""
    unit = page_width / 1250
    return _fit_font("ocrb", "<" * chars, page_width - 2 * int(50 * unit))


def random_document(rng: np.random.Generator, fmt: str | None = None, valid: bool = True) -> Document:
    fmt = fmt or str(rng.choice(FORMATS))
    lines = random_mrz(rng, fmt)
    if not valid:
        lines = spoil_check_digit(lines, rng)
    return Document(fmt, lines, render_document(fmt, lines, rng))


def desk(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A textured counter top."""
    base = rng.integers(40, 150, 3).astype(np.float32)
    noise = cv2.resize(rng.normal(0, 18, (height // 16 + 1, width // 16 + 1, 3)).astype(np.float32), (width, height))
    return np.clip(base + noise, 0, 255).astype(np.uint8)


def photograph(page: np.ndarray, rng: np.random.Generator, hard: bool = False) -> np.ndarray:
    """The page on a desk, taken by a mediocre camera: see the module docstring."""
    return photograph_scaled(page, rng, hard)[0]


def photograph_scaled(page: np.ndarray, rng: np.random.Generator, hard: bool = False) -> tuple[np.ndarray, float]:
    """`photograph`, and the scale from page to photo (before perspective): the evaluation sorts reads by print size."""
    doc_width = int(rng.choice([420, 700, 1000, 1400]) if not hard else rng.choice([300, 500, 800, 1600]))
    scale = doc_width / page.shape[1]
    doc = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    h, w = doc.shape[:2]
    canvas_w, canvas_h = int(w * rng.uniform(1.15, 1.6)), int(h * rng.uniform(1.2, 1.9))
    angle = np.deg2rad(rng.uniform(-8, 8) if not hard else rng.uniform(-15, 15))
    persp = rng.uniform(-0.05, 0.05, (4, 2)) * [w, h] if rng.random() < 0.6 else np.zeros((4, 2))
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    centre = np.array([canvas_w / 2, canvas_h / 2]) + rng.uniform(-0.05, 0.05, 2) * [canvas_w, canvas_h]
    rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    dst = np.float32([centre + rot @ (p - [w / 2, h / 2]) for p in (src + persp)])
    matrix = cv2.getPerspectiveTransform(src, dst)
    background = desk(rng, canvas_w, canvas_h)
    image = cv2.warpPerspective(doc, matrix, (canvas_w, canvas_h), dst=background, borderMode=cv2.BORDER_TRANSPARENT)
    light = np.linspace(rng.uniform(0.7, 1.0), rng.uniform(0.9, 1.15), canvas_w, dtype=np.float32)[None, :, None]
    image = image.astype(np.float32) * light
    sigma = rng.uniform(0.0, 1.2 if not hard else 1.8)
    if sigma > 0.3:
        image = cv2.GaussianBlur(image, (0, 0), sigma)
    image += rng.normal(0, rng.uniform(2, 8 if not hard else 14), image.shape)
    image = np.clip(image, 0, 255).astype(np.uint8)
    turn = rng.choice([None, cv2.ROTATE_90_CLOCKWISE, cv2.ROTATE_180, cv2.ROTATE_90_COUNTERCLOCKWISE], p=[0.7, 0.1, 0.1, 0.1])
    if turn is not None:
        image = cv2.rotate(image, int(turn))
    ok, encoded = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(55 if hard else 70, 95))])
    return cv2.imdecode(encoded, cv2.IMREAD_COLOR), scale

