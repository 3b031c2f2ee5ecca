"""Straightening a receipt photo before OCR: outline, perspective, rotation, crop.

A photo shows a bright paper on a darker counter: the paper's outline is
found on a small copy (a few milliseconds), its four corners are mapped to an
upright rectangle on the full image, and the result is turned a quarter when
its text runs vertically (an upside-down page is left to the OCR engine, which
turns its lines as a whole, and `receipt_lines` puts the rows back in order).
A scan, whose border is already paper, is not warped; only wide empty margins
around its ink are cropped off. EXIF orientation is applied when the file is
loaded (`kiosk.images.load_image`).
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

__all__ = ["Straightened", "straighten"]

WORK_SIDE = 480
"""Longer side of the copy the outline is searched on."""
MAX_OUTPUT_SIDE = 2400
"""Longer side limit of a warped photo (the OCR engine reads at most 2000 px for detection anyway)."""
MIN_PAPER = 0.08
"""Smallest share of the photo the paper must cover to be taken as the receipt."""


@dataclass(frozen=True)
class Straightened:
    """The image to read, and what was done to it."""

    image: np.ndarray
    action: str
    """`warped` (outline found and corrected), `cropped` (a scan's margins cut) or `unchanged`."""
    quad: np.ndarray | None = None
    """The paper's corners in the input image (tl, tr, br, bl), when an outline was found."""
    quarter_turns: int = 0
    """Quarter turns clockwise applied after the warp."""


def _order_corners(points: np.ndarray) -> np.ndarray:
    """tl, tr, br, bl from four points in any order."""
    pts = np.asarray(points, dtype=np.float32).reshape(4, 2)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]  # clockwise on screen (y points down), starting anywhere
    start = int(np.argmin(pts.sum(axis=1)))
    return np.roll(pts, -start, axis=0)


def _quad_from_contour(contour: np.ndarray) -> np.ndarray:
    """Four corners for a paper outline: a 4-point polygon when it is one, else the tightest rotated box."""
    hull = cv2.convexHull(contour)
    perimeter = cv2.arcLength(hull, True)
    hull_area = max(cv2.contourArea(hull), 1.0)
    for epsilon in (0.02, 0.03, 0.045, 0.06, 0.08):
        approx = cv2.approxPolyDP(hull, epsilon * perimeter, True)
        if len(approx) == 4 and cv2.isContourConvex(approx):
            area = cv2.contourArea(approx)
            if 0.85 * hull_area <= area <= 1.15 * hull_area:
                return _order_corners(approx.reshape(4, 2))
    return _order_corners(cv2.boxPoints(cv2.minAreaRect(hull)))


def _paper_mask(small: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    gray = cv2.GaussianBlur(gray, (5, 5), 0)
    _, mask = cv2.threshold(gray, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    hsv = cv2.cvtColor(small, cv2.COLOR_BGR2HSV)
    mask[hsv[:, :, 1] > 90] = 0  # paper is not strongly coloured
    size = max(3, int(round(max(small.shape[:2]) * 0.02)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_RECT, (size, size))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, kernel)
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, kernel)
    return mask


def _border_is_paper(mask: np.ndarray) -> bool:
    """Whether most of the image's edge is paper: a scan or a tight crop, not a photo of a counter."""
    h, w = mask.shape
    band = max(2, int(0.02 * min(h, w)))
    edges = np.concatenate(
        [mask[:band].ravel(), mask[-band:].ravel(), mask[:, :band].ravel(), mask[:, -band:].ravel()]
    )
    return float(np.mean(edges > 0)) > 0.6


def _text_runs_vertically(image: np.ndarray) -> bool:
    """Whether the text lines run top to bottom.

    Ink smeared a little along the lines joins letters into words; smeared
    across, it joins little (the gap between lines is wider than between
    letters). So the direction whose smear leaves fewer blobs is the way the
    text runs. (Ink profiles mislead: a monospaced receipt has aligned
    character columns as well as lines.)
    """
    ink = _direction_ink(image)
    if cv2.countNonZero(ink) < 0.002 * ink.size:
        return False
    inked = _ink_region(image, ink)
    if inked is not None:  # a small receipt on a large page: look at the receipt, not the page
        ink = _direction_ink(inked)
    k = max(3, round(1.5 * min(ink.shape) / 100))
    across = cv2.connectedComponents(cv2.dilate(ink, np.ones((1, k), np.uint8)))[0]
    down = cv2.connectedComponents(cv2.dilate(ink, np.ones((k, 1), np.uint8)))[0]
    return across > 1.25 * down


def _direction_ink(image: np.ndarray) -> np.ndarray:
    """The ink of `image` shrunk to 480 px across, as `_text_runs_vertically` reads it."""
    small = _shrink(image, min(1.0, 480 / min(image.shape[:2])))
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
    ink = cv2.adaptiveThreshold(gray, 255, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 25, 15)
    return cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))


