"""Training rows for the MRZ row recogniser: OCR-B MRZ lines rendered and spoiled the way documents and cameras spoil them.

Each sample is one MRZ row as the reader crops it (`kiosk.ocr.mrz.read`: an ink
row of the band with a little of its neighbours, or a line finder's box),
prepared by `kiosk.ocr.mrz.row_input.row_input`, and its text.

Text: valid TD1/TD2/TD3/MRV lines for random identities (names made of random
syllables, every ISO 3166 and ICAO state code, random document numbers and
dates), lines with a spoiled check digit, and MRZ-like random strings, so the
model learns characters and not the lines of one generator.

Spoiling, each with its own probability: capitals from 5 to 40 px; letter
spacing and stroke weight; neighbouring rows bleeding in; tilt and perspective;
guilloche, gradient and speckled backgrounds; laser, inkjet and thermal print
textures; stamps, watermarks, a pen line and glare over the zone; defocus and
motion blur; sensor noise; under- and over-exposure; JPEG down to quality 40.
Only numpy, OpenCV and Pillow: no kiosk dependency beyond `row_input` and the
ICAO tables.
"""

from __future__ import annotations

import string
from functools import lru_cache
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

from kiosk.countries import ICAO_SPECIAL, ISO_ALPHA3
from kiosk.ocr.mrz.icao import td1_lines, td2_lines, td3_lines
from kiosk.ocr.mrz.row_input import ALPHABET, row_input

OCRB_DIR = Path("/usr/share/fonts/opentype/ocr-b")
OCRB_FACES = ("OCRB.otf", "OCRBS.otf")
OTHER_MONO = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf"), Path("/usr/share/fonts/truetype/dejavu/DejaVuSansMono-Bold.ttf"))
"""A few documents print their MRZ in a font that is not quite OCR-B: a little of this keeps the model from needing it exactly."""
STATES = tuple(sorted(ISO_ALPHA3 | set(ICAO_SPECIAL)))
CONSONANTS = "BCDFGHJKLMNPRSTVWZ"
VOWELS = "AEIOUY"
ALNUM = string.ascii_uppercase + string.digits
WIDTHS = (44, 36, 30)


@lru_cache(maxsize=64)
def random_row(rng: np.random.Generator, width: int) -> str:
    """MRZ-like text: letters, digits and filler runs, in the proportions MRZ lines have."""
    out: list[str] = []
    while len(out) < width:
        kind = rng.random()
        if kind < 0.3:
            out += ["<"] * int(rng.integers(1, 12))
        elif kind < 0.6:
            out += list(rng.choice(list(string.ascii_uppercase), int(rng.integers(2, 9))))
        else:
            out += list(rng.choice(list(ALPHABET[:-1]), int(rng.integers(2, 10))))
    return "".join(out[:width])


