"""`kiosk service check`, and `kiosk scan KIND IMAGE... --remote | --fallback`.

`service check` prints the remote OCR service's health, version and latency,
and where its token comes from (never the token). `scan --remote` reads with
the service only; `scan --fallback` reads locally and then asks the service
per `[remote] policy` (under `manual`, the flag itself is the operator asking
for a fallback when the local read is not good enough). The printed record is
the same JSON as a local read (`Record.to_json()`), with each field's
`source`, plus `"via": "local" | "remote" | "local+remote"` and, when the
service was asked and failed under --fallback, `"remote_error"` next to the
still usable local result.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np

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
    from kiosk.ocr.remote import RemoteError, RemoteNotConfigured, RemoteOcr, plain_http_to_another_host
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


# ------------------------------------------------------------ scan via the service


def upload_source(data: bytes, image: np.ndarray) -> bytes | np.ndarray:
    """The file's own bytes (the service gets the original), unless EXIF turns it: then the upright pixels."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as opened:
            orientation = opened.getexif().get(0x0112, 1)
    except Exception:  # any doubt: send what the kiosk itself reads
        return image
    return data if orientation in (1, None) else image


def _local_reader(kind: str, settings: Any, args: argparse.Namespace):
    """A function image -> (record, extra JSON) reading locally, as `kiosk scan` without flags does."""
    from kiosk.ocr import create_engine

    engine = create_engine(getattr(args, "engine", None) or settings.ocr.engine, settings.ocr.threads, settings.ocr.max_side)
    if kind == "passport":
        from kiosk.ocr.mrz_read import MrzReader

        reader = MrzReader(engine)

        def read_passport(image: np.ndarray):
            result = reader.read(image).result
            extra = {
                "corrections": [c.to_json() for c in result.corrections],
                "ambiguities": [a.to_json() for a in result.ambiguities],
            }
            return result.to_record(), extra

        return read_passport
    if kind == "receipt":
        from kiosk.ocr.receipt_extract import extract_receipt
        from kiosk.ocr.receipt_lines import build_rows

        def read_receipt(image: np.ndarray):
            return extract_receipt(build_rows(engine.read(image)), settings.receipt), {}

        return read_receipt
    raise KioskError(f"--fallback is not available for {kind} scans; use --remote")


def record_json(name: str, outcome: Any, seconds: float, local_extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The printed object: the record's JSON as for a local read, plus `via` (and `remote_error`)."""
    record = outcome.record
    out: dict[str, Any] = {"file": name, **record.to_json()}
    if record.kind == "passport":
        keep = local_extra if local_extra and outcome.via != "remote" else {}
        out["corrections"] = keep.get("corrections", [])
        out["ambiguities"] = keep.get("ambiguities", [])
    elif local_extra and outcome.via != "remote":
        out.update({k: v for k, v in local_extra.items() if k not in out})
    out["seconds"] = round(seconds, 3)
    out.update(outcome.json_extra())
    return out


def print_record(out: dict[str, Any]) -> None:
    """The human-readable form: the same layout as a local `kiosk scan`, with each field's source."""
    name = out["file"]
    print(f"{name}: {out['status']} {out.get('format') or ''} ({out['seconds']:.2f} s, via {out['via']}) {out['reason']}".rstrip())
    for line in out.get("mrz_lines") or []:
        print(f"  {line}")
    for key, field in out["fields"].items():
        value = "" if field["value"] is None else str(field["value"])
        print(f"  {key:16s} {value:32s} {field['confidence']:.2f}  {field['source']}")
    for warning in out.get("warnings") or []:
        print(f"  warning: {warning}")
    if out.get("remote_error"):
        print(f"  OCR service not used: {out['remote_error']}")


def run_scan_service(args: argparse.Namespace) -> int:
    """`kiosk scan KIND IMAGE... --remote | --fallback`."""
    from kiosk.cli import confirm_record, report_file_error
    from kiosk.images import load_image
    from kiosk.ocr.fallback import FallbackOutcome, local_read_problem, read_with_fallback, remote_allowed
    from kiosk.ocr.remote import RemoteNotConfigured, RemoteOcr

    settings = load_settings(args.config)
    problem = remote_allowed(settings)
    if args.remote and problem:
        raise RemoteNotConfigured(problem)
    if settings.remote.policy == "manual":
        settings = replace(settings, remote=replace(settings.remote, policy="auto"))
    client = None
    if problem is None:
        try:
            client = RemoteOcr.from_settings(settings)
        except KioskError:  # e.g. no usable keyring
            if args.remote:
                raise
            client = None  # read_with_fallback reports the same error with each local result
        if args.remote and client is not None and not client.has_token:
            client.close()
            raise RemoteNotConfigured("no OCR service token: store it with `kiosk secret set ocr_token`")
    local_read = None if args.remote else _local_reader(args.kind, settings, args)
    failures = 0
    try:
        for name in args.images:
            started = time.perf_counter()
            try:
                image = load_image(name)
                source = upload_source(Path(name).read_bytes(), image)
            except (KioskError, OSError) as exc:
                failures += 1
                report_file_error(name, exc if isinstance(exc, KioskError) else KioskError(f"{name}: {exc}"), args.json)
                continue
            local_extra: dict[str, Any] | None = None
            if args.remote:
                assert client is not None
                try:
                    record = client.scan(args.kind, source)
                except KioskError as exc:
                    failures += 1
                    report_file_error(name, exc, args.json)
                    continue
                outcome = FallbackOutcome(record, None, record, True, None, "asked for the OCR service")
            else:
                assert local_read is not None
                try:
                    local, local_extra = local_read(image)
                except KioskError as exc:  # the local engine failed: the service is the only reader left
                    print(f"kiosk: error: {name}: local read failed: {exc}", file=sys.stderr)
                    local, local_extra = None, None
                outcome = read_with_fallback(args.kind, source, local, settings, client=client)
                if problem and local_read_problem(local, settings.ocr.confidence_threshold):
                    outcome.remote_error = RemoteNotConfigured(problem)  # asked for a fallback that cannot happen
                if outcome.record is None:
                    failures += 1
                    report_file_error(name, outcome.remote_error or KioskError(f"{name}: nothing could be read"), args.json)
                    continue
            out = record_json(name, outcome, time.perf_counter() - started, local_extra)
            if getattr(args, "confirm", False):
                try:
                    if not confirm_record(settings, outcome.record, name, out):
                        failures += 1
                except KioskError as exc:
                    failures += 1
                    report_file_error(name, exc, args.json)
                    continue
            if args.json:
                print(json.dumps(out, ensure_ascii=False), flush=True)
            else:
                print_record(out)
    finally:
        if client is not None:
            client.close()
    return 1 if failures else 0
