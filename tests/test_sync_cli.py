"""`kiosk sync` as an administrator or a script uses it."""

import json
import subprocess
import sys

from odoo_server import JPEG, OdooServer, sample_passport, sample_receipt
from test_sync_odoo import odoo_settings

from kiosk.config import save_settings
from kiosk.secrets import set_secret
from kiosk.sync.outbox import SENT, open_outbox, outbox_path, queue_record


def kiosk(config, *args):
    return subprocess.run(
        [sys.executable, "-m", "kiosk", "--config", str(config), "sync", *args],
        capture_output=True, text=True, timeout=120,
    )


def test_once_status_retry_discard_and_purge(tmp_path):
    config = tmp_path / "settings.toml"
    with OdooServer() as server:
        settings = odoo_settings(server.url)
        save_settings(settings, config)
        passport = sample_passport(1)
        queue_record(settings, passport)
        receipt_id = queue_record(settings, sample_receipt(currency="MYR"), JPEG)  # MYR is not active in Odoo

        once = kiosk(config, "--once", "--json")
        assert once.returncode == 3, once.stderr
        summary = json.loads(once.stdout)
        assert (summary["sent"], summary["failed"], summary["pending"]) == (1, 1, 0)

        status = kiosk(config, "--status")
        assert status.returncode == 0
        text = status.stdout
        assert f"outbox: {outbox_path(settings)} (target: odoo)" in text
        assert "pending 0, sending 0, sent 1, failed 1" in text
        assert "last error: the currency MYR is not active in Odoo" in text
        assert f"  {receipt_id}  receipt  1 attempts  the currency MYR is not active in Odoo" in text
        for secret in (passport.value("surname"), passport.value("document_number"), "YONGFATT"):
            assert secret not in text

        as_json = json.loads(kiosk(config, "--status", "--json").stdout)
        assert as_json["counts"] == {"pending": 0, "sending": 0, "sent": 1, "failed": 1}
        assert as_json["failed"][0]["id"] == receipt_id

        server.state.models["res.currency"].rows[148]["active"] = True  # the administrator activates MYR
        retry = kiosk(config, "--retry-failed")
        assert retry.returncode == 0 and retry.stdout.strip() == "1 failed records back in the queue"
        once = kiosk(config, "--once")
        assert once.returncode == 0 and once.stdout.startswith("sync: 1 sent, 0 failed, 0 pending")

        assert kiosk(config, "--discard", "all").stdout.strip() == "0 failed records discarded"
        purge = kiosk(config, "--purge")
        assert purge.stdout.strip() == "0 sent records purged (older than 7 days)"
        settings.sync.retention_days = 0
        save_settings(settings, config)
        assert kiosk(config, "--purge", "--json").stdout.strip() == '{"purged": 2}'
        with open_outbox(settings) as outbox:
            assert outbox.status().counts[SENT] == 0


def test_exit_codes_and_messages_for_wrong_credentials_and_a_server_down(tmp_path):
    config = tmp_path / "settings.toml"
    with OdooServer() as server:
        settings = odoo_settings(server.url)
        save_settings(settings, config)
        queue_record(settings, sample_passport())
        set_secret("odoo_secret", "wrong-password")
        wrong = kiosk(config, "--once")
        assert wrong.returncode == 1
        assert "kiosk: error: Odoo 18.0 refused the login 'admin' on database 'kiosk'" in wrong.stderr
        assert "Traceback" not in wrong.stderr
        set_secret("odoo_secret", "admin")
        settings.sync.backoff_seconds = settings.sync.backoff_max_seconds = 60.0
        save_settings(settings, config)
    down = kiosk(config, "--once", "--max-seconds", "0")
    assert down.returncode == 4, down.stdout + down.stderr
    assert "0 sent, 0 failed, 1 pending" in down.stdout
    status = kiosk(config, "--status").stdout
    assert "last error: cannot reach Odoo" in status and "next attempt: in" in status


