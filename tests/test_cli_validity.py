"""`kiosk scan passport` says what check digits cannot: an expired document, in the JSON `warnings` and the text
form, with country names and the kind of document; `--confirm` refuses an expired one unless the site allows it."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from kiosk.config import Settings
from kiosk.sync.outbox import open_outbox

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "mrz"
EXPIRED_PASSPORT = DATA / "fastmrz__td3.jpg"  # ERIKSSON specimen, expired 2012-04-15, every check digit holds


def kiosk(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "kiosk", *args], capture_output=True, text=True, timeout=600)


def queued():
    with open_outbox(Settings()) as outbox:
        return [outbox.load(item)[0] for item in outbox.items("pending")]


def test_an_expired_passport_carries_the_expired_warning_in_json_and_text():
    result = kiosk("scan", "passport", str(EXPIRED_PASSPORT), "--json")
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["valid_check_digits"] is True and out["fields"]["expiry_date"]["value"] == "2012-04-15"
    assert out["warnings"] == ["expired"]

    text = kiosk("scan", "passport", str(EXPIRED_PASSPORT))
    assert text.returncode == 0, text.stderr
    assert "warning: EXPIRED on 2012-04-15, not accepted here (expired)" in text.stdout
    assert ": ok TD3 passport (" in text.stdout.splitlines()[0]
    assert "UTO Utopia (specimen)" in text.stdout


def test_confirm_queues_an_expired_passport_only_where_the_site_allows_it(tmp_path):
    refused = kiosk("scan", "passport", str(EXPIRED_PASSPORT), "--confirm", "--json")
    assert refused.returncode == 1
    assert json.loads(refused.stdout)["queued"] is False
    assert "the document has expired, not queued" in refused.stderr
    assert queued() == []

    config = tmp_path / "settings.toml"
    config.write_text("schema = 2\n[passport]\nallow_expired = true\n")
    allowed = kiosk("--config", str(config), "scan", "passport", str(EXPIRED_PASSPORT), "--confirm", "--json")
    assert allowed.returncode == 0, allowed.stderr
    out = json.loads(allowed.stdout)
    assert out["queued"] is True and out["warnings"] == ["expired"]
    [record] = queued()
    assert record.id == out["id"] and record.warnings == ("expired",)  # the warning is kept with the record
