"""The frame sources: a camera, a file (image, folder, video), and the factory that picks one (or the demo).

A `FrameSource` (`kiosk.capture.frames`) is opened, read frame by frame and closed, all from one
thread (the pipeline's capture thread):

- `open()` raises `SourceUnavailable` when the device is missing, busy or not
  answering (worth retrying: a camera can be plugged in later) and
  `SourceError` when retrying cannot help (a file that does not exist);
- `read()` returns the next `Frame`, `None` at the end of a finite stream, or
  raises `SourceUnavailable` when the device went away mid-stream;
- neither ever blocks for long: a camera runs OpenCV in its own device thread
  and gives up waiting after a timeout, so a hung driver cannot hang the app;
- `status` is a one-line, operator-readable state ("camera 0: 1280x720 @ 30
  fps", "camera 0 busy", ...); `info` says what the source really delivers.

`open_source(spec, settings)` turns the `[capture] camera` setting or the
`--camera` option into a source: `auto` (the first camera, else the demo),
`demo`, a camera index, a camera name, a device path, or a file/folder path.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Callable

import cv2
import numpy as np

from kiosk.errors import ImageError
from kiosk.capture.frames import Frame, FrameSource, SourceError, SourceInfo, SourceStatus, SourceUnavailable
from kiosk.images import SUPPORTED_SUFFIXES, load_image

if TYPE_CHECKING:
    from kiosk.config import CaptureSettings

VIDEO_SUFFIXES = (".avi", ".mp4", ".mkv", ".mov", ".webm", ".m4v", ".mjpg", ".mjpeg", ".wmv", ".mpg", ".mpeg")
V4L_SYSFS = Path("/sys/class/video4linux")
FILE_LABELS = {"image": "image file", "video": "video file", "folder": "folder of images"}
"""How a file source names itself to the operator: never by its path (privacy, and no map of the disk on screen)."""

try:  # OpenCV prints backend warnings for missing devices; the status says it better.
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_ERROR)
except AttributeError:  # pragma: no cover - very old OpenCV
    pass


# -- cameras -----------------------------------------------------------------


def list_cameras() -> list[tuple[int, str]]:
    """Cameras this machine has, as (index, name), where the OS lets us list them (Linux).

    Elsewhere the list is empty and `auto` probes index 0 instead.
    """
    if not V4L_SYSFS.is_dir():
        return []
    found = []
    for node in sorted(V4L_SYSFS.glob("video*"), key=lambda p: int(p.name[5:]) if p.name[5:].isdigit() else 1 << 30):
        if not node.name[5:].isdigit():
            continue
        try:
            # Each camera also has metadata nodes; its picture node has index 0.
            if (node / "index").exists() and (node / "index").read_text().strip() not in ("", "0"):
                continue
            name = (node / "name").read_text().strip() if (node / "name").exists() else node.name
        except OSError:
            continue
        found.append((int(node.name[5:]), name))
    return found


def _linux_node(device: int | str) -> Path | None:
    if not sys.platform.startswith("linux"):
        return None
    return Path(f"/dev/video{device}") if isinstance(device, int) else Path(device) if str(device).startswith("/dev/") else None


class _DeviceSession:
    """One open camera, owned by its own daemon thread; abandoned (not joined) if it hangs."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.image: np.ndarray | None = None
        self.serial = 0
        self.error: str | None = None
        self.opened = False
        self.size = (0, 0)
        self.fps = 0.0
        self.stop = threading.Event()


