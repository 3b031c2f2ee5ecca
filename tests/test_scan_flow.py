"""The Qt-free scan flow the app and the command line share: a file in, a read ready for review out."""

from __future__ import annotations

from dataclasses import replace

import cv2
import numpy as np
import pytest

from kiosk.config import Settings
from kiosk.scan.flow import needs_remote, read_file
from kiosk.scan.models import ScanModels
from remote_server import remote_settings


@pytest.fixture(scope="module")
def models():
    return ScanModels(Settings(), live=False)


@pytest.fixture(scope="module")
def blank_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("blank") / "blank.png"
    rng = np.random.default_rng(3)
    cv2.imwrite(str(path), np.clip(rng.normal(200, 25, (600, 900, 3)), 0, 255).astype(np.uint8))
    return path


def test_a_file_of_unknown_kind_is_read_as_what_it_shows(models, passport_file, receipt_file):
    passport = read_file(models, None, str(passport_file))
    assert passport.kind == "passport" and passport.record.status == "ok" and passport.usable
    assert passport.record is passport.read.record  # one record, made once, with its MRZ detail beside it
    assert passport.to_json("p.jpg")["mrz_lines"] == list(passport.read.result.lines)
    assert passport.crop is not None and passport.crop.shape[1] <= 600 and passport.crop.shape[0] <= 160
    receipt = read_file(models, None, str(receipt_file))
    assert receipt.kind == "receipt" and receipt.record.value("total") == pytest.approx(20.03)
    assert receipt.crop is not None and receipt.crop.shape[0] <= 560


def test_the_fallback_decision_follows_the_one_policy(models, passport_file, blank_file):
    auto = Settings(remote=remote_settings("http://127.0.0.1:9", "auto"))
    manual = replace(auto, remote=replace(auto.remote, policy="manual"))
    off = replace(auto, remote=replace(auto.remote, policy="off"))
    nothing = read_file(models, "passport", str(blank_file))
    assert nothing.record.status == "no_mrz" and not nothing.usable
    assert needs_remote(nothing, auto) and not needs_remote(nothing, manual) and not needs_remote(nothing, off)
    good = read_file(models, "passport", str(passport_file))
    assert not needs_remote(good, auto)
    timed_out = replace(good, problem="no certain read within 20 s")  # a capture that ended unsure
    assert needs_remote(timed_out, auto) and not needs_remote(timed_out, manual)
    assert not needs_remote(replace(nothing, image=None), auto)  # typed in by hand: no picture to send
