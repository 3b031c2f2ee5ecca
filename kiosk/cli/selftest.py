"""`kiosk --self-test`: load the OCR engines, read a sample passport and receipt, say whether it all works.

Meant for the installed app on a kiosk PC (and for CI after a build): it needs
no display (it never imports Qt), no settings file and no network. It prints
one line and returns 0 when every check passed, 1 otherwise:

    self-test: ok (engine onnx, passport ok 0.41 s, receipt ok 0.52 s, total 2.3 s)

The samples are synthetic documents (`kiosk.capture.synthetic`) with an
`expected.json` beside them. The frozen app carries them (rendered at build
time by `packaging/make_samples.py`, so it needs no fonts for this); from a
source checkout they are rendered into a temporary folder on the fly.
`KIOSK_SELFTEST_SAMPLES=DIR` points at another folder of samples.

While it runs, every outgoing connection and name lookup is refused and
counted: a self-test that tried the network fails, even on a machine that has
one.
"""

from __future__ import annotations

import json
import os
import socket
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Sequence

SAMPLES_ENV = "KIOSK_SELFTEST_SAMPLES"
SAMPLES_DIRNAME = "selftest"
"""Where the frozen app carries the samples, inside its bundle folder (`sys._MEIPASS`)."""
EXPECTED_FILE = "expected.json"
PASSPORT_FILE = "passport.png"
RECEIPT_FILE = "receipt.png"
TOTAL_TOLERANCE = 0.005


def write_samples(folder: str | os.PathLike[str]) -> Path:
    """Render the sample passport page and receipt into `folder`, with `expected.json`; returns the folder.

    Needs the OCR-B and DejaVu fonts (`kiosk.capture.synthetic`); the frozen
    app never calls this for its own self-test.
    """
    import cv2

    from kiosk.capture.synthetic import PassportData, ReceiptData, passport_page, receipt_page

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    passport, receipt = PassportData(), ReceiptData()
    for name, image in ((PASSPORT_FILE, passport_page(passport)), (RECEIPT_FILE, receipt_page(receipt))):
        if not cv2.imwrite(str(folder / name), image, [cv2.IMWRITE_PNG_COMPRESSION, 9]):
            raise OSError(f"cannot write {folder / name}")
    expected = {
        "passport": {"file": PASSPORT_FILE, "status": "ok", "mrz_lines": list(passport.mrz())},
        "receipt": {"file": RECEIPT_FILE, "total": receipt.total},
    }
    (folder / EXPECTED_FILE).write_text(json.dumps(expected, indent=2) + "\n", encoding="utf-8")
    return folder


def bundled_samples() -> Path | None:
    """The samples folder the app was shipped with (frozen app), or the one `$KIOSK_SELFTEST_SAMPLES` names."""
    if os.environ.get(SAMPLES_ENV):
        return Path(os.environ[SAMPLES_ENV])
    bundle = getattr(sys, "_MEIPASS", None)
    if getattr(sys, "frozen", False) and bundle:
        return Path(bundle) / SAMPLES_DIRNAME
    return None


@contextmanager
def _samples() -> Iterator[Path]:
    shipped = bundled_samples()
    if shipped is not None:
        yield shipped
        return
    with tempfile.TemporaryDirectory(prefix="kiosk-selftest-") as tmp:
        yield write_samples(tmp)


@contextmanager
def network_refused() -> Iterator[list[str]]:
    """Refuse (and record) every connection and name lookup made inside the block."""
    attempts: list[str] = []
    saved = (socket.socket.connect, socket.socket.connect_ex, socket.create_connection, socket.getaddrinfo)

    def refuse(*args: Any, **kwargs: Any) -> Any:
        attempts.append("network")
        raise OSError("network access refused during the self-test")

    socket.socket.connect = refuse  # type: ignore[method-assign]
    socket.socket.connect_ex = refuse  # type: ignore[method-assign]
    socket.create_connection = refuse  # type: ignore[assignment]
    socket.getaddrinfo = refuse  # type: ignore[assignment]
    try:
        yield attempts
    finally:
        socket.socket.connect, socket.socket.connect_ex, socket.create_connection, socket.getaddrinfo = saved  # type: ignore[method-assign]


def _one_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 120 else text[:117] + "..."


