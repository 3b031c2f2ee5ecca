"""Fault injection for the sync: N records through a failing target while `kiosk sync` is SIGKILLed.

Real HTTP on loopback: the test Odoo (or GreenPay) server from `tests/` runs in
this process and fails `--errors` of the requests with a 5xx and lets
`--timeouts` of them hang past the client's timeout (half of each after the
request took effect, so the answer is lost although the record was created).
It is restarted once midway (its data survives, like a real server's).
`kiosk sync --once` runs as a child process and is killed with SIGKILL at
random moments `--kills` times, then run to the end.

Printed: records queued, records the server holds (distinct kiosk record ids
created), duplicates (ids created more than once), records lost, the kills and
how many left a record cut off mid-send (`sending` in the outbox), restarts,
the faults injected, requests answered, logins, and the seconds it took. The
run passes when the server holds every record exactly once, every expense has
exactly one attachment set as its main one, and the outbox has them all `sent`.

    .venv/bin/python bench/sync_faults.py                      # Odoo 18 over JSON-RPC
    .venv/bin/python bench/sync_faults.py --target odoo19      # Odoo 19 over JSON-2
    .venv/bin/python bench/sync_faults.py --target greenpay --records 300 --json
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from greenpay_server import TOKEN, GreenPayServer  # noqa: E402
from odoo19_server import Odoo19Server, Odoo19State  # noqa: E402
from odoo_server import JPEG, Faults, OdooServer, OdooState, sample_passport, sample_receipt  # noqa: E402

from kiosk.config import Settings, save_settings  # noqa: E402
from kiosk.sync.outbox import FAILED, SENT, Outbox  # noqa: E402

ODOO = {"odoo": (OdooServer, OdooState), "odoo18": (OdooServer, OdooState), "odoo19": (Odoo19Server, Odoo19State)}
"""The Odoo targets: 18 over JSON-RPC (`odoo` is its old name), 19 over JSON-2."""
TARGETS = [*ODOO, "greenpay"]


def _environment(workdir: Path, odoo_secret: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        XDG_CONFIG_HOME=str(workdir / "config"),
        XDG_DATA_HOME=str(workdir / "data"),
        PYTHON_KEYRING_BACKEND="kiosk.keyring_file.FileKeyring",
        KIOSK_KEYRING_FILE=str(workdir / "keyring.json"),
        KIOSK_SECRET_ODOO_SECRET=odoo_secret,
        KIOSK_SECRET_GREENPAY_TOKEN=TOKEN,
        PYTHONPATH=str(REPO),
    )
    return env


def _settings(target: str, url: str, outbox: Path, timeout: float) -> Settings:
    settings = Settings()
    settings.kiosk.id = "K-01"
    settings.sync.target = "greenpay" if target == "greenpay" else "odoo"
    settings.sync.outbox = str(outbox)
    settings.sync.backoff_seconds = 0.002
    settings.sync.backoff_max_seconds = 0.02
    settings.odoo.url = url
    server_class, state_class = ODOO.get(target, ODOO["odoo"])
    settings.odoo.database = server_class.DATABASE
    settings.odoo.login = "admin"
    settings.odoo.product_id = state_class.IDS["meals"]
    settings.odoo.timeout = timeout
    settings.odoo.doubt_seconds = 2.0  # longer than the loopback server can still be working on a lost request
    settings.greenpay.url = url
    settings.greenpay.timeout = timeout
    return settings


def run(
    records: int = 1000,
    target: str = "odoo",
    errors: float = 0.2,
    timeouts: float = 0.1,
    kills: int = 5,
    seed: int = 8,
    client_timeout: float = 0.1,
    auth_delay: float = 0.02,
    workdir: Path | None = None,
    log: Any = None,
) -> dict[str, Any]:
    """Run the whole scenario; return the figures (see the module docstring)."""
    say = log or (lambda *_: None)
    rng = random.Random(seed)
    tmp = tempfile.TemporaryDirectory() if workdir is None else None
    work = Path(tmp.name) if tmp else Path(workdir)  # type: ignore[union-attr]
    is_odoo = target in ODOO
    server_class, state_class = ODOO.get(target, ODOO["odoo"])
    env = _environment(work, server_class.SECRET)
    saved_env = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # this process queues the records with the same keyring as the child
    import keyring.core

    keyring.core._keyring_backend = None
    faults = Faults(error_rate=errors, timeout_rate=timeouts, hang=client_timeout * 2, seed=seed)
    server = server_class(state_class(auth_delay=auth_delay), faults) if is_odoo else GreenPayServer(faults)
    started = time.perf_counter()
    try:
        server.start()
        outbox_path = work / "outbox.db"
        config = work / "settings.toml"
        save_settings(_settings(target, server.url, outbox_path, client_timeout), config)

        kinds: dict[str, str] = {}
        with Outbox(outbox_path) as outbox:
            for n in range(records):
                if is_odoo and n % 2:
                    record, image = sample_receipt(n), JPEG
                else:
                    record, image = sample_passport(n), None
                kinds[outbox.add(record, image)] = record.kind
        queued_at = time.perf_counter()
        say(f"queued {records} records in {queued_at - started:.1f} s")

        def delivered() -> int:
            if is_odoo:
                with server.state.lock:
                    return sum(1 for (model, _), n in server.state.creations.items() if model in ("hr.expense", "res.partner"))
            with server.lock:
                return len(server.creations)

        stop_monitor = threading.Event()

        def restart_midway() -> None:
            while not stop_monitor.wait(0.05):
                if delivered() >= records // 2:
                    server.restart(downtime=0.5)
                    say(f"server restarted with {delivered()} records stored")
                    return

        monitor = threading.Thread(target=restart_midway, daemon=True)
        monitor.start()

        # Kill points spread over the run: when the server holds a random number of
        # records, plus a random fraction of a request, so some land mid-send.
        kill_at = sorted(rng.sample(range(1, records), kills)) if kills else []
        kill_log: list[dict[str, Any]] = []
        runs = 0
        command = [sys.executable, "-m", "kiosk", "--config", str(config), "sync", "--once", "--max-seconds", "600", "--json"]
        while True:
            runs += 1
            # stderr (a line per retry) goes to a file: a pipe nobody reads while the run goes on would fill and stall it.
            errors_file = (work / f"sync-{runs}.stderr").open("w")
            child = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=errors_file, text=True)
            if len(kill_log) < len(kill_at):
                while child.poll() is None and delivered() < kill_at[len(kill_log)]:
                    time.sleep(0.005)
                time.sleep(rng.uniform(0, 0.03))
                if child.poll() is None:
                    child.send_signal(signal.SIGKILL)
                    child.communicate()
                    errors_file.close()
                    with Outbox(outbox_path) as outbox:
                        cut_off = outbox.status().counts["sending"]
                    kill_log.append({"run": runs, "server_had": delivered(), "left_sending": cut_off})
                    say(f"SIGKILL #{len(kill_log)} with {delivered()} records on the server, {cut_off} cut off mid-send")
                    continue
            out, _ = child.communicate(timeout=900)
            errors_file.close()
            err = (work / f"sync-{runs}.stderr").read_text()
            with Outbox(outbox_path) as outbox:
                status = outbox.status()
            left = status.counts["pending"] + status.counts["sending"]
            say(f"run {runs}: exit {child.returncode}, {out.strip() or err.strip()[-200:]}")
            if left == 0 or runs > kills + 20:
                break
        stop_monitor.set()
        seconds = time.perf_counter() - started

        with Outbox(outbox_path) as outbox:
            states = outbox.status().counts
            sent_ids = {item.id for item in outbox.items(SENT)}
            failed = [(item.id, item.last_error) for item in outbox.items(FAILED)]
        if is_odoo:
            state = server.state
            created = {rid for (model, rid) in state.creations if model in ("hr.expense", "res.partner")}
            duplicates = state.duplicates()
            expenses = state.made("hr.expense")
            attachments = state.models["ir.attachment"].rows.values()
            per_expense = {e["id"]: 0 for e in expenses}
            for a in attachments:
                if a["res_model"] == "hr.expense":
                    per_expense[a["res_id"]] = per_expense.get(a["res_id"], 0) + 1
            receipts_ok = all(n == 1 for n in per_expense.values()) and all(e["message_main_attachment_id"] for e in expenses)
            requests = sum(state.calls[k] for k in ("common.version", "common.authenticate", "object.execute_kw", "json2"))
            logins = state.calls["common.authenticate"] + state.calls["res.users.context_get"]
        else:
            created = set(server.creations)
            duplicates = server.duplicates()
            receipts_ok = True
            requests = sum(server.requests.values())
            logins = 0
        figures = {
            "target": target,
            "records": records,
            "server_count": len(created),
            "duplicates": len(duplicates),
            "lost": len(set(kinds) - created),
            "outbox": states,
            "failed": failed[:5],
            "every_sent_record_on_server": sent_ids <= created,
            "receipts_have_one_main_attachment": receipts_ok,
            "kills": len(kill_log),
            "kills_mid_send": sum(1 for k in kill_log if k["left_sending"]),
            "kill_points": kill_log,
            "runs": runs,
            "restarts": server.restarts,
            "faults": dict(faults.counts),
            "requests_answered": requests,
            "logins": logins,
            "seconds": round(seconds, 1),
        }
        figures["ok"] = (
            figures["server_count"] == records
            and not duplicates
            and figures["lost"] == 0
            and states[SENT] == records
            and receipts_ok
        )
        return figures
    finally:
        server.stop()
        for key, value in saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        keyring.core._keyring_backend = None
        if tmp:
            tmp.cleanup()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=1000)
    parser.add_argument("--target", choices=TARGETS, default="odoo18", help="odoo18 (JSON-RPC), odoo19 (JSON-2) or greenpay")
    parser.add_argument("--errors", type=float, default=0.2, help="share of requests answered with a 5xx")
    parser.add_argument("--timeouts", type=float, default=0.1, help="share of requests that hang past the client timeout")
    parser.add_argument("--kills", type=int, default=5, help="SIGKILLs of the sync process")
    parser.add_argument("--seed", type=int, default=8)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    figures = run(args.records, args.target, args.errors, args.timeouts, args.kills, args.seed,
                  log=None if args.json else (lambda text: print(text, flush=True)))
    if args.json:
        print(json.dumps(figures))
    else:
        for key, value in figures.items():
            print(f"{key:36s} {value}")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