class CameraSource:
    """A camera through OpenCV, by index, device path or name.

    The device is opened and read in a daemon thread that keeps only the
    newest picture (no driver queue building up latency); `open()` and
    `read()` wait for it at most `open_timeout` / `read_timeout` seconds.
    """

    live = True

    def __init__(
        self,
        device: int | str,
        width: int = 1280,
        height: int = 720,
        fps: float = 30.0,
        open_timeout: float = 6.0,
        read_timeout: float = 2.0,
        api: int | None = None,
        capture_factory: Callable[..., object] | None = None,
    ) -> None:
        self.device = device
        self.requested = (int(width), int(height))
        self.requested_fps = fps
        self.open_timeout = open_timeout
        self.read_timeout = read_timeout
        self.api = api
        self.capture_factory = capture_factory
        self.name = f"camera {device}"
        self.status = SourceStatus("closed", f"{self.name} not opened")
        self._session: _DeviceSession | None = None
        self._last_serial = 0
        self._index = 0
        self._start = 0.0
        self._was_live = False

    @property
    def info(self) -> SourceInfo:
        session = self._session
        width, height = session.size if session else (0, 0)
        return SourceInfo(self.name, "camera", width, height, session.fps if session else 0.0, True, self.requested)

    def _resolve(self) -> int | str:
        device = self.device
        if isinstance(device, int) or str(device).startswith("/dev/") or not sys.platform.startswith("linux"):
            return device
        wanted = str(device).lower()
        for index, name in list_cameras():
            if wanted in name.lower():
                return index
        raise SourceUnavailable(f"no camera named {device!r} is connected")

    def _gone_message(self, device: int | str) -> str:
        if self.capture_factory is not None:
            return ""
        node = _linux_node(device)
        if node is not None and not node.exists():
            return f"{self.name} unplugged" if self._was_live else f"no {self.name} (nothing connected)"
        return ""

    def open(self) -> None:
        self.close()
        self.status = SourceStatus("opening", f"opening {self.name}")
        device = self._resolve()
        gone = self._gone_message(device)
        if gone:
            self.status = SourceStatus("retrying", gone)
            raise SourceUnavailable(gone)
        session = _DeviceSession()
        self._session = session
        threading.Thread(target=self._run, args=(session, device), name=f"kiosk-{self.name}", daemon=True).start()
        deadline = time.monotonic() + self.open_timeout
        with session.cond:
            while session.serial == 0 and session.error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                session.cond.wait(left)
        if session.serial == 0:
            message = session.error or f"{self.name} is not answering (busy or a driver problem)"
            self._abandon()
            self.status = SourceStatus("retrying", message)
            raise SourceUnavailable(message)
        self._was_live = True
        self._last_serial = 0
        self._index = 0
        self._start = time.monotonic()
        width, height = session.size
        message = f"{self.name}: {width}x{height}"
        if session.fps:
            message += f" @ {session.fps:g} fps"
        if (width, height) != self.requested:
            message += f" (asked for {self.requested[0]}x{self.requested[1]})"
        self.status = SourceStatus("live", message)

    def read(self) -> Frame | None:
        session = self._session
        if session is None:
            raise SourceUnavailable(f"{self.name} is not open")
        deadline = time.monotonic() + self.read_timeout
        with session.cond:
            while session.serial == self._last_serial and session.error is None:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                session.cond.wait(left)
            if session.serial != self._last_serial:
                self._last_serial = session.serial
                image = session.image
            else:
                image = None
            error = session.error
        if image is None:
            message = error or f"{self.name} stopped answering"
            self._abandon()
            self.status = SourceStatus("retrying", message)
            raise SourceUnavailable(message)
        frame = Frame(image, self._index, time.monotonic() - self._start)
        self._index += 1
        return frame

    def close(self) -> None:
        self._abandon()
        if self.status.state == "live":
            self.status = SourceStatus("closed", f"{self.name} closed")

    def _abandon(self) -> None:
        """Tell the device thread to stop and release the camera; never wait for it."""
        if self._session is not None:
            self._session.stop.set()
            self._session = None

    # -- device thread -------------------------------------------------------

    def _create(self, device: int | str) -> object:
        if self.capture_factory is not None:
            return self.capture_factory(device)
        api = self.api if self.api is not None else (cv2.CAP_V4L2 if sys.platform.startswith("linux") else cv2.CAP_ANY)
        params = [cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, int(self.open_timeout * 1000), cv2.CAP_PROP_READ_TIMEOUT_MSEC, int(self.read_timeout * 1000)]
        try:
            return cv2.VideoCapture(device, api, params)
        except cv2.error:
            return cv2.VideoCapture(device, api)

    def _configure(self, cap: object) -> None:
        width, height = self.requested
        setters = (
            (cv2.CAP_PROP_FOURCC, cv2.VideoWriter_fourcc(*"MJPG")),  # USB cameras need MJPG for 720p at 30 fps
            (cv2.CAP_PROP_FRAME_WIDTH, width),
            (cv2.CAP_PROP_FRAME_HEIGHT, height),
            (cv2.CAP_PROP_FPS, self.requested_fps),
            (cv2.CAP_PROP_BUFFERSIZE, 1),
        )
        for prop, value in setters:
            try:
                cap.set(prop, value)  # type: ignore[attr-defined]
            except cv2.error:
                pass

    def _run(self, session: _DeviceSession, device: int | str) -> None:
        cap = None
        try:
            cap = self._create(device)
            if not cap.isOpened():  # type: ignore[attr-defined]
                gone = self._gone_message(device)
                session_error = gone or f"{self.name} busy or not accessible (is another program using it?)"
                self._fail(session, session_error)
                return
            self._configure(cap)
            try:
                session.fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)  # type: ignore[attr-defined]
            except cv2.error:
                session.fps = 0.0
            first = True
            while not session.stop.is_set():
                ok, image = cap.read()  # type: ignore[attr-defined]
                if session.stop.is_set():
                    break
                if not ok or image is None or image.size == 0:
                    gone = self._gone_message(device)
                    if first:
                        self._fail(session, gone or f"{self.name} busy (it opens but gives no picture; is another program using it?)")
                    else:
                        self._fail(session, gone or f"{self.name} unplugged or stopped giving pictures")
                    return
                if image.ndim == 2:
                    image = cv2.cvtColor(image, cv2.COLOR_GRAY2BGR)
                with session.cond:
                    if first:
                        session.size = (image.shape[1], image.shape[0])
                        first = False
                    session.image = image
                    session.serial += 1
                    session.cond.notify_all()
        except Exception as exc:  # a driver error must become a status, not a dead thread
            self._fail(session, f"{self.name} failed: {exc}")
        finally:
            if cap is not None:
                try:
                    cap.release()  # type: ignore[attr-defined]
                except Exception:
                    pass

    @staticmethod
    def _fail(session: _DeviceSession, message: str) -> None:
        with session.cond:
            session.error = message
            session.cond.notify_all()


