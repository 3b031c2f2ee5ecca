"""Evaluate MRZ reading on a labelled folder of images, ours and PassportEye's side by side.

    .venv/bin/python bench/mrz_eval.py DIR LABELS.json [--passporteye] [--json]

Per image: the kiosk's `MrzReader` (after one warm-up read), compared with
the labels (`has_mrz`, `mrz_lines`, `all_check_digits_valid`, as in
`../shared/data/mrz/labels.json`). Printed:

- lines exact: every MRZ line equal to the label;
- key fields exact: document number, names, nationality, issuing state,
  birth and expiry dates, sex and document type equal to those parsed from
  the labelled lines (per field and per image);
- `ok` rate on valid documents;
- false accepts: status `ok` on an image without an MRZ, on a document
  whose check digits do not hold, or with any key field wrong. Must be 0;
- accepted but wrong: the false accepts whose confidence also reaches the
  default threshold (0.60), so the app would not ask the operator to look;
- negatives: `no_mrz` on images without an MRZ;
- documents read as nothing whose reason says an MRZ is there but too small
  or blurred to read, and negatives that wrongly say so;
- median and p95 seconds per image, and peak RSS (MB) of this process;
- on a set from `bench/mrz_set.py`, whose labels say how tall MRZ capitals
  are in each photo (`mrz_char_px`), the key-field rate by that height.

With `--passporteye PYTHON` (a Python that has `pip install passporteye`,
kept out of the kiosk's venv; needs Debian `tesseract-ocr`), PassportEye's
`read_mrz` runs on the same images in a child process and its lines-exact,
valid-rate, false accepts and timings are printed beside ours. PassportEye
has no confidence, so its "accept" is its `valid` flag.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

from measure import median, peak_rss_mb, percentile

KEY_FIELDS = (
    "document_type", "document_number", "surname", "given_names", "nationality",
    "issuing_country", "birth_date", "expiry_date", "sex",
)


def key_fields(lines: list[str]) -> dict[str, str | None]:
    from kiosk.ocr.mrz.parse import parse_mrz

    result = parse_mrz(lines, correct=False)
    return {name: result.value(name) for name in KEY_FIELDS} if result.fields else {}


def evaluate_ours(folder: Path, labels: dict[str, dict], dump: Path | None = None) -> dict:
    from kiosk.images import load_image
    from kiosk.ocr.mrz.read import MrzReader

    from kiosk.config import OcrSettings

    threshold = OcrSettings().confidence_threshold
    reader = MrzReader()
    names = sorted(labels)
    reader.read(load_image(folder / names[0]))  # warm-up
    rows = []
    for name in names:
        label = labels[name]
        image = load_image(folder / name)
        started = time.perf_counter()
        read_ = reader.read(image)
        result = read_.result
        seconds = time.perf_counter() - started
        truth = key_fields(label["mrz_lines"]) if label["has_mrz"] else {}
        read = {f: result.value(f) for f in KEY_FIELDS} if result.fields else {}
        rows.append({
            "file": name,
            "status": result.status,
            "accepted": result.status == "ok" and result.confidence >= threshold,
            "path": read_.path,
            "lines_exact": label["has_mrz"] and list(result.lines) == label["mrz_lines"],
            "fields": {f: bool(truth) and read.get(f) == truth.get(f) for f in KEY_FIELDS},
            "seconds": seconds,
            "read": list(result.lines),
            "reason": result.reason,
            "confidence": result.confidence,
            "field_confidence": {f.name: f.confidence for f in result.fields},
            "corrections": [c.to_json() for c in result.corrections],
        })
    if dump is not None:
        dump.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return summarise(rows, labels)


def summarise(rows: list[dict], labels: dict[str, dict]) -> dict:
    documents = [r for r in rows if labels[r["file"]]["has_mrz"]]
    valid_docs = [r for r in documents if labels[r["file"]]["all_check_digits_valid"]]
    negatives = [r for r in rows if not labels[r["file"]]["has_mrz"]]
    wrong = [
        r for r in rows
        if not labels[r["file"]]["has_mrz"] or not labels[r["file"]]["all_check_digits_valid"] or not all(r["fields"].values())
    ]
    unread = [r for r in documents if r["status"] == "no_mrz"]
    false_accepts = [r["file"] for r in wrong if r["status"] == "ok"]
    accepted_but_wrong = [r["file"] for r in wrong if r["accepted"]]
    seconds = [r["seconds"] for r in rows]
    field_rates = {f: _rate(sum(r["fields"][f] for r in valid_docs), len(valid_docs)) for f in KEY_FIELDS}
    return {
        "images": len(rows),
        "documents": len(documents),
        "valid_documents": len(valid_docs),
        "lines_exact": _rate(sum(r["lines_exact"] for r in documents), len(documents)),
        "key_fields_exact_images": _rate(sum(all(r["fields"].values()) for r in valid_docs), len(valid_docs)),
        "key_fields_exact_fields": _rate(sum(sum(r["fields"].values()) for r in valid_docs), len(valid_docs) * len(KEY_FIELDS)),
        "per_field": field_rates,
        "ok_on_valid": _rate(sum(r["status"] == "ok" for r in valid_docs), len(valid_docs)),
        "invalid_read_not_ok": _rate(sum(r["status"] != "ok" for r in documents if r not in valid_docs), len(documents) - len(valid_docs)),
        "accepted_on_valid": _rate(sum(r["accepted"] for r in valid_docs), len(valid_docs)),
        "false_accepts": false_accepts,
        "accepted_but_wrong": accepted_but_wrong,
        "negatives_no_mrz": _rate(sum(r["status"] == "no_mrz" for r in negatives), len(negatives)),
        "unread_documents_said_unreadable": _rate(sum(said_unreadable(r) for r in unread), len(unread)),
        "negatives_said_unreadable": [r["file"] for r in negatives if said_unreadable(r)],
        "median_s": round(median(seconds), 3),
        "p95_s": round(percentile(seconds, 95), 3),
        "peak_rss_mb": round(peak_rss_mb()),
        "paths": dict(Counter(r["path"] for r in rows)),
        "misses": [r["file"] for r in valid_docs if not all(r["fields"].values())],
        **({"key_fields_by_char_px": by_char_px(valid_docs, labels)} if all("mrz_char_px" in labels[r["file"]] for r in valid_docs) else {}),
    }


CHAR_PX_EDGES = (8, 10, 12)
"""Where the key-field rate is split by how tall MRZ capitals are in the photo (`bench/mrz_set.py` labels them)."""


def by_char_px(valid_docs: list[dict], labels: dict[str, dict]) -> dict[str, str]:
    """Key fields exact per band of print size ("10-12 px": "86/89"): how small a read stays exact."""
    edges = (0, *CHAR_PX_EDGES, float("inf"))
    out = {}
    for low, high in zip(edges, edges[1:]):
        docs = [r for r in valid_docs if low <= labels[r["file"]]["mrz_char_px"] < high]
        name = f"<{high} px" if low == 0 else f">={low} px" if high == float("inf") else f"{low}-{high} px"
        out[name] = f"{sum(all(r['fields'].values()) for r in docs)}/{len(docs)}"
    return out


def said_unreadable(row: dict) -> bool:
    """Whether nothing was read and the reader said an MRZ is there but too small or blurred (`UNREADABLE`)."""
    from kiosk.ocr.mrz.read import UNREADABLE

    return row["status"] == "no_mrz" and row.get("reason") == UNREADABLE


def _rate(hits: int, total: int) -> float | None:
    return round(hits / total, 4) if total else None


PASSPORTEYE_CHILD = r"""
import json, sys, time
from passporteye import read_mrz
for path in sys.argv[1:]:
    started = time.perf_counter()
    try:
        mrz = read_mrz(path)
    except Exception as exc:
        mrz = None
    seconds = time.perf_counter() - started
    lines = mrz.aux.get("text", "").split("\n") if mrz is not None else []
    print(json.dumps({"file": path, "lines": [l for l in lines if l], "valid": bool(mrz is not None and mrz.valid), "seconds": seconds}), flush=True)
