"""Bad files given to the passport reader: a clear message each, no crash, nothing else lost."""

import json
import subprocess
import sys

import cv2
import numpy as np
import pytest

from kiosk.ocr.mrz.read import MrzReader


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, passport_file):
    folder = tmp_path_factory.mktemp("bad")
    files = {}
    files["empty"] = folder / "empty.jpg"
    files["empty"].write_bytes(b"")
    files["text"] = folder / "notes.png"
    files["text"].write_text("P<UTOERIKSSON<<ANNA<MARIA\nthis is not an image\n")
    files["corrupt"] = folder / "corrupt.jpg"
    files["corrupt"].write_bytes(passport_file.read_bytes()[:2000] if passport_file.suffix == ".jpg" else b"\xff\xd8\xff\xe0" + bytes(2000))
    files["tiny"] = folder / "tiny.png"
    cv2.imwrite(str(files["tiny"]), np.full((12, 9, 3), 200, np.uint8))
    files["big"] = folder / "big.png"
    noise = np.random.default_rng(0).integers(0, 256, (4300, 4300, 3), dtype=np.uint8)
    cv2.imwrite(str(files["big"]), noise, [cv2.IMWRITE_PNG_COMPRESSION, 1])
    files["good"] = passport_file
    return files


def test_the_noise_file_is_really_large(bad_files):
    assert bad_files["big"].stat().st_size > 50_000_000


def test_each_bad_file_gets_its_own_clear_answer_and_the_good_one_still_reads(bad_files):
    order = ["empty", "text", "corrupt", "tiny", "big", "good"]
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "scan", "passport", *[str(bad_files[k]) for k in order], "--json"],
        capture_output=True, text=True, timeout=600,
    )
    assert result.returncode == 1  # some files failed
    assert "Traceback" not in result.stderr
    out = {k: json.loads(line) for k, line in zip(order, result.stdout.splitlines())}
    assert "empty file" in out["empty"]["error"]
    assert "not an image" in out["text"]["error"]
    assert "damaged or truncated" in out["corrupt"]["error"] or "not an image" in out["corrupt"]["error"]
    for readable in ("tiny", "big"):
        assert out[readable].get("status") == "no_mrz" or "too small" in out[readable].get("error", "")
    assert out["good"]["status"] == "ok"
    assert len(result.stderr.strip().splitlines()) == 3


@pytest.mark.parametrize("shape", [(1, 1, 3), (5, 400, 3), (400, 5, 3), (64, 64, 3)])
def test_degenerate_pixels_read_as_no_mrz(shape):
    image = np.full(shape, 255, np.uint8)
    assert MrzReader().read(image).result.status == "no_mrz"
