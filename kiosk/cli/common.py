"""What the commands share: reporting a file's error, and `--confirm`."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from kiosk.errors import KioskError
from kiosk.status import NOTHING_READ

if TYPE_CHECKING:
    from kiosk.config import Settings
    from kiosk.records import Record


def report_file_error(name: str, exc: KioskError, as_json: bool) -> None:
    """One line on stderr, and the same as a JSON object so a script sees every file."""
    print(f"kiosk: error: {exc}", file=sys.stderr)
    if as_json:
        print(json.dumps({"file": name, "error": str(exc)}), flush=True)


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
