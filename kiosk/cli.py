"""The `kiosk` command: the app by default, and headless commands for scripts and tests."""

from __future__ import annotations

import argparse
import getpass
import json
import logging
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Sequence

import tomli_w

from kiosk.config import ENGINES, load_settings, settings_path
from kiosk.errors import KioskError
from kiosk.secrets import SECRETS, delete_secret, secret_source, set_secret

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.ocr.mrz import MrzResult
    from kiosk.records import Record

NOTHING_READ = ("no_mrz", "no_receipt")

log = logging.getLogger("kiosk")

COMMAND_MODULES: tuple[str, ...] = ("kiosk.ocr.service_commands", "kiosk.sync.commands", "kiosk.capture.commands")
"""Modules that add a command: each has `add_parser(commands)` and `run(args) -> int`,
and its command name is the module's `COMMAND`."""


def _command_modules() -> dict[str, object]:
    import importlib

    modules = (importlib.import_module(name) for name in COMMAND_MODULES)
    return {module.COMMAND: module for module in modules}


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

    ocr = commands.add_parser("ocr", help="read the text lines of images")
    ocr.add_argument("images", nargs="+", metavar="IMAGE")
    ocr.add_argument("--engine", choices=ENGINES, help="OCR engine (default: [ocr] engine setting)")
    ocr.add_argument("--json", action="store_true", help="one JSON object per image")

    scan = commands.add_parser("scan", help="read documents from image files")
    scan.add_argument("kind", choices=["passport", "receipt"], help="what the images show")
    scan.add_argument("images", nargs="+", metavar="IMAGE")
    scan.add_argument("--engine", choices=ENGINES, help="OCR engine (default: [ocr] engine setting)")
    scan.add_argument("--json", action="store_true", help="one JSON object per image")
    scan.add_argument("--confirm", action="store_true", help="queue each read record in the outbox, as the app's Confirm does")
    scan_via = scan.add_mutually_exclusive_group()
    scan_via.add_argument("--remote", action="store_true", help="read with the remote OCR service only")
    scan_via.add_argument("--fallback", action="store_true", help="read locally, then with the remote OCR service per [remote] policy")

    config = commands.add_parser("config", help="show the settings")
    config_commands = config.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    config_commands.add_parser("show", help="print the effective settings, secrets masked")
    config_commands.add_parser("path", help="print the settings file path")

    secret = commands.add_parser("secret", help="store or remove a secret in the keyring")
    secret_commands = secret.add_subparsers(dest="secret_command", metavar="ACTION", required=True)
    set_cmd = secret_commands.add_parser("set", help="store a secret (read from the terminal, or stdin)")
    set_cmd.add_argument("name", choices=sorted(SECRETS))
    delete_cmd = secret_commands.add_parser("delete", help="remove a secret")
    delete_cmd.add_argument("name", choices=sorted(SECRETS))

    for module in _command_modules().values():
        module.add_parser(commands)

    commands.add_parser("gui", help="start the app (the default)")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.self_test:
        from kiosk.selftest import run_self_test

        return run_self_test(args.self_test)
    logging.basicConfig(level=logging.INFO if args.verbose else logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        if args.command == "ocr":
            return run_ocr(args)
        if args.command == "scan":
            return run_scan(args)
        if args.command == "config":
            return run_config(args)
        if args.command == "secret":
            return run_secret(args)
        extra = _command_modules()
        if args.command in extra:
            return extra[args.command].run(args)
        from kiosk.ui.app import run_app

        return run_app(load_settings(args.config), kiosk=args.kiosk, camera=args.camera, config_path=args.config)
    except KioskError as exc:
        print(f"kiosk: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


def report_file_error(name: str, exc: KioskError, as_json: bool) -> None:
    """One line on stderr, and the same as a JSON object so a script sees every file."""
    print(f"kiosk: error: {exc}", file=sys.stderr)
    if as_json:
        print(json.dumps({"file": name, "error": str(exc)}), flush=True)


def run_ocr(args: argparse.Namespace) -> int:
    from kiosk.images import load_image
    from kiosk.ocr import create_engine

    settings = load_settings(args.config)
    engine_name = args.engine or settings.ocr.engine
    started = time.perf_counter()
    engine = create_engine(engine_name, settings.ocr.threads, settings.ocr.max_side)
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


def passport_json(name: str, result: "MrzResult", seconds: float, record: "Record | None" = None) -> dict[str, object]:
    """The `kiosk scan passport --json` object: the passport record plus how it was read."""
    return {
        "file": name,
        **(record or result.to_record()).to_json(),
        "corrections": [c.to_json() for c in result.corrections],
        "ambiguities": [a.to_json() for a in result.ambiguities],
        "seconds": round(seconds, 3),
    }


def confirm_record(settings: "Settings", record: "Record", path: str, out: dict[str, object]) -> bool:
    """`--confirm`: queue the record as the app's Confirm does; `out["queued"]` says whether it was.

    A record with nothing read is not queued. Raises KioskError when the
    outbox cannot store it (disk full, no key): the caller reports that file.
    """
    from kiosk.sync.outbox import queue_record

    if record.status in NOTHING_READ:
        print(f"kiosk: error: {path}: nothing was read, not queued", file=sys.stderr)
        out["queued"] = False
        return False
    queue_record(settings, record, Path(path).read_bytes())
    out["queued"] = True
    out["confirmed_at"] = record.confirmed_at
    out["operator"] = record.operator
    out["kiosk_id"] = record.kiosk_id
    return True


def run_scan(args: argparse.Namespace) -> int:
    if getattr(args, "remote", False) or getattr(args, "fallback", False):
        from kiosk.ocr.service_commands import run_scan_service

        return run_scan_service(args)
    if args.kind == "receipt":
        return run_scan_receipt(args)
    from kiosk.images import load_image
    from kiosk.ocr import create_engine
    from kiosk.ocr.mrz_read import MrzReader

    settings = load_settings(args.config)
    reader = MrzReader(create_engine(args.engine or settings.ocr.engine, settings.ocr.threads, settings.ocr.max_side))
    failures = 0
    for name in args.images:
        try:
            read = reader.read(load_image(name))
            record = read.result.to_record()
            out = passport_json(name, read.result, read.seconds, record)
            if args.confirm and not confirm_record(settings, record, name, out):
                failures += 1
        except KioskError as exc:
            failures += 1
            report_file_error(name, exc, args.json)
            continue
        if args.json:
            print(json.dumps(out, ensure_ascii=False), flush=True)
        else:
            print(f"{name}: {out['status']} {out['format'] or ''} ({out['seconds']:.2f} s) {out['reason']}".rstrip())
            for line in out["mrz_lines"]:
                print(f"  {line}")
            for key, field in out["fields"].items():
                print(f"  {key:16s} {field['value'] or '':32s} {field['confidence']:.2f}")
    return 1 if failures else 0


def run_scan_receipt(args: argparse.Namespace) -> int:
    """`kiosk scan receipt`: one line (or JSON object) per image; statuses ok, incomplete, no_receipt."""
    from kiosk.images import load_image
    from kiosk.ocr import create_engine
    from kiosk.ocr.receipt_read import ReceiptReader, receipt_json

    settings = load_settings(args.config)
    engine = create_engine(args.engine or settings.ocr.engine, settings.ocr.threads, settings.ocr.max_side)
    reader = ReceiptReader(engine, settings.receipt)
    failures = 0
    for name in args.images:
        try:
            read = reader.read(load_image(name))
            out = receipt_json(name, read)
            if args.confirm and not confirm_record(settings, read.record, name, out):
                failures += 1
        except KioskError as exc:
            failures += 1
            report_file_error(name, exc, args.json)
            continue
        if args.json:
            print(json.dumps(out, ensure_ascii=False), flush=True)
        else:
            print(f"{name}: {out['status']} ({out['seconds']:.2f} s) {out['reason']}".rstrip())
            for key in ("vendor", "date", "total", "tax", "subtotal", "currency"):
                value = out[key]["value"]
                print(f"  {key:10s} {'' if value is None else value!s:32s} {out[key]['confidence']:.2f}")
            for warning in out["warnings"]:
                print(f"  warning: {warning}")
    return 1 if failures else 0


def run_config(args: argparse.Namespace) -> int:
    path = settings_path(args.config)
    if args.config_command == "path":
        print(path)
        return 0
    settings = load_settings(args.config)
    print(f"# settings file: {path}{'' if path.exists() else ' (not created yet: defaults)'}")
    print(tomli_w.dumps(settings.to_dict()), end="")
    print("\n[secrets]  # values are never shown; where each one comes from")
    for name in SECRETS:
        source = secret_source(name)
        shown = "********" if source in ("environment", "keyring") else ""
        print(f'{name} = "{shown}"  # {source}')
    return 0


def run_secret(args: argparse.Namespace) -> int:
    if args.secret_command == "delete":
        removed = delete_secret(args.name)
        print(f"{args.name}: {'removed' if removed else 'was not stored'}")
        return 0
    if sys.stdin.isatty():
        value = getpass.getpass(f"{args.name} ({SECRETS[args.name]}): ")
    else:
        value = sys.stdin.readline().rstrip("\r\n")
    set_secret(args.name, value)
    print(f"{args.name}: stored in the keyring")
    return 0
