"""`kiosk scan KIND IMAGE...`: read documents from image files, as the app's "Open image..." does.

Without flags the read is local. `--fallback` then asks the OCR service when
`[remote] policy` says so (the app's rule: `auto` asks when the local read is
not good enough; `manual` and `off` never ask by themselves); `--remote`
reads with the service only (the operator asking). Every way prints the same
JSON object per image (`Scan.to_json()`): the record, with the MRZ detail for
a passport or the fields at the top level for a receipt, plus `seconds`,
`via` (`local`, `remote`, `local+remote`) and, when the service was asked and
failed, `remote_error` next to the still usable local result.

A passport record carries its validity `warnings` (`kiosk.documents`) for
today and the site's `[passport]` rules; `--confirm` does not queue an
expired document unless `[passport] allow_expired` is true, as the app's
Confirm does not.
"""

from __future__ import annotations

import argparse
import io
import json
import sys
from pathlib import Path
from datetime import date
from typing import Any

import numpy as np

from kiosk.cli.common import confirm_record, report_file_error
from kiosk.config import ENGINES, PassportSettings, Settings, load_settings
from kiosk.countries import country_name
from kiosk.documents import KIND_NAMES, blocks_confirm, check_validity, document_kind, explain, iso_date
from kiosk.errors import KioskError, where_raised

COMMAND = "scan"
COUNTRY_FIELDS = ("nationality", "issuing_country")
KINDS = ("passport", "receipt")
RECEIPT_KEYS = ("vendor", "date", "total", "tax", "subtotal", "currency")


def add_parser(commands: argparse._SubParsersAction) -> None:
    scan = commands.add_parser(COMMAND, help="read documents from image files")
    scan.add_argument("kind", choices=KINDS, help="what the images show")
    scan.add_argument("images", nargs="+", metavar="IMAGE")
    scan.add_argument("--engine", choices=ENGINES, help="OCR engine (default: [ocr] engine setting)")
    scan.add_argument("--json", action="store_true", help="one JSON object per image")
    scan.add_argument("--confirm", action="store_true", help="queue each read record in the outbox, as the app's Confirm does")
    via = scan.add_mutually_exclusive_group()
    via.add_argument("--remote", action="store_true", help="read with the remote OCR service only")
    via.add_argument("--fallback", action="store_true", help="read locally, then with the remote OCR service per [remote] policy")


def upload_source(data: bytes, image: np.ndarray) -> bytes | np.ndarray:
    """The file's own bytes (the service gets the original), unless EXIF turns it: then the upright pixels."""
    try:
        from PIL import Image

        with Image.open(io.BytesIO(data)) as opened:
            orientation = opened.getexif().get(0x0112, 1)
    except Exception:  # any doubt: send what the kiosk itself reads
        return image
    return data if orientation in (1, None) else image


def print_scan(out: dict[str, Any], rules: PassportSettings | None = None, today: date | None = None) -> None:
    """The human-readable form of `Scan.to_json()`: one header line (with the kind of document a passport-like
    read is), the MRZ lines, each field with its source (country codes with their names), then each warning
    (a passport's validity code explained by `rules` for `today`)."""
    via = f", via {out['via']}" if out.get("via", "local") != "local" else ""
    shape = out.get("format") or ""
    if out.get("kind") == "passport" and out["fields"]["document_type"]["value"]:
        shape = f"{shape} {KIND_NAMES[document_kind(out['fields']['document_type']['value'], out.get('format'))]}"
    print(f"{out['file']}: {out['status']} {shape} ({out['seconds']:.2f} s{via}) {out['reason']}".replace("  (", " (").rstrip())
    for line in out.get("mrz_lines") or []:
        print(f"  {line}")
    fields = out["fields"] if "fields" in out else {key: out[key] for key in RECEIPT_KEYS}
    for key, field in fields.items():
        value = "" if field["value"] is None else str(field["value"])
        if key in COUNTRY_FIELDS and country_name(value):
            value = f"{value} {country_name(value)}"
        print(f"  {key:16s} {value:32s} {field['confidence']:.2f}  {field['source']}")
    for warning in out.get("warnings") or []:
        print(f"  warning: {_warning_text(warning, out, rules or PassportSettings(), today or date.today())}")
    if out.get("remote_error"):
        print(f"  OCR service not used: {out['remote_error']}")


def _warning_text(code: str, out: dict[str, Any], rules: PassportSettings, today: date) -> str:
    """A receipt's warning as it is; a passport's validity code with what it means, e.g.
    `EXPIRED on 2012-04-15, not accepted here (expired)`."""
    if out.get("kind") != "passport":
        return code
    fields = out["fields"]
    birth, expiry = (iso_date(fields[name]["value"]) for name in ("birth_date", "expiry_date"))
    return f"{explain(code, birth, expiry, rules, today)} ({code})"


