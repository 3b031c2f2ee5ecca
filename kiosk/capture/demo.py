"""The built-in demo camera: synthetic documents sliding onto a desk, drawn at run time.

Used when no camera exists (`camera = "auto"`) or when asked for
(`--camera demo`), so the app does something real on any machine, CI
included. Nothing is shipped as media: the desk is generated from noise, the
passport and the receipt come from `kiosk.capture.synthetic` (OCR-B MRZ).

Each document is rendered once (slightly skewed, with its outline mask); a
frame is the desk, the document pasted at its position for that moment, and
a little sensor noise cycled from a few precomputed patterns. That is a few
memory copies per frame, so 1280x720 comes out well above 25 fps.

Scenario, repeated: empty desk, a document slides in from the left, is held
(with a slight hand tremor), slides out. `document="both"` alternates the
passport and the receipt.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import cv2
import numpy as np

from kiosk.capture.frames import Frame, SourceInfo, SourceStatus
from kiosk.capture.synthetic import PassportData, ReceiptData, passport_page, receipt_page

DOCUMENTS = ("passport", "receipt", "both")


@dataclass(frozen=True)
class DemoTimeline:
    """Seconds of each phase of one document's appearance."""

    empty: float = 0.8
    slide_in: float = 1.0
    hold: float = 8.0
    slide_out: float = 0.8

    @property
    def cycle(self) -> float:
        return self.empty + self.slide_in + self.hold + self.slide_out


class _Sprite:
    """A document rendered once: its pixels and mask, skewed, sized for the frame."""

    def __init__(self, page: np.ndarray, target_width: int, target_height: int, angle: float) -> None:
        scale = min(target_width / page.shape[1], target_height / page.shape[0])
        page = cv2.resize(page, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        h, w = page.shape[:2]
        matrix = cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0)
        cos, sin = abs(matrix[0, 0]), abs(matrix[0, 1])
        out_w, out_h = int(h * sin + w * cos) + 2, int(h * cos + w * sin) + 2
        matrix[0, 2] += out_w / 2 - w / 2
        matrix[1, 2] += out_h / 2 - h / 2
        self.image = cv2.warpAffine(page, matrix, (out_w, out_h), flags=cv2.INTER_LINEAR, borderValue=(0, 0, 0))
        mask = cv2.warpAffine(np.full((h, w), 255, np.uint8), matrix, (out_w, out_h), flags=cv2.INTER_NEAREST)
        self.mask = mask
        self.height, self.width = out_h, out_w


