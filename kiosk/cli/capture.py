"""`kiosk capture`: auto-capture from a camera, a file or the demo, headless.

    kiosk capture --camera demo --mode passport --json
    kiosk capture --camera 0 --mode receipt --timeout 30
    kiosk capture --camera scan.avi --json

Prints the final result (the same JSON as `kiosk scan`, plus how the capture
went: state, time to result, frames seen and analysed). Exit status: 0 when
the scan completed, 1 when it timed out, the source ended first or the
source failed.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from kiosk.config import ENGINES, load_settings
from kiosk.errors import KioskError

COMMAND = "capture"
MODES = ("passport", "receipt")


def add_parser(commands: argparse._SubParsersAction) -> None:
    capture = commands.add_parser(
        COMMAND,
        help="auto-capture a document from a camera, a file or the demo",
        description=(
            "Watch a camera (or a video, an image, a folder, the built-in demo) until the document is "
            "steady and read for certain, then print the result."
        ),
        epilog="exit status: 0 read; 1 timed out, source ended or failed (the best frame is kept with --save-best)",
    )
    capture.add_argument(
        "--camera",
        metavar="SOURCE",
        help="auto, demo, a camera index or name, /dev/videoN, or an image/folder/video path (default: [capture] camera)",
    )
    capture.add_argument("--mode", choices=MODES, default="passport", help="what to capture (default: passport)")
    capture.add_argument("--timeout", type=float, metavar="S", help="give up after S seconds (default: [capture] timeout)")
    capture.add_argument("--engine", choices=ENGINES, help="OCR engine (default: [ocr] engine setting)")
    capture.add_argument("--fast", action="store_true", help="play files and the demo as fast as they can be read, not in real time")
    capture.add_argument("--save-best", metavar="PATH", help="write the best frame to this image file (it may show personal data)")
    capture.add_argument("--json", action="store_true", help="print one JSON object")


def result_json(name: str, result: Any, file: str | None = None, source_problem: str = "") -> dict[str, Any]:
    """The result object: the record as `kiosk scan` prints it, then how the capture went.

    `source_problem` is the source's status when it never gave a picture.
    """
    from kiosk.scan.flow import from_capture

    out: dict[str, Any] = {"source": name}
    if file is not None:
        out["file"] = file
    if result.record is not None:
        scanned = from_capture(result, None).to_json(name)
        scanned.pop("file", None)
        out.update(scanned)
    else:
        status = "no_mrz" if result.mode == "passport" else "unread"
        out.update({"kind": result.mode, "status": "no_picture" if result.frames == 0 else status, "reason": result.reason})
    out.update(result.summary())
    if result.frames == 0 and source_problem:
        out["reason"] = f"no picture from the source: {source_problem}"
    if result.best_quality is not None:
        out["best_frame_quality"] = result.best_quality.to_json()
    return out


def run(args: argparse.Namespace) -> int:
    from kiosk.capture.pipeline import CapturePipeline, create_scan
    from kiosk.capture.sources import FileSource, open_source

    settings = load_settings(args.config)
    if args.engine:
        settings.ocr.engine = args.engine
    spec = args.camera or settings.capture.camera
    source = open_source(spec, settings.capture, document=args.mode, realtime=not args.fast)
    started = time.perf_counter()
    scan = create_scan(args.mode, settings, timeout=args.timeout)
    if not args.json:
        print(f"kiosk: {args.mode} capture from {source.name} (models ready in {time.perf_counter() - started:.1f} s)", file=sys.stderr)

    last = [""]

    def show(status) -> None:
        if not args.json and status.message and status.message != last[0]:
            last[0] = status.message
            state = status.scan.state if status.scan else status.source.state
            print(f"  [{state}] {status.message}", file=sys.stderr, flush=True)

    pipeline = CapturePipeline(source, scan, on_status=show)
    pipeline.start()
    try:
        # the scan's own timeout ends it; the margin covers a read in progress and a source that never opens
        result = pipeline.wait(scan.timeout + 10.0)
        if result is None:
            result = scan.finish(pipeline.status.message or "no picture from the source", time.monotonic())
    finally:
        pipeline.stop()
    stats = pipeline.stats()
    if args.save_best and result.best_frame is not None:
        import cv2

        if not cv2.imwrite(args.save_best, result.best_frame):
            raise KioskError(f"{args.save_best}: cannot write the best frame (use .png or .jpg)")
    file = str(Path(spec)) if isinstance(source, FileSource) else None
    source_status = pipeline.status.source
    out = result_json(source.name, result, file, source_status.message if source_status.state != "live" else "")
    out["source_status"] = pipeline.status.source.message
    out["preview_fps"] = round(stats.preview_fps, 1)
    if args.json:
        print(json.dumps(out, ensure_ascii=False), flush=True)
    else:
        _print_human(out)
    return 0 if result.ok else 1


def _print_human(out: dict[str, Any]) -> None:
    print(
        f"{out['source']}: {out['state']} in {out['seconds_to_result']:.2f} s "
        f"({out['frames']} frames, {out['analysed']} analysed) {out.get('status', '')} {out['reason']}".rstrip()
    )
    for line in out.get("mrz_lines", []):
        print(f"  {line}")
    fields = out.get("fields")
    if isinstance(fields, dict):
        for key, field in fields.items():
            print(f"  {key:16s} {field['value'] or '':32s} {field['confidence']:.2f}")
    else:
        for key in ("vendor", "date", "total", "tax", "subtotal", "currency"):
            if isinstance(out.get(key), dict):
                field = out[key]
                print(f"  {key:16s} {str(field['value'] if field['value'] is not None else ''):32s} {field['confidence']:.2f}")