def _confirm(settings: Settings, scan: Any, name: str, out: dict[str, Any]) -> bool:
    """`--confirm` for one read: queued as the app would, except an expired document the site does not accept;
    a receipt like one confirmed within `[receipt] duplicate_days` is queued with a warning (`duplicate_of`)."""
    from kiosk.scan.duplicates import find_duplicate, remember

    if scan.kind == "passport" and blocks_confirm(scan.record.warnings, settings.passport):
        print(f"kiosk: error: {name}: the document has expired, not queued ([passport] allow_expired = false)", file=sys.stderr)
        out["queued"] = False
        return False
    picture = scan.image if isinstance(scan.image, np.ndarray) else None
    earlier = find_duplicate(settings, scan.record, picture)
    if earlier is not None:
        out["duplicate_of"] = earlier.confirmed_at
        print(f"kiosk: warning: {name}: possibly a duplicate of a receipt confirmed at {earlier.confirmed_at}; queued anyway", file=sys.stderr)
    if not confirm_record(settings, scan.record, name, out):
        return False
    remember(settings, scan.record, picture)
    return True


def _client(settings: Settings, args: argparse.Namespace) -> Any:
    """The OCR service client when it may be used, else None (for `--remote`, why not is an error)."""
    from kiosk.ocr.remote.client import RemoteNotConfigured, RemoteOcr
    from kiosk.ocr.remote.fallback import remote_allowed

    if not (args.remote or args.fallback):
        return None
    problem = remote_allowed(settings)
    if problem is not None:
        if args.remote:
            raise RemoteNotConfigured(problem)
        return None
    try:
        client = RemoteOcr.from_settings(settings)
    except KioskError:  # e.g. no usable keyring: --fallback reports it with each local result
        if args.remote:
            raise
        return None
    if args.remote and not client.has_token:
        client.close()
        raise RemoteNotConfigured("no OCR service token: store it with `kiosk secret set ocr_token`")
    return client


def _scan_one(name: str, args: argparse.Namespace, settings: Settings, models: Any, client: Any) -> Any:
    """Read one file the way the flags say; returns the Scan. Raises KioskError when nothing can be shown."""
    from kiosk.images import load_image
    from kiosk.ocr.remote.client import RemoteNotConfigured
    from kiosk.ocr.remote.fallback import FallbackOutcome, local_read_problem, remote_allowed
    from kiosk.scan.flow import Scan, ask_remote, read_file

    try:
        image = load_image(name)
        source: Any = upload_source(Path(name).read_bytes(), image)
    except OSError as exc:
        raise KioskError(f"{name}: {exc}") from None
    if args.remote:
        scan = ask_remote(Scan(args.kind, None, None, source, None, "file"), settings, client=client, force=True)
        if scan.outcome is not None and scan.outcome.remote_error is not None:
            raise scan.outcome.remote_error
        return scan
    try:
        scan = read_file(models, args.kind, name)  # a PDF's text layer, when it has one
    except KioskError as exc:
        if not args.fallback:
            raise
        print(f"kiosk: error: {name}: local read failed: {exc}", file=sys.stderr)  # the service is the only reader left
        scan = Scan(args.kind, None, None, image, None, "file")
    if not args.fallback:
        return scan
    scan.image = source
    problem = remote_allowed(settings)
    if problem is None:
        scan = ask_remote(scan, settings, client=client)  # asks only when the policy says so
        if scan.outcome is not None and not scan.outcome.asked and settings.remote.policy == "manual" and local_read_problem(scan.record, settings.ocr.confidence_threshold):
            print(f"kiosk: {name}: not sent to the OCR service ([remote] policy = manual): use --remote to send it", file=sys.stderr)
    elif local_read_problem(scan.record, settings.ocr.confidence_threshold):
        scan.outcome = FallbackOutcome(scan.record, scan.record, None, False, RemoteNotConfigured(problem), problem)
    if scan.record is None:
        error = scan.outcome.remote_error if scan.outcome is not None else None
        raise error or KioskError(f"{name}: nothing could be read")
    return scan


def run(args: argparse.Namespace) -> int:
    from kiosk.scan.models import ScanModels

    settings = load_settings(args.config)
    client = _client(settings, args)
    models = None if args.remote else ScanModels(settings, engine=args.engine, live=False)
    failures = 0
    today = date.today()
    try:
        for name in args.images:
            try:
                scan = _scan_one(name, args, settings, models, client)
                if scan.kind == "passport":
                    check_validity(scan.record, settings.passport, today)
                out = scan.to_json(name)
                if args.confirm and not _confirm(settings, scan, name, out):
                    failures += 1
            except KioskError as exc:
                failures += 1
                report_file_error(name, exc, args.json)
                continue
            except Exception as exc:  # a reader bug on one image must not end the batch
                failures += 1
                problem = f"internal error {type(exc).__name__} at {where_raised(exc)}"
                report_file_error(name, KioskError(f"{name}: could not be read ({problem}); the next file is read"), args.json)
                continue
            if args.json:
                print(json.dumps(out, ensure_ascii=False), flush=True)
            else:
                print_scan(out, settings.passport, today)
    finally:
        if client is not None:
            client.close()
    return 1 if failures else 0
