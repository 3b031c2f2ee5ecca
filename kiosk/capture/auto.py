"""Auto-capture: one scan as a state machine over frames, pure logic (no threads).

    searching -> in_view -> steady -> reading -> done
                                               \\-> timed_out (best frame kept)

Every frame goes through `observe(frame, quality, now)` (cheap: state, hint,
best frame, timeout). Frames that pass the quality gate while the document is
steady may be given to `analyse(frame, quality, now)` (slow: OCR), from
another thread if wanted; `wants(quality)` says whether a frame is worth it.
`feed()` does both in one call, for tests and simple loops.

Passport mode: each read of the MRZ goes into an `MrzConsensus`; the scan is
done when the consensus is certain (every check digit holds). A document that
leaves the view for `lost_seconds` starts a fresh consensus, so reads of two
documents are never mixed. Receipt mode: the first steady, sharp frame is
read and the scan is done.

On timeout the scan ends `timed_out` with the best frame (the best-read one,
else the best-looking one) kept for the remote OCR fallback.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable, Protocol

import cv2
import numpy as np

from kiosk.capture.quality import MOTION_MAX, Quality
from kiosk.capture.frames import Frame
from kiosk.ocr.mrz.parse import MrzResult, parse_mrz
from kiosk.ocr.mrz.consensus import MrzConsensus
from kiosk.ocr.mrz.locate import MrzLocator
from kiosk.ocr.mrz.read import MrzReader, PassportRead, better
from kiosk.ocr.receipt.read import ReceiptRead
from kiosk.ocr.engine.types import OcrEngine
from kiosk.records import Record
from kiosk.status import rank

SEARCHING = "searching"
IN_VIEW = "in_view"
STEADY = "steady"
READING = "reading"
DONE = "done"
TIMED_OUT = "timed_out"
STATES = (SEARCHING, IN_VIEW, STEADY, READING, DONE, TIMED_OUT)
TERMINAL = (DONE, TIMED_OUT)

STATE_HINTS = {
    STEADY: "Hold steady",
    READING: "Reading - hold steady",
    DONE: "Done",
    TIMED_OUT: "Could not read it here",
}

GUESSED = "only swap that makes the check digit hold"
"""The reason `kiosk.ocr.mrz.correct.prove_by_check` gives a correction that is a guess."""
GATE_ISSUES = (None, "too_far")
"""Frame issues analysis still runs with: a small MRZ may still read."""


# -- analysers: what "reading a frame" means per document kind -----------------


@dataclass(frozen=True)
class Reading:
    """What one analysed frame gave."""

    mrz: MrzResult | None = None
    record: Record | None = None
    path: str = ""
    seconds: float = 0.0
    region: np.ndarray | None = None
    """The upright MRZ band the read came from (the review's picture), when there is one."""


class Analyser(Protocol):
    mode: str

    def warm(self) -> None: ...

    def read(self, image: np.ndarray, quality: Quality) -> Reading: ...

    def read_still(self, image: np.ndarray) -> Reading:
        """A still picture, read once as an opened image is: no later frame can do better."""
        ...


def deskew_band(band: np.ndarray) -> np.ndarray:
    """The band turned so its text lines run horizontally (from the ink's minimum-area rectangle)."""
    grey = cv2.cvtColor(band, cv2.COLOR_BGR2GRAY) if band.ndim == 3 else band
    _, ink = cv2.threshold(grey, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    points = cv2.findNonZero(ink)
    if points is None or len(points) < 20:
        return band
    (_, _), (w, h), angle = cv2.minAreaRect(points)
    if w < h:
        angle -= 90.0
    if angle > 45:
        angle -= 90
    elif angle < -45:
        angle += 90
    if abs(angle) < 0.3 or abs(angle) > 15:
        return band
    height, width = band.shape[:2]
    matrix = cv2.getRotationMatrix2D((width / 2, height / 2), angle, 1.0)
    return cv2.warpAffine(band, matrix, (width, height), flags=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


class PassportAnalyser:
    """Reads the MRZ of a live frame by the fast path only: band rows, no full-page fallbacks.

    The band comes from the frame's quality measurement (the MRZ lines it
    found); when that found none, the segmentation locator looks for it
    (every `locator_every`-th time, it costs a fraction of a second). A band
    that reads badly upright is read turned by 180 degrees.
    """

    mode = "passport"

    def __init__(self, threads: int = 1, locator_every: int = 2) -> None:
        self.threads = threads
        self.locator_every = max(1, locator_every)
        self._reader: MrzReader | None = None
        self._misses = 0

    @property
    def reader(self) -> MrzReader:
        """The MRZ reader, its locator on a few non-spinning threads (it shares the CPU with the preview)."""
        if self._reader is None:
            self._reader = MrzReader(MrzLocator(threads=max(1, self.threads)))
        return self._reader

    @property
    def locator(self) -> MrzLocator:
        return self.reader.locator

    def warm(self) -> None:
        """Run the models once so the first real read is not slowed by their start-up."""
        blank = np.full((40, 600, 3), 235, np.uint8)
        cv2.putText(blank, "P<UTOERIKSSON<<ANNA", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (20, 20, 20), 2)
        self.reader.row_reader.recognise([blank])
        self.locator.mask(np.full((256, 256, 3), 200, np.uint8))

    def read(self, image: np.ndarray, quality: Quality) -> Reading:
        started = time.perf_counter()
        best: MrzResult | None = None
        region: np.ndarray | None = None
        path = "none"
        if quality.mrz is not None:
            box = quality.mrz.grown(0.04, 0.3, image.shape[1], image.shape[0])
            best, region = self._read_both_ways(deskew_band(image[box.y : box.y + box.h, box.x : box.x + box.w]))
            path = "lines"
        if best is None or best.status == "no_mrz":
            # no MRZ found, or what looked like one is not: ask the locator (every few times: it is slower)
            self._misses += 1
            if self.locator_every == 1 or self._misses % self.locator_every == 1:
                band = self.locator.locate(image)
                if band is not None:
                    result, upright = self._read_both_ways(band.crop)
                    if result is not None and better(result, best):
                        best, region, path = result, upright, "locator"
        found = best is not None and best.status != "no_mrz"
        return Reading(mrz=best or parse_mrz([]), path=path, seconds=time.perf_counter() - started, region=region if found else None)

    def read_still(self, image: np.ndarray) -> Reading:
        read = self.reader.read(image)
        return Reading(mrz=read.result, path=read.path, seconds=read.seconds, region=read.region)

    def _read_both_ways(self, band: np.ndarray) -> tuple[MrzResult | None, np.ndarray]:
        """The band read upright, and turned by 180 degrees when upright gives no MRZ; with the way up it read."""
        best = self.read_band(band)
        if best is None or best.status == "no_mrz":
            turned_band = cv2.rotate(band, cv2.ROTATE_180)
            turned = self.read_band(turned_band)
            if turned is not None and better(turned, best):
                return turned, turned_band
        return best, band

    def read_band(self, band: np.ndarray) -> MrzResult | None:
        return self.reader.read_band(band)


class ReceiptAnalyser:
    """Reads a receipt frame with the receipt reader (straighten, OCR, fields)."""

    mode = "receipt"

    def __init__(self, engine: OcrEngine, settings=None) -> None:
        from kiosk.ocr.receipt.read import ReceiptReader

        self.reader = ReceiptReader(engine, settings)

    def warm(self) -> None:
        blank = np.full((40, 300, 3), 240, np.uint8)
        cv2.putText(blank, "TOTAL 12.50", (10, 30), cv2.FONT_HERSHEY_SIMPLEX, 0.9, (20, 20, 20), 2)
        self.reader.engine.recognise([blank])

    def read(self, image: np.ndarray, quality: Quality) -> Reading:
        read = self.reader.read(image)
        return Reading(record=read.record, path=read.straightening, seconds=read.seconds)

    def read_still(self, image: np.ndarray) -> Reading:
        return self.read(image, None)  # type: ignore[arg-type]


# -- the state machine ----------------------------------------------------------


@dataclass(frozen=True)
class CaptureStatus:
    """What the operator sees: the state, one hint, and progress counters."""

    state: str
    hint: str
    issue: str | None
    frames: int
    analysed: int
    reads: int
    elapsed: float
    quality: Quality | None = None
    partial: MrzResult | None = None
    """The consensus so far (passport mode), to show progress; never a confirmed read."""

    def to_json(self) -> dict[str, object]:
        return {
            "state": self.state,
            "hint": self.hint,
            "issue": self.issue,
            "frames": self.frames,
            "analysed": self.analysed,
            "reads": self.reads,
            "elapsed": round(self.elapsed, 3),
        }


@dataclass
class CaptureResult:
    """How a scan ended. `record` is set when `state == "done"` (and on a timed-out partial read)."""

    mode: str
    state: str
    reason: str
    record: Record | None
    mrz: MrzResult | None
    best_frame: np.ndarray | None
    best_quality: Quality | None
    seconds: float
    """From the start of the scan to its end."""
    seconds_from_view: float | None
    """From the document first seen fully in view to the end (None if it never was)."""
    seconds_from_steady: float | None
    """From the document first steady and readable to the end."""
    frames: int
    analysed: int
    reads: int
    read_seconds: float = 0.0
    """Time spent in OCR, summed over the analysed frames."""
    region: np.ndarray | None = None
    """The upright MRZ band of the best read (passport mode): the picture the review shows."""
    read: PassportRead | ReceiptRead | None = None
    """The read `record` comes from: for a passport the consensus of the frames' reads, with its MRZ detail."""

    @property
    def ok(self) -> bool:
        return self.state == DONE

    def summary(self) -> dict[str, object]:
        """Timing and counts (no personal data): for the command line, logs and benchmarks."""
        def rounded(value: float | None) -> float | None:
            return None if value is None else round(value, 3)

        return {
            "state": self.state,
            "reason": self.reason,
            "seconds_to_result": round(self.seconds, 3),
            "seconds_from_view": rounded(self.seconds_from_view),
            "seconds_from_steady": rounded(self.seconds_from_steady),
            "frames": self.frames,
            "analysed": self.analysed,
            "reads": self.reads,
            "read_seconds": round(self.read_seconds, 3),
        }


@dataclass
class _Best:
    score: tuple = ()
    frame: np.ndarray | None = None
    quality: Quality | None = None
    region: np.ndarray | None = None


class AutoCapture:
    """One scan. Thread-safe between one observing thread and one analysing thread.

    `steady_frames`: frames in a row in view, still and readable before the
    document counts as steady. `timeout`: seconds from the first observed
    frame (or `start`) to giving up. `min_reads`: passport reads that must have
    gone into a certain consensus (1: one valid read suffices, since every
    check digit must hold). `min_confidence`: the consensus must also be at
    least this confident (the site's confidence threshold): check digits do
    not cover names, and a blurred MRZ whose fillers all read as `C` can
    still satisfy every check digit.
    """

    def __init__(
        self,
        analyser: Analyser,
        timeout: float = 20.0,
        steady_frames: int = 3,
        lost_seconds: float = 1.5,
        min_reads: int = 1,
        start: float | None = None,
        min_confidence: float = 0.6,
    ) -> None:
        self.analyser = analyser
        self.mode = analyser.mode
        self.timeout = timeout
        self.steady_frames = max(1, steady_frames)
        self.lost_seconds = lost_seconds
        self.min_reads = max(1, min_reads)
        self.min_confidence = min_confidence
        self.start = start
        self._lock = threading.RLock()
        self.state = SEARCHING
        self.consensus = MrzConsensus()
        self.result: CaptureResult | None = None
        self.delivered = False
        """Set by whoever reports the result (the pipeline), so it is reported once."""
        self._steady = 0
        self._reading = False
        self._frames = 0
        self._analysed = 0
        self._reads = 0
        self._read_seconds = 0.0
        self._last_seen: float | None = None
        self._first_view: float | None = None
        self._first_steady: float | None = None
        self._quality: Quality | None = None
        self._now = 0.0
        self._best_read: MrzResult | None = None
        self._lines: list[tuple[tuple[str, ...], bool]] = []
        """The valid reads' lines, and whether a guessed swap made them valid."""
        self._best = _Best()
        self._still: int | None = None
        """The still picture of the newest frame (None: live frames)."""
        self._stills_read: set[int] = set()

    # -- queries -------------------------------------------------------------

    @property
    def read_seconds(self) -> float:
        """Time spent in OCR so far."""
        return self._read_seconds

    @property
    def done(self) -> bool:
        return self.state in TERMINAL

    def wants(self, quality: Quality) -> bool:
        """Whether a frame with this quality should be analysed now."""
        with self._lock:
            if self.done or self._reading or self.state != STEADY:
                return False
            if self._still is not None:
                return self._still not in self._stills_read
            return self._readable(quality)

    def _readable(self, quality: Quality) -> bool:
        if quality.motion > MOTION_MAX:
            return False
        if quality.in_view and quality.issue in GATE_ISSUES:
            return True
        # text in view but the MRZ finder saw no MRZ: the locator may still find it
        return self.mode == "passport" and quality.issue == "no_mrz"

    @property
    def status(self) -> CaptureStatus:
        with self._lock:
            return self._status()

    def _status(self) -> CaptureStatus:
        quality = self._quality
        issue = quality.issue if quality is not None and not self.done else None
        if self.done:
            hint = STATE_HINTS[self.state]
        elif quality is not None and quality.issue is not None:
            hint = quality.hint
        else:
            hint = STATE_HINTS.get(self.state, quality.hint if quality else "")
        elapsed = self._now - self.start if self.start is not None else 0.0
        partial = self.consensus.result if self.mode == "passport" and self.consensus.frames else None
        return CaptureStatus(self.state, hint, issue, self._frames, self._analysed, self._reads, elapsed, quality, partial)

    # -- every frame ---------------------------------------------------------

    def observe(self, frame: Frame, quality: Quality, now: float | None = None) -> CaptureStatus:
        """Take one frame's quality into account (cheap; call for every frame)."""
        now = frame.timestamp if now is None else now
        with self._lock:
            if self.start is None:
                self.start = now
            self._now = now
            if self.done:
                return self._status()
            self._frames += 1
            self._quality = quality
            self._still = frame.still
            present = quality.in_view or quality.document is not None or frame.still is not None
            if present:
                self._last_seen = now
            if quality.in_view and self._first_view is None:
                self._first_view = now
            if frame.still is not None:
                self._steady = max(self._steady + 1, self.steady_frames)  # a still picture never moves
            else:
                self._steady = self._steady + 1 if self._readable(quality) else 0
            if self._steady >= self.steady_frames and self._first_steady is None:
                self._first_steady = now
            if present:
                self._keep_if_best(frame.image, quality, None)
            lost = self._last_seen is None or now - self._last_seen >= self.lost_seconds
            if lost and not self._reading and (self._first_view is not None or self.consensus.frames or self._best.score):
                # the document went away: the next one starts afresh, never mixed with this one
                self.consensus = MrzConsensus()
                self._best_read = None
                self._lines = []
                self._best = _Best()
                self._first_view = self._first_steady = None
            if self._reading:
                self.state = READING
            elif self._steady >= self.steady_frames:
                self.state = STEADY
            elif present:
                self.state = IN_VIEW
            else:
                self.state = SEARCHING
            if now - self.start >= self.timeout:
                self._finish(TIMED_OUT, f"no certain read within {self.timeout:g} s", now)
            return self._status()

    def tick(self, now: float) -> CaptureStatus:
        """Let time pass without a frame (a source that gives none): the timeout still applies."""
        with self._lock:
            if self.start is None:
                self.start = now
            self._now = max(self._now, now)
            if not self.done and not self._reading and now - self.start >= self.timeout:
                self._finish(TIMED_OUT, f"no certain read within {self.timeout:g} s", now)
            return self._status()

    def _keep_if_best(self, image: np.ndarray, quality: Quality, read: MrzResult | None, region: np.ndarray | None = None) -> None:
        if read is not None and read.status != "no_mrz":
            score = (1, rank(read.status), read.confidence)
        else:
            score = (0, 0, quality.score)
        if not self._best.score or score > self._best.score:
            self._best = _Best(score, image.copy(), quality, region)

    # -- analysed frames -------------------------------------------------------

    def analyse(self, frame: Frame, quality: Quality, clock: Callable[[], float] | None = time.monotonic) -> CaptureStatus:
        """Read one frame (slow) and fold the read into the scan. Call from one thread at a time.

        The scan's time after the read is `clock()` (the clock `observe` is
        given), or the frame's timestamp when `clock` is None.
        """
        with self._lock:
            if self.done or self._reading:
                return self._status()
            if frame.still is not None:
                if frame.still in self._stills_read:
                    return self._status()
                self._stills_read.add(frame.still)
            self._reading = True
            self.state = READING
            self._analysed += 1
        try:
            if frame.still is not None:
                reading = self.analyser.read_still(frame.image)
            else:
                reading = self.analyser.read(frame.image, quality)
        finally:
            with self._lock:
                self._reading = False
                if self.state == READING:
                    self.state = STEADY
        now = clock() if clock is not None else frame.timestamp
        with self._lock:
            self._now = max(self._now, now)
            self._read_seconds += reading.seconds
            if self.done:
                return self._status()
            if self.mode == "passport":
                self._fold_mrz(frame, quality, reading, now)
            elif reading.record is not None:
                self._reads += 1
                self._best = _Best((2,), frame.image.copy(), quality)
                self._finish(DONE, "read a steady, sharp frame", now, record=reading.record)
            return self._status()

    def _fold_mrz(self, frame: Frame, quality: Quality, reading: Reading, now: float) -> None:
        read = reading.mrz
        if read is None or read.status == "no_mrz":
            return
        self._reads += 1
        self.consensus.add(read)
        if better(read, self._best_read):
            self._best_read = read
            self._keep_if_best(frame.image, quality, read, reading.region)
        if read.ok:
            self._lines.append((read.lines, any(GUESSED in c.reason for c in read.corrections)))
        if self._confirmed():
            result = self.consensus.result
            self._finish(DONE, f"all check digits hold ({self.consensus.frames} read{'s' if self.consensus.frames > 1 else ''})", now, mrz=result)

    def _confirmed(self) -> bool:
        """Certain, with enough reads; a consensus that holds only thanks to a guessed swap needs two agreeing reads.

        A check digit holds for a wrong swap about one time in ten, so "the
        only swap that makes the check digit hold" is not proof on its own:
        another frame must read the same lines.
        """
        if not self.consensus.certain or self.consensus.frames < self.min_reads:
            return False
        result = self.consensus.result
        if result.confidence < self.min_confidence:
            return False
        agreeing = [guess for lines, guess in self._lines if lines == result.lines]
        if any(GUESSED in c.reason for c in result.corrections):
            return len(agreeing) >= 2
        if agreeing and all(agreeing):
            # the only reads that say exactly this were guesses
            return len(agreeing) >= 2
        return True

    # -- ending ----------------------------------------------------------------

    def finish(self, reason: str, now: float | None = None) -> CaptureResult:
        """End the scan now (source ended, operator cancelled): timed out unless already done."""
        with self._lock:
            if self.result is None:
                self._finish(TIMED_OUT, reason, self._now if now is None else now)
            assert self.result is not None
            return self.result

    def _finish(self, state: str, reason: str, now: float, mrz: MrzResult | None = None, record: Record | None = None) -> None:
        if self.result is not None:
            return
        self.state = state
        if self.mode == "passport" and mrz is None and self.consensus.frames:
            mrz = self.consensus.result  # not certain: shown as a partial read, flagged by its status
        read: PassportRead | ReceiptRead | None = None
        if mrz is not None:
            read = PassportRead(mrz, "consensus", self._read_seconds)
            record = read.record
        elif record is not None:
            read = ReceiptRead(record, self._read_seconds)  # type: ignore[arg-type]
        start = self.start if self.start is not None else now
        self.result = CaptureResult(
            mode=self.mode,
            state=state,
            reason=reason,
            record=record,
            mrz=mrz,
            best_frame=self._best.frame,
            best_quality=self._best.quality,
            seconds=max(0.0, now - start),
            seconds_from_view=None if self._first_view is None else max(0.0, now - self._first_view),
            seconds_from_steady=None if self._first_steady is None else max(0.0, now - self._first_steady),
            frames=self._frames,
            analysed=self._analysed,
            reads=self._reads,
            read_seconds=self._read_seconds,
            read=read,
            region=self._best.region,
        )

    # -- both at once -------------------------------------------------------------

    def feed(self, frame: Frame, quality: Quality) -> CaptureStatus:
        """Observe a frame and, when it is worth it, analyse it right away (single-threaded use).

        Time is the frames' timestamps: a file played frame by frame has no
        clock, and the reads' own durations are not counted.
        """
        status = self.observe(frame, quality)
        if self.wants(quality):
            status = self.analyse(frame, quality, clock=None)
        return status
