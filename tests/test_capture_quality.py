"""Frame quality: what is in view, and the one hint the operator gets for what is wrong."""

from __future__ import annotations

import json
from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.capture.demo import DemoSource
from kiosk.capture.quality import HINTS, QualityMeter, find_text
from test_capture_videos import TIMELINE, blurred, glare_spot, mrz_centre

HELD = TIMELINE.empty + TIMELINE.slide_in + 1.0
MRZ_DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mrz"


@pytest.fixture(scope="module")
def demo():
    source = DemoSource(document="passport", realtime=False, timeline=TIMELINE)
    source.open()
    return source


@pytest.fixture(scope="module")
def receipt_demo():
    source = DemoSource(document="receipt", realtime=False, timeline=TIMELINE)
    source.open()
    return source


def steady(meter: QualityMeter, image: np.ndarray):
    """The quality of an image seen twice in a row (so motion is measured as none)."""
    meter.assess(image)
    return meter.assess(image)


def test_held_passport_is_in_view_readable_and_its_mrz_is_located(demo):
    q = steady(QualityMeter("passport"), demo.render(HELD))
    assert q.ok and q.issue is None and q.hint == HINTS[None]
    assert q.in_view and q.mrz_lines == 2
    kind, x, y = demo.document_at(HELD)
    sprite = demo._sprites["passport"]
    # the MRZ box sits inside the document's lower part
    assert x <= q.mrz.x and q.mrz.x + q.mrz.w <= x + sprite.width
    assert y + 0.7 * sprite.height <= q.mrz.y <= y + sprite.height
    assert q.mrz.w > 0.7 * sprite.width
    assert q.document.area > q.mrz.area
    assert q.motion < 1.0 and q.glare == 0.0 and q.sharpness > 4


def test_empty_desk_asks_for_the_document(demo):
    q = steady(QualityMeter("passport"), demo.render(0.1))
    assert not q.in_view and q.issue == "no_document"
    assert q.hint == "Place the document under the camera"
    assert q.mrz is None


def test_document_half_in_view_and_moving(demo):
    meter = QualityMeter("passport")
    t = TIMELINE.empty + 0.2  # still sliding in, cut by the frame's edge
    meter.assess(demo.render(t - 1 / 30))
    q = meter.assess(demo.render(t))
    assert not q.ok
    assert q.issue in ("partial", "motion", "no_mrz", "no_document")
    t = TIMELINE.empty + TIMELINE.slide_in * 0.55  # fully in, but still moving fast
    meter.assess(demo.render(t - 1 / 30))
    q = meter.assess(demo.render(t))
    assert q.in_view and q.issue == "motion" and q.hint == "Hold still"
    assert q.motion > 4


def test_blurred_passport_asks_to_hold_still_to_focus(demo):
    q = steady(QualityMeter("passport"), blurred(demo.render(HELD), 4.0))
    assert q.in_view and q.issue == "blur" and q.hint == "Hold still to focus"
    slightly = steady(QualityMeter("passport"), blurred(demo.render(HELD), 1.0))
    assert slightly.ok, "a slight blur still reads; it must not block the scan"


def test_glare_over_the_mrz_asks_to_tilt(demo):
    image = demo.render(HELD)
    centre, axes = mrz_centre(demo, HELD)
    q = steady(QualityMeter("passport"), glare_spot(image, centre, axes))
    assert q.issue == "glare" and q.hint == "Tilt to remove glare"
    assert not q.ok and q.glare > 0.04
    # a small spot over the photo, away from the MRZ, is no reason to stop
    kind, x, y = demo.document_at(HELD)
    small = glare_spot(image, (x + 120, y + 180), (30, 20))
    assert steady(QualityMeter("passport"), small).ok


def test_dark_and_bright_frames_ask_for_light(demo):
    dark = (demo.render(HELD).astype(np.float32) * 0.22).astype(np.uint8)
    q = steady(QualityMeter("passport"), dark)
    assert q.issue == "dark" and q.hint == "More light"
    empty_dark = (demo.render(0.1).astype(np.float32) * 0.3).astype(np.uint8)
    assert steady(QualityMeter("passport"), empty_dark).issue == "dark"
    washed = cv2.convertScaleAbs(demo.render(HELD), alpha=0.35, beta=175)
    q = steady(QualityMeter("passport"), washed)
    assert q.issue == "bright" and q.hint == "Less light"


