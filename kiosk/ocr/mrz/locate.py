"""Finding the machine-readable zone in a photo or scan.

FastMRZ's segmentation network (shipped in the fastmrz wheel, run on ONNX
Runtime) marks MRZ pixels on a 256x256 view of the image; the largest marked
region, as a rotated rectangle, is cut out upright. This handles skew and
documents turned by 90 degrees; a 180-degree turn is settled by reading both
ways.

The classical fallback, `text_line_quads`, finds long thin runs of dark
print (morphological black-hat, then closing along the line): MRZ lines are
the longest, most regular text lines on a document. It finds them where the
network marks the wrong region or only part of the band.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.errors import EngineError
from kiosk.ocr.engine.geometry import crop_quad
from kiosk.ocr.engine.models import fastmrz_segmentation_model
from kiosk.ocr.engine.onnx_backend import session_options

SEG_SIZE = 256
SEG_THRESHOLD = 0.25
MIN_BAND_FRACTION = 0.002


@dataclass(frozen=True)
class MrzBand:
    """An upright crop of the MRZ and the rotated rectangle it came from."""

    crop: np.ndarray
    corners: np.ndarray  # 4x2, image coordinates
    coverage: float  # mean segmentation score inside the region


class MrzLocator:
    """Runs the segmentation model; one instance per thread.

    `threads` > 0 gives a session with that many threads (for live analysis
    sharing the CPU with the preview); 0 lets ONNX Runtime use every core.
    """

    def __init__(self, threads: int = 0) -> None:
        import onnxruntime as ort

        path = fastmrz_segmentation_model()
        if not path.exists():
            raise EngineError(f"MRZ segmentation model missing: {path}; reinstall fastmrz==2.1.2")
        options = session_options(threads)
        # Unlike the recogniser's, this network's fixed-size run is a third faster with the
        # memory arena (0.22 -> 0.14 s on 2 cores) for about 120 MB more peak memory.
        options.enable_cpu_mem_arena = True
        self.session = ort.InferenceSession(str(path), sess_options=options, providers=["CPUExecutionProvider"])
        self.input = self.session.get_inputs()[0].name

    def mask(self, image: np.ndarray) -> np.ndarray:
        """MRZ probability per pixel at 256x256 (the preprocessing FastMRZ trained with)."""
        small = cv2.resize(image, (SEG_SIZE, SEG_SIZE), interpolation=cv2.INTER_AREA)
        batch = (small.astype(np.float32) / 255.0)[np.newaxis]
        return self.session.run(None, {self.input: batch})[0][0, :, :, 0]

    def locate(self, image: np.ndarray) -> MrzBand | None:
        """The most likely MRZ band, or None when the network sees none."""
        probs = self.mask(image)
        binary = (probs > SEG_THRESHOLD).astype(np.uint8)
        binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, np.ones((3, 7), np.uint8))
        contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        if not contours:
            return None
        best = max(contours, key=cv2.contourArea)
        if cv2.contourArea(best) < MIN_BAND_FRACTION * SEG_SIZE * SEG_SIZE:
            return None
        region = np.zeros_like(binary)
        cv2.drawContours(region, [best], -1, 1, thickness=-1)
        coverage = float(probs[region > 0].mean())
        height, width = image.shape[:2]
        points = (best.reshape(-1, 2) * np.array([width / SEG_SIZE, height / SEG_SIZE])).astype(np.float32)
        centre, (w, h), angle = cv2.minAreaRect(points)
        margin = max(min(w, h) * 0.15, 6.0)
        corners = band_corners(cv2.boxPoints((centre, (w + 2 * margin, h + 2 * margin), angle)))
        return MrzBand(crop=crop_quad(image, corners), corners=corners, coverage=coverage)


def band_corners(points: np.ndarray) -> np.ndarray:
    """A rectangle's corners as tl, tr, br, bl with the long side taken as horizontal."""
    pts = np.asarray(points, dtype=np.float32)
    edges = [pts[(i + 1) % 4] - pts[i] for i in range(4)]
    along = max(edges, key=lambda e: float(np.hypot(*e)))
    along = along / np.hypot(*along)
    if along[0] < 0 or (along[0] == 0 and along[1] < 0):
        along = -along
    down = np.array([-along[1], along[0]], dtype=np.float32)
    diag, anti = pts @ (along + down), pts @ (along - down)
    return np.stack([pts[diag.argmin()], pts[anti.argmax()], pts[diag.argmax()], pts[anti.argmin()]])


