"""What a frame source delivers and how it fails: the types every source shares (cameras, files, the demo)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from kiosk.errors import KioskError

__all__ = ["Frame", "FrameSource", "SourceError", "SourceInfo", "SourceStatus", "SourceUnavailable"]


class SourceError(KioskError):
    """A source that cannot work however long we wait: a missing file, an unusable setting."""


class SourceUnavailable(KioskError):
    """The device is missing, busy, unplugged or not answering right now; trying again may help."""


@dataclass(frozen=True)
class Frame:
    """One picture: BGR uint8, its number in the stream and its time in seconds from the stream start."""

    image: np.ndarray
    index: int
    timestamp: float
    still: int | None = None
    """Which still picture this frame shows (an image file, or one of a folder's, played as a camera), None for a live
    frame. Every frame of a still is the same: it is read once, as an opened image is, whatever its framing."""


@dataclass(frozen=True)
class SourceInfo:
    """What a source is and what it actually delivers (0 when not known yet)."""

    name: str
    kind: str  # camera, file, demo
    width: int = 0
    height: int = 0
    fps: float = 0.0
    live: bool = True
    """Paced by the clock (camera, demo, realtime file) rather than by the reader."""
    requested: tuple[int, int] = (0, 0)


@dataclass(frozen=True)
class SourceStatus:
    """`state` is closed, opening, live, retrying, ended or failed; `message` is for the operator."""

    state: str
    message: str


class FrameSource(Protocol):
    name: str
    status: SourceStatus

    @property
    def info(self) -> SourceInfo: ...

    def open(self) -> None: ...

    def read(self) -> Frame | None: ...

    def close(self) -> None: ...
