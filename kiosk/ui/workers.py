"""Everything slow happens here, off the UI thread: OCR, camera, network, disk.

- `Mailbox`: the one way back to the UI thread. Worker threads `post()`
  plain Python callables into a queue; a 10 ms timer on the UI thread runs
  them. Worker threads never touch a Qt object (no signal emission, no
  QImage): PySide6 6.12's queued signals race on reference counts when
  emitted from Python threads, and this way the question never arises.
- `TaskRunner`: named lanes of daemon threads (`ocr`, `camera`, `disk`,
  `net`); `run(lane, fn, done, failed)` calls `fn()` on the lane and `done`
  (or `failed`) back on the UI thread through the mailbox. Tasks of a lane
  run in order. Daemon threads: a hung network call never holds up exit.
- The OCR models (`kiosk.scan.models.ScanModels`) load on the `ocr` lane
  and every file read (`kiosk.scan.flow`) runs there: a reader is not
  thread-safe.
- `CaptureBridge`: one `CapturePipeline` at a time; its callbacks (pipeline
  threads) become Qt signals on the UI thread. A frame is scaled to the
  preview's size on the capture thread, and only when the UI has
  painted the previous one, so a slow UI never queues frames.
  The frame is scaled on the capture thread (numpy) and wrapped in a
  QImage on the UI thread.
"""

from __future__ import annotations

import itertools
import logging
import os
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable

import cv2
import numpy as np
from PySide6.QtCore import QObject, QRect, QTimer, Signal, Slot
from PySide6.QtGui import QImage

from kiosk.config import Settings
from kiosk.errors import KioskError
from kiosk.scan.evidence import evidence_crop
from kiosk.ui.qt import emit

log = logging.getLogger("kiosk.ui")

LANES = {"ocr": 1, "camera": 1, "disk": 1, "net": 3}


# -- tasks -------------------------------------------------------------------------

WORKER_NICENESS = 5
"""How much lower than the UI thread the workers run (Linux/macOS): when the CPU is short, the UI thread wins."""
_lowered = threading.local()


def lower_priority() -> None:
    """Give the calling (worker) thread a lower CPU priority than the UI thread; once per thread, best effort.

    Threads a worker starts afterwards (e.g. ONNX Runtime's pool, made when
    the models load on the `ocr` lane) inherit it.
    """
    if getattr(_lowered, "done", False):
        return
    _lowered.done = True
    if not hasattr(os, "setpriority"):
        return
    try:
        tid = threading.get_native_id()
        os.setpriority(os.PRIO_PROCESS, tid, min(19, os.getpriority(os.PRIO_PROCESS, tid) + WORKER_NICENESS))
    except OSError:
        pass



class _Lane:
    def __init__(self, name: str, threads: int, deliver: Callable[[int, bool, Any], None]) -> None:
        self.name = name
        self.queue: queue.Queue[tuple[int, Callable[[], Any]] | None] = queue.Queue()
        self.deliver = deliver
        self.threads = [
            threading.Thread(target=self._loop, name=f"kiosk-ui-{name}-{i}", daemon=True) for i in range(threads)
        ]
        self.busy = 0
        for thread in self.threads:
            thread.start()

    def _loop(self) -> None:
        lower_priority()
        while True:
            item = self.queue.get()
            if item is None:
                return
            token, fn = item
            self.busy += 1
            try:
                result = fn()
            except BaseException as exc:  # every failure goes back to the UI
                if not isinstance(exc, KioskError):
                    log.exception("task on the %s lane failed", self.name)
                self.deliver(token, False, exc)
            else:
                self.deliver(token, True, result)
            finally:
                self.busy -= 1

    def stop(self) -> None:
        for _ in self.threads:
            self.queue.put(None)

    def join(self, deadline: float) -> None:
        for thread in self.threads:
            thread.join(max(0.0, deadline - time.monotonic()))


class Mailbox(QObject):
    """Callables posted from any thread, run on the UI thread by a short timer."""

    def __init__(self, parent: QObject | None = None, interval_ms: int = 10) -> None:
        super().__init__(parent)
        self._queue: queue.SimpleQueue[tuple[Callable[..., None], tuple[Any, ...]]] = queue.SimpleQueue()
        self.timer = QTimer(self)
        self.timer.setInterval(interval_ms)
        self.timer.timeout.connect(self.drain)
        self.timer.start()
        self.closed = False

    def post(self, fn: Callable[..., None], *args: Any) -> None:
        """(any thread) run `fn(*args)` on the UI thread soon."""
        if not self.closed:
            self._queue.put((fn, args))

    @Slot()
    def drain(self) -> None:
        for _ in range(200):
            try:
                fn, args = self._queue.get_nowait()
            except queue.Empty:
                return
            if self.closed:
                return
            try:
                fn(*args)
            except Exception:
                log.exception("UI callback failed")

    def close(self) -> None:
        self.closed = True
        self.timer.stop()


