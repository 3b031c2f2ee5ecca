"""Benchmark the OCR engines: cold start, read latency and peak memory.

For each engine, a fresh child process (this script re-run with ``--child``) is
used, so that every engine starts from a cold interpreter. Measured:

- cold start: from just before the child is spawned to the moment it reports
  the engine is ready (interpreter start + imports + model loading);
- read latency: after one warm-up read of each page, ``--runs`` timed
  ``engine.read()`` calls on a synthetic passport data page (1250 px wide, with
  MRZ) and on a synthetic till receipt (640 px wide); median and p95
  (nearest-rank) in seconds;
- peak RSS of the child process in MB (``ru_maxrss``).

The child writes JSON lines to stdout; anything the OCR libraries print is sent
to stderr instead so it cannot corrupt them.

Run from the repository root:

    .venv/bin/python bench/ocr_engine.py
    .venv/bin/python bench/ocr_engine.py --engines onnx --runs 10 --json
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any, TextIO

from measure import peak_rss_mb, percentile, table


def emit(out: TextIO, **fields: Any) -> None:
    out.write(json.dumps(fields) + "\n")
    out.flush()


def run_child(engine_name: str, runs: int, threads: int) -> None:
    """Load one engine, report readiness, then time reads and report the results."""
    # Keep the real stdout for our JSON lines; send library chatter to stderr.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    from kiosk.ocr.engine import create_engine

    engine = create_engine(engine_name, threads=threads)
    emit(out, event="ready")

    from kiosk.capture.synthetic import PassportData, ReceiptData, passport_page, receipt_page

    pages = {
        "passport": passport_page(PassportData(), width=1250),
        "receipt": receipt_page(ReceiptData(), width=640),
    }
    lines = {name: len(engine.read(image)) for name, image in pages.items()}  # warm-up
    timings: dict[str, list[float]] = {name: [] for name in pages}
    for name, image in pages.items():
        for _ in range(runs):
            start = time.perf_counter()
            engine.read(image)
            timings[name].append(time.perf_counter() - start)
    emit(out, event="result", timings=timings, lines=lines, peak_rss_mb=peak_rss_mb())


def bench_engine(engine_name: str, runs: int, threads: int) -> dict[str, Any]:
    """Run one engine in a fresh subprocess and summarise what it reports."""
    cmd = [sys.executable, os.path.abspath(__file__), "--child", engine_name, "--runs", str(runs), "--threads", str(threads)]
    with tempfile.TemporaryFile("w+") as errors:
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True)
        assert proc.stdout is not None
        cold_start = None
        result: dict[str, Any] | None = None
        for line in proc.stdout:
            message = json.loads(line)
            if message["event"] == "ready":
                cold_start = time.perf_counter() - start
            elif message["event"] == "result":
                result = message
        proc.wait()
        if proc.returncode != 0 or cold_start is None or result is None:
            errors.seek(0)
            tail = "".join(errors.readlines()[-20:])
            raise SystemExit(f"{engine_name}: child failed (exit {proc.returncode}):\n{tail}")
    summary: dict[str, Any] = {"engine": engine_name, "cold_start_s": cold_start}
    for page, values in result["timings"].items():
        summary[page] = {"median_s": statistics.median(values), "p95_s": percentile(values, 95), "runs": values}
    summary["lines_found"] = result["lines"]
    summary["peak_rss_mb"] = result["peak_rss_mb"]
    return summary


def format_table(rows: list[dict[str, Any]]) -> str:
    header = ["engine", "cold start s", "passport median/p95 s", "receipt median/p95 s", "peak RSS MB"]
    body = [
        [
            row["engine"],
            f"{row['cold_start_s']:.2f}",
            f"{row['passport']['median_s']:.3f} / {row['passport']['p95_s']:.3f}",
            f"{row['receipt']['median_s']:.3f} / {row['receipt']['p95_s']:.3f}",
            f"{row['peak_rss_mb']:.0f}",
        ]
        for row in rows
    ]
    return table(header, body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--engines", help="comma-separated engine names (default: all installed)")
    parser.add_argument("--runs", type=int, default=7, help="timed reads per page (at least 5, default 7)")
    parser.add_argument("--threads", type=int, default=0, help="engine threads (0 = library default)")
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    parser.add_argument("--child", metavar="ENGINE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.runs < 5:
        parser.error("--runs must be at least 5")

    if args.child:
        run_child(args.child, args.runs, args.threads)
        return

    from kiosk.ocr.engine import available_engines

    engines = args.engines.split(",") if args.engines else available_engines()
    rows = [bench_engine(name.strip(), args.runs, args.threads) for name in engines]
    if args.json:
        print(json.dumps({"nproc": os.cpu_count(), "runs": args.runs, "engines": rows}, indent=2))
    else:
        print(f"{args.runs} timed runs per page after one warm-up; {os.cpu_count()} CPUs")
        print(format_table(rows))


if __name__ == "__main__":
    main()