def _ink_region(image: np.ndarray, ink: np.ndarray) -> np.ndarray | None:
    """The part of `image` holding its ink (1st to 99th percentile, with a small margin), when that is under
    half the picture; else None."""
    rows, cols = np.flatnonzero(ink.sum(axis=1)), np.flatnonzero(ink.sum(axis=0))
    top, bottom = np.percentile(rows, [1, 99])
    left, right = np.percentile(cols, [1, 99])
    h, w = ink.shape
    if (bottom - top) * (right - left) >= 0.5 * h * w:
        return None
    factor = image.shape[0] / h
    y0, y1 = int(max(0.0, top - 0.02 * h) * factor), int(min(h, bottom + 0.02 * h) * factor)
    x0, x1 = int(max(0.0, left - 0.02 * w) * factor), int(min(w, right + 0.02 * w) * factor)
    if min(y1 - y0, x1 - x0) < 16:
        return None
    return np.ascontiguousarray(image[y0:y1, x0:x1])


def _crop_margins(image: np.ndarray, small: np.ndarray, factor: float) -> Straightened:
    """A scan's ink region with a margin, when wide empty margins surround it."""
    gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
    ink = cv2.adaptiveThreshold(gray, 1, cv2.ADAPTIVE_THRESH_MEAN_C, cv2.THRESH_BINARY_INV, 21, 20)
    ink = cv2.morphologyEx(ink, cv2.MORPH_OPEN, np.ones((2, 2), np.uint8))
    rows = np.flatnonzero(ink.sum(axis=1) >= 2)
    cols = np.flatnonzero(ink.sum(axis=0) >= 2)
    if rows.size < 3 or cols.size < 3:
        return Straightened(image, "unchanged")
    h, w = ink.shape
    top, bottom = np.percentile(rows, [0.5, 99.5])
    left, right = np.percentile(cols, [0.5, 99.5])
    margin = 0.04 * max(h, w)
    top, left = max(0.0, top - margin), max(0.0, left - margin)
    bottom, right = min(h - 1.0, bottom + margin), min(w - 1.0, right + margin)
    if (bottom - top) * (right - left) > 0.6 * h * w:
        return Straightened(image, "unchanged")
    y0, y1 = int(top / factor), int(np.ceil((bottom + 1) / factor))
    x0, x1 = int(left / factor), int(np.ceil((right + 1) / factor))
    return Straightened(np.ascontiguousarray(image[y0:y1, x0:x1]), "cropped")


def _shrink(image: np.ndarray, factor: float) -> np.ndarray:
    """`image` scaled by `factor` (<= 1); very large photos are first thinned by slicing, which is nearly free."""
    if factor >= 1:
        return image
    h, w = image.shape[:2]
    step = int(1 / (2 * factor))
    if step >= 2:
        image = image[::step, ::step]
    size = (max(1, int(round(w * factor))), max(1, int(round(h * factor))))
    return cv2.resize(image, size, interpolation=cv2.INTER_AREA)


def straighten(image: np.ndarray) -> Straightened:
    """The receipt in `image`, upright and cropped; a scan is only trimmed of wide empty margins.

    `image` is BGR (or grey) uint8. Never fails on odd input: when no paper
    outline is found the image comes back unchanged.
    """
    if image.ndim == 2:
        image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
    h, w = image.shape[:2]
    factor = min(1.0, WORK_SIDE / max(h, w))
    small = _shrink(image, factor)
    mask = _paper_mask(small)
    if _border_is_paper(mask):
        return _crop_margins(image, small, factor)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return Straightened(image, "unchanged")
    contour = max(contours, key=cv2.contourArea)
    share = cv2.contourArea(contour) / float(mask.shape[0] * mask.shape[1])
    if share < MIN_PAPER:
        return Straightened(image, "unchanged")
    quad = _quad_from_contour(contour) / factor
    width = float(max(np.linalg.norm(quad[1] - quad[0]), np.linalg.norm(quad[2] - quad[3])))
    height = float(max(np.linalg.norm(quad[3] - quad[0]), np.linalg.norm(quad[2] - quad[1])))
    if width < 16 or height < 16:
        return Straightened(image, "unchanged")
    scale = min(1.0, MAX_OUTPUT_SIDE / max(width, height))
    out_w, out_h = max(1, int(round(width * scale))), max(1, int(round(height * scale)))
    target = np.float32([[0, 0], [out_w - 1, 0], [out_w - 1, out_h - 1], [0, out_h - 1]])
    matrix = cv2.getPerspectiveTransform(quad.astype(np.float32), target)
    warped = cv2.warpPerspective(image, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)
    turns = 0
    if _text_runs_vertically(warped):
        warped = cv2.rotate(warped, cv2.ROTATE_90_CLOCKWISE)
        turns = 1
    return Straightened(np.ascontiguousarray(warped), "warped", quad.astype(np.float32), turns)