def probe_camera(device: int | str = 0, timeout: float = 3.0) -> bool:
    """Whether a camera answers with a picture within `timeout` (for `auto` where cameras cannot be listed)."""
    source = CameraSource(device, open_timeout=timeout, read_timeout=timeout)
    try:
        source.open()
        return True
    except SourceUnavailable:
        return False
    finally:
        source.close()


# -- files -------------------------------------------------------------------


class FileSource:
    """An image, a folder of images (in name order) or a video file, played as frames.

    `realtime=True` plays at the file's own rate times `speed` (frames the
    reader is too slow for are skipped, as a camera would); `realtime=False`
    returns the next frame as soon as it is asked for. A still image is shown
    for `image_frames` frames at `fps` (a video's own rate when it has one).
    `loop` starts again at the end instead of ending.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        realtime: bool = True,
        speed: float = 1.0,
        fps: float | None = None,
        image_frames: int = 30,
        loop: bool = False,
    ) -> None:
        self.path = Path(path)
        self.realtime = realtime
        self.speed = speed if speed > 0 else 1.0
        self.image_frames = max(1, int(image_frames))
        self.loop = loop
        self.name = str(self.path)
        if not self.path.exists():
            raise SourceError("camera file or folder not found")
        if self.path.is_dir():
            self.kind = "folder"
            self.images = sorted(p for p in self.path.iterdir() if p.suffix.lower() in SUPPORTED_SUFFIXES and p.is_file())
            if not self.images:
                raise SourceError(f"no images in the camera folder ({', '.join(SUPPORTED_SUFFIXES)})")
        elif self.path.suffix.lower() in SUPPORTED_SUFFIXES:
            self.kind = "image"
            self.images = [self.path]
            self._check_still()
        elif self.path.suffix.lower() in VIDEO_SUFFIXES:
            self.kind = "video"
            self.images = []
        else:
            raise SourceError(
                f"camera file: not an image or a video (images: {', '.join(SUPPORTED_SUFFIXES)}; videos: {', '.join(VIDEO_SUFFIXES)})"
            )
        self.label = FILE_LABELS[self.kind]
        self.fps = float(fps or 30.0)
        self._fps_given = fps is not None
        self._cap: cv2.VideoCapture | None = None
        self._size = (0, 0)
        self._frame_count = 0
        self._index = -1
        self._start = 0.0
        self._still: tuple[int, np.ndarray] | None = None
        self.status = SourceStatus("closed", f"{self.label} not opened")

    def _check_still(self) -> None:
        """A file that is not an image fails here, when the camera is chosen, not as a scan that never reads."""
        try:
            load_image(self.path)
        except ImageError as exc:
            raise SourceError(f"camera file: {_without_path(exc, self.path)}") from None

    @property
    def info(self) -> SourceInfo:
        return SourceInfo(self.name, "file", self._size[0], self._size[1], self.fps, self.realtime)

    def open(self) -> None:
        self.close()
        if self.kind == "video":
            cap = cv2.VideoCapture(str(self.path))
            if not cap.isOpened():
                raise SourceError("cannot open the camera video (damaged, or a codec OpenCV lacks)")
            own = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
            if not self._fps_given and 1.0 <= own <= 240.0:
                self.fps = own
            self._frame_count = int(cap.get(cv2.CAP_PROP_FRAME_COUNT) or 0)
            self._size = (int(cap.get(cv2.CAP_PROP_FRAME_WIDTH)), int(cap.get(cv2.CAP_PROP_FRAME_HEIGHT)))
            self._cap = cap
        else:
            self._frame_count = len(self.images) * self.image_frames
        self._index = -1
        self._start = time.monotonic()
        self.status = SourceStatus("live", f"playing {self.label}" + (f" ({self._size[0]}x{self._size[1]} @ {self.fps:g} fps)" if self._size[0] else ""))

    def close(self) -> None:
        if self._cap is not None:
            self._cap.release()
            self._cap = None
        self._still = None
        if self.status.state == "live":
            self.status = SourceStatus("closed", f"{self.label} closed")

    def _next_index(self) -> int:
        index = self._index + 1
        if self.realtime:
            rate = self.fps * self.speed
            now = time.monotonic() - self._start
            index = max(index, int(now * rate))
            due = index / rate
            if due > now:
                time.sleep(due - now)
        return index

    def read(self) -> Frame | None:
        if self._index < 0 and self._cap is None and self.kind == "video":
            self.open()
        index = self._next_index()
        image = self._video_frame(index) if self.kind == "video" else self._still_frame(index)
        if image is None:
            if self.loop and index > 0:
                self.open()
                return self.read()
            self.status = SourceStatus("ended", f"end of {self.label}")
            return None
        self._index = index
        still = None if self.kind == "video" else index // self.image_frames
        return Frame(image, index, index / self.fps, still)

    def _video_frame(self, index: int) -> np.ndarray | None:
        cap = self._cap
        if cap is None:
            return None
        for _ in range(index - self._index - 1):  # skipped frames: grabbed, not decoded
            if not cap.grab():
                return None
        ok, image = cap.read()
        if not ok or image is None:
            return None
        if not self._size[0]:
            self._size = (image.shape[1], image.shape[0])
        return image

    def _still_frame(self, index: int) -> np.ndarray | None:
        which = index // self.image_frames
        while which < len(self.images):
            if self._still is not None and self._still[0] == which:
                return self._still[1].copy()
            try:
                image = load_image(self.images[which])
            except ImageError as exc:
                if self.kind == "image":
                    raise SourceError(f"camera file: {_without_path(exc, self.images[which])}") from None
                self.status = SourceStatus("live", f"skipped a file: {_without_path(exc, self.images[which])}")
                which += 1
                self._index = which * self.image_frames - 1
                continue
            self._still = (which, image)
            self._size = (image.shape[1], image.shape[0])
            return image.copy()
        return None


def _without_path(exc: ImageError, path: Path) -> str:
    """An image error's reason without the file's path in front ("not an image, or a format ...")."""
    return str(exc).removeprefix(f"{path}: ")


# -- choosing a source -------------------------------------------------------


def _looks_like_path(spec: str) -> bool:
    return (
        os.sep in spec
        or "/" in spec
        or Path(spec).suffix.lower() in SUPPORTED_SUFFIXES + VIDEO_SUFFIXES
        or Path(spec).exists()
    )


def open_source(
    spec: str | None = None,
    settings: "CaptureSettings | None" = None,
    *,
    document: str = "both",
    realtime: bool = True,
) -> FrameSource:
    """The source a `--camera` value or the `[capture] camera` setting names (not opened yet).

    `document` chooses what the demo shows (passport, receipt, both);
    `realtime=False` makes files and the demo deliver frames as fast as read.
    """
    from kiosk.capture.demo import DemoSource
    from kiosk.config import CaptureSettings

    settings = settings or CaptureSettings()
    spec = str(spec if spec not in (None, "") else settings.camera).strip()
    width, height = settings.width, settings.height
    if spec.lower() == "auto":
        cameras = list_cameras()
        if cameras:
            return CameraSource(cameras[0][0], width, height)
        if not V4L_SYSFS.is_dir() and not sys.platform.startswith("linux") and probe_camera(0):
            return CameraSource(0, width, height)
        return DemoSource(width, height, document=document, realtime=realtime)
    if spec.lower() == "demo" or spec.lower().startswith("demo:"):
        shown = spec.split(":", 1)[1] if ":" in spec else document
        return DemoSource(width, height, document=shown, realtime=realtime)
    if spec.isdigit():
        return CameraSource(int(spec), width, height)
    if spec.startswith("/dev/"):
        return CameraSource(spec, width, height)
    if _looks_like_path(spec):
        return FileSource(spec, realtime=realtime)
    if not spec:
        raise SourceError("no camera given")
    return CameraSource(spec, width, height)