def _check_passport(reader: Any, folder: Path, expected: dict[str, Any]) -> tuple[str, bool]:
    from kiosk.images import load_image

    read = reader.read(load_image(folder / expected["file"]))
    result = read.result
    if result.status != expected["status"]:
        return f"passport {result.status} {read.seconds:.2f} s", False
    want = list(expected["mrz_lines"])
    if list(result.lines) != want:
        # Which line differs, never its text: MRZ lines are personal data in real use.
        wrong = [str(i + 1) for i, line in enumerate(want) if i >= len(result.lines) or result.lines[i] != line]
        return f"passport wrong MRZ line {','.join(wrong) or 'count'} {read.seconds:.2f} s", False
    return f"passport ok {read.seconds:.2f} s", True


def _check_receipt(reader: Any, folder: Path, expected: dict[str, Any]) -> tuple[str, bool]:
    from kiosk.images import load_image

    read = reader.read(load_image(folder / expected["file"]))
    total = read.record.value("total")
    if total is None:
        return f"receipt no total ({read.record.status}) {read.seconds:.2f} s", False
    try:
        matches = abs(float(total) - float(expected["total"])) < TOTAL_TOLERANCE
    except (TypeError, ValueError):
        matches = False
    if not matches:
        return f"receipt wrong total {total} (expected {expected['total']}) {read.seconds:.2f} s", False
    return f"receipt ok {read.seconds:.2f} s", True


def _engines(spec: str | Sequence[str] | None) -> list[str]:
    from kiosk.config import ENGINES

    if spec is None:
        return ["onnx"]
    names = [n.strip() for n in spec.split(",")] if isinstance(spec, str) else list(spec)
    if names == ["all"]:
        from kiosk.ocr.engine.engines import available_engines

        return available_engines() or ["onnx"]
    unknown = [n for n in names if n not in ENGINES]
    if unknown or not names:
        raise ValueError(f"unknown engine {','.join(unknown) or '(none)'}; choose from {', '.join(ENGINES)} or all")
    return names


def run_self_test(engines: str | Sequence[str] | None = None, out: Any = None) -> int:
    """Run the self-test with each engine (default: onnx; "all": every installed one); print one line.

    Returns 0 when every engine loaded, read the passport's exact MRZ with
    status ok and the receipt's expected total, and nothing tried the network;
    1 otherwise.
    """
    started = time.perf_counter()
    out = out or sys.stdout
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    parts: list[str] = []
    ok = True
    try:
        names = _engines(engines)
    except ValueError as exc:
        print(f"self-test: FAILED ({exc})", file=out, flush=True)
        return 1
    with network_refused() as attempts:
        try:
            with _samples() as folder:
                expected = json.loads((folder / EXPECTED_FILE).read_text(encoding="utf-8"))
                for name in names:
                    try:
                        part, passed = _run_engine(name, folder, expected)
                    except Exception as exc:
                        part, passed = f"engine {name} error {type(exc).__name__}: {_one_line(exc)}", False
                    parts.append(part)
                    ok = ok and passed
        except Exception as exc:  # a broken bundle must still give its one line
            parts.append(f"samples: {type(exc).__name__}: {_one_line(exc)}")
            ok = False
    if attempts:
        parts.append(f"{len(attempts)} network attempts")
        ok = False
    parts.append(f"total {time.perf_counter() - started:.1f} s")
    print(f"self-test: {'ok' if ok else 'FAILED'} ({', '.join(parts)})", file=out, flush=True)
    return 0 if ok else 1


def _run_engine(name: str, folder: Path, expected: dict[str, Any]) -> tuple[str, bool]:
    """One engine's part of the summary line, and whether it passed."""
    from kiosk.config import Settings
    from kiosk.scan.models import ScanModels

    loading = time.perf_counter()
    models = ScanModels(Settings(), engine=name, live=False)
    try:
        passport_reader = models.reader("passport")
    except Exception as exc:
        return f"engine {name} failed to load: {_one_line(exc)}", False
    results = [f"engine {name} loaded {time.perf_counter() - loading:.2f} s"]
    passed = True
    for key, check, reader in (
        ("passport", _check_passport, passport_reader),
        ("receipt", _check_receipt, models.reader("receipt")),
    ):
        try:
            text, good = check(reader, folder, expected[key])
        except Exception as exc:
            text, good = f"{key} error {type(exc).__name__}: {_one_line(exc)}", False
        results.append(text)
        passed = passed and good
    return ", ".join(results), passed


def main(argv: Sequence[str] | None = None) -> int:
    """`python -m kiosk.cli.selftest [ENGINES]`, and `--write-samples DIR` for the build."""
    args = list(sys.argv[1:] if argv is None else argv)
    if args[:1] == ["--write-samples"] and len(args) == 2:
        print(write_samples(args[1]))
        return 0
    return run_self_test(args[0] if args else None)


if __name__ == "__main__":
    raise SystemExit(main())
