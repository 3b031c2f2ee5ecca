"""`kiosk sync`: deliver the outbox, show it, retry or discard failed records, purge old ones."""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import datetime, timezone

from kiosk.config import SYNC_KINDS, Settings, load_settings, route
from kiosk.sync.outbox import FAILED, PENDING, SENDING, STATES, OutboxStatus, open_outbox
from kiosk.sync.check import check_target
from kiosk.sync.worker import make_worker

COMMAND = "sync"
EXIT_FAILED = 3
EXIT_PENDING = 4

EPILOG = """exit status of --once: 0 all due records delivered; 1 stopped by an error (settings,
credentials, server, outbox); 3 some records failed (see --status, then --retry-failed);
4 some records still wait for a retry."""


def add_parser(commands: argparse._SubParsersAction) -> None:
    sync = commands.add_parser(
        COMMAND,
        help="deliver queued records to Odoo or GreenPay",
        description="Deliver the outbox: each kind to its target ([sync] passports, receipts, else target). "
        "Without an option: keep delivering until stopped.",
        epilog=EPILOG,
    )
    action = sync.add_mutually_exclusive_group()
    action.add_argument("--once", action="store_true", help="deliver what is pending, print a summary and exit")
    action.add_argument("--status", action="store_true", help="counts per state, oldest pending record, last error")
    action.add_argument("--retry-failed", nargs="*", metavar="ID", help="put failed records (all, or those named) back in the queue")
    action.add_argument("--discard", nargs="+", metavar="ID", help="delete failed records for good (IDs, or `all`)")
    action.add_argument("--purge", action="store_true", help="delete sent records older than [sync] retention_days now")
    action.add_argument("--check", action="store_true", help="connect to each target in use and check its settings and field mapping")
    sync.add_argument("--max-seconds", type=float, default=60.0, metavar="S", help="with --once: longest time to spend waiting out retries (default 60)")
    sync.add_argument("--json", action="store_true", help="print JSON instead of text")


def run(args: argparse.Namespace) -> int:
    settings = load_settings(args.config)
    if args.check:
        return _check(settings, args.json)
    if args.once or not any((args.status, args.retry_failed is not None, args.discard, args.purge)):
        return _deliver(settings, args)
    with open_outbox(settings) as outbox:
        if args.status:
            _print_status(outbox.status(), settings, args.json)
            return 0
        if args.retry_failed is not None:
            count = outbox.retry_failed(args.retry_failed or None)
            _say(args.json, {"retried": count}, f"{count} failed records back in the queue")
        elif args.discard:
            count = outbox.discard(None if args.discard == ["all"] else args.discard)
            _say(args.json, {"discarded": count}, f"{count} failed records discarded")
        else:
            count = outbox.purge(settings.sync.retention_days)
            _say(args.json, {"purged": count}, f"{count} sent records purged (older than {settings.sync.retention_days} days)")
    return 0


def _say(as_json: bool, data: dict[str, object], text: str) -> None:
    print(json.dumps(data) if as_json else text, flush=True)


def _retry_line(reason: str, delay: float) -> None:
    """Each failed attempt of `--once`, as it happens: a person is waiting and must see why."""
    print(f"kiosk: retry: {reason}; next try in {delay:.1f} s", file=sys.stderr, flush=True)


def _deliver(settings: Settings, args: argparse.Namespace) -> int:
    worker = make_worker(settings, on_retry=_retry_line if args.once else None)
    try:
        if not args.once:
            print(f"delivering {worker.outbox.path} ({_routes_text(settings)}); Ctrl-C stops", flush=True)
            worker.run_forever()
            return 0
        summary = worker.run_pass(max_seconds=args.max_seconds, due_now=True)
    finally:
        worker.outbox.close()
    _say(args.json, summary.to_json(), summary.line(with_error=False))
    if summary.error:
        print(f"kiosk: error: {summary.error}", file=sys.stderr)
        return 1
    if summary.failed:
        return EXIT_FAILED
    return EXIT_PENDING if summary.pending else 0


def _age(iso: str | None) -> str:
    if not iso:
        return ""
    try:
        seconds = (datetime.now(timezone.utc) - datetime.fromisoformat(iso)).total_seconds()
    except ValueError:
        return ""
    for unit, size in (("d", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            return f" ({seconds / size:.0f} {unit} ago)"
    return f" ({max(0, seconds):.0f} s ago)"


def _routes(settings: Settings) -> dict[str, str]:
    return {kind: route(settings, kind) for kind in SYNC_KINDS}


def _routes_text(settings: Settings) -> str:
    """`target: odoo` when every kind goes to one target, else where each goes."""
    routes = _routes(settings)
    if len(set(routes.values())) == 1:
        return f"target: {next(iter(routes.values()))}"
    return ", ".join(f"{SYNC_KINDS[kind]} to {name}" for kind, name in routes.items())


def _print_status(status: OutboxStatus, settings: Settings, as_json: bool) -> None:
    routes = _routes(settings)
    kept = {kind: n for kind, n in status.waiting.items() if routes.get(kind, "none") == "none"}
    if as_json:
        print(json.dumps({**status.to_json(), "target": settings.sync.target, "routes": routes, "kept": kept}), flush=True)
        return
    print(f"outbox: {status.path} ({_routes_text(settings)})")
    print(", ".join(f"{state} {status.counts[state]}" for state in STATES))
    for kind, count in kept.items():
        print(f"kept on this kiosk: {count} {SYNC_KINDS[kind]} (no target takes {SYNC_KINDS[kind]})")
    if status.local_only:
        print(f"demo and self-test records (never sent): {status.local_only}")
    waiting = status.counts[PENDING] + status.counts[SENDING]
    if waiting:
        print(f"oldest pending: {status.oldest_pending}{_age(status.oldest_pending)}")
        if status.next_attempt_at and status.next_attempt_at > time.time():
            print(f"next attempt: in {status.next_attempt_at - time.time():.0f} s")
    print(f"last delivery: {status.last_sync_at or 'never'}")
    if status.last_error:
        print(f"last error: {status.last_error}")
    if status.counts[FAILED]:
        print("failed records (kiosk sync --retry-failed [ID], or --discard ID):")
        for item in status.items_failed:
            print(f"  {item.id}  {item.kind}  {item.attempts} attempts  {item.last_error}")


def _check(settings: Settings, as_json: bool) -> int:
    """`kiosk.sync.check.check_target`, the Settings screen's "Test connection" too, with the setup lists."""
    check = check_target(settings, setup=True)
    if not check.ok:
        later = ": try again later" if check.retry_later else ""
        print(f"kiosk: error: {check.summary}{later}", file=sys.stderr)
        for line in check.details:
            print(f"  {line}", file=sys.stderr)
        return 1
    if as_json:
        print(json.dumps({"target": check.summary, "checked": list(check.details), **check.setup}, ensure_ascii=False))
        return 0
    print(f"ok: {check.summary}")
    for line in check.details:
        print(f"  {line}")
    for key, rows in check.setup.items():
        print(f"{key}:")
        for row in rows:
            print("  " + "  ".join(str(v) for v in row.values()))
    return 0