"""


def evaluate_passporteye(folder: Path, labels: dict[str, dict], python: str) -> dict | str:
    names = sorted(labels)
    try:
        done = subprocess.run(
            [python, "-c", PASSPORTEYE_CHILD, *[str(folder / n) for n in names]],
            capture_output=True, text=True, check=True,
        )
    except subprocess.CalledProcessError as exc:
        return f"PassportEye could not run: {exc.stderr.strip().splitlines()[-1] if exc.stderr.strip() else exc}"
    rows = []
    for line in done.stdout.splitlines():
        item = json.loads(line)
        name = Path(item["file"]).name
        label = labels[name]
        truth = key_fields(label["mrz_lines"]) if label["has_mrz"] else {}
        read = key_fields(item["lines"]) if item["lines"] else {}
        rows.append({
            "file": name,
            "status": "ok" if item["valid"] else ("invalid" if item["lines"] else "no_mrz"),
            "accepted": item["valid"],
            "path": "passporteye",
            "lines_exact": label["has_mrz"] and item["lines"] == label["mrz_lines"],
            "fields": {f: bool(truth) and read.get(f) == truth.get(f) for f in KEY_FIELDS},
            "seconds": item["seconds"],
        })
    summary = summarise(rows, labels)
    summary.pop("peak_rss_mb")
    return summary


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("labels", type=Path)
    parser.add_argument("--passporteye", metavar="PYTHON", help="also run PassportEye (installed for this Python) on the same images")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--dump", type=Path, metavar="FILE", help="write each image's read and scores as JSON lines")
    args = parser.parse_args()
    labels = json.loads(args.labels.read_text())
    results = {"kiosk": evaluate_ours(args.folder, labels, args.dump)}
    if args.passporteye:
        results["passporteye"] = evaluate_passporteye(args.folder, labels, args.passporteye)
    if args.json:
        print(json.dumps(results, indent=1))
        return
    for who, summary in results.items():
        print(f"== {who}")
        if isinstance(summary, str):
            print(f"  {summary}")
            continue
        for key, value in summary.items():
            print(f"  {key:26s} {value}")


if __name__ == "__main__":
    main()
