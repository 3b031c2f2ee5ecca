"""What the MRZ row recogniser sees: one text row, grey, 32 px high, contrast stretched.

Shared by the recogniser (`rows`) and its training recipe (`training/mrz_rows`),
so the model is always fed rows prepared the way it was trained on. Only numpy
and OpenCV here, which the training environment has too.
"""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.ocr.engine.types import MRZ_ALPHABET as ALPHABET

CHARSET = ("", *ALPHABET)
"""The model's classes: 0 the CTC blank, then the 37 MRZ symbols."""
HEIGHT = 32
WIDTH_SCALE = 0.55
"""Rows are narrowed to this share of their height-preserving width: OCR-B at ICAO pitch then
gets about 9-15 px of width per character (2.3-3.8 of the model's time steps, one per 4 px)."""
STRIDE = 4
"""Input pixels per output time step."""
MIN_WIDTH = 32
MAX_WIDTH = 1600


def input_width(height: int, width: int, scale: float = WIDTH_SCALE) -> int:
    """The model input width for a crop of this size: a multiple of `STRIDE` within [MIN_WIDTH, MAX_WIDTH]."""
    scaled = width * HEIGHT / max(1, height) * scale
    return int(np.clip(round(scaled / STRIDE) * STRIDE, MIN_WIDTH, MAX_WIDTH))


def row_input(crop: np.ndarray, scale: float = WIDTH_SCALE) -> np.ndarray:
    """A row crop (BGR or grey uint8) as float32 [HEIGHT, width] in 0..1, ink dark, paper light.

    The 2nd and 98th percentiles are stretched to 0 and 1 so dim, washed-out
    and over-exposed rows look alike to the model. A `scale` above `WIDTH_SCALE`
    gives each character more time steps (doubled letters read apart).
    """
    grey = crop if crop.ndim == 2 else cv2.cvtColor(crop, cv2.COLOR_BGR2GRAY)
    width = input_width(*grey.shape[:2], scale)
    interpolation = cv2.INTER_AREA if grey.shape[0] > HEIGHT else cv2.INTER_CUBIC
    row = cv2.resize(grey, (width, HEIGHT), interpolation=interpolation).astype(np.float32)
    low, high = np.percentile(row, (2, 98))
    return np.clip((row - np.float32(low)) / np.float32(max(high - low, 8.0)), 0.0, 1.0).astype(np.float32)


def batch_inputs(rows: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Prepared rows (`row_input`) as one [N, 1, HEIGHT, W] batch, each padded on the right with its own
    last column, and each row's number of real time steps."""
    width = max(r.shape[1] for r in rows)
    batch = np.stack([np.pad(r, ((0, 0), (0, width - r.shape[1])), mode="edge") for r in rows])
    return batch[:, None].astype(np.float32), np.array([r.shape[1] // STRIDE for r in rows], np.int64)

