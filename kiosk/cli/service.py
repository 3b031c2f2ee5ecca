"""`kiosk service check`: each remote OCR provider's health, version and latency, where its token comes
from (never the token) and whether the service accepts it. Reading through the services is
`kiosk scan --remote | --fallback`."""

from __future__ import annotations

import argparse
import json
import sys

from kiosk.config import load_settings
from kiosk.errors import KioskError

COMMAND = "service"


def add_parser(commands: argparse._SubParsersAction) -> None:
    service = commands.add_parser("service", help="the organisation's remote OCR services")
    actions = service.add_subparsers(dest="service_command", metavar="ACTION", required=True)
    check = actions.add_parser("check", help="print each OCR provider's health, version, latency and token verdict")
    check.add_argument("--json", action="store_true", help="one JSON object")


def run(args: argparse.Namespace) -> int:
    if args.service_command == "check":
        return run_check(args)
    raise KioskError(f"unknown service action {args.service_command!r}")


def run_check(args: argparse.Namespace) -> int:
    """`kiosk.ocr.remote.check.check_service`, the Settings screen's "Test connection" too. Exit 1 when any
    provider fails, naming each failing one on stderr."""
    from kiosk.ocr.remote.check import check_service
    from kiosk.ocr.remote.client import RemoteNotConfigured

    settings = load_settings(args.config)
    check = check_service(settings)
    if not check.providers:
        raise RemoteNotConfigured(
            "no OCR service configured: add a [[remote.receipt]] or [[remote.mrz]] url to the settings file "
            "(see `kiosk config path`)"
        )
    if args.json:
        print(json.dumps(check.to_json(), ensure_ascii=False), flush=True)
    else:
        for provider in check.providers:
            state = "up" if provider.health is not None and provider.health.up else "DOWN" if provider.health else "not reached"
            status = f" (status {provider.health.status!r})" if provider.health is not None else ""
            print(f"{provider.name}  {provider.url}: {state}{status}")
            for line in provider.details():
                print(f"  {line}")
        print(f"policy   {check.policy}")
    for provider in check.providers:
        if not provider.ok:
            print(f"kiosk: error: {provider.name} ({provider.url}): {provider.summary}", file=sys.stderr)
    return 0 if check.ok else 1
