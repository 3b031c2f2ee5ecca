"""Generated images that try to break the MRZ reader: crops, noise, tiny, huge, one-row, blank, black, odd angles.

Made from the synthetic passport page (always) and the shared real photos
(when `shared/data/mrz` is beside the repository), with a fixed seed, so a
failure names an image that can be made again.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from pathlib import Path

import cv2
import numpy as np

from kiosk.capture.synthetic import PassportData, passport_page

SHARED_MRZ = Path(__file__).resolve().parents[2] / "shared" / "data" / "mrz"
KINDS = ("crop", "crop", "crop", "noise", "tiny", "huge", "row", "blank", "black", "turned", "small", "stripes")


def base_images() -> list[np.ndarray]:
    """The pages the fuzz images are cut from: two synthetic passports (one with a composite check failing), plus the shared photos."""
    spoiled = PassportData(surname="OBRIEN", number="X12345678", personal_number="<<<<<<<<<<<<<<")
    pages = [passport_page(PassportData()), passport_page(spoiled, width=980)]
    pages += [image for path in sorted(SHARED_MRZ.glob("*.jpg")) if (image := cv2.imread(str(path))) is not None]
    return pages


def _turned(image: np.ndarray, angle: float) -> np.ndarray:
    height, width = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(image, matrix, (width, height), borderValue=(255, 255, 255))


def spoil(image: np.ndarray, kind: str, rng: random.Random) -> np.ndarray:
    """One fuzz image of `kind` made from `image`."""
    height, width = image.shape[:2]
    if kind == "crop":
        x0, y0 = rng.randrange(width // 2), rng.randrange(height // 2)
        return image[y0 : rng.randrange(y0 + 2, height + 1), x0 : rng.randrange(x0 + 2, width + 1)]
    if kind == "noise":
        noise = np.random.default_rng(rng.randrange(1 << 30)).normal(0, rng.choice((10, 40, 90)), image.shape)
        return np.clip(image.astype(np.int16) + noise, 0, 255).astype(np.uint8)
    if kind == "tiny":
        return cv2.resize(image, (rng.randrange(1, 40), rng.randrange(1, 40)), interpolation=cv2.INTER_AREA)
    if kind == "huge":
        factor = min(4.0, 5000 / max(height, width))
        return cv2.resize(image, None, fx=factor, fy=factor, interpolation=cv2.INTER_NEAREST)
    if kind == "row":
        y = rng.randrange(height)
        return image[y : y + rng.randrange(1, 4)]
    if kind == "blank":
        return np.full((rng.randrange(10, 900), rng.randrange(10, 900), 3), rng.randrange(200, 256), np.uint8)
    if kind == "black":
        return np.zeros((rng.randrange(10, 900), rng.randrange(10, 900), 3), np.uint8)
    if kind == "turned":
        return _turned(image, rng.uniform(-180, 180))
    if kind == "small":
        factor = rng.uniform(0.1, 0.5)
        return cv2.resize(image, (max(1, int(width * factor)), max(1, int(height * factor))), interpolation=cv2.INTER_AREA)
    # stripes: a one-colour page crossed by hard bars, all edges and no text
    page = np.full((rng.randrange(50, 700), rng.randrange(50, 900), 3), 255, np.uint8)
    for y in range(0, page.shape[0], rng.randrange(3, 30)):
        page[y : y + rng.randrange(1, 4)] = 0
    return page


def fuzz_images(count: int, seed: int = 20) -> Iterator[tuple[str, np.ndarray]]:
    """`count` (name, image) pairs; the name says how the image was made."""
    rng = random.Random(seed)
    pages = base_images()
    for index in range(count):
        kind = KINDS[index % len(KINDS)]
        page = rng.randrange(len(pages))
        yield f"fuzz-{index:04d}-{kind}-{page}.png", spoil(pages[page], kind, rng)
