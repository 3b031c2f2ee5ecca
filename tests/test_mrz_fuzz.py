"""No image stops a batch or the live scan: generated images that try to break the reader, through the CLI and
the live analyser. Each must end as a read, `no_mrz` or a one-line error for that image, and the next is read."""

from __future__ import annotations

import json
import os

import cv2
import pytest

from fuzz_images import fuzz_images
from kiosk.capture.auto import AutoCapture, PassportAnalyser
from kiosk.capture.frames import Frame
from kiosk.capture.quality import QualityMeter
from kiosk.cli.main import main
from kiosk.status import Status

LIVE_COUNT = int(os.environ.get("KIOSK_FUZZ_LIVE_IMAGES", "120"))
CLI_COUNT = int(os.environ.get("KIOSK_FUZZ_CLI_IMAGES", "12"))
"""CI reads one image of each kind through `kiosk scan` (a full read costs 0.5-10 s on 2 cores) and 120 through
the live analyser; `KIOSK_FUZZ_CLI_IMAGES=500 KIOSK_FUZZ_LIVE_IMAGES=500` runs the whole set."""
STATUSES = {str(status) for status in Status}


@pytest.fixture(scope="module")
def fuzz_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fuzz")
    paths = []
    for name, image in fuzz_images(max(LIVE_COUNT, CLI_COUNT)):
        path = folder / name
        cv2.imwrite(str(path), image)
        paths.append(path)
    return paths


def test_every_generated_image_gets_its_own_answer_from_kiosk_scan(fuzz_files, capsys, tmp_path, monkeypatch):
    settings = tmp_path / "settings.toml"
    settings.write_text("")
    monkeypatch.setenv("KIOSK_CONFIG", str(settings))
    files = [str(path) for path in fuzz_files[:CLI_COUNT]]
    main(["scan", "passport", "--json", "--engine", "onnx", *files])
    captured = capsys.readouterr()
    answers = [json.loads(line) for line in captured.out.splitlines()]
    assert [a["file"] for a in answers] == files, "an image had no answer: the batch stopped"
    assert "Traceback" not in captured.err
    for answer in answers:
        if "error" in answer:
            assert "internal error" not in answer["error"], answer
            assert "\n" not in answer["error"]
        else:
            assert answer["status"] in STATUSES
    blank = [a for a in answers if "-blank-" in a["file"] or "-black-" in a["file"]]
    assert blank and all(a.get("status") == "no_mrz" for a in blank)


def test_the_live_analyser_reads_every_generated_frame(fuzz_files):
    analyser = PassportAnalyser()
    meter = QualityMeter("passport")
    for index, path in enumerate(fuzz_files[:LIVE_COUNT]):
        image = cv2.imread(str(path))
        if image is None or min(image.shape[:2]) < 8:
            continue
        scan = AutoCapture(analyser, timeout=30.0)
        frame = Frame(image, index, float(index))
        scan.analyse(frame, meter.assess(image), clock=None)
        assert not scan.done or scan.result is not None
