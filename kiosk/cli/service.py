"""`kiosk service check`: the remote OCR service's health, version and latency, and where its token
comes from (never the token). Reading through the service is `kiosk scan --remote | --fallback`."""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from kiosk.config import load_settings
from kiosk.errors import KioskError, SecretError

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
    from kiosk.ocr.remote.client import RemoteError, RemoteNotConfigured, RemoteOcr, plain_http_to_another_host
    from kiosk.secrets import get_secret, secret_source

    settings = load_settings(args.config)
    if not settings.remote.url:
        raise RemoteNotConfigured("no OCR service configured: set [remote] url in the settings file (see `kiosk config path`)")
    try:
        token = get_secret("ocr_token")
        token_source = secret_source("ocr_token")
    except SecretError as exc:
        token, token_source = None, f"unavailable ({exc})"
    out: dict[str, Any] = {"url": settings.remote.url, "policy": settings.remote.policy, "token": token_source}
    with RemoteOcr(settings.remote, token, receipt=settings.receipt) as client:
        try:
            health = client.health()
        except RemoteError as exc:
            if args.json:
                print(json.dumps({**out, "up": False, "error": str(exc), "error_kind": exc.kind}), flush=True)
            raise
    out.update(health.to_json())
    if args.json:
        print(json.dumps(out, ensure_ascii=False), flush=True)
    else:
        state = "up" if health.up else "DOWN"
        print(f"{health.url}: {state} (status {health.status!r})")
        print(f"  version  {health.version or 'unknown'}")
        if health.service:
            print(f"  service  {health.service}")
        print(f"  latency  {health.latency * 1000:.0f} ms")
        print(f"  token    {token_source}")
        print(f"  policy   {settings.remote.policy}{' (the kiosk will not use it)' if settings.remote.policy == 'off' else ''}")
        if plain_http_to_another_host(health.url):
            print("  warning  plain HTTP to another host: the token and document images travel unencrypted; use https://")
    if not health.up:
        print(f"kiosk: error: the OCR service at {health.url} reports status {health.status!r}", file=sys.stderr)
        return 1
    if not token:
        print("kiosk: error: no OCR service token: store it with `kiosk secret set ocr_token`", file=sys.stderr)
        return 1
    return 0
