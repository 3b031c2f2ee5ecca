"""Test videos made in code (MJPG .avi via cv2.VideoWriter), and checks that they are what the tests think.

The other capture tests import the generators from here: a document sliding
into view and then held steady, the same blurred (out of focus), with a glare
spot over the MRZ, too dark, and a source that fails mid-stream.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.capture.demo import DemoSource, DemoTimeline
from kiosk.capture.frames import Frame, SourceUnavailable
from kiosk.capture.sources import FileSource

FPS = 15.0
TIMELINE = DemoTimeline(empty=0.4, slide_in=0.8, hold=2.4, slide_out=0.6)
SHOWN = TIMELINE.empty + TIMELINE.slide_in + TIMELINE.hold


def demo_frames(document: str = "passport", seconds: float = SHOWN, fps: float = FPS, **kwargs):
    """(DemoSource, frames) of one document sliding in and held, as the demo camera draws them."""
    source = DemoSource(document=document, fps=fps, realtime=False, timeline=TIMELINE, duration=seconds, **kwargs)
    source.open()
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    return source, frames


def blurred(image: np.ndarray, sigma: float = 4.0) -> np.ndarray:
    """Out of focus: the whole frame blurred."""
    return cv2.GaussianBlur(image, (0, 0), sigma)


def glare_spot(image: np.ndarray, centre: tuple[int, int], axes: tuple[int, int]) -> np.ndarray:
    """A specular reflection: a saturated white core fading out over the picture."""
    height, width = image.shape[:2]
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    r = ((xs - centre[0]) / axes[0]) ** 2 + ((ys - centre[1]) / axes[1]) ** 2
    alpha = np.clip(1.6 - r, 0.0, 1.0)[..., None]  # saturated inside r < 0.6, fading to nothing at r = 1.6
    return (image.astype(np.float32) * (1 - alpha) + 255.0 * alpha).astype(np.uint8)


def mrz_centre(source: DemoSource, t: float) -> tuple[tuple[int, int], tuple[int, int]]:
    """Where the MRZ of the demo passport is at time t (centre, half-axes for a spot covering much of it)."""
    kind, x, y = source.document_at(t)
    sprite = source._sprites["passport"]
    return (x + int(sprite.width * 0.5), y + int(sprite.height * 0.86)), (int(sprite.width * 0.3), int(sprite.height * 0.12))


def write_video(path: Path, images: list[np.ndarray], fps: float = FPS) -> Path:
    height, width = images[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    assert writer.isOpened(), "OpenCV cannot write MJPG .avi here"
    for image in images:
        writer.write(image)
    writer.release()
    return path


def passport_video(path: Path, effect: str = "none", document: str = "passport") -> Path:
    """A document sliding into view and held; `effect`: none, blur, glare or dark."""
    source, frames = demo_frames(document)
    images = []
    for frame in frames:
        image = frame.image
        if effect == "blur":
            image = blurred(image)
        elif effect == "glare" and source.document_at(frame.timestamp)[0] is not None:
            centre, axes = mrz_centre(source, frame.timestamp)
            image = glare_spot(image, centre, axes)
        elif effect == "dark":
            image = (image.astype(np.float32) * 0.22).astype(np.uint8)
        images.append(image)
    return write_video(path, images)


class FlakySource:
    """A source that is unplugged after `fail_after` frames and refuses `refusals` reopen attempts.

    Stands in for a USB camera pulled out and plugged back in: the frames
    come from an inner source that keeps running.
    """

    def __init__(self, inner, fail_after: int, refusals: int = 2) -> None:
        self.inner = inner
        self.fail_after = fail_after
        self.refusals = refusals
        self.name = "flaky camera"
        self.status = inner.status
        self.reads = 0
        self.opens = 0
        self.failed = False

    @property
    def info(self):
        return self.inner.info

    def open(self) -> None:
        self.opens += 1
        if self.failed and self.refusals > 0:
            self.refusals -= 1
            raise SourceUnavailable("flaky camera unplugged")
        if not self.failed:
            self.inner.open()
        self.status = self.inner.status

    def read(self) -> Frame | None:
        self.reads += 1
        if self.reads == self.fail_after:
            self.failed = True
            raise SourceUnavailable("flaky camera unplugged")
        return self.inner.read()

    def close(self) -> None:
        pass


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    folder = tmp_path_factory.mktemp("videos")
    return {effect: passport_video(folder / f"passport-{effect}.avi", effect) for effect in ("none", "blur", "glare")}


def test_generated_video_plays_back_with_its_own_rate_and_size(videos):
    source = FileSource(videos["none"], realtime=False)
    source.open()
    assert source.fps == pytest.approx(FPS)
    frames = []
    while (frame := source.read()) is not None:
        frames.append(frame)
    assert len(frames) == int(round(SHOWN * FPS))
    assert frames[0].image.shape == (720, 1280, 3)
    assert source.info.width == 1280 and source.info.height == 720
    assert [f.index for f in frames] == list(range(len(frames)))
    assert frames[-1].timestamp == pytest.approx((len(frames) - 1) / FPS)
    assert source.status.state == "ended"


def test_generated_passport_is_in_view_only_after_sliding_in(videos):
    source, _ = demo_frames()
    assert source.document_at(0.1)[0] is None
    kind, x, _ = source.document_at(TIMELINE.empty + 0.1)
    assert kind == "passport" and x < 0
    kind, x, _ = source.document_at(SHOWN - 0.1)
    assert kind == "passport" and x > 0
