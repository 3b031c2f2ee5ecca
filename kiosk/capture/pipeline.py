"""The live capture pipeline: a capture thread and an analysis thread, no Qt.

    pipeline = CapturePipeline(open_source("auto", settings.capture), on_frame=..., on_status=..., on_result=...)
    pipeline.start()
    pipeline.begin(create_scan("passport", settings, engine))   # a scan; the preview runs without one too
    ...
    pipeline.stop()

- The capture thread opens the source (retrying while it is missing, busy or
  unplugged, with the reason in `status`), reads frames, measures each one's
  quality (a few ms), lets the current scan observe it, puts it in a
  one-slot "latest frame" holder and hands it to `on_frame`.
- The analysis thread takes the newest frame from the holder (older ones are
  dropped, never queued) and, when the scan wants it, reads it (OCR).
- So the preview never waits for OCR: at worst the analysis skips frames.

Callbacks run on the pipeline's threads and must return quickly; a UI
forwards them to its own thread (e.g. a Qt signal). Polling works too:
`latest()`, `status`, `stats()`, `wait()`.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from dataclasses import dataclass
from typing import Callable

from kiosk.capture.auto import AutoCapture, CaptureResult, CaptureStatus
from kiosk.capture.quality import Quality, QualityMeter
from kiosk.capture.frames import Frame, FrameSource, SourceError, SourceStatus, SourceUnavailable
from kiosk.errors import where_raised

log = logging.getLogger("kiosk.capture")
MAX_FAILED_READS = 5
"""Frames in a row the reader may fail on (a bug, not a bad frame) before the scan ends with that error."""

FrameCallback = Callable[[Frame, Quality], None]
StatusCallback = Callable[["PipelineStatus"], None]
ResultCallback = Callable[[CaptureResult], None]


@dataclass(frozen=True)
class PipelineStatus:
    """Everything the UI shows besides the picture: the source's state and the scan's."""

    source: SourceStatus
    scan: CaptureStatus | None

    @property
    def message(self) -> str:
        """One line for the operator: the source's problem if it has one, else the scan's hint."""
        if self.source.state != "live" or self.scan is None or not self.scan.hint:
            return self.source.message
        return self.scan.hint

    def key(self) -> tuple:
        scan = self.scan
        return (self.source.state, self.source.message, scan.state if scan else None, scan.hint if scan else None)


@dataclass(frozen=True)
class PipelineStats:
    frames: int
    """Frames captured (and offered to the preview) since start."""
    analysed: int
    """Frames analysed (OCR) since start."""
    preview_fps: float
    """Frames per second over the last couple of seconds."""
    analysis_rate: float
    """Analyses per second over the last couple of seconds."""
    quality_ms: float
    """Mean time to measure a frame's quality, in milliseconds."""
    reconnects: int


@dataclass(frozen=True)
class _Latest:
    seq: int
    frame: Frame
    quality: Quality


