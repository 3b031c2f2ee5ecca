"""Frame quality, cheap enough for every frame: is a document in view, and can it be read?

Everything but sharpness is measured on a grey copy shrunk to `WORK_WIDTH`
pixels wide (about 2 ms for a 1280x720 frame):

- text lines: dark strokes on lighter paper (a black-hat filter), joined
  along the line; a document is in view when there are enough of them, and
  an MRZ is two or three long, equally wide, stacked lines (TD3, TD2, TD1);
- sharpness: contrast-normalised Laplacian energy of the text area, cut
  from the frame itself and rescaled so the text is always the same height
  (so it depends neither on distance nor on the camera's resolution);
- glare: the share of saturated pixels over the document and over the MRZ;
- exposure: mean brightness and clipping of the document (of the frame when
  none is in view);
- motion: mean change against the previous frame, inside the document area.

`QualityMeter.assess(image)` returns a `Quality` with the numbers, the one
most important `issue` and its operator `hint`. The meter keeps the previous
frame for motion, so use one meter per stream, from one thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

WORK_WIDTH = 640
TINY_WIDTH = 160
MODES = ("passport", "receipt")

# Thresholds, tuned on the demo scenes and the sample photos in tests (see tests/test_capture_quality.py).
SHARPNESS_MIN = 3.3
"""Normalised Laplacian energy below which text is too blurred to read."""
GLARE_MRZ_MAX = 0.01
GLARE_DOCUMENT_MAX = 0.04
SATURATED = 250
PAPER_SATURATED = 245
DARK_MEAN = 70.0
BRIGHT_MEAN = 245.0
CLIPPED_MAX = 0.6
MOTION_MAX = 4.0
"""Estimated shift of the document between two frames, in frame pixels."""
MRZ_MIN_PITCH = 10.0
"""MRZ characters spaced closer than this, in frame pixels, are too small to read well.