LINE_SCALE = 1000
"""Longest side of the working copy for `text_line_quads`, in pixels."""
LINE_ASPECT = (10.0, 80.0)
"""Length over height of a line's ink: 44 OCR-B characters are about 30 times as long as high, and
blur or faint print thins the ink that passes the threshold."""
LINE_HEIGHT_RATIO = 22.0
"""An MRZ line is about this many times as long as a character is high, margin included."""
MIN_LINE_SPAN = 0.3
"""A line shorter than this share of the image's longest side is too small to read."""


def text_line_quads(image: np.ndarray, limit: int = 8) -> list[np.ndarray]:
    """Rotated boxes (4x2, image coordinates, tl tr br bl) of the longest thin dark text lines."""
    height, width = image.shape[:2]
    scale = LINE_SCALE / max(height, width)
    small = cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA if scale < 1 else cv2.INTER_CUBIC)
    grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    blackhat = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (25, 9)))
    _, binary = cv2.threshold(blackhat, 0, 255, cv2.THRESH_BINARY | cv2.THRESH_OTSU)
    binary = cv2.morphologyEx(binary, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (21, 3)))
    binary = cv2.morphologyEx(binary, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (9, 3)))
    contours, _ = cv2.findContours(binary, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for contour in contours:
        _, (w, h), _ = cv2.minAreaRect(contour)
        long, short = max(w, h), min(w, h)
        if short >= 3 and LINE_ASPECT[0] <= long / short <= LINE_ASPECT[1] and long >= MIN_LINE_SPAN * LINE_SCALE:
            found.append((long, contour))
    found.sort(key=lambda item: -item[0])
    quads = []
    for _, contour in found[:limit]:
        centre, (w, h), angle = cv2.minAreaRect(contour.reshape(-1, 2).astype(np.float32) / scale)
        long, short = max(w, h), min(w, h)
        across = max(1.9 * short, long / LINE_HEIGHT_RATIO)
        grown = (long + 0.6 * short, across) if w >= h else (across, long + 0.6 * short)
        quads.append(band_corners(cv2.boxPoints((centre, grown, angle))))
    return align_ends(quads)


def align_ends(quads: list[np.ndarray]) -> list[np.ndarray]:
    """Each line's box stretched along its length to where its neighbouring rows start and end.

    MRZ rows are equally long and start under each other, but the line finder
    can miss a row's first or last letter (a thin `L` or `I` beside a gap):
    `I<<NIKOS` read for `LI<<NIKOS`, a dropped letter no check digit covers.
    Neighbours are near-parallel boxes within a few row heights whose lengths
    differ by at most a fifth.
    """
    aligned = []
    for quad in quads:
        tl, tr, br, bl = quad
        along = (tr - tl) / max(float(np.hypot(*(tr - tl))), 1e-6)
        down = np.array([-along[1], along[0]], np.float32)
        height = float(np.hypot(*(bl - tl)))
        start, end = float(tl @ along), float(tr @ along)
        centre = quad.mean(axis=0)
        first, last = start, end
        for other in quads:
            o_along = other[1] - other[0]
            o_len = float(np.hypot(*o_along))
            if o_len < 1e-6 or abs(float(o_along @ along)) / o_len < 0.995:
                continue
            if abs(float((other.mean(axis=0) - centre) @ down)) > 2.5 * height:
                continue
            o_start, o_end = sorted(float(pt @ along) for pt in other[:2])
            if not 1 / 1.2 <= (o_end - o_start) / max(end - start, 1e-6) <= 1.2:
                continue
            if min(end, o_end) - max(start, o_start) < 0.5 * min(end - start, o_end - o_start):
                continue
            first, last = min(first, o_start), max(last, o_end)
        grow_start, grow_end = (start - first) * along, (last - end) * along
        aligned.append(np.stack([tl - grow_start, tr + grow_end, br + grow_end, bl - grow_start]).astype(np.float32))
    return aligned


def lines_run_vertically(image: np.ndarray, upright: list[np.ndarray] | None = None) -> bool:
    """Whether the page looks turned by 90 degrees: the line finder sees no two long text lines as it is
    (`upright`, its lines if already found), but does with the page turned.

    Costs about 10 ms, against some 200 ms for a segmentation run that finds nothing on a turned page.
    """
    upright = text_line_quads(image) if upright is None else upright
    return len(upright) < 2 <= len(text_line_quads(cv2.rotate(image, cv2.ROTATE_90_COUNTERCLOCKWISE)))
