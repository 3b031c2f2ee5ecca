"""The house plan holds: `lint-imports` keeps the layers, keeps Qt in the UI and finds no import circle,
and it does catch a wrong import (checked on a temporary copy of the package)."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=root, capture_output=True, text=True, timeout=300,
        env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(root), "HOME": str(root)},
    )


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    shutil.copytree(ROOT / "kiosk", tmp_path / "kiosk", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_code_keeps_every_import_contract():
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "4 kept, 0 broken" in result.stdout


def test_qt_imported_below_the_ui_is_caught(copy: Path):
    parse = copy / "kiosk" / "ocr" / "mrz" / "parse.py"
    parse.write_text(parse.read_text() + "\nfrom PySide6.QtCore import QObject  # noqa: E402\n")
    result = lint(copy)
    assert result.returncode != 0
    assert "No Qt and no kiosk.ui below the UI BROKEN" in result.stdout
    assert "kiosk.ocr.mrz.parse -> PySide6" in result.stdout


def test_an_upward_import_and_the_circle_it_makes_are_caught(copy: Path):
    records = copy / "kiosk" / "records.py"
    records.write_text(records.read_text() + "\nimport kiosk.sync.outbox  # noqa: E402\n")
    engine = copy / "kiosk" / "ocr" / "engine" / "geometry.py"
    engine.write_text(engine.read_text() + "\nimport kiosk.ocr.mrz.parse  # noqa: E402\n")
    result = lint(copy)
    assert result.returncode != 0
    assert "Layers: cli > ui > scan > capture > ocr | sync > core BROKEN" in result.stdout
    assert "Inside ocr: remote > mrz | receipt > engine BROKEN" in result.stdout
    assert "No import circles among kiosk's packages BROKEN" in result.stdout
