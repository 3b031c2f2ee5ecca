"""The evidence crop: the part of the picture the fields came from (the MRZ band, the receipt), shrunk for review."""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np

EVIDENCE_SIZE = {"passport": (600, 160), "receipt": (420, 560)}
"""Largest size of the evidence crop shown on the review screen, per kind."""


def crop_box(image: np.ndarray, box: Any, grow_x: float = 0.04, grow_y: float = 0.25) -> np.ndarray:
    """`image` cut to `box` (a quality Box) grown by a margin; the whole image when `box` is None."""
    if box is None:
        return image
    height, width = image.shape[:2]
    dx, dy = int(box.w * grow_x), int(box.h * grow_y)
    x0, y0 = max(0, box.x - dx), max(0, box.y - dy)
    x1, y1 = min(width, box.x + box.w + dx), min(height, box.y + box.h + dy)
    if x1 - x0 < 8 or y1 - y0 < 8:
        return image
    return image[y0:y1, x0:x1]


def fit(image: np.ndarray, max_width: int, max_height: int) -> np.ndarray:
    """Shrunk to fit the box (never enlarged)."""
    height, width = image.shape[:2]
    scale = min(max_width / width, max_height / height, 1.0)
    if scale >= 1.0:
        return image
    return cv2.resize(image, (max(1, int(width * scale)), max(1, int(height * scale))), interpolation=cv2.INTER_AREA)


def evidence_crop(kind: str, image: np.ndarray | None, quality: Any = None, region: np.ndarray | None = None) -> np.ndarray | None:
    """The MRZ band or the receipt cut from `image` (found by the quality meter unless `quality` is given).

    `region`: the upright MRZ the read came from (`PassportRead.region`, `CaptureResult.region`), shown as it is:
    the quality meter's guess of the MRZ can be another line of print (a header in capitals).
    """
    width, height = EVIDENCE_SIZE.get(kind, (600, 600))
    if region is not None and region.size:
        return np.ascontiguousarray(fit(region, width, height))
    if image is None:
        return None
    if quality is None:
        from kiosk.capture.quality import QualityMeter

        quality = QualityMeter(kind).assess(image)
    box = getattr(quality, "mrz", None) if kind == "passport" else getattr(quality, "document", None)
    if kind == "receipt":
        part = crop_box(image, box, 0.08, 0.08)
    else:
        part = crop_box(image, box)
    return np.ascontiguousarray(fit(part, width, height))


def encode_jpeg(image: np.ndarray | None, quality: int = 90) -> bytes | None:
    if image is None:
        return None
    ok, data = cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, quality])
    return data.tobytes() if ok else None