OCR-B capitals are about as tall as their pitch is wide. On 784 generated
bad photos (`bench/mrz_eval.py`, key fields by `mrz_char_px`, seeds 7 to 9)
every key field was exact on 99.8 % of documents with capitals of 12 px or
more, 97 % at 10 to 12 px, 83 % at 8 to 10 px and 30 % below 8 px.
A share of the frame would ask for nothing on a small camera and for too
much on a 4K one.
"""
LINE_CHARS = {2: 44, 3: 30}
"""Characters per MRZ line by line count. Two-line TD2 and MRV-B lines have 36, so they are asked closer a little early."""
DOCUMENT_MIN_AREA = 0.06
MIN_TEXT_LINES = 4

HINTS = {
    "no_document": "Place the document under the camera",
    "no_mrz": "Show the page with the machine-readable zone",
    "too_far": "Move closer",
    "partial": "Move the whole document into view",
    "dark": "More light",
    "bright": "Less light",
    "motion": "Hold still",
    "blur": "Hold still to focus",
    "glare": "Tilt to remove glare",
    None: "Hold steady",
}
"""One short instruction per issue; None is a frame fit to read."""


@dataclass(frozen=True)
class Box:
    """An axis-aligned box in full-frame pixels."""

    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        return self.w * self.h

    def corners(self) -> np.ndarray:
        x0, y0, x1, y1 = self.x, self.y, self.x + self.w, self.y + self.h
        return np.float32([[x0, y0], [x1, y0], [x1, y1], [x0, y1]])

    def scaled(self, factor: float) -> "Box":
        return Box(int(self.x * factor), int(self.y * factor), max(1, int(round(self.w * factor))), max(1, int(round(self.h * factor))))

    def grown(self, fx: float, fy: float, width: int, height: int) -> "Box":
        dx, dy = int(self.w * fx), int(self.h * fy)
        x0, y0 = max(0, self.x - dx), max(0, self.y - dy)
        x1, y1 = min(width, self.x + self.w + dx), min(height, self.y + self.h + dy)
        return Box(x0, y0, max(1, x1 - x0), max(1, y1 - y0))


@dataclass(frozen=True)
class Quality:
    """The measurements of one frame, its main issue and the hint for the operator."""

    in_view: bool
    """A document (passport mode: its MRZ) is in view."""
    document: Box | None
    """Where the text of the document is, in frame pixels."""
    mrz: Box | None
    """Where the MRZ lines are, in frame pixels (passport mode)."""
    mrz_lines: int
    text_lines: int
    sharpness: float
    glare: float
    """Share of saturated pixels over the MRZ (passport) or the document (receipt)."""
    brightness: float
    clipped: float
    motion: float
    issue: str | None
    hint: str
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        """Fit to read: in view, sharp, well lit, no glare, not moving."""
        return self.issue is None

    @property
    def steady(self) -> bool:
        return self.in_view and self.motion <= MOTION_MAX

    @property
    def score(self) -> float:
        """A rough ranking of frames for keeping the best one (higher is better)."""
        if not self.in_view and self.document is None:
            return 0.0
        return (
            (10.0 if self.in_view else 5.0)
            + min(self.sharpness / SHARPNESS_MIN, 3.0)
            - 20.0 * self.glare
            - 0.2 * min(self.motion, 10.0)
            + (0.5 if self.issue is None else 0.0)
        )

    def to_json(self) -> dict[str, object]:
        return {
            "in_view": self.in_view,
            "issue": self.issue,
            "hint": self.hint,
            "sharpness": round(self.sharpness, 3),
            "glare": round(self.glare, 4),
            "brightness": round(self.brightness, 1),
            "clipped": round(self.clipped, 4),
            "motion": round(self.motion, 2),
            "text_lines": self.text_lines,
            "mrz_lines": self.mrz_lines,
        }


@dataclass
class TextLayout:
    lines: list[tuple[int, int, int, int]] = field(default_factory=list)
    """Text-line boxes (x, y, w, h) in work pixels."""
    mrz: list[tuple[int, int, int, int]] = field(default_factory=list)
    """The MRZ lines among them, top to bottom (empty when none)."""


def _percentile(grey: np.ndarray, pct: float) -> float:
    """A percentile of an 8-bit image from its histogram (much faster than np.percentile)."""
    hist = cv2.calcHist([grey], [0], None, [256], [0, 256]).ravel()
    return float(np.searchsorted(np.cumsum(hist), pct / 100.0 * grey.size))


def _box_array(binary: np.ndarray) -> np.ndarray:
    """Bounding boxes (N x 4: x, y, w, h) of the blobs of a binary image."""
    # CCOMP: every blob's outer boundary is at the top level, even inside another blob's hole
    contours, hierarchy = cv2.findContours(binary, cv2.RETR_CCOMP, cv2.CHAIN_APPROX_SIMPLE)
    if not contours:
        return np.zeros((0, 4), np.int32)
    outer = hierarchy[0][:, 3] < 0
    return np.array([cv2.boundingRect(c) for c, top in zip(contours, outer) if top], np.int32).reshape(-1, 4)


def find_text(grey: np.ndarray) -> TextLayout:
    """Text lines and the MRZ in a small grey image (dark print on light paper)."""
    height, width = grey.shape[:2]
    blackhat = cv2.morphologyEx(grey, cv2.MORPH_BLACKHAT, cv2.getStructuringElement(cv2.MORPH_RECT, (15, 9)))
    level = max(20.0, _percentile(blackhat, 99.5) * 0.3)
    _, strokes = cv2.threshold(blackhat, level, 1, cv2.THRESH_BINARY)
    # join characters along their line: the gap to bridge grows with the size of the print
    heights = _box_array(strokes)[:, 3]
    heights = heights[(heights >= 4) & (heights <= height // 8)]
    char_height = float(np.median(heights)) if heights.size >= 8 else 8.0
    gap = int(min(31, max(7, round(1.4 * char_height))))
    joined = cv2.morphologyEx(strokes, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (gap, 1)))
    joined = cv2.morphologyEx(joined, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 2)))
    boxes = _box_array(joined)
    x, y, w, h = boxes.T
    keep = (h >= 3) & (h <= height // 8) & (w >= 3 * h) & (w >= 12)
    lines = [tuple(int(v) for v in box) for box in boxes[keep]]
    lines.sort(key=lambda b: (b[1], b[0]))
    return TextLayout(lines, _mrz_lines(lines, width))


def _mrz_lines(lines: list[tuple[int, int, int, int]], width: int) -> list[tuple[int, int, int, int]]:
    """Two or three long lines of the same width, left-aligned, evenly stacked: an MRZ."""
    long_lines = [b for b in lines if b[2] >= 14 * b[3] and b[2] >= 0.12 * width]
    best: list[tuple[int, int, int, int]] = []
    for i, first in enumerate(long_lines):
        group = [first]
        for other in long_lines[i + 1 :]:
            last = group[-1]
            gap = other[1] - (last[1] + last[3])
            same_width = abs(other[2] - first[2]) <= 0.12 * first[2]
            aligned = abs(other[0] - first[0]) <= 0.06 * first[2]
            similar_height = 0.6 <= other[3] / max(1, first[3]) <= 1.6
            if same_width and aligned and similar_height and -0.2 * last[3] <= gap <= 2.5 * last[3]:
                group.append(other)
                if len(group) == 3:
                    break
            elif other[1] > last[1] + 4 * last[3]:
                break
        if len(group) >= 2 and (not best or sum(b[2] for b in group) > sum(b[2] for b in best)):
            best = group
    return best


def _union(boxes: list[tuple[int, int, int, int]]) -> tuple[int, int, int, int]:
    x0 = min(b[0] for b in boxes)
    y0 = min(b[1] for b in boxes)
    x1 = max(b[0] + b[2] for b in boxes)
    y1 = max(b[1] + b[3] for b in boxes)
    return x0, y0, x1 - x0, y1 - y0


def glare_share(patch: np.ndarray) -> float:
    """Share of `patch` covered by saturated spots on paper that is itself not saturated.

    Paper that is white all over (a scan, an over-bright light) cannot show a
    specular spot; that is an exposure question, not glare.
    """
    if patch.size == 0:
        return 0.0
    paper = _percentile(np.ascontiguousarray(patch), 60)
    if paper >= PAPER_SATURATED:
        return 0.0
    spots = (patch >= SATURATED).astype(np.uint8)
    if not spots.any():
        return 0.0
    spots = cv2.morphologyEx(spots, cv2.MORPH_OPEN, np.ones((3, 3), np.uint8))
    return float(np.count_nonzero(spots)) / patch.size


def sharpness(grey: np.ndarray, text_height: float) -> float:
    """Contrast-normalised Laplacian energy, with text rescaled to 10 px high first."""
    if grey.size == 0 or text_height <= 0:
        return 0.0
    factor = 10.0 / text_height
    if abs(factor - 1.0) > 0.1:
        grey = cv2.resize(grey, None, fx=factor, fy=factor, interpolation=cv2.INTER_AREA if factor < 1 else cv2.INTER_LINEAR)
    grey = grey.astype(np.float32)
    contrast = float(grey.std())
    if contrast < 1.0:
        return 0.0
    lap = cv2.Laplacian(grey, cv2.CV_32F, ksize=3)
    return float(lap.std()) / contrast


class QualityMeter:
    """Measures frame after frame of one stream (keeps the previous frame for motion)."""

    def __init__(self, mode: str = "passport") -> None:
        if mode not in MODES:
            raise ValueError(f"mode must be one of {', '.join(MODES)}")
        self.mode = mode
        self._previous: np.ndarray | None = None

    def reset(self) -> None:
        self._previous = None

    def assess(self, image: np.ndarray) -> Quality:
        import time

        started = time.perf_counter()
        height, width = image.shape[:2]
        factor = WORK_WIDTH / width
        grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY) if image.ndim == 3 else image
        small = cv2.resize(grey, (WORK_WIDTH, max(1, int(round(height * factor)))), interpolation=cv2.INTER_AREA)
        tiny = cv2.resize(small, (TINY_WIDTH, max(1, small.shape[0] * TINY_WIDTH // WORK_WIDTH)), interpolation=cv2.INTER_AREA)
        tiny = cv2.GaussianBlur(tiny, (3, 3), 0)
        previous, self._previous = self._previous, tiny
        layout = find_text(small)
        sh, sw = small.shape[:2]

        mrz_box = document_box = None
        if layout.mrz:
            x, y, w, h = _union(layout.mrz)
            mrz_box = (x, y, w, h)
        if len(layout.lines) >= 2:
            document_box = _union(layout.lines)
            if mrz_box is not None:
                document_box = _union([document_box, mrz_box])
        in_view = mrz_box is not None if self.mode == "passport" else (
            len(layout.lines) >= MIN_TEXT_LINES and document_box is not None and document_box[2] * document_box[3] >= 0.02 * sw * sh
        )

        # the region the rest is measured on: the MRZ, else the document, else the frame
        if mrz_box is not None:
            region = mrz_box
            text_height = float(np.median([b[3] for b in layout.mrz]))
        elif document_box is not None and len(layout.lines) >= 2:
            region = document_box
            text_height = float(np.median([b[3] for b in layout.lines]))
        else:
            region = (0, 0, sw, sh)
            text_height = 0.0
        rx, ry, rw, rh = region
        pad_x, pad_y = int(rw * 0.04) + 2, int(rh * 0.25) + 2
        x0, y0 = max(0, rx - pad_x), max(0, ry - pad_y)
        x1, y1 = min(sw, rx + rw + pad_x), min(sh, ry + rh + pad_y)
        patch = small[y0:y1, x0:x1]
        # sharpness on the frame itself: in the shrunk copy of a large frame small print is a few pixels high
        back = 1.0 / factor
        text_area = grey[int(y0 * back) : int(y1 * back), int(x0 * back) : int(x1 * back)]
        sharp = sharpness(text_area, text_height * back) if text_height else 0.0

        # glare: saturated spots over the MRZ (its padded box) or over the document's text area
        glare_patch = patch
        if mrz_box is None and document_box is not None:
            dx, dy, dw, dh = document_box
            glare_patch = small[max(0, dy - dh // 10) : dy + dh + dh // 10, max(0, dx - dw // 10) : dx + dw + dw // 10]
        glare = glare_share(glare_patch)

        # exposure of the document area, or of the whole frame
        lit = small[document_box[1] : document_box[1] + document_box[3], document_box[0] : document_box[0] + document_box[2]] if document_box else tiny
        brightness = float(lit.mean()) if lit.size else float(tiny.mean())
        clipped = float(np.count_nonzero(tiny >= SATURATED)) / tiny.size

        # motion inside the document area (the whole frame when there is none), as an estimate of
        # the shift in frame pixels: grey change over grey gradient (small shifts of a textured area)
        motion = 0.0
        if previous is not None and previous.shape == tiny.shape:
            diff = cv2.absdiff(tiny, previous)
            grad = cv2.absdiff(tiny[:, 1:], tiny[:, :-1])[:-1] // 2 + cv2.absdiff(tiny[1:], tiny[:-1])[:, :-1] // 2
            if document_box is not None:
                t = TINY_WIDTH / WORK_WIDTH
                dx, dy, dw, dh = (int(v * t) for v in document_box)
                ys, xs = slice(max(0, dy - 2), dy + dh + 3), slice(max(0, dx - 2), dx + dw + 3)
                if diff[ys, xs].size and grad[ys, xs].size:
                    diff, grad = diff[ys, xs], grad[ys, xs]
            motion = float(diff.mean()) / max(2.0, float(grad.mean())) * (width / TINY_WIDTH)

        # whole-frame lighting problems first, then what stops a read
        issue: str | None
        glare_max = GLARE_MRZ_MAX if mrz_box is not None else GLARE_DOCUMENT_MAX
        # cut by the frame's left or right edge (a receipt may be longer than the frame is high)
        edge_box = mrz_box if self.mode == "passport" else (document_box if in_view else None)
        partial = edge_box is not None and (edge_box[0] <= 1 or edge_box[0] + edge_box[2] >= sw - 2)
        if brightness < DARK_MEAN and not in_view:
            issue = "dark"
        elif brightness > BRIGHT_MEAN or (clipped > CLIPPED_MAX and not in_view):
            issue = "bright"
        elif document_box is not None and glare > glare_max:
            issue = "glare"
        elif partial:
            in_view = False
            issue = "partial"
        elif not in_view:
            if self.mode == "passport" and document_box is not None and len(layout.lines) >= MIN_TEXT_LINES:
                issue = "no_mrz"
            else:
                issue = "no_document"
        elif brightness < DARK_MEAN:
            issue = "dark"
        elif motion > MOTION_MAX:
            issue = "motion"
        elif sharp < SHARPNESS_MIN:
            issue = "blur"
        elif self.mode == "passport" and mrz_box is not None and mrz_box[2] * back / LINE_CHARS[len(layout.mrz)] < MRZ_MIN_PITCH:
            issue = "too_far"
        elif self.mode == "receipt" and document_box is not None and document_box[2] * document_box[3] < DOCUMENT_MIN_AREA * sw * sh:
            issue = "too_far"
        else:
            issue = None

        return Quality(
            in_view=in_view,
            document=Box(*document_box).scaled(back) if document_box else None,
            mrz=Box(*mrz_box).scaled(back) if mrz_box else None,
            mrz_lines=len(layout.mrz),
            text_lines=len(layout.lines),
            sharpness=sharp,
            glare=glare,
            brightness=brightness,
            clipped=clipped,
            motion=motion,
            issue=issue,
            hint=HINTS[issue],
            seconds=time.perf_counter() - started,
        )