def desk_background(width: int, height: int, seed: int = 7) -> np.ndarray:
    """A wooden desk: warm brown, soft streaks along the grain, light falling off at the edges."""
    rng = np.random.default_rng(seed)
    grain = rng.normal(0.0, 1.0, (max(4, height // 24), max(4, width // 3))).astype(np.float32)
    grain = cv2.resize(grain, (width, height), interpolation=cv2.INTER_CUBIC)
    grain = cv2.GaussianBlur(grain, (0, 0), 6)
    grain /= max(1e-6, float(np.abs(grain).max()))
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    cx, cy = width / 2, height / 2
    light = 1.0 - 0.35 * (((xs - cx) / cx) ** 2 + ((ys - cy) / cy) ** 2) / 2
    base = np.array([52, 88, 128], np.float32)  # BGR: a mid brown
    desk = base[None, None, :] * (light[..., None] * (1.0 + 0.18 * grain[..., None]))
    return np.clip(desk, 0, 255).astype(np.uint8)


def _ease_out(x: float) -> float:
    x = min(max(x, 0.0), 1.0)
    return 1.0 - (1.0 - x) ** 3


class DemoSource:
    """A `FrameSource` that draws its frames: the demo camera.

    `realtime=True` paces frames at `fps` by the wall clock (skipping frames
    when the reader is slow, like a camera); `False` returns the next frame
    at once, each frame one `1/fps` step of the scenario later. `duration`
    ends the stream after that many scenario seconds (None: never).
    """

    live = True

    def __init__(
        self,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        document: str = "both",
        realtime: bool = True,
        noise: float = 3.0,
        timeline: DemoTimeline = DemoTimeline(),
        duration: float | None = None,
        passport: PassportData = PassportData(),
        receipt: ReceiptData = ReceiptData(),
        seed: int = 1,
    ) -> None:
        if document not in DOCUMENTS:
            raise ValueError(f"demo document must be one of {', '.join(DOCUMENTS)}")
        self.width, self.height, self.fps = int(width), int(height), float(fps)
        self.document = document
        self.realtime = realtime
        self.noise = noise
        self.timeline = timeline
        self.duration = duration
        self.passport = passport
        self.receipt = receipt
        self.seed = seed
        self.name = f"demo ({document})"
        self._lock = threading.Lock()
        self._prepared = False
        self._opened = False
        self._index = -1
        self._start = 0.0
        self.status = SourceStatus("closed", "demo camera not started")

    # -- FrameSource -------------------------------------------------------

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(self.name, "demo", self.width, self.height, self.fps, live=self.realtime)

    def open(self) -> None:
        with self._lock:
            self._prepare()
            self._opened = True
            self._index = -1
            self._start = time.monotonic()
            self.status = SourceStatus("live", f"demo camera {self.width}x{self.height} @ {self.fps:g} fps")

    def read(self) -> Frame | None:
        if not self._opened:
            self.open()
        if self.realtime:
            now = time.monotonic() - self._start
            index = max(self._index + 1, int(now * self.fps))
            due = index / self.fps
            if due > now:
                time.sleep(due - now)
        else:
            index = self._index + 1
        t = index / self.fps
        if self.duration is not None and t >= self.duration:
            self.status = SourceStatus("ended", "demo finished")
            return None
        self._index = index
        return Frame(self.render(t), index, t)

    def close(self) -> None:
        self._opened = False
        self.status = SourceStatus("closed", "demo camera stopped")

    # -- drawing -----------------------------------------------------------

    def _prepare(self) -> None:
        if self._prepared:
            return
        w, h = self.width, self.height
        self._desk = desk_background(w, h)
        self._sprites: dict[str, _Sprite] = {}
        if self.document in ("passport", "both"):
            page = passport_page(self.passport, width=1250)
            self._sprites["passport"] = _Sprite(page, int(w * 0.62), int(h * 0.82), angle=1.2)
        if self.document in ("receipt", "both"):
            page = receipt_page(self.receipt)
            self._sprites["receipt"] = _Sprite(page, int(w * 0.5), int(h * 0.94), angle=-1.0)
        rng = np.random.default_rng(self.seed)
        self._noise: list[tuple[np.ndarray, np.ndarray]] = []
        if self.noise > 0:
            for _ in range(6):
                n = rng.normal(0.0, self.noise, (h, w, 3)).astype(np.float32)
                self._noise.append((np.clip(n, 0, 255).astype(np.uint8), np.clip(-n, 0, 255).astype(np.uint8)))
        self._jitter = rng.integers(-1, 2, size=(64, 2))
        self._prepared = True

    def document_at(self, t: float) -> tuple[str | None, int, int]:
        """Which document shows at scenario time `t` and its top-left corner (may be off-frame)."""
        self._prepare()
        tl = self.timeline
        kinds = list(self._sprites)
        cycle = int(t // tl.cycle)
        kind = kinds[cycle % len(kinds)]
        local = t - cycle * tl.cycle
        sprite = self._sprites[kind]
        rest_x = (self.width - sprite.width) // 2
        rest_y = (self.height - sprite.height) // 2
        start_x = -sprite.width - 10
        if local < tl.empty:
            return None, 0, 0
        local -= tl.empty
        if local < tl.slide_in:
            x = start_x + (rest_x - start_x) * _ease_out(local / tl.slide_in)
            return kind, int(round(x)), rest_y + int(round(18 * (1 - local / tl.slide_in)))
        local -= tl.slide_in
        if local < tl.hold:
            # a slight tremor: a pixel now and then, every few frames
            jx, jy = self._jitter[int(local * 6) % len(self._jitter)]
            return kind, rest_x + int(jx), rest_y + int(jy)
        local -= tl.hold
        x = rest_x + (self.width + 10 - rest_x) * (local / tl.slide_out) ** 2
        return kind, int(round(x)), rest_y

    def render(self, t: float) -> np.ndarray:
        """The frame at scenario time `t` (a new array)."""
        self._prepare()
        frame = self._desk.copy()
        kind, x, y = self.document_at(t)
        if kind is not None:
            sprite = self._sprites[kind]
            x0, y0 = max(x, 0), max(y, 0)
            x1, y1 = min(x + sprite.width, self.width), min(y + sprite.height, self.height)
            if x1 > x0 and y1 > y0:
                sx, sy = x0 - x, y0 - y
                region = frame[y0:y1, x0:x1]
                cv2.copyTo(
                    sprite.image[sy : sy + y1 - y0, sx : sx + x1 - x0],
                    sprite.mask[sy : sy + y1 - y0, sx : sx + x1 - x0],
                    region,
                )
        if self._noise:
            plus, minus = self._noise[int(t * self.fps) % len(self._noise)]
            cv2.add(frame, plus, dst=frame)
            cv2.subtract(frame, minus, dst=frame)
        return frame
