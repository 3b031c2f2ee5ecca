"""`kiosk ocr IMAGE...`: the text lines of images, as the engine reads them."""

from __future__ import annotations

import argparse
import json
import logging
import time

from kiosk.cli.common import report_file_error
from kiosk.config import ENGINES, load_settings
from kiosk.errors import KioskError

COMMAND = "ocr"

log = logging.getLogger("kiosk")


def add_parser(commands: argparse._SubParsersAction) -> None:
    ocr = commands.add_parser(COMMAND, help="read the text lines of images")
    ocr.add_argument("images", nargs="+", metavar="IMAGE")
    ocr.add_argument("--engine", choices=ENGINES, help="OCR engine (default: [ocr] engine setting)")
    ocr.add_argument("--json", action="store_true", help="one JSON object per image")


def run(args: argparse.Namespace) -> int:
    from kiosk.images import load_image
    from kiosk.scan.models import ScanModels

    settings = load_settings(args.config)
    engine_name = args.engine or settings.ocr.engine
    started = time.perf_counter()
    engine = ScanModels(settings, engine=args.engine, live=False).load_engine()
    log.info("engine %s ready in %.2f s", engine_name, time.perf_counter() - started)
    failures = 0
    for name in args.images:
        started = time.perf_counter()
        try:
            lines = engine.read(load_image(name))
        except KioskError as exc:
            failures += 1
            report_file_error(name, exc, args.json)
            continue
        seconds = round(time.perf_counter() - started, 3)
        if args.json:
            print(json.dumps({"file": name, "engine": engine_name, "lines": [l.to_json() for l in lines], "seconds": seconds}, ensure_ascii=False), flush=True)
        else:
            print(f"{name}: {len(lines)} lines in {seconds:.2f} s ({engine_name})")
            for line in lines:
                print(f"  {line.confidence:4.2f}  {line.text}")
    return 1 if failures else 0
