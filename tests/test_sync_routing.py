"""Where records go: each kind to its own target, old one-target settings still working, and demo records never leaving."""

import json
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest
from greenpay_server import TOKEN, GreenPayServer
from odoo_server import JPEG, OdooServer, sample_passport, sample_receipt
from test_sync_odoo import deliver, odoo_settings

from kiosk.config import load_settings, route, save_settings
from kiosk.errors import ConfigError
from kiosk.secrets import set_secret
from kiosk.sync.outbox import LOCAL_ONLY, PENDING, SENT, destination, open_outbox, queue_record


def split_settings(odoo_url, greenpay_url):
    """Receipts to Odoo (expenses), passports to GreenPay: what sites run."""
    settings = odoo_settings(odoo_url)
    settings.sync.target = "none"
    settings.sync.receipts = "odoo"
    settings.sync.passports = "greenpay"
    settings.greenpay.url = greenpay_url
    set_secret("greenpay_token", TOKEN)
    return settings


def test_receipts_go_to_odoo_and_passports_to_greenpay():
    with OdooServer() as odoo, GreenPayServer() as greenpay:
        settings = split_settings(odoo.url, greenpay.url)
        passport = queue_record(settings, sample_passport(1))
        receipt = queue_record(settings, sample_receipt(1), JPEG)
        summary, status = deliver(settings)
        assert (summary.sent, summary.failed, summary.pending, summary.error) == (2, 0, 0, None)
        assert list(greenpay.stored) == [passport], "the passport went to GreenPay, the receipt did not"
        assert odoo.state.count("hr.expense") == 1 and odoo.state.count("ir.attachment") == 1
        with open_outbox(settings) as outbox:
            assert outbox.get(receipt).remote_ref.startswith("hr.expense,")
            assert outbox.get(passport).state == SENT


def test_a_target_that_is_down_does_not_hold_up_the_other_kind():
    with GreenPayServer() as greenpay:
        down = greenpay.url  # nothing listens there any more
    with OdooServer() as odoo:
        settings = split_settings(odoo.url, down)
        settings.sync.backoff_seconds = settings.sync.backoff_max_seconds = 60.0
        passport = queue_record(settings, sample_passport(1))
        receipt = queue_record(settings, sample_receipt(1), JPEG)
        summary, _ = deliver(settings, max_seconds=2)
        assert (summary.sent, summary.pending) == (1, 1) and "cannot reach GreenPay" in summary.waiting
        with open_outbox(settings) as outbox:
            assert outbox.get(receipt).state == SENT and outbox.get(passport).state == PENDING


def test_a_settings_file_with_one_target_sends_every_kind_it_takes_there(tmp_path):
    path = tmp_path / "settings.toml"
    path.write_text('[sync]\ntarget = "odoo"\n')  # a release-1 file (no schema)
    settings = load_settings(path)
    assert (route(settings, "passport"), route(settings, "receipt")) == ("odoo", "odoo")
    path.write_text('schema = 2\n[sync]\ntarget = "greenpay"\n')
    settings = load_settings(path)
    assert (route(settings, "passport"), route(settings, "receipt")) == ("greenpay", "none"), "GreenPay takes passports only"
    path.write_text('schema = 2\n[sync]\ntarget = "greenpay"\nreceipts = "odoo"\n')
    settings = load_settings(path)
    assert (route(settings, "passport"), route(settings, "receipt")) == ("greenpay", "odoo")
    assert load_settings(save_settings(settings, tmp_path / "again.toml")) == settings
    path.write_text('schema = 2\n[sync]\nreceipts = "greenpay"\n')
    with pytest.raises(ConfigError, match="receipts_path"):
        load_settings(path)
    path.write_text('schema = 2\n[sync]\nreceipts = "greenpay"\n[greenpay]\nreceipts_path = "/api/receipts"\n')
    assert route(load_settings(path), "receipt") == "greenpay"
    path.write_text('schema = 2\n[sync]\npassports = "ftp"\n')
    with pytest.raises(ConfigError, match=r"\[sync\] passports must be one of none, odoo, greenpay"):
        load_settings(path)


