"""`kiosk capture`: headless auto-capture from the demo, a video, or a camera that is not there."""

from __future__ import annotations

import json
import subprocess
import sys

import cv2

from test_capture_videos import passport_video


def capture(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "capture", *args], capture_output=True, text=True, timeout=timeout
    )


def test_capture_is_a_kiosk_command():
    result = subprocess.run([sys.executable, "-m", "kiosk", "--help"], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and "capture" in result.stdout
    result = subprocess.run([sys.executable, "-m", "kiosk", "capture", "--help"], capture_output=True, text=True, timeout=60)
    assert "--camera" in result.stdout and "--mode" in result.stdout and "--timeout" in result.stdout


def test_demo_passport_json_is_the_scan_record_plus_how_the_capture_went(passport, tmp_path):
    best = tmp_path / "best.png"
    result = capture("--camera", "demo", "--mode", "passport", "--json", "--save-best", str(best))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    # what `kiosk scan passport --json` prints
    assert out["kind"] == "passport" and out["status"] == "ok" and out["format"] == "TD3"
    assert out["mrz_lines"] == list(passport.mrz()) and out["valid_check_digits"] is True
    assert out["fields"]["surname"]["value"] == "ERIKSSON"
    assert out["fields"]["birth_date"]["value"] == "1974-08-12"
    assert "corrections" in out and out["seconds"] > 0
    # and how the capture went
    assert out["source"] == "demo (passport)" and out["state"] == "done"
    assert out["frames"] > 10 and out["analysed"] >= 1 and out["reads"] >= 1
    assert 0 < out["seconds_from_steady"] <= out["seconds_to_result"]
    assert out["preview_fps"] > 5
    assert cv2.imread(str(best)).shape == (720, 1280, 3)


def test_demo_receipt_in_text(receipt):
    result = capture("--camera", "demo", "--mode", "receipt")
    assert result.returncode == 0, result.stderr
    assert "done in" in result.stdout
    assert f"{receipt.total}" in result.stdout
    assert "[done] Done" in result.stderr and "Hold" in result.stderr


def test_video_file_as_fast_as_it_reads(tmp_path, passport):
    video = passport_video(tmp_path / "passport.avi")
    result = capture("--camera", str(video), "--fast", "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["file"] == str(video) and out["state"] == "done"
    assert out["mrz_lines"] == list(passport.mrz())


def test_blurred_video_times_out_without_a_record(tmp_path):
    video = passport_video(tmp_path / "blurred.avi", "blur")
    result = capture("--camera", str(video), "--json")
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert out["state"] == "timed_out" and out["status"] == "no_mrz"
    assert "source ended" in out["reason"]
    assert out["best_frame_quality"]["issue"] == "blur"
    assert out["best_frame_quality"]["hint"] == "Hold still to focus"


def test_missing_camera_times_out_with_the_reason():
    result = capture("--camera", "47", "--timeout", "1.5", "--json", timeout=60)
    assert result.returncode == 1
    out = json.loads(result.stdout)
    assert out["state"] == "timed_out" and out["status"] == "no_picture" and out["frames"] == 0
    assert "camera 47" in out["reason"]


def test_bad_file_is_a_clear_error(tmp_path):
    result = capture("--camera", str(tmp_path / "missing.mp4"))
    assert result.returncode == 1
    assert "not found" in result.stderr and "Traceback" not in result.stderr
