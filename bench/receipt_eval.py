"""Evaluate receipt reading on labelled images: per-field accuracy, speed, memory.

    .venv/bin/python bench/receipt_eval.py ../shared/data/receipts ../shared/data/receipts/labels.json
    .venv/bin/python bench/receipt_eval.py DIR LABELS.json --engines onnx,paddle --json

LABELS.json maps file names to `{"company", "date", "total", ...}` as printed
on the receipt (the SROIE form). Each engine runs in a fresh child process
(this script re-run with ``--child``) so its peak RSS is its own. In the
child, one warm-up read of the first image, then every image is read once.

Compared after normalisation:
- total: as numbers (`parse_amount`), equal to the cent; receipts whose label
  has no total are left out of the total figure;
- date: as dates (`parse_date` of the label, in the `--date-order`);
- vendor: exact, upper-case letters and digits only (O/0 and I/1 folded);
  `vendor~` also counts near misses (similarity at least 0.8), shown apart.

Seconds are `ReceiptReader.read` (straighten + OCR + extraction) after the
warm-up, not counting file decoding (reported apart as `load`); p95 is
nearest-rank. `cpu` is the process CPU time of the same reads: with
`--threads 1` it estimates the wall time on an otherwise idle machine, which
helps when other work shares the CPUs. Peak RSS is the child's `ru_maxrss`.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from difflib import SequenceMatcher
from pathlib import Path
from typing import Any, TextIO

from measure import peak_rss_mb, percentile, table

FIELDS = ("total", "date", "vendor", "vendor~")


def normalise_vendor(text: Any) -> str:
    folded = re.sub(r"[^A-Z0-9]", "", str(text or "").upper())
    return folded.translate(str.maketrans("01", "OI"))


def score(record: dict[str, Any], label: dict[str, Any], date_order: str) -> dict[str, bool | None]:
    """Per-field correctness of one record against its label; None when the label has no value."""
    from kiosk.ocr.receipt.values import parse_amount, parse_date

    out: dict[str, bool | None] = {}
    expected_total = parse_amount(label.get("total") or None)
    got_total = record["total"]
    out["total"] = None if expected_total is None else got_total is not None and abs(got_total - expected_total) < 0.005
    expected_date = parse_date(label.get("date"), date_order)
    out["date"] = None if expected_date is None else record["date"] == expected_date
    expected_vendor = normalise_vendor(label.get("company"))
    got_vendor = normalise_vendor(record["vendor"])
    if not expected_vendor:
        out["vendor"] = out["vendor~"] = None
    else:
        out["vendor"] = got_vendor == expected_vendor
        out["vendor~"] = bool(got_vendor) and SequenceMatcher(None, got_vendor, expected_vendor).ratio() >= 0.8
    return out


def emit(out: TextIO, **fields: Any) -> None:
    out.write(json.dumps(fields) + "\n")
    out.flush()


def run_child(engine_name: str, folder: Path, labels_path: Path, threads: int, date_order: str) -> None:
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    sys.stdout.flush()
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())  # library chatter must not corrupt our JSON lines

    from kiosk.config import ReceiptSettings
    from kiosk.errors import KioskError
    from kiosk.images import load_image
    from kiosk.ocr.engine import create_engine
    from kiosk.ocr.receipt.read import ReceiptReader

    labels: dict[str, dict[str, Any]] = json.loads(labels_path.read_text(encoding="utf-8"))
    started = time.perf_counter()
    engine = create_engine(engine_name, threads=threads)
    emit(out, event="ready", seconds=time.perf_counter() - started)
    reader = ReceiptReader(engine, ReceiptSettings(date_order=date_order))
    names = sorted(labels)
    if names:
        reader.read(load_image(folder / names[0]))  # warm-up
    for name in names:
        try:
            load_started = time.perf_counter()
            image = load_image(folder / name)
            load_seconds = time.perf_counter() - load_started
            cpu_started = time.process_time()
            read = reader.read(image)
            cpu_seconds = time.process_time() - cpu_started
        except KioskError as exc:
            emit(out, event="file", file=name, error=str(exc))
            continue
        record = read.record
        values = {key: record.value(key) for key in ("vendor", "date", "total", "tax", "subtotal", "currency")}
        emit(
            out,
            event="file",
            file=name,
            status=record.status,
            confidence=record.confidence,
            values=values,
            total_confidence=record.field("total").confidence,
            correct=score(values, labels[name], date_order),
            seconds=read.seconds,
            ocr_seconds=read.ocr_seconds,
            cpu_seconds=cpu_seconds,
            load_seconds=load_seconds,
            straightening=read.straightening,
            warnings=list(record.warnings),
        )
    emit(out, event="done", peak_rss_mb=peak_rss_mb())


def evaluate_engine(engine_name: str, folder: Path, labels: Path, threads: int, date_order: str) -> dict[str, Any]:
    cmd = [
        sys.executable, os.path.abspath(__file__), str(folder), str(labels),
        "--child", engine_name, "--threads", str(threads), "--date-order", date_order,
    ]
    files: list[dict[str, Any]] = []
    summary: dict[str, Any] = {"engine": engine_name}
    with tempfile.TemporaryFile("w+") as errors:
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=errors, text=True)
        assert proc.stdout is not None
        for line in proc.stdout:
            message = json.loads(line)
            if message["event"] == "ready":
                summary["cold_start_s"] = message["seconds"]
            elif message["event"] == "file":
                files.append(message)
            elif message["event"] == "done":
                summary["peak_rss_mb"] = message["peak_rss_mb"]
        proc.wait()
        if proc.returncode != 0 or "peak_rss_mb" not in summary:
            errors.seek(0)
            tail = "".join(errors.readlines()[-20:])
            raise SystemExit(f"{engine_name}: child failed (exit {proc.returncode}):\n{tail}")
    read = [f for f in files if "error" not in f]
    for key in FIELDS:
        judged = [f["correct"][key] for f in read if f["correct"][key] is not None]
        judged += [False for f in files if "error" in f]
        summary[key] = {"correct": sum(judged), "of": len(judged), "accuracy": sum(judged) / len(judged) if judged else float("nan")}
    seconds = [f["seconds"] for f in read]
    summary["median_s"] = statistics.median(seconds) if seconds else float("nan")
    summary["p95_s"] = percentile(seconds, 95)
    summary["ocr_median_s"] = statistics.median(f["ocr_seconds"] for f in read) if read else float("nan")
    summary["cpu_median_s"] = statistics.median(f["cpu_seconds"] for f in read) if read else float("nan")
    summary["load_median_s"] = statistics.median(f["load_seconds"] for f in read) if read else float("nan")
    summary["statuses"] = {s: sum(1 for f in read if f["status"] == s) for s in sorted({f["status"] for f in read})}
    summary["errors"] = [f for f in files if "error" in f]
    summary["files"] = files
    return summary


def format_table(rows: list[dict[str, Any]]) -> str:
    header = ["engine", "total", "date", "vendor", "vendor~", "median/p95 s", "ocr median s", "cpu median s", "peak RSS MB"]
    body = []
    for row in rows:
        cells = [row["engine"]]
        for key in FIELDS:
            cells.append(f"{row[key]['correct']}/{row[key]['of']} {100 * row[key]['accuracy']:.1f}%")
        cells += [
            f"{row['median_s']:.3f} / {row['p95_s']:.3f}",
            f"{row['ocr_median_s']:.3f}",
            f"{row['cpu_median_s']:.3f}",
            f"{row['peak_rss_mb']:.0f}",
        ]
        body.append(cells)
    return table(header, body)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path, metavar="DIR")
    parser.add_argument("labels", type=Path, metavar="LABELS.json")
    parser.add_argument("--engines", default="onnx", help="comma-separated engine names, or 'all' (default: onnx)")
    parser.add_argument("--threads", type=int, default=0, help="engine threads (0 = library default)")
    parser.add_argument("--date-order", default="DMY", choices=["DMY", "MDY", "YMD"])
    parser.add_argument("--json", action="store_true", help="print a JSON object instead of a table")
    parser.add_argument("--details", action="store_true", help="also list each receipt's wrong fields")
    parser.add_argument("--child", metavar="ENGINE", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.child:
        run_child(args.child, args.folder, args.labels, args.threads, args.date_order)
        return
    if not args.labels.is_file():
        parser.error(f"labels file not found: {args.labels}")
    if not args.folder.is_dir():
        parser.error(f"not a folder: {args.folder}")

    from kiosk.ocr.engine import available_engines

    engines = available_engines() if args.engines == "all" else [e.strip() for e in args.engines.split(",")]
    rows = [evaluate_engine(name, args.folder, args.labels, args.threads, args.date_order) for name in engines]
    if args.json:
        print(json.dumps({"nproc": os.cpu_count(), "threads": args.threads, "engines": rows}, indent=2))
        return
    count = len(rows[0]["files"]) if rows else 0
    print(f"{count} receipts, one read each after a warm-up; {os.cpu_count()} CPUs; threads={args.threads or 'default'}")
    print(format_table(rows))
    for row in rows:
        print(f"{row['engine']}: statuses {row['statuses']}; load median {row['load_median_s']:.3f} s; cold start {row['cold_start_s']:.2f} s")
        for error in row["errors"]:
            print(f"  {error['file']}: error: {error['error']}")
        if args.details:
            for entry in row["files"]:
                wrong = [key for key, ok in entry.get("correct", {}).items() if ok is False]
                if wrong:
                    got = {key.rstrip("~"): entry["values"][key.rstrip("~")] for key in wrong}
                    print(f"  {entry['file']}: wrong {', '.join(wrong)}: got {got}")


if __name__ == "__main__":
    main()
