"""`kiosk ocr` and `kiosk config` as a person or a script uses them."""

import json
import struct
import subprocess
import sys
import zlib

import pytest

from kiosk.ocr.engine.types import MRZ_ALPHABET


def kiosk(*args, input=None, env=None):
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, input=input, timeout=300, env=env)


@pytest.mark.parametrize("engine", ["onnx", "paddle"])
def test_ocr_json_lines_for_passport_and_receipt(engine, passport_file, receipt_file, passport, receipt):
    result = kiosk("ocr", str(passport_file), str(receipt_file), "--engine", engine, "--json")
    assert result.returncode == 0, result.stderr
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["file"] == str(passport_file) and first["seconds"] > 0
    texts = [line["text"] for line in first["lines"]]
    assert passport.mrz()[0] in texts
    assert all(set(line["text"]) <= set(MRZ_ALPHABET) for line in first["lines"] if line["text"].startswith("P<"))
    assert any(t.replace(" ", "").endswith(f"{receipt.total:.2f}") for t in (l["text"] for l in second["lines"]))
    box = second["lines"][0]["box"]
    assert len(box) == 4 and all(len(p) == 2 for p in box)
    assert all(0 <= line["confidence"] <= 1 for line in second["lines"])


def huge_png(path, width=30000, height=30000):
    """A valid PNG header declaring 900 megapixels, without the pixels."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 10)) + chunk(b"IEND", b""))


def test_bad_files_get_one_line_errors_and_good_ones_are_still_read(tmp_path, receipt_file):
    not_image = tmp_path / "notes.jpg"
    not_image.write_text("this is not a picture")
    empty = tmp_path / "empty.png"
    empty.write_bytes(b"")
    unsupported = tmp_path / "scan.docx"
    unsupported.write_bytes(b"PK\x03\x04")
    huge = tmp_path / "huge.png"
    huge_png(huge)
    truncated = tmp_path / "cut.jpg"
    truncated.write_bytes(receipt_file.read_bytes()[:2000])
    missing = tmp_path / "missing.png"
    files = [missing, not_image, empty, unsupported, huge, truncated, receipt_file]
    result = kiosk("ocr", *map(str, files))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = result.stderr.strip().splitlines()
    assert len(errors) == 6
    expected = ["file not found", "not an image", "empty file", "unsupported format", "too large", "damaged"]
    for line, path, reason in zip(errors, files, expected):
        assert line.startswith("kiosk: error: ") and str(path) in line and reason in line
    assert f"{receipt_file}: " in result.stdout and "TOTAL" in result.stdout


def test_json_mode_reports_errors_per_file(tmp_path):
    result = kiosk("ocr", str(tmp_path / "nothing.png"), "--json")
    assert result.returncode == 1
    assert json.loads(result.stdout) == {"file": str(tmp_path / "nothing.png"), "error": f"{tmp_path / 'nothing.png'}: file not found"}


def test_bad_settings_file_is_a_clear_error(tmp_path, receipt_file):
    settings = tmp_path / "settings.toml"
    settings.write_text("[ocr]\nengine = 'tesseract'\n")
    result = kiosk("--config", str(settings), "ocr", str(receipt_file))
    assert result.returncode == 1
    assert result.stderr.strip() == "kiosk: error: [ocr] engine must be one of onnx, paddle, not 'tesseract'"


def test_config_show_masks_secrets(tmp_path):
    import os

    env = dict(os.environ, KIOSK_SECRET_OCR_TOKEN="tok-very-secret-123")
    stored = kiosk("secret", "set", "odoo_secret", input="odoo-pass-456\n", env=env)
    assert stored.returncode == 0, stored.stderr
    settings = tmp_path / "kiosk.toml"
    settings.write_text("[kiosk]\nid = 'counter-7'\n[ocr]\nconfidence_threshold = 0.75\n")
    shown = kiosk("config", "show", "--help")
    assert shown.returncode == 0
    shown = kiosk("--config", str(settings), "config", "show", env=env)
    assert shown.returncode == 0, shown.stderr
    out = shown.stdout
    assert 'id = "counter-7"' in out and "confidence_threshold = 0.75" in out
    assert "tok-very-secret-123" not in out and "odoo-pass-456" not in out
    assert 'ocr_token = "********"  # environment' in out
    assert 'odoo_secret = "********"  # keyring' in out
    assert 'greenpay_token = ""  # not set' in out
    assert "odoo-pass-456" not in settings.read_text()