def test_small_passport_far_away_asks_to_move_closer(demo):
    frame = demo.render(HELD)
    far = np.full_like(frame, frame[5, 5])
    small = cv2.resize(frame, None, fx=0.45, fy=0.45, interpolation=cv2.INTER_AREA)
    far[200 : 200 + small.shape[0], 350 : 350 + small.shape[1]] = small
    q = steady(QualityMeter("passport"), far)
    assert q.in_view and q.issue == "too_far" and q.hint == "Move closer"


def test_receipt_in_view_in_receipt_mode(receipt_demo):
    q = steady(QualityMeter("receipt"), receipt_demo.render(HELD))
    assert q.ok and q.in_view and q.text_lines >= 10
    assert q.mrz_lines == 0
    # the same receipt in passport mode: text, but no MRZ
    q = steady(QualityMeter("passport"), receipt_demo.render(HELD))
    assert not q.in_view and q.issue == "no_mrz"
    assert q.hint == "Show the page with the machine-readable zone"


def test_quality_fields_serialise(demo):
    q = steady(QualityMeter("passport"), demo.render(HELD))
    data = q.to_json()
    assert json.loads(json.dumps(data)) == data
    assert data["issue"] is None and data["in_view"] is True


@pytest.mark.skipif(not MRZ_DATA.exists(), reason="shared MRZ samples not present")
@pytest.mark.parametrize(
    "name, lines",
    [("fastmrz__td1.jpg", 3), ("fastmrz__td2.jpg", 2), ("fastmrz__td3.jpg", 2), ("fastmrz__passport_uk.jpg", 2), ("docsaid__test_mrz.jpg", 2)],
)
def test_mrz_found_in_real_document_photos(name, lines):
    image = cv2.imread(str(MRZ_DATA / name))
    q = QualityMeter("passport").assess(image)
    assert q.in_view and q.mrz_lines == lines
    assert q.issue in (None, "too_far")
    labels = json.loads((MRZ_DATA / "labels.json").read_text())
    assert len(labels[name]["mrz_lines"]) == lines


def test_find_text_sees_nothing_on_a_plain_desk(demo):
    grey = cv2.cvtColor(cv2.resize(demo.render(0.1), (640, 360)), cv2.COLOR_BGR2GRAY)
    layout = find_text(grey)
    assert layout.mrz == [] and len(layout.lines) < 2



def test_a_low_resolution_camera_asks_to_move_closer_even_with_the_passport_filling_half_the_frame(demo):
    """What reads is the print's size in pixels: on a 640x360 camera the demo passport's MRZ
    spans half the frame, yet its characters are 8 px apart, where reading starts to fail."""
    frame = cv2.resize(demo.render(HELD), (640, 360), interpolation=cv2.INTER_AREA)
    q = steady(QualityMeter("passport"), frame)
    assert q.in_view and q.mrz is not None and q.mrz.w > 0.5 * frame.shape[1]
    assert q.issue == "too_far" and q.hint == "Move closer"


def test_a_4k_frame_with_the_passport_small_in_it_but_its_print_large_asks_nothing(demo):
    """A 4K frame with the passport a fifth of its width has MRZ print as large as the demo's
    1280x720 frame: neither "Move closer" nor "Hold still to focus" (which would stop the reading)."""
    frame = demo.render(HELD)
    wide = np.full((frame.shape[0] * 3, frame.shape[1] * 3, 3), frame[5, 5], np.uint8)
    wide[700 : 700 + frame.shape[0], 1200 : 1200 + frame.shape[1]] = frame
    q = steady(QualityMeter("passport"), wide)
    assert q.in_view and q.mrz is not None and q.mrz.w < 0.25 * wide.shape[1]
    assert q.issue is None and q.hint == HINTS[None]
    blurred_far = steady(QualityMeter("passport"), blurred(wide, 4.0))
    assert blurred_far.issue == "blur"
