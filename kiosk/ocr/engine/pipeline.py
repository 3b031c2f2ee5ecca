"""Detection -> orientation -> recognition -> CTC decoding, the same for every backend.

A backend only runs the three PP-OCR models; ordering, cropping, batching and
decoding happen here once, so both backends return the same kind of answer.
"""

from __future__ import annotations

import math
from typing import Iterator, Protocol, Sequence

import cv2
import numpy as np

from kiosk.errors import EngineError
from kiosk.ocr.engine.ctc import decode, line_confidence
from kiosk.ocr.engine.geometry import crop_quad, scale_for_detection, sort_boxes
from kiosk.ocr.engine.types import Box, LineScores, TextLine

REC_HEIGHT = 48
REC_MIN_RATIO = 96 / 48
"""A batch is padded to its widest line, and to at least this width-to-height ratio. PaddleOCR pads to 320 px
(6.7); on the 135 shared receipts padding to 96 px read as many fields right, 0.34 s a receipt faster (short
amount lines were 3-4 parts padding)."""
REC_BATCH = 6
DET_STRIP = 960
DET_OVERLAP = 160
"""A tall page (a receipt) is detected in strips DET_STRIP pixels high that overlap by DET_OVERLAP, more than
a text line: the detector's memory grows with the pixels it sees at once (900 MB for an 800x2000 receipt)."""
DET_MIN_SIDE = 736
"""The detector sees a page's shorter side at least this long (PaddleOCR's `det_limit_type="min"`)."""
COARSE_MIN_BOX = 14.0
"""On a page shrunk for detection (`PipelineEngine.detecting_at`), boxes under this median height (in the shrunk
page's pixels, padding included: print about 7 px high) mean the print is too small for that scale, and the page is
detected again as it is. The 135 shared receipts, detected 480 px across, give medians of 13 to 27 px (3 under 14)."""
ORIENTATION_SAMPLE = 16
"""How many lines (the longest) the orientation classifier looks at: a page's direction shows in a few long lines."""


class ModelBackend(Protocol):
    charset: tuple[str, ...]

    def detect(self, image: np.ndarray, min_side: int = DET_MIN_SIDE, dilate: bool = True) -> np.ndarray:
        """Text boxes (N, 4, 2), points clockwise from top-left, in `image` coordinates.

        The detector sees `image` enlarged so its shorter side is at least
        `min_side`. `dilate` grows the text map by a pixel before boxes are
        drawn round it: at full size that joins broken strokes; on a shrunk
        page a pixel is more of a line, and boxes swell into their neighbours.
        """
        ...

    def upside_down(self, crops: Sequence[np.ndarray]) -> list[bool]:
        """Whether each line crop is rotated by 180 degrees."""
        ...

    def run_recogniser(self, batch: np.ndarray) -> np.ndarray:
        """(N, 3, 48, W) normalised images -> (N, T, C) class probabilities."""
        ...


def as_bgr(image: np.ndarray) -> np.ndarray:
    if not isinstance(image, np.ndarray) or image.size == 0:
        raise EngineError("empty image")
    if image.dtype != np.uint8:
        raise EngineError(f"image must be 8-bit, not {image.dtype}")
    if image.ndim == 2:
        return cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    if image.ndim == 3 and image.shape[2] == 4:
        return cv2.cvtColor(image, cv2.COLOR_BGRA2BGR)
    if image.ndim == 3 and image.shape[2] == 3:
        return image
    raise EngineError(f"unsupported image shape {image.shape}")


def _normalise_line(crop: np.ndarray, width: int) -> tuple[np.ndarray, int]:
    h, w = crop.shape[:2]
    resized_w = min(width, max(1, math.ceil(REC_HEIGHT * w / h)))
    resized = cv2.resize(crop, (resized_w, REC_HEIGHT)).astype(np.float32)
    resized = (resized.transpose(2, 0, 1) / 255.0 - 0.5) / 0.5
    padded = np.zeros((3, REC_HEIGHT, width), dtype=np.float32)
    padded[:, :, :resized_w] = resized
    return padded, resized_w