class LatestFrame:
    """A one-slot holder: `put` replaces, `take` waits for something newer than what it had."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._item: _Latest | None = None
        self._seq = 0
        self.dropped = 0
        self._taken = 0

    def put(self, frame: Frame, quality: Quality) -> None:
        with self._cond:
            if self._item is not None and self._taken < self._item.seq:
                self.dropped += 1
            self._seq += 1
            self._item = _Latest(self._seq, frame, quality)
            self._cond.notify_all()

    def peek(self) -> _Latest | None:
        with self._cond:
            return self._item

    def take(self, after: int, timeout: float) -> _Latest | None:
        with self._cond:
            if self._item is None or self._item.seq <= after:
                self._cond.wait(timeout)
            if self._item is None or self._item.seq <= after:
                return None
            self._taken = self._item.seq
            return self._item

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()


class _Rate:
    """Events per second over a sliding window."""

    def __init__(self, window: float = 2.0) -> None:
        self.window = window
        self.times: deque[float] = deque()

    def tick(self, now: float) -> None:
        self.times.append(now)
        while self.times and now - self.times[0] > self.window:
            self.times.popleft()

    def rate(self, now: float) -> float:
        while self.times and now - self.times[0] > self.window:
            self.times.popleft()
        if len(self.times) < 2:
            return 0.0
        span = max(now - self.times[0], self.times[-1] - self.times[0])
        return (len(self.times) - 1) / span if span > 0 else 0.0


class CapturePipeline:
    """Runs a source, measures every frame, and feeds the current scan. Start once, stop once."""

    def __init__(
        self,
        source: FrameSource,
        scan: AutoCapture | None = None,
        *,
        mode: str = "passport",
        on_frame: FrameCallback | None = None,
        on_status: StatusCallback | None = None,
        on_result: ResultCallback | None = None,
        retry_seconds: float = 1.0,
        warm: bool = True,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.source = source
        self.on_frame = on_frame
        self.on_status = on_status
        self.on_result = on_result
        self.retry_seconds = retry_seconds
        self.warm = warm
        self.clock = clock
        self._meter = QualityMeter(scan.mode if scan is not None else mode)
        self._scan = scan
        self._slot = LatestFrame()
        self._stop = threading.Event()
        self._ended = threading.Event()
        self._lock = threading.Lock()
        self._status_lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self._source_status = SourceStatus("closed", "not started")
        self._last_key: tuple | None = None
        self._frames = 0
        self._analysed = 0
        self._reconnects = 0
        self._quality_seconds = 0.0
        self._frame_rate = _Rate()
        self._analysis_rate = _Rate()
        self._result_event = threading.Event()
        self.error: str | None = None

    # -- control -----------------------------------------------------------------

    def start(self) -> "CapturePipeline":
        if self._threads:
            raise RuntimeError("pipeline already started")
        if self._scan is not None and self._scan.start is None:
            self._scan.start = self.clock()
        self._threads = [
            threading.Thread(target=self._capture_loop, name="kiosk-capture", daemon=True),
            threading.Thread(target=self._analysis_loop, name="kiosk-analysis", daemon=True),
        ]
        for thread in self._threads:
            thread.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        """Stop both threads and close the source; returns within about `timeout` seconds."""
        self._stop.set()
        self._slot.wake()
        deadline = time.monotonic() + timeout
        for thread in self._threads:
            if thread is not threading.current_thread():
                thread.join(max(0.0, deadline - time.monotonic()))

    def __enter__(self) -> "CapturePipeline":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def begin(self, scan: AutoCapture) -> None:
        """Start a new scan (the previous one, if unfinished, is dropped)."""
        if scan.start is None:
            scan.start = self.clock()
        with self._lock:
            self._scan = scan
            self._meter = QualityMeter(scan.mode)
            self._result_event.clear()
        self._emit_status(force=True)

    def cancel(self) -> CaptureResult | None:
        """End the current scan without a read (keeps its best frame); None when there is none."""
        with self._lock:
            scan = self._scan
        if scan is None:
            return None
        result = scan.finish("cancelled", self.clock())
        self._deliver(scan, result)
        return result

    # -- polling ---------------------------------------------------------------------

    @property
    def scan(self) -> AutoCapture | None:
        return self._scan

    @property
    def status(self) -> PipelineStatus:
        scan = self._scan
        return PipelineStatus(self._source_status, scan.status if scan is not None else None)

    def latest(self) -> tuple[Frame, Quality] | None:
        """The newest frame and its quality (for a preview that polls)."""
        item = self._slot.peek()
        return None if item is None else (item.frame, item.quality)

    def stats(self) -> PipelineStats:
        now = time.monotonic()
        return PipelineStats(
            frames=self._frames,
            analysed=self._analysed,
            preview_fps=self._frame_rate.rate(now),
            analysis_rate=self._analysis_rate.rate(now),
            quality_ms=1000.0 * self._quality_seconds / max(1, self._frames),
            reconnects=self._reconnects,
        )

    @property
    def dropped(self) -> int:
        """Frames the analysis never looked at because a newer one came first."""
        return self._slot.dropped

    @property
    def ended(self) -> bool:
        """The source has no more frames (end of a file) or failed for good."""
        return self._ended.is_set()

    def wait(self, timeout: float | None = None) -> CaptureResult | None:
        """Block until the current scan ends (or `timeout`); its result, or None."""
        if self._result_event.wait(timeout):
            scan = self._scan
            return scan.result if scan is not None else None
        return None

    # -- threads ---------------------------------------------------------------------

    def _set_source_status(self, status: SourceStatus) -> None:
        self._source_status = status
        self._emit_status()

    def _emit_status(self, force: bool = False) -> None:
        if self.on_status is None:
            return
        status = self.status
        key = status.key()
        with self._status_lock:
            if not force and key == self._last_key:
                return
            self._last_key = key
        try:
            self.on_status(status)
        except Exception:  # a UI bug must not kill the capture
            log.exception("status callback failed")

    def _capture_loop(self) -> None:
        source = self.source
        opened = False
        try:
            while not self._stop.is_set():
                if not opened:
                    try:
                        source.open()
                        opened = True
                        self._set_source_status(source.status)
                    except SourceUnavailable as exc:
                        self._set_source_status(SourceStatus("retrying", f"{exc} - retrying"))
                        self._stop.wait(self.retry_seconds)
                        continue
                    except (SourceError, OSError) as exc:
                        self._fail(str(exc))
                        return
                try:
                    frame = source.read()
                except SourceUnavailable as exc:
                    opened = False
                    self._reconnects += 1
                    try:
                        source.close()
                    except Exception:
                        pass
                    self._set_source_status(SourceStatus("retrying", f"{exc} - retrying"))
                    self._stop.wait(min(self.retry_seconds, 0.2))
                    continue
                except SourceError as exc:
                    self._fail(str(exc))
                    return
                if frame is None:
                    self._set_source_status(source.status if source.status.state == "ended" else SourceStatus("ended", "no more frames"))
                    self._ended.set()
                    self._slot.wake()
                    return
                self._on_frame(frame)
        except Exception as exc:  # never die silently: say it on the status line
            log.exception("capture thread failed")
            self._fail(f"capture failed: {exc}")
        finally:
            try:
                source.close()
            except Exception:
                pass

    def _fail(self, message: str) -> None:
        self.error = message
        self._set_source_status(SourceStatus("failed", message))
        self._ended.set()
        self._slot.wake()

    def _on_frame(self, frame: Frame) -> None:
        started = time.perf_counter()
        with self._lock:
            meter, scan = self._meter, self._scan
        quality = meter.assess(frame.image)
        self._quality_seconds += time.perf_counter() - started
        self._frames += 1
        now = self.clock()
        self._frame_rate.tick(time.monotonic())
        if scan is not None and not scan.done:
            scan.observe(frame, quality, now)
            if scan.done:
                self._deliver(scan, scan.result)
        self._slot.put(frame, quality)
        if self.on_frame is not None:
            try:
                self.on_frame(frame, quality)
            except Exception:
                log.exception("frame callback failed")
        self._emit_status()

    def _analysis_loop(self) -> None:
        warmed: set[int] = set()
        seen = 0
        failed_in_a_row = 0
        while not self._stop.is_set():
            scan = self._scan
            if scan is not None and self.warm and id(scan.analyser) not in warmed:
                warmed.add(id(scan.analyser))
                try:
                    scan.analyser.warm()
                except Exception:
                    log.exception("analyser warm-up failed")
            item = self._slot.take(seen, timeout=0.1)
            if item is None:
                scan = self._scan
                if scan is not None and not scan.done:
                    scan.tick(self.clock())
                    if scan.done:
                        self._deliver(scan, scan.result)
                if self._ended.is_set():
                    scan = self._scan
                    if scan is not None and not scan.done:
                        reason = "camera failed" if self.error else "the source ended"
                        self._deliver(scan, scan.finish(f"{reason} before a certain read", self.clock()))
                    if self._stop.wait(0.1):
                        return
                continue
            seen = item.seq
            scan = self._scan
            if scan is None or scan.done or not scan.wants(item.quality):
                continue
            self._analysed += 1
            self._analysis_rate.tick(time.monotonic())
            self._emit_status()
            try:
                scan.analyse(item.frame, item.quality, clock=self.clock)
                failed_in_a_row = 0
            except Exception as exc:
                # One frame the reader chokes on is skipped; only a reader failing on every frame ends the scan.
                failed_in_a_row += 1
                log.error("reading a frame failed (%d in a row): %s at %s", failed_in_a_row, type(exc).__name__, where_raised(exc))
                if failed_in_a_row >= MAX_FAILED_READS:
                    self._deliver(scan, scan.finish(f"reading failed on {failed_in_a_row} frames in a row ({type(exc).__name__})", self.clock()))
                continue
            if scan.done:
                self._deliver(scan, scan.result)
            self._emit_status()

    def _deliver(self, scan: AutoCapture, result: CaptureResult | None) -> None:
        if result is None:
            return
        with self._lock:
            if scan.delivered:
                return
            scan.delivered = True
            current = scan is self._scan
        if current:
            self._result_event.set()
        self._emit_status(force=True)
        if self.on_result is not None:
            try:
                self.on_result(result)
            except Exception:
                log.exception("result callback failed")


def create_scan(mode: str, settings=None, engine=None, analyser=None, timeout: float | None = None) -> AutoCapture:
    """An `AutoCapture` for `mode` with the site's settings; builds the engine when none is given.

    Reuse `analyser` (it holds the OCR engine) across scans: models load once.
    """
    from kiosk.config import Settings

    settings = settings or Settings()
    if analyser is None:
        analyser = create_analyser(mode, settings, engine)
    steady = 3 if mode == "passport" else 5
    return AutoCapture(
        analyser,
        timeout=settings.capture.timeout if timeout is None else timeout,
        steady_frames=steady,
        min_confidence=settings.ocr.confidence_threshold,
    )


def analysis_threads(settings=None) -> int:
    """Threads the OCR may use during live capture: leave one core to the preview."""
    import os

    wanted = getattr(getattr(settings, "capture", None), "analysis_threads", 0) if settings is not None else 0
    return wanted or max(1, (os.cpu_count() or 2) - 1)


def create_analyser(mode: str, settings=None, engine=None):
    from kiosk.capture.auto import PassportAnalyser, ReceiptAnalyser
    from kiosk.config import Settings
    from kiosk.ocr.engine import create_engine

    settings = settings or Settings()
    threads = analysis_threads(settings)
    if mode == "passport":
        return PassportAnalyser(threads)
    if mode == "receipt":
        if engine is None:
            engine = create_engine(settings.ocr.engine, threads, settings.ocr.max_side)
        return ReceiptAnalyser(engine, settings.receipt)
    raise ValueError(f"unknown capture mode {mode!r}; choose passport or receipt")
