"""`kiosk service check`: the remote OCR service's health, version and latency, and where its token
comes from (never the token). Reading through the service is `kiosk scan --remote | --fallback`."""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.config import load_settings
from kiosk.errors import KioskError

COMMAND = "service"


def add_parser(commands: argparse._SubParsersAction) -> None:
    service = commands.add_parser("service", help="the organisation's remote OCR service")
    actions = service.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="print the service's health, version and latency")
    check.add_argument("--json", action="store_true", help="one JSON object")


def run(args: argparse.Namespace) -> int:
    if args.service_command == "check":
        return run_check(args)
    raise KioskError(f"unknown service action {args.service_command!r}")


def run_check(args: argparse.Namespace) -> int:
    """`kiosk.ocr.remote.check.check_service`, the Settings screen's "Test connection" too."""
    from kiosk.ocr.remote.check import DOWN, NO_TOKEN, check_service
    from kiosk.ocr.remote.client import RemoteNotConfigured

    settings = load_settings(args.config)
    check = check_service(settings)
    if not check.url:
        raise RemoteNotConfigured("no OCR service configured: set [remote] url in the settings file (see `kiosk config path`)")
    if args.json:
        print(json.dumps(check.to_json(), ensure_ascii=False), flush=True)
    if check.health is None:
        print(f"kiosk: error: {check.summary}", file=sys.stderr)
        return 1
    if not args.json:
        state = "up" if check.health.up else "DOWN"
        print(f"{check.health.url}: {state} (status {check.health.status!r})")
        for line in check.details:
            print(f"  {line}")
    if check.problem == DOWN:
        print(f"kiosk: error: {check.summary}", file=sys.stderr)
        return 1
    if check.problem == NO_TOKEN:
        print("kiosk: error: no OCR service token: store it with `kiosk secret set ocr_token`", file=sys.stderr)
        return 1
    return 0