class _SharedDetection:
    """One backend's detector and orientation classifier with another's recogniser (`PipelineEngine.with_recogniser`)."""

    def __init__(self, detection: ModelBackend, recognition: ModelBackend) -> None:
        self.detection = detection
        self.recognition = recognition
        self.charset = recognition.charset

    def detect(self, image: np.ndarray, min_side: int = DET_MIN_SIDE, dilate: bool = True) -> np.ndarray:
        return self.detection.detect(image, min_side, dilate)

    def upside_down(self, crops: Sequence[np.ndarray]) -> list[bool]:
        return self.detection.upside_down(crops)

    def run_recogniser(self, batch: np.ndarray) -> np.ndarray:
        return self.recognition.run_recogniser(batch)


class PipelineEngine:
    """An `OcrEngine` over a `ModelBackend`."""

    def __init__(self, name: str, backend: ModelBackend, max_side: int = 2000, detect_side: int = 0) -> None:
        self.name = name
        self.backend = backend
        self.max_side = max_side
        self.detect_side = detect_side

    def with_recogniser(self, other: "PipelineEngine") -> "PipelineEngine":
        """This engine's detection and orientation, `other`'s recogniser: no model is loaded twice."""
        return PipelineEngine(f"{self.name}+{other.name}", _SharedDetection(self.backend, other.backend), self.max_side, self.detect_side)

    def detecting_at(self, side: int) -> "PipelineEngine":
        """This engine (the same models), finding text on the page shrunk so its shorter side is at most `side`.

        Detection time and memory grow with the pixels the detector sees, and
        print of a usual size is found as well at 480 px across a receipt as at
        800; recognition still reads the crops from the page as it is. Print
        too small for that scale is detected again at full size (`COARSE_MIN_BOX`).
        """
        return PipelineEngine(self.name, self.backend, self.max_side, side)

    def read(self, image: np.ndarray, alphabet: str | None = None) -> list[TextLine]:
        image = as_bgr(image)
        boxes, factor = self._find_boxes(image)
        if len(boxes) == 0:
            return []
        boxes = [box / factor for box in sort_boxes(boxes)]
        crops = [crop_quad(image, box) for box in boxes]
        if self._page_upside_down(crops):
            crops = [cv2.rotate(c, cv2.ROTATE_180) for c in crops]
        read: list[TextLine | None] = [None] * len(crops)
        for i, probs in self._each_line_probs(crops):
            read[i] = self._line(probs, alphabet, tuple((float(x), float(y)) for x, y in boxes[i]))
        return [line for line in read if line is not None and line.text.strip()]

    def _find_boxes(self, image: np.ndarray) -> tuple[np.ndarray, float]:
        """Text boxes of `image`, in the coordinates of `image` scaled by the factor returned."""
        small, factor = scale_for_detection(image, self.max_side)
        short = min(small.shape[:2])
        if self.detect_side and short > self.detect_side:
            coarse = self.detect_side / short
            shrunk = cv2.resize(small, None, fx=coarse, fy=coarse, interpolation=cv2.INTER_AREA)
            boxes = self._detect(shrunk, self.detect_side, dilate=False)
            if len(boxes) and float(np.median(np.linalg.norm(boxes[:, 3] - boxes[:, 0], axis=1))) >= COARSE_MIN_BOX:
                return boxes, factor * coarse
        return self._detect(small), factor

    def _detect(self, image: np.ndarray, min_side: int = DET_MIN_SIDE, dilate: bool = True) -> np.ndarray:
        """Text boxes of `image` as an (N, 4, 2) array; a tall one strip by strip, each box kept from the strip
        holding it whole."""
        height, width = image.shape[:2]
        if height <= DET_STRIP + DET_OVERLAP or height < 1.5 * width:
            return np.asarray(self.backend.detect(image, min_side, dilate), np.float32).reshape(-1, 4, 2)
        tops = list(range(0, height - DET_STRIP, DET_STRIP - DET_OVERLAP)) + [height - DET_STRIP]  # every strip full height
        cuts = [0.0] + [(tops[k + 1] + tops[k] + DET_STRIP) / 2 for k in range(len(tops) - 1)] + [float(height)]
        found: list[np.ndarray] = []
        for k, top in enumerate(tops):
            boxes = self.backend.detect(image[top : top + DET_STRIP], min_side, dilate)
            for box in boxes if boxes is not None else ():
                box = np.asarray(box, np.float32) + np.array([0.0, top], np.float32)
                if cuts[k] <= float(box[:, 1].mean()) < cuts[k + 1]:
                    found.append(box)
        return np.stack(found) if found else np.zeros((0, 4, 2), np.float32)

    def _page_upside_down(self, crops: list[np.ndarray]) -> bool:
        """Whether most lines are upside down: a document turns as a whole.

        Deciding per page rather than per line keeps the classifier from
        flipping the odd short line ("SST 6%") on an upright page.
        """
        if len(crops) > ORIENTATION_SAMPLE:
            widest = sorted(range(len(crops)), key=lambda i: crops[i].shape[1] / max(crops[i].shape[0], 1), reverse=True)
            crops = [crops[i] for i in widest[:ORIENTATION_SAMPLE]]
        flips = self.backend.upside_down(crops)
        return sum(flips) * 2 > len(flips)

    def recognise(self, crops: Sequence[np.ndarray], alphabet: str | None = None) -> list[TextLine]:
        crops = [as_bgr(c) for c in crops]
        lines = []
        for crop, probs in zip(crops, self._line_probs(crops)):
            h, w = crop.shape[:2]
            lines.append(self._line(probs, alphabet, ((0.0, 0.0), (float(w), 0.0), (float(w), float(h)), (0.0, float(h)))))
        return lines

    def recognise_scores(self, crops: Sequence[np.ndarray]) -> list[LineScores]:
        crops = [as_bgr(c) for c in crops]
        return [LineScores(probs, self.backend.charset) for probs in self._line_probs(crops)]

    def _line(self, probs: np.ndarray, alphabet: str | None, box: Box) -> TextLine:
        text, chars = decode(probs, self.backend.charset, alphabet)
        return TextLine(text=text, confidence=line_confidence(chars), box=box, chars=chars)

    def _line_probs(self, crops: Sequence[np.ndarray]) -> list[np.ndarray]:
        """(T, C) probabilities per crop, in the crops' order."""
        out: list[np.ndarray | None] = [None] * len(crops)
        for i, probs in self._each_line_probs(crops):
            out[i] = np.ascontiguousarray(probs)
        return [p for p in out if p is not None]

    def _each_line_probs(self, crops: Sequence[np.ndarray]) -> Iterator[tuple[int, np.ndarray]]:
        """(crop index, (T, C) probabilities) batch by batch; batches of similar widths, padding trimmed off.

        Decoding each batch before the next is recognised keeps one batch's
        scores in memory, not a page's: with PP-OCRv6's 18,710 classes a
        receipt's 50 lines would hold some 400 MB.
        """
        ratios = [c.shape[1] / max(c.shape[0], 1) for c in crops]
        order = np.argsort(ratios)
        for start in range(0, len(crops), REC_BATCH):
            members = order[start : start + REC_BATCH]
            width = math.ceil(REC_HEIGHT * max(REC_MIN_RATIO, max(ratios[i] for i in members)))
            normalised = [_normalise_line(crops[i], width) for i in members]
            batch = np.stack([n for n, _ in normalised])
            probs = self.backend.run_recogniser(batch)
            steps = probs.shape[1]
            for row, (i, (_, used)) in enumerate(zip(members, normalised)):
                keep = min(steps, math.ceil(steps * used / width) + 1)
                yield int(i), probs[row, :keep]