def test_check_lists_what_the_settings_need(tmp_path):
    config = tmp_path / "settings.toml"
    with OdooServer() as server:
        save_settings(odoo_settings(server.url), config)
        check = kiosk(config, "--check")
    assert check.returncode == 0, check.stderr
    assert check.stdout.startswith(f"ok: Odoo 18.0 at {server.url}, database kiosk, uid 2")
    assert "44  Meals  FOOD  0.0" in check.stdout and "Abigail Peterson" in check.stdout
    settings = odoo_settings("http://127.0.0.1:9")
    save_settings(settings, config)
    down = kiosk(config, "--check")
    assert down.returncode == 1 and "cannot reach Odoo" in down.stderr and "try again later" in down.stderr


def test_the_service_mode_delivers_until_interrupted(tmp_path):
    import signal
    import time

    config = tmp_path / "settings.toml"
    with OdooServer() as server:
        settings = odoo_settings(server.url)
        settings.sync.poll_seconds = 0.2
        save_settings(settings, config)
        service = subprocess.Popen(
            [sys.executable, "-m", "kiosk", "--config", str(config), "sync"],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        try:
            time.sleep(0.5)
            record_id = queue_record(settings, sample_receipt(), JPEG)  # as the UI does, while the service runs
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:
                with open_outbox(settings) as outbox:
                    if outbox.get(record_id).state == SENT:
                        break
                time.sleep(0.1)
        finally:
            service.send_signal(signal.SIGINT)
            out, err = service.communicate(timeout=30)
        assert server.state.count("hr.expense") == 1
        assert service.returncode == 130 and "Traceback" not in err
        assert out.startswith("delivering ")


def closed_port_url():
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_once_with_odoo_down_says_each_retry_as_it_happens_and_why_it_gave_up(tmp_path):
    """Before: silent until --max-seconds ran out, then a summary without the reason."""
    config = tmp_path / "settings.toml"
    url = closed_port_url()
    settings = odoo_settings(url)
    settings.sync.backoff_seconds, settings.sync.backoff_max_seconds = 0.2, 0.4
    save_settings(settings, config)
    queue_record(settings, sample_passport())
    down = kiosk(config, "--once", "--max-seconds", "1.5")
    assert down.returncode == 4, down.stdout + down.stderr
    reason = f"cannot reach Odoo at {url}: ConnectError"
    retries = down.stderr.splitlines()
    assert len(retries) >= 2 and all(line.startswith(f"kiosk: retry: {reason}; next try in ") for line in retries), down.stderr
    assert all(line.endswith(" s") for line in retries)
    summary = down.stdout.strip()
    assert summary.startswith(f"sync: 0 sent, 0 failed, 1 pending ({len(retries)} retries, ")
    assert summary.endswith(f"; waiting: {reason}") and summary.count(reason) == 1


def test_an_error_that_stops_the_run_is_said_once(tmp_path):
    config = tmp_path / "settings.toml"
    with OdooServer() as server:
        settings = odoo_settings(server.url)
        save_settings(settings, config)
        queue_record(settings, sample_passport())
        set_secret("odoo_secret", "wrong-password")
        wrong = kiosk(config, "--once")
    assert wrong.returncode == 1
    said = wrong.stdout + wrong.stderr
    assert said.count("refused the login 'admin'") == 1, said
    assert wrong.stderr.startswith("kiosk: error: Odoo 18.0 refused the login 'admin' on database 'kiosk'")
    assert wrong.stdout.strip().startswith("sync: 0 sent, 0 failed, 1 pending")


def test_a_plain_web_server_at_the_odoo_url_stops_the_run_at_once(tmp_path):
    """`python -m http.server` answers POST with 501: a wrong URL, said once, not retried for a minute."""
    import socket
    import time

    config = tmp_path / "settings.toml"
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    web = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(tmp_path)],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        url = f"http://127.0.0.1:{port}"
        settings = odoo_settings(url)
        save_settings(settings, config)
        queue_record(settings, sample_passport())
        started = time.monotonic()
        answer = kiosk(config, "--once")
        took = time.monotonic() - started
    finally:
        web.terminate()
        web.wait(10)
    assert answer.returncode == 1 and took < 30
    assert answer.stderr == (
        f"kiosk: error: {url}/web/webclient/version_info answered HTTP 501 (text/html): that is not Odoo; check [odoo] url\n"
    )
    assert "(0 retries" in answer.stdout
