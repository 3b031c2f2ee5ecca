"""The `kiosk` command: the app by default, and headless commands for scripts and tests."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import Sequence

from kiosk.cli import capture, config, ocr, scan, secret, service, sync
from kiosk.config import load_settings
from kiosk.errors import KioskError

COMMANDS = (ocr, scan, config, secret, service, sync, capture)
"""The command modules: each has `COMMAND`, `add_parser(commands)` and `run(args) -> int`."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="kiosk", description="Passport and receipt scanning kiosk.")
    parser.add_argument("--config", metavar="PATH", help="settings file (default: $KIOSK_CONFIG or the OS config folder)")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress to stderr")
    parser.add_argument("--kiosk", action="store_true", help="the app full-screen without window controls (leaving needs the admin PIN)")
    parser.add_argument("--camera", metavar="SPEC", help="camera for this run: auto, demo, demo:receipt, an index, a name or an image/video path")
    parser.add_argument(
        "--self-test", nargs="?", const="onnx", metavar="ENGINES",
        help="load the OCR engine(s) (onnx, paddle, a comma list or all; default onnx), read a sample passport and receipt headless, print one line and exit 0 or 1",
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module in COMMANDS:
        module.add_parser(commands)
    commands.add_parser("gui", help="start the app (the default)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from kiosk.cli.selftest import run_self_test

        return run_self_test(args.self_test)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    by_name = {module.COMMAND: module for module in COMMANDS}
    try:
        if args.command in by_name:
            return by_name[args.command].run(args)
        from kiosk.ui.app import run_app

        return run_app(load_settings(args.config, missing_ok=True), kiosk=args.kiosk, camera=args.camera, config_path=args.config)
    except KioskError as exc:
        print(f"kiosk: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