def _font(path: str, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(path, size)


def font_files() -> list[Path]:
    faces = [OCRB_DIR / f for f in OCRB_FACES if (OCRB_DIR / f).exists()]
    if not faces:
        raise FileNotFoundError("OCR-B font not found; install Debian fonts-ocr-b (scripts/setup.sh does)")
    return faces


def name(rng: np.random.Generator) -> str:
    """A made-up name of 1-3 words of random syllables (none from a list, so none can be memorised)."""
    words = []
    for _ in range(int(rng.choice([1, 1, 2, 2, 3]))):
        syllables = int(rng.integers(1, 5))
        word = "".join(str(rng.choice(list(CONSONANTS))) * (rng.random() < 0.85) + str(rng.choice(list(VOWELS))) for _ in range(syllables))
        if rng.random() < 0.4:
            word += str(rng.choice(list(CONSONANTS)))
        words.append(word)
    return " ".join(words)


def _date(rng: np.random.Generator) -> str:
    return f"{int(rng.integers(0, 100)):02d}{int(rng.integers(1, 13)):02d}{int(rng.integers(1, 32)):02d}"


def _code(rng: np.random.Generator, length: int) -> str:
    return "".join(str(rng.choice(list(ALNUM))) for _ in range(length))


def mrz_lines(rng: np.random.Generator) -> tuple[str, ...]:
    """The lines of a random document of a random format (check digits right)."""
    fields = dict(
        issuing_state=str(rng.choice(STATES)),
        surname=name(rng),
        given_names=name(rng) if rng.random() < 0.95 else "",
        nationality=str(rng.choice(STATES)),
        birth_date=_date(rng),
        sex=str(rng.choice(["M", "F", "<", "X"], p=[0.45, 0.45, 0.07, 0.03])),
        expiry_date=_date(rng),
    )
    kind = rng.random()
    number = _code(rng, int(rng.choice([8, 9, 9, 9, 12])))
    if kind < 0.35:
        return td1_lines(document_type=str(rng.choice(["I", "ID", "AC", "IR", "C"])), number=number, optional_1=_code(rng, int(rng.integers(0, 8))), **fields)
    if kind < 0.55:
        return td2_lines(document_type=str(rng.choice(["I", "ID", "V", "IR"])), number=number[:9], optional=_code(rng, int(rng.integers(0, 7))), **fields)
    return td3_lines(document_type=str(rng.choice(["P", "P", "PP", "PD", "V"])), number=number[:9], personal_number=_code(rng, int(rng.integers(0, 14))), **fields)


def row_texts(rng: np.random.Generator) -> tuple[str, str, str]:
    """The row to read and its neighbours above and below ('' where there is none).

    A few rows are empty (paper, guilloche, a neighbour's edge): the model must read nothing there."""
    if rng.random() < 0.04:
        return (random_row(rng, int(rng.choice(WIDTHS))) if rng.random() < 0.5 else ""), "", ""
    if rng.random() < 0.7:
        lines = list(mrz_lines(rng))
        if rng.random() < 0.1:
            i = int(rng.integers(0, len(lines)))
            digits = [k for k, c in enumerate(lines[i]) if c.isdigit()]
            if digits:
                k = int(rng.choice(digits))
                lines[i] = lines[i][:k] + str((int(lines[i][k]) + 1) % 10) + lines[i][k + 1 :]
        i = int(rng.integers(0, len(lines)))
        above = lines[i - 1] if i > 0 else (_code(rng, 12) + " " + name(rng) if rng.random() < 0.3 else "")
        below = lines[i + 1] if i + 1 < len(lines) else ""
        return above, lines[i], below
    width = int(rng.choice(WIDTHS))
    return random_row(rng, width), random_row(rng, width), random_row(rng, width) if rng.random() < 0.5 else ""


def background(rng: np.random.Generator, height: int, width: int) -> np.ndarray:
    """Paper: plain, a gradient, a guilloche of fine waves, or speckled; grey levels as float32."""
    paper = rng.uniform(140, 250)
    base = np.full((height, width), paper, np.float32)
    kind = rng.random()
    if kind < 0.35:
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        for _ in range(int(rng.integers(2, 6))):
            period = rng.uniform(6, 40)
            phase = rng.uniform(0, 6.3)
            wave = np.sin((xx * np.cos(rng.uniform(0, 3.14)) + yy * rng.uniform(-1, 1)) / period * 6.28 + phase + 3 * np.sin(xx / rng.uniform(30, 200)))
            base -= rng.uniform(4, 30) * (wave > rng.uniform(0.85, 0.97))
    elif kind < 0.6:
        ramp = np.linspace(rng.uniform(-40, 0), rng.uniform(-40, 0), width, dtype=np.float32)
        base += ramp[None, :]
    elif kind < 0.75:
        small = rng.normal(0, rng.uniform(3, 15), (height // 8 + 2, width // 8 + 2)).astype(np.float32)
        base += cv2.resize(small, (width, height))
    return base


def draw_text(rng: np.random.Generator, canvas: Image.Image, text: str, x: float, y: float, font: ImageFont.FreeTypeFont, pitch: float, ink: int) -> None:
    draw = ImageDraw.Draw(canvas)
    jitter = 0.02 * font.size
    for k, char in enumerate(text):
        draw.text((x + k * pitch + rng.normal(0, jitter), y + rng.normal(0, jitter)), char, font=font, fill=ink)


def overlays(rng: np.random.Generator, array: np.ndarray, ink: float) -> np.ndarray:
    """Stamps, a pen line, a watermark and glare over the zone (each sometimes)."""
    height, width = array.shape
    layer = np.zeros_like(array)
    if rng.random() < 0.12:  # stamp: a ring of ink partly over the text
        centre = (int(rng.uniform(0, width)), int(rng.uniform(0, height)))
        radius = int(rng.uniform(0.6, 2.0) * height)
        cv2.circle(layer, centre, radius, 1.0, int(max(1, rng.uniform(0.02, 0.06) * height)))
        cv2.circle(layer, centre, int(radius * 0.8), 1.0, int(max(1, rng.uniform(0.01, 0.04) * height)))
        array = array - layer * rng.uniform(20, 90)
    if rng.random() < 0.08:  # pen line
        xs = np.linspace(0, width, 30)
        ys = rng.uniform(0.2, 0.8) * height + np.sin(xs / rng.uniform(40, 200)) * rng.uniform(0, 0.2) * height
        pts = np.stack([xs, ys], axis=1).astype(np.int32)
        pen = np.zeros_like(array)
        cv2.polylines(pen, [pts], False, 1.0, int(max(1, rng.uniform(0.03, 0.08) * height)))
        array = array - pen * rng.uniform(40, 110)
    if rng.random() < 0.1:  # watermark: big faint letters
        mark = Image.new("L", (width, height), 0)
        font = _font(str(OTHER_MONO[0]), int(height * rng.uniform(0.6, 1.2)))
        ImageDraw.Draw(mark).text((rng.uniform(-50, width / 2), rng.uniform(-height / 3, height / 3)), _code(rng, 6), font=font, fill=255)
        array = array - np.asarray(mark, np.float32) / 255 * rng.uniform(10, 40)
    if rng.random() < 0.12:  # glare: a bright blob lifting the ink towards the paper
        yy, xx = np.mgrid[0:height, 0:width].astype(np.float32)
        cx, cy, r = rng.uniform(0, width), rng.uniform(0, height), rng.uniform(0.3, 1.5) * height
        blob = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
        array = array + blob * rng.uniform(0.3, 0.8) * (255 - array)
    return array


def print_texture(rng: np.random.Generator, array: np.ndarray, paper: float) -> np.ndarray:
    """Laser toner grain, inkjet dots that missed, or a thermal head's streaks."""
    kind = rng.random()
    if kind < 0.15:  # inkjet: ink pixels knocked out
        holes = (rng.random(array.shape) < rng.uniform(0.05, 0.25)) & (array < paper - 30)
        array = np.where(holes, array + rng.uniform(0.3, 0.7) * (paper - array), array)
    elif kind < 0.25:  # thermal: horizontal streaks of weaker ink
        streaks = rng.uniform(0.0, 0.5, (array.shape[0], 1)) * (rng.random((array.shape[0], 1)) < 0.2)
        array = array + streaks * (paper - array)
    elif kind < 0.45:  # laser grain
        array = array + rng.normal(0, rng.uniform(3, 12), array.shape)
    return array


def blur(rng: np.random.Generator, array: np.ndarray, cap: float) -> np.ndarray:
    """Defocus and motion blur, scaled to the size of the print."""
    if rng.random() < 0.55:
        sigma = rng.uniform(0.2, 0.07 * cap + 0.5)
        array = cv2.GaussianBlur(array, (0, 0), sigma)
    if rng.random() < 0.15:
        length = int(rng.integers(2, max(3, int(0.2 * cap) + 1)))
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0
        rotation = cv2.getRotationMatrix2D(((length - 1) / 2, (length - 1) / 2), rng.uniform(0, 180), 1.0)
        kernel = cv2.warpAffine(kernel, rotation, (length, length))
        array = cv2.filter2D(array, -1, kernel / max(kernel.sum(), 1e-6))
    return array


def exposure(rng: np.random.Generator, array: np.ndarray) -> np.ndarray:
    """Low light (dim, noisy), over-exposure (clipped paper, washed ink) or a plain gain and gamma."""
    kind = rng.random()
    if kind < 0.15:
        array = array * rng.uniform(0.3, 0.6) + rng.normal(0, rng.uniform(1, 5), array.shape)
    elif kind < 0.27:
        lift = rng.uniform(0, 40)
        gain = rng.uniform(1.1, max(1.15, (180 - lift) / max(float(np.percentile(array, 5)), 1.0)))
        array = array * min(gain, 2.0) + lift
    else:
        gamma = rng.uniform(0.6, 1.6)
        array = 255 * (np.clip(array, 0, 255) / 255) ** gamma
    return array + rng.normal(0, rng.uniform(0.5, 6), array.shape)


def edges(rng: np.random.Generator, array: np.ndarray, left_room: float, right_room: float) -> np.ndarray:
    """What a band crop holds beside and along the row: the document's edge and the desk beyond it,
    a card's border line, a form line above or below (each sometimes; never over the text)."""
    height, width = array.shape
    for side, room in (("left", left_room), ("right", right_room)):
        if room < 3 or rng.random() > 0.4:
            continue
        at = int(rng.uniform(0.1, 0.9) * room)
        x0, x1 = (0, at) if side == "left" else (width - at, width)
        if rng.random() < 0.5:  # the desk beyond the document's edge
            shade = rng.uniform(0, 255) + rng.normal(0, rng.uniform(1, 15), (height, x1 - x0))
            array[:, x0:x1] = shade
        else:  # a printed or embossed border line
            line = max(1, int(rng.uniform(0.02, 0.12) * height))
            xa = x1 - line if side == "left" else x0
            array[:, max(0, xa) : xa + line] -= rng.uniform(40, 140)
    if rng.random() < 0.12:
        line = max(1, int(rng.uniform(0.02, 0.06) * height))
        y = int(rng.choice([rng.uniform(0, 0.08), rng.uniform(0.92, 1.0)]) * (height - line))
        array[y : y + line] -= rng.uniform(40, 140)
    return array


def render_row(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """One spoiled MRZ row crop (grey uint8, as the reader would crop it) and its text."""
    above, text, below = row_texts(rng)
    other = rng.random() < 0.06 and all(p.exists() for p in OTHER_MONO)
    path = str(rng.choice(OTHER_MONO if other else font_files()))
    size = int(rng.integers(26, 36))
    font = _font(path, size)
    advance = font.getlength("<")
    pitch = advance * rng.uniform(0.9, 1.6)
    cap_top, cap_bottom = font.getbbox("P")[1], font.getbbox("P")[3]
    cap = cap_bottom - cap_top
    spacing = cap * rng.uniform(1.45, 1.95)
    margin = pitch * rng.uniform(0.3, 4.0)
    width = int(margin * 2 + pitch * max(len(above), len(text), len(below), 1 if text else int(rng.choice(WIDTHS))))
    height = int(spacing * 3 + cap * 2)
    paper_img = background(rng, height, width)
    paper = float(np.median(paper_img))
    ink = int(rng.uniform(0, max(10, min(120, paper - 60))))
    text_layer = Image.new("L", (width, height), 255)
    y_row = cap + spacing - cap_top
    for k, line in enumerate((above, text, below)):
        if line:
            draw_text(rng, text_layer, line, margin, y_row + (k - 1) * spacing, font, pitch, 0)
    coverage = 1.0 - np.asarray(text_layer, np.float32) / 255
    weight = rng.random()
    if weight < 0.2:
        coverage = cv2.dilate(coverage, np.ones((2, 2), np.uint8))
    elif weight < 0.35:
        coverage = cv2.erode(coverage, np.ones((2, 2), np.uint8))
    array = paper_img * (1 - coverage) + ink * coverage
    array = print_texture(rng, array, paper)
    array = overlays(rng, array, ink)
    # tilt and a little perspective, about the row's centre
    centre_y = y_row + cap_top + cap / 2
    angle = rng.normal(0, 0.35)
    shear = rng.normal(0, 0.03)
    matrix = cv2.getRotationMatrix2D((width / 2, centre_y), angle, 1.0)
    matrix[0, 1] += shear
    array = cv2.warpAffine(array, matrix, (width, height), borderMode=cv2.BORDER_REPLICATE)
    if rng.random() < 0.2:
        src = np.float32([[0, 0], [width, 0], [width, height], [0, height]])
        dy = rng.uniform(-0.02, 0.02) * height
        dst = np.float32([[0, dy], [width, -dy], [width, height + dy], [0, height - dy]])
        array = cv2.warpPerspective(array, cv2.getPerspectiveTransform(src, dst), (width, height), borderMode=cv2.BORDER_REPLICATE)
    pad_top, pad_bottom = cap * rng.uniform(0.05, 0.6), cap * rng.uniform(0.05, 0.6)
    top = int(max(0, y_row + cap_top - pad_top))
    bottom = int(min(height, y_row + cap_bottom + pad_bottom))
    left = int(rng.uniform(0, 0.9) * margin)
    right = int(width - rng.uniform(0, 0.9) * margin)
    array = edges(rng, array[top:bottom, left:right], margin - left, right - (width - margin))
    target_cap = float(np.exp(rng.uniform(np.log(5.0), np.log(40.0))))
    scale = target_cap / cap
    fx = scale * rng.uniform(0.85, 1.15)
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC
    array = cv2.resize(array, (max(8, int(array.shape[1] * fx)), max(4, int(array.shape[0] * scale))), interpolation=interpolation)
    array = blur(rng, array, target_cap)
    array = exposure(rng, array)
    array = np.clip(array, 0, 255).astype(np.uint8)
    if rng.random() < 0.7:
        ok, encoded = cv2.imencode(".jpg", array, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(40, 96))])
        array = cv2.imdecode(encoded, cv2.IMREAD_GRAYSCALE)
    return array, text


def sample(rng: np.random.Generator) -> tuple[np.ndarray, str]:
    """A prepared row (`row_input`) and its text."""
    crop, text = render_row(rng)
    return row_input(crop), text


def encode(text: str) -> list[int]:
    return [ALPHABET.index(c) + 1 for c in text]