def test_a_receipt_no_target_takes_is_kept_not_failed_and_goes_once_a_target_takes_it():
    with GreenPayServer() as greenpay, OdooServer() as odoo:
        settings = odoo_settings(odoo.url)
        settings.sync.target = "greenpay"
        settings.greenpay.url = greenpay.url
        set_secret("greenpay_token", TOKEN)
        assert destination(settings, "receipt") == "none"
        receipt = queue_record(settings, sample_receipt(2))
        summary, status = deliver(settings)
        assert (summary.failed, summary.pending, summary.error) == (0, 1, None)
        assert greenpay.requests == {} and status.waiting == {"receipt": 1}
        settings.sync.receipts = "odoo"  # the admin sends receipts to Odoo
        summary, _ = deliver(settings)
        assert summary.sent == 1 and odoo.state.count("hr.expense") == 1
        with open_outbox(settings) as outbox:
            assert outbox.get(receipt).state == SENT


def test_demo_and_self_test_records_never_leave_the_kiosk():
    with GreenPayServer() as greenpay:
        settings = odoo_settings("http://127.0.0.1:9")
        settings.sync.target = "greenpay"
        settings.greenpay.url = greenpay.url
        set_secret("greenpay_token", TOKEN)
        assert destination(settings, "passport", "demo") == LOCAL_ONLY
        demo = queue_record(settings, sample_passport(3), origin="demo")
        selftest = queue_record(settings, sample_passport(4), origin="selftest")
        real = queue_record(settings, sample_passport(5), origin="camera")
        worker_summary, status = deliver(settings)
        with open_outbox(settings) as outbox:
            outbox.retry_failed()
            outbox.due_now()
        again, _ = deliver(settings)
        assert list(greenpay.stored) == [real], "only the real passport reached GreenPay"
        assert (worker_summary.sent, again.sent) == (1, 0)
        assert status.local_only == 2 and status.counts[SENT] == 1
        with open_outbox(settings) as outbox:
            for record_id, origin in ((demo, "demo"), (selftest, "selftest")):
                item = outbox.get(record_id)
                assert (item.state, item.remote_ref, item.origin, item.local_only) == (SENT, LOCAL_ONLY, origin, True)
            later = datetime.now(timezone.utc) + timedelta(days=settings.sync.retention_days, seconds=1)
            assert outbox.purge(settings.sync.retention_days, now=later) == 3, "purged after the retention, like sent records"


def test_sync_check_checks_each_target_in_use(tmp_path):
    config = tmp_path / "settings.toml"
    with OdooServer() as odoo, GreenPayServer() as greenpay:
        save_settings(split_settings(odoo.url, greenpay.url), config)
        run = subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config), "sync", "--check", "--json"],
            capture_output=True, text=True, timeout=120,
        )
        assert run.returncode == 0, run.stderr
        checked = json.loads(run.stdout)
        assert checked["target"].startswith("Odoo: Odoo ") and f"GreenPay: GreenPay answers at {greenpay.url}" in checked["target"]
        assert any(line.startswith("GreenPay: POST /api/passports") for line in checked["checked"])
        status = subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config), "sync", "--status"], capture_output=True, text=True, timeout=120
        )
        assert "(passports to greenpay, receipts to odoo)" in status.stdout
    with OdooServer() as odoo:
        settings = split_settings(odoo.url, "http://127.0.0.1:9")
        save_settings(settings, config)
        run = subprocess.run(
            [sys.executable, "-m", "kiosk", "--config", str(config), "sync", "--check"], capture_output=True, text=True, timeout=120
        )
        assert run.returncode == 1
        assert "Odoo: Odoo " in run.stderr and "GreenPay: cannot reach GreenPay" in run.stderr, "each target is named with its own result"
