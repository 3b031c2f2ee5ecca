"""`kiosk --self-test`: from a source checkout, offline, headless, one summary line and an honest exit code.

The frozen bundle's self-test is checked by `packaging/build.sh --ci` (a CI
stage of its own, see `.ci/run`), since building it takes minutes.
"""

import io
import json
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kiosk.cli.selftest import EXPECTED_FILE, PASSPORT_FILE, RECEIPT_FILE, run_self_test, write_samples

ROOT = Path(__file__).resolve().parents[1]

# `python -m kiosk --self-test ...` with every socket refused (as in test_offline.py), reporting
# afterwards whether anything tried the network or imported Qt.
GUARD = textwrap.dedent(
    """
    import atexit, runpy, socket, sys
    attempts = []
    def refuse(*args, **kwargs):
        attempts.append(args[:2])
        raise OSError("network blocked by test")
    socket.socket.connect = refuse
    socket.socket.connect_ex = refuse
    socket.create_connection = refuse
    socket.getaddrinfo = refuse
    atexit.register(lambda: print("GUARD", len(attempts), "PySide6" in sys.modules, file=sys.stderr))
    sys.argv = ["kiosk", *sys.argv[1:]]
    runpy.run_module("kiosk", run_name="__main__", alter_sys=True)
    """
)
SUMMARY = re.compile(
    r"^self-test: ok \(engine (?P<engine>\w+) loaded [\d.]+ s, passport ok [\d.]+ s, receipt ok [\d.]+ s, total [\d.]+ s\)$"
)


def run_kiosk(*args, env=None):
    import os

    environ = {k: v for k, v in os.environ.items() if k not in ("QT_QPA_PLATFORM", "DISPLAY", "WAYLAND_DISPLAY")}
    environ.update(env or {})
    return subprocess.run(
        [sys.executable, "-c", GUARD, *args], capture_output=True, text=True, timeout=600, cwd=ROOT, env=environ
    )


def guard_report(stderr: str) -> list[str]:
    lines = [line for line in stderr.splitlines() if line.startswith("GUARD ")]
    assert lines, stderr[-2000:]
    return lines[-1].split()[1:]


def test_self_test_from_source_passes_offline_and_headless():
    result = run_kiosk("--self-test")
    assert result.returncode == 0, (result.stdout, result.stderr[-2000:])
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout
    match = SUMMARY.match(lines[0])
    assert match, lines[0]
    assert match["engine"] == "onnx"
    attempts, qt_imported = guard_report(result.stderr)
    assert attempts == "0"
    assert qt_imported == "False", "the self-test must not import Qt"


def test_self_test_with_the_paddle_engine():
    result = run_kiosk("--self-test", "paddle")
    assert result.returncode == 0, (result.stdout, result.stderr[-2000:])
    assert SUMMARY.match(result.stdout.strip())["engine"] == "paddle"
    assert guard_report(result.stderr)[0] == "0"


def test_bundled_samples_are_used_and_a_wrong_expectation_fails(tmp_path, monkeypatch):
    """The frozen app's path: samples from a folder (as packaging/make_samples.py writes them)."""
    subprocess.run([sys.executable, str(ROOT / "packaging" / "make_samples.py"), str(tmp_path)], check=True, timeout=120)
    assert {p.name for p in tmp_path.iterdir()} == {PASSPORT_FILE, RECEIPT_FILE, EXPECTED_FILE}
    expected = json.loads((tmp_path / EXPECTED_FILE).read_text())
    assert expected["passport"]["status"] == "ok" and len(expected["passport"]["mrz_lines"]) == 2
    expected["receipt"]["total"] += 1.0
    expected["passport"]["mrz_lines"][1] = expected["passport"]["mrz_lines"][1][::-1]
    (tmp_path / EXPECTED_FILE).write_text(json.dumps(expected))
    monkeypatch.setenv("KIOSK_SELFTEST_SAMPLES", str(tmp_path))
    out = io.StringIO()
    assert run_self_test(out=out) == 1
    line = out.getvalue().strip()
    assert line.startswith("self-test: FAILED (engine onnx loaded"), line
    assert "passport wrong MRZ line 2" in line and "receipt wrong total" in line, line
    assert "\n" not in line


def test_missing_samples_fail_with_one_line(tmp_path, monkeypatch):
    monkeypatch.setenv("KIOSK_SELFTEST_SAMPLES", str(tmp_path / "nowhere"))
    out = io.StringIO()
    assert run_self_test(out=out) == 1
    line = out.getvalue()
    assert line.startswith("self-test: FAILED (samples: FileNotFoundError") and line.count("\n") == 1, line


def test_unknown_engine_is_refused():
    out = io.StringIO()
    assert run_self_test("tesseract", out=out) == 1
    assert out.getvalue() == "self-test: FAILED (unknown engine tesseract; choose from onnx, paddle or all)\n"


def test_network_attempts_fail_the_self_test(tmp_path, monkeypatch):
    """The guard inside the self-test refuses and counts connections, so a self-test that phones home fails."""
    import socket

    from kiosk.cli import selftest

    write_samples(tmp_path)
    monkeypatch.setenv("KIOSK_SELFTEST_SAMPLES", str(tmp_path))

    def engine_that_phones_home(name, folder, expected):
        with pytest.raises(OSError):
            socket.create_connection(("example.org", 443), timeout=1)
        return f"engine {name} stub", True

    monkeypatch.setattr(selftest, "_run_engine", engine_that_phones_home)
    out = io.StringIO()
    assert run_self_test(out=out) == 1
    assert "1 network attempts" in out.getvalue()
    assert socket.create_connection is not None and socket.getaddrinfo.__name__ == "getaddrinfo"
