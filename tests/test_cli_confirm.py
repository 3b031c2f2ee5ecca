"""`kiosk scan ... --confirm` queues records in the outbox as the app's Confirm does."""

import json
import subprocess
import sys

import cv2
import numpy as np

from kiosk.config import Settings
from kiosk.sync.outbox import open_outbox


def scan(*args):
    return subprocess.run([sys.executable, "-m", "kiosk", "scan", *args, "--confirm", "--json"], capture_output=True, text=True, timeout=600)


def queued_records():
    with open_outbox(Settings()) as outbox:
        return [outbox.load(item)[0] for item in outbox.items("pending")]


def test_confirmed_passport_is_in_the_outbox_and_a_blank_page_is_not(tmp_path, passport_file, passport):
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((600, 800, 3), 255, np.uint8))
    result = scan("passport", str(passport_file), str(blank))
    assert result.returncode == 1, result.stderr  # the blank page is not queued
    first, second = (json.loads(line) for line in result.stdout.splitlines())
    assert first["queued"] is True and first["confirmed_at"]
    assert second["status"] == "no_mrz" and second["queued"] is False
    assert "nothing was read, not queued" in result.stderr
    [record] = queued_records()
    assert record.id == first["id"]
    assert record.value("surname") == passport.surname
    assert record.value("document_number") == passport.number
    assert record.confirmed_at is not None


def test_confirmed_receipt_is_in_the_outbox(receipt_file, receipt):
    result = scan("receipt", str(receipt_file))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["queued"] is True
    [record] = queued_records()
    assert record.kind == "receipt" and record.id == out["id"]
    assert record.value("total") == receipt.total