class TaskRunner(QObject):
    """Runs callables on worker lanes; results come back on the UI thread (through the mailbox)."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.mailbox = Mailbox(self)
        self._ids = itertools.count(1)
        self._callbacks: dict[int, tuple[Callable[[Any], None] | None, Callable[[BaseException], None] | None]] = {}
        self._lock = threading.Lock()
        self._lanes = {name: _Lane(name, threads, self._deliver) for name, threads in LANES.items()}
        self.closed = False

    def _deliver(self, token: int, ok: bool, value: Any) -> None:
        if not self.closed:
            self.mailbox.post(self._on_finished, token, ok, value)

    def run(
        self,
        lane: str,
        fn: Callable[[], Any],
        done: Callable[[Any], None] | None = None,
        failed: Callable[[BaseException], None] | None = None,
    ) -> int:
        token = next(self._ids)
        with self._lock:
            self._callbacks[token] = (done, failed)
        self._lanes[lane].queue.put((token, fn))
        return token

    def pending(self, lane: str | None = None) -> int:
        """Tasks queued or running (on one lane, or all)."""
        lanes = [self._lanes[lane]] if lane else list(self._lanes.values())
        return sum(l.queue.qsize() + l.busy for l in lanes)

    def _on_finished(self, token: int, ok: bool, value: Any) -> None:
        with self._lock:
            done, failed = self._callbacks.pop(token, (None, None))
        if ok and done is not None:
            done(value)
        elif not ok:
            if failed is not None:
                failed(value)
            elif not isinstance(value, KioskError):
                log.error("unhandled task failure: %s", type(value).__name__)

    def shutdown(self, wait: float = 0.0) -> None:
        """No more results; queued tasks are dropped. `wait`: seconds to let running tasks end (e.g. a model load)."""
        self.closed = True
        self.mailbox.close()
        for lane in self._lanes.values():
            while True:
                try:
                    lane.queue.get_nowait()
                except queue.Empty:
                    break
            lane.stop()
        if wait > 0:
            deadline = time.monotonic() + wait
            for lane in self._lanes.values():
                if lane.name != "net":  # a network call may hang: daemon threads end with the process
                    lane.join(deadline)


def error_text(exc: BaseException) -> str:
    """One line for the operator: a KioskError's own message, else the exception's type."""
    if isinstance(exc, KioskError):
        return str(exc)
    text = str(exc)
    return f"{type(exc).__name__}: {text}" if text and len(text) < 200 else f"unexpected error ({type(exc).__name__})"


# -- images ------------------------------------------------------------------------


def to_qimage(image: np.ndarray) -> QImage:
    """A QImage that owns a copy of a BGR (or grey) uint8 array."""
    image = np.ascontiguousarray(image)
    height, width = image.shape[:2]
    if image.ndim == 2:
        return QImage(image.data, width, height, image.strides[0], QImage.Format.Format_Grayscale8).copy()
    return QImage(image.data, width, height, image.strides[0], QImage.Format.Format_BGR888).copy()



# -- live capture --------------------------------------------------------------------


@dataclass(frozen=True)
class PreviewFrame:
    """(capture thread -> UI) a frame scaled for the preview, and where the quality meter saw things."""

    image: np.ndarray
    scale: float
    """Preview pixels per frame pixel."""
    frame_size: tuple[int, int]
    mrz: tuple[int, int, int, int] | None
    document: tuple[int, int, int, int] | None
    hint: str
    issue: str | None

    def rect(self, which: str) -> QRect | None:
        box = self.mrz if which == "mrz" else self.document
        return None if box is None else QRect(*box)


class CaptureBridge(QObject):
    """The capture pipeline seen from Qt. `start()`/`stop()` run on the `camera` lane; signals carry a generation.

    The pipeline's callbacks run on its threads: they only post to the
    mailbox; the signals are emitted on the UI thread.
    """

    frame = Signal(int, object)  # generation, PreviewFrame (image as a numpy array)
    status = Signal(int, object)  # generation, PipelineStatus
    result = Signal(int, object, object)  # generation, CaptureResult, evidence crop (numpy) or None
    started = Signal(int, str)  # generation, error ("" when started)

    def __init__(self, runner: TaskRunner, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.mailbox = runner.mailbox
        self.generation = 0
        self.pipeline: Any = None
        self.preview_size = (960, 540)
        self._awaiting_paint = False
        self._lock = threading.Lock()

    # UI thread -------------------------------------------------------------

    def start(self, spec: str, mode: str, settings: Settings, scan_factory: Callable[[], Any] | None) -> int:
        """Open the source named by `spec` and start a pipeline (and a scan, when `scan_factory` is given)."""
        self.generation += 1
        generation = self.generation
        self._awaiting_paint = False

        def work() -> None:
            self._stop_current()
            from kiosk.capture.pipeline import CapturePipeline
            from kiosk.capture.sources import open_source

            document = mode if spec.strip().lower() == "demo" else "both"
            source = open_source(spec, settings.capture, document=document)
            pipeline = CapturePipeline(
                source,
                mode=mode,
                on_frame=lambda frame, quality: self._on_frame(generation, frame, quality),
                on_status=lambda status: self._post(generation, self.status, status),
                on_result=lambda result: self._on_result(generation, mode, result),
            )
            with self._lock:
                if generation != self.generation:
                    return
                self.pipeline = pipeline
            pipeline.start()
            if scan_factory is not None:
                pipeline.begin(scan_factory())

        def failed(exc: BaseException) -> None:
            if generation == self.generation:
                emit(self.started, generation, error_text(exc))

        self.runner.run("camera", work, lambda _: emit(self.started, generation, ""), failed)
        return generation

    def begin(self, scan_factory: Callable[[], Any]) -> None:
        """Start a (new) scan on the running pipeline."""
        generation = self.generation

        def work() -> None:
            with self._lock:
                pipeline = self.pipeline if generation == self.generation else None
            if pipeline is not None:
                pipeline.begin(scan_factory())

        self.runner.run("camera", work)

    def stop(self) -> None:
        """Stop the pipeline and close the camera (in the background); later signals are ignored."""
        self.generation += 1
        self.runner.run("camera", self._stop_current)

    def painted(self) -> None:
        """The UI showed the last frame: the next one may be prepared."""
        self._awaiting_paint = False

    def _emit_current(self, generation: int, signal: Any, *args: Any) -> None:
        if generation == self.generation:
            emit(signal, generation, *args)
        elif signal is self.frame:
            self._awaiting_paint = False

    # pipeline threads ------------------------------------------------------------

    def _post(self, generation: int, signal: Any, *args: Any) -> None:
        lower_priority()  # the pipeline's capture and analysis threads
        if generation == self.generation:
            self.mailbox.post(self._emit_current, generation, signal, *args)

    def _stop_current(self) -> None:
        with self._lock:
            pipeline, self.pipeline = self.pipeline, None
        if pipeline is not None:
            try:
                pipeline.cancel()
            except Exception:
                log.exception("cancelling the scan failed")
            pipeline.stop()

    def _on_frame(self, generation: int, frame: Any, quality: Any) -> None:
        lower_priority()
        if generation != self.generation or self._awaiting_paint:
            return
        self._awaiting_paint = True
        image = frame.image
        height, width = image.shape[:2]
        max_w, max_h = self.preview_size
        scale = min(max_w / width, max_h / height)
        small = cv2.resize(image, (max(1, int(width * scale)), max(1, int(height * scale))), interpolation=cv2.INTER_LINEAR)

        def box(found: Any) -> tuple[int, int, int, int] | None:
            if found is None:
                return None
            return int(found.x * scale), int(found.y * scale), int(found.w * scale), int(found.h * scale)

        preview = PreviewFrame(small, scale, (width, height), box(quality.mrz), box(quality.document), quality.hint, quality.issue)
        self._post(generation, self.frame, preview)

    def _on_result(self, generation: int, mode: str, result: Any) -> None:
        if generation != self.generation or result.reason == "cancelled":
            return
        crop = None
        try:
            if result.best_frame is not None:
                crop = evidence_crop(mode, result.best_frame, result.best_quality, result.region)
        except Exception:
            log.exception("could not cut the evidence crop")
        self._post(generation, self.result, result, crop)

    def shutdown(self, timeout: float = 3.0) -> None:
        """Stop the pipeline now (on exit)."""
        self.generation += 1
        with self._lock:
            pipeline, self.pipeline = self.pipeline, None
        if pipeline is not None:
            pipeline.stop(timeout)
