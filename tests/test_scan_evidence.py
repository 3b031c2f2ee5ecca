"""The review's picture ("the picture it was read from") is the MRZ the read came from, for files and live scans:
read again, it gives the same MRZ lines. On `docsaid__img1.jpg` the quality meter takes a capitals header
("MINISTRY OF INTERNAL ...") for the MRZ; the picture must not show that."""

from __future__ import annotations

from pathlib import Path

import pytest

from kiosk.capture.auto import AutoCapture
from kiosk.capture.pipeline import CapturePipeline
from kiosk.capture.sources import FileSource
from kiosk.config import Settings
from kiosk.scan.evidence import evidence_crop
from kiosk.scan.flow import read_file
from kiosk.scan.models import ScanModels

MRZ = Path(__file__).resolve().parents[2] / "shared" / "data" / "mrz"
pytestmark = pytest.mark.skipif(not (MRZ / "docsaid__img1.jpg").exists(), reason="the shared MRZ images are not here")


@pytest.fixture(scope="module")
def models():
    return ScanModels(Settings(), live=True).load()


def lines_in(models: ScanModels, picture) -> list[str]:
    """What the MRZ reader's band path reads in a picture (either way up): nothing when it shows no MRZ."""
    reader = models.reader("passport")
    result = reader.read_band(picture)
    return list(result.lines) if result is not None and result.status != "no_mrz" else []


@pytest.mark.parametrize("name", ["docsaid__img1.jpg", "fastmrz__td3.jpg", "docsaid__test_mrz.jpg", "fastmrz__td1.jpg"])
def test_an_opened_image_shows_the_mrz_band_it_was_read_from(models, name):
    scan = read_file(models, "passport", str(MRZ / name))
    assert scan.record.status == "ok"
    assert scan.crop is not None
    assert lines_in(models, scan.crop) == list(scan.record.mrz_lines)


def test_a_live_scan_shows_the_mrz_band_of_its_best_read(models):
    # the same picture through the camera path: the pipeline, the live analyser, the capture's evidence
    scan = AutoCapture(models.analyser("passport"), timeout=60)
    pipeline = CapturePipeline(FileSource(MRZ / "docsaid__img1.jpg", realtime=False), scan)
    pipeline.start()
    result = pipeline.wait(90)
    pipeline.stop()
    assert result is not None and result.record is not None and result.record.mrz_lines
    crop = evidence_crop("passport", result.best_frame, result.best_quality, result.region)
    assert lines_in(models, crop) == list(result.record.mrz_lines)
