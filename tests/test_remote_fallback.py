"""Fallback policy, merging local and remote reads, and the command line (`scan --remote/--fallback`, `service check`)."""

import json
import os
import socket
import subprocess
import sys
import time
from dataclasses import replace

import cv2
import numpy as np
import pytest

from kiosk.cli.main import main
from kiosk.config import OcrSettings, RemoteSettings, Settings
from kiosk.ocr.remote.fallback import merge, read_with_fallback, should_ask_remote, via
from kiosk.ocr.mrz.parse import parse_mrz_text
from kiosk.ocr.mrz.read import PassportRead
from kiosk.scan.flow import Scan
from kiosk.ocr.remote.client import RemoteUnreachable, passport_from_answer, receipt_from_answer
from kiosk.records import SOURCE_EDITED, SOURCE_LOCAL, SOURCE_REMOTE, Field, ReceiptRecord
from remote_server import RECEIPT_ANSWER, TOKEN, OcrTestServer, passport_answer, remote_settings

LINE1, LINE2 = passport_answer()["mrzText"].split("\n")


def broken(line2: str, position: int, digit: str) -> str:
    return f"{LINE1}\n{line2[:position]}{digit}{line2[position + 1:]}"


LOCAL_OK = lambda: parse_mrz_text(f"{LINE1}\n{LINE2}").to_record()  # noqa: E731
LOCAL_BAD_BIRTH = lambda: parse_mrz_text(broken(LINE2, 19, "5")).to_record()  # noqa: E731
LOCAL_NO_MRZ = lambda: parse_mrz_text("").to_record()  # noqa: E731


def settings(policy="auto", url="http://127.0.0.1:9", threshold=0.6) -> Settings:
    remote = remote_settings(url, policy) if url else RemoteSettings(policy=policy)
    return Settings(remote=remote, ocr=OcrSettings(confidence_threshold=threshold))


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------ policy


def low_confidence(record):
    return replace(record, fields={k: replace(f, confidence=0.4) for k, f in record.fields.items()})


@pytest.mark.parametrize(
    "policy,local,asked,expected",
    [
        ("auto", None, False, True),
        ("auto", "no_mrz", False, True),
        ("auto", "invalid", False, True),
        ("auto", "low", False, True),
        ("auto", "ok", False, False),
        ("auto", "ok", True, True),
        ("manual", "no_mrz", False, False),
        ("manual", "ok", True, True),
        ("off", "no_mrz", False, False),
        ("off", "no_mrz", True, False),
    ],
)
def test_should_ask_remote_follows_the_policy(policy, local, asked, expected):
    records = {None: None, "no_mrz": LOCAL_NO_MRZ(), "invalid": LOCAL_BAD_BIRTH(), "ok": LOCAL_OK(), "low": low_confidence(LOCAL_OK())}
    assert should_ask_remote(records[local], settings(policy), asked) is expected


def test_threshold_is_the_settings_and_no_url_means_never():
    record = low_confidence(LOCAL_OK())  # 0.40
    assert should_ask_remote(record, settings(threshold=0.6))
    assert not should_ask_remote(record, settings(threshold=0.3))
    assert not should_ask_remote(LOCAL_NO_MRZ(), settings(url=""), True)


# ------------------------------------------------------------------- merge


def test_local_failure_and_remote_answer_gives_the_remote_record_under_the_local_id():
    local, remote = LOCAL_NO_MRZ(), passport_from_answer(passport_answer())
    merged = merge(local, remote)
    assert merged.status == "ok" and merged.value("surname") == "ERIKSSON"
    assert merged.id == local.id and merged.created_at == local.created_at
    assert via(merged) == "remote"
    assert all(f.source == SOURCE_REMOTE for f in merged.fields.values())
    assert merged.mrz_lines == remote.mrz_lines and merged.valid_check_digits


def test_valid_fields_beat_invalid_ones_whatever_their_source():
    local = LOCAL_BAD_BIRTH()
    remote = passport_from_answer({**passport_answer(), "mrzText": broken(LINE2, 27, "9")})  # expiry check fails
    assert not local.field("birth_date").valid and not remote.field("expiry_date").valid
    merged = merge(local, remote)
    assert merged.field("birth_date").valid and merged.field("birth_date").source == SOURCE_REMOTE
    assert merged.field("expiry_date").valid and merged.field("expiry_date").source == SOURCE_LOCAL
    assert merged.value("birth_date") == "1974-08-12" and merged.value("expiry_date") == "2032-04-15"
    assert via(merged) == "local+remote"
    assert merged.status == "invalid" and "combined" in merged.reason  # a mix is for the operator to check


def test_a_valid_remote_read_repairs_an_invalid_local_one():
    merged = merge(LOCAL_BAD_BIRTH(), passport_from_answer(passport_answer()))
    assert merged.status == "ok" and merged.valid_check_digits
    assert merged.field("birth_date").source == SOURCE_REMOTE and merged.field("birth_date").valid


def test_a_good_local_read_is_not_replaced_by_a_worse_remote_one():
    local = LOCAL_OK()
    remote = passport_from_answer({**passport_answer(), "mrzText": broken(LINE2, 19, "5")})
    merged = merge(local, remote)
    assert merged.status == "ok" and via(merged) == "local"
    assert merged.field("birth_date").valid and merged.field("birth_date").source == SOURCE_LOCAL


def test_hand_edits_always_win_and_differences_are_shown():
    local = LOCAL_OK()
    local.edit("given_names", "ANNA MARIE")
    remote = passport_from_answer(passport_answer())
    merged = merge(local, remote)
    assert merged.field("given_names").source == SOURCE_EDITED and merged.value("given_names") == "ANNA MARIE"
    receipt_local = ReceiptRecord(fields={
        "vendor": Field("STARBUCKS COFFEE", 0.95),
        "total": Field(12.0, 0.4),
        "date": Field(None, 0.0, valid=False, reason="not read"),
    })
    receipt_remote = receipt_from_answer(RECEIPT_ANSWER)
    merged = merge(receipt_local, receipt_remote)
    assert merged.value("vendor") == "STARBUCKS COFFEE" and merged.field("vendor").source == SOURCE_LOCAL
    assert "STARBUCKS COFFEE" in merged.field("vendor").reason and "Starbucks" in merged.field("vendor").reason
    assert not merged.field("vendor").valid and merged.status == "invalid"  # two readings: the operator decides
    assert merged.value("total") == 12.5 and merged.field("total").source == SOURCE_REMOTE
    assert merged.value("date") == "2025-10-20" and via(merged) == "local+remote"
    with pytest.raises(TypeError):
        merge(receipt_local, remote)


# --------------------------------------------------------- read_with_fallback


def test_read_with_fallback_asks_merges_or_keeps_the_local_result(monkeypatch):
    image = cv2.imencode(".png", np.full((100, 100, 3), 200, np.uint8))[1].tobytes()
    monkeypatch.setenv("KIOSK_SECRET_OCR_TOKEN", TOKEN)
    with OcrTestServer() as srv:
        outcome = read_with_fallback("passport", image, LOCAL_NO_MRZ(), settings(url=srv.url))
        assert outcome.asked and outcome.remote_error is None and outcome.via == "remote"
        assert outcome.record.status == "ok" and outcome.json_extra() == {"via": "remote"}
        good = LOCAL_OK()
        outcome = read_with_fallback("passport", image, good, settings(url=srv.url))
        assert not outcome.asked and outcome.record is good and outcome.via == "local"
        outcome = read_with_fallback("passport", image, good, settings("manual", url=srv.url), operator_asked=True)
        assert outcome.asked and outcome.remote is not None
        assert len(srv.posts()) == 2

    local = LOCAL_BAD_BIRTH()
    dead = settings(url=f"http://127.0.0.1:{closed_port()}")
    dead.remote.mrz[0].backoff = 0.01
    started = time.monotonic()
    outcome = read_with_fallback("passport", image, local, dead)
    assert time.monotonic() - started < 3
    assert outcome.asked and outcome.record is local and isinstance(outcome.remote_error, RemoteUnreachable)
    extra = outcome.json_extra()
    assert extra["via"] == "local" and "could not be reached" in extra["remote_error"]
    assert extra["remote_error_kind"] == "unreachable"


# --------------------------------------------------------------- command line


@pytest.fixture
def service():
    with OcrTestServer() as srv:
        yield srv


def write_config(path, url, **remote):
    values = {"url": url, "connect_timeout": 1.0, "read_timeout": 3.0, "backoff": 0.05, **remote}
    lines = ["[remote]"] + [f"{k} = {json.dumps(v)}" for k, v in values.items()]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def configured(service, tmp_path, monkeypatch):
    config = write_config(tmp_path / "settings.toml", service.url)
    monkeypatch.setenv("KIOSK_CONFIG", str(config))
    monkeypatch.setenv("KIOSK_SECRET_OCR_TOKEN", TOKEN)
    return config


@pytest.fixture(scope="module")
def blank_file(tmp_path_factory):
    """A photo with no MRZ in it: the local reader cannot read it."""
    path = tmp_path_factory.mktemp("blank") / "no-mrz.png"
    rng = np.random.default_rng(11)
    image = np.clip(rng.normal(200, 25, (700, 1000, 3)), 0, 255).astype(np.uint8)
    cv2.imwrite(str(path), image)
    return path


def test_end_to_end_fallback_an_unreadable_image_is_answered_by_the_service(service, configured, blank_file):
    env = {**os.environ, "KIOSK_CONFIG": str(configured), "KIOSK_SECRET_OCR_TOKEN": TOKEN}
    started = time.monotonic()
    result = subprocess.run(
        [sys.executable, "-m", "kiosk", "scan", "passport", str(blank_file), "--fallback", "--json"],
        capture_output=True, text=True, env=env, timeout=300,
    )
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    assert out["file"] == str(blank_file) and out["kind"] == "passport"
    assert out["via"] == "remote" and "remote_error" not in out
    assert out["status"] == "ok" and out["valid_check_digits"] is True
    assert out["fields"]["surname"]["value"] == "ERIKSSON" and out["fields"]["document_number"]["value"] == "L898902C3"
    assert {f["source"] for f in out["fields"].values()} == {"remote"}
    local = Scan("passport", PassportRead(parse_mrz_text(""), "none", 0.0), None, None, None, "file")
    local.record = local.read.record
    assert set(local.to_json("x")) == set(out)  # the same shape as a local scan
    [seen] = service.posts()
    assert seen.path == "/scan-mrz" and seen.authorized and seen.size == blank_file.stat().st_size
    assert TOKEN not in result.stdout + result.stderr
    assert time.monotonic() - started < 60


def test_fallback_with_the_service_down_prints_the_local_result_and_why(tmp_path, monkeypatch, blank_file, capsys):
    config = write_config(tmp_path / "down.toml", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("KIOSK_SECRET_OCR_TOKEN", TOKEN)
    assert main(["--config", str(config), "scan", "passport", str(blank_file), "--fallback", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "no_mrz" and out["via"] == "local"
    assert "could not be reached" in out["remote_error"] and out["remote_error_kind"] == "unreachable"
    assert main(["--config", str(config), "scan", "passport", str(blank_file), "--fallback"]) == 0
    text = capsys.readouterr().out
    assert "no_mrz" in text and "OCR service not used: the OCR service at" in text


def test_fallback_leaves_a_good_local_read_alone(service, configured, passport_file, capsys):
    assert main(["scan", "passport", str(passport_file), "--fallback", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["status"] == "ok" and out["via"] == "local"
    assert {f["source"] for f in out["fields"].values() if f["value"] is not None} == {"local"}
    assert service.posts() == []


def test_remote_only_scan_and_its_errors(service, configured, passport_file, capsys, monkeypatch):
    assert main(["scan", "passport", str(passport_file), "--remote", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["via"] == "remote" and out["status"] == "ok" and out["corrections"] == []
    assert main(["scan", "passport", str(passport_file), "--remote"]) == 0
    text = capsys.readouterr().out
    assert "via remote" in text and "ERIKSSON" in text and "remote" in text.splitlines()[3]

    service.script("no_mrz")
    assert main(["scan", "passport", str(passport_file), "--remote", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["error"] == f"the OCR service at {service.url}/scan-mrz found no MRZ: No MRZ detected in image"

    monkeypatch.setenv("KIOSK_SECRET_OCR_TOKEN", "not-the-token")
    assert main(["scan", "passport", str(passport_file), "--remote"]) == 1
    captured = capsys.readouterr()
    assert "refused the token" in captured.err and "not-the-token" not in captured.err + captured.out
    assert len(service.posts()) == 4

    monkeypatch.delenv("KIOSK_SECRET_OCR_TOKEN")
    assert main(["scan", "passport", str(passport_file), "--remote"]) == 1
    assert "kiosk secret set ocr_token" in capsys.readouterr().err
    assert len(service.posts()) == 4


def test_remote_and_fallback_exclude_each_other_and_policy_off_is_respected(configured, passport_file, tmp_path, capsys):
    with pytest.raises(SystemExit) as caught:
        main(["scan", "passport", str(passport_file), "--remote", "--fallback"])
    assert caught.value.code == 2
    capsys.readouterr()
    off = write_config(tmp_path / "off.toml", "http://127.0.0.1:9", policy="off")
    assert main(["--config", str(off), "scan", "passport", str(passport_file), "--remote"]) == 1
    assert "turned off" in capsys.readouterr().err


def test_service_check_prints_health_version_and_latency(service, configured, capsys):
    assert main(["service", "check"]) == 0
    text = capsys.readouterr().out
    assert f"{service.url}/ocr: up (status 'ok')" in text and f"{service.url}/scan-mrz: up (status 'ok')" in text
    assert "version  1.0.0" in text and "paddleocr-vl" in text and "token    environment" in text
    assert " ms" in text and TOKEN not in text
    assert main(["service", "check", "--json"]) == 0
    [out, _] = json.loads(capsys.readouterr().out)["providers"]
    assert out["up"] is True and out["version"] == "1.0.0" and out["latency_ms"] > 0 and out["token_source"] == "environment"


def test_service_check_healthy_shape_and_failures(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("KIOSK_SECRET_OCR_TOKEN", TOKEN)
    with OcrTestServer(health_shape="healthy") as srv:
        config = write_config(tmp_path / "s.toml", srv.url)
        assert main(["--config", str(config), "service", "check"]) == 0
        assert "up (status 'healthy')" in capsys.readouterr().out
        monkeypatch.delenv("KIOSK_SECRET_OCR_TOKEN")
        assert main(["--config", str(config), "service", "check"]) == 1
        captured = capsys.readouterr()
        assert "token    not set" in captured.out and "kiosk secret set ocr_token" in captured.err
    with OcrTestServer(health_shape="down") as srv:
        config = write_config(tmp_path / "d.toml", srv.url)
        assert main(["--config", str(config), "service", "check"]) == 1
        captured = capsys.readouterr()
        assert "DOWN" in captured.out and "unhealthy" in captured.err
    dead = write_config(tmp_path / "dead.toml", f"http://127.0.0.1:{closed_port()}")
    assert main(["--config", str(dead), "service", "check", "--json"]) == 1
    captured = capsys.readouterr()
    assert json.loads(captured.out)["providers"][0]["error_kind"] == "unreachable" and "could not be reached" in captured.err
    (tmp_path / "none.toml").write_text("")
    assert main(["--config", str(tmp_path / "none.toml"), "service", "check"]) == 1
    assert "no OCR service configured" in capsys.readouterr().err


def test_receipts_through_the_service_remote_and_fallback(service, configured, blank_file, capsys):
    """`scan receipt` goes through the same code once the scan parser offers `receipt`."""
    import argparse

    from kiosk.cli.scan import run as run_scan_service

    def args(**flags):
        base = dict(config=None, kind="receipt", images=[str(blank_file)], engine=None, json=True, remote=False, fallback=False, confirm=False)
        return argparse.Namespace(**{**base, **flags})

    assert run_scan_service(args(remote=True)) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["kind"] == "receipt" and out["via"] == "remote" and out["status"] == "ok"
    assert out["total"]["value"] == 12.5 and out["date"]["value"] == "2025-10-20"  # the same shape as a local receipt scan
    assert {out[key]["source"] for key in ("vendor", "date", "total", "tax", "subtotal", "currency")} == {"remote"}
    assert run_scan_service(args(fallback=True)) == 0  # nothing local: the service answers
    out = json.loads(capsys.readouterr().out)
    assert out["via"] == "remote" and out["vendor"]["value"] == "Starbucks"
    assert [p.path for p in service.posts()] == ["/ocr", "/ocr"]


def test_remote_robustness_settings_load_and_are_checked():
    from kiosk.config import settings_from_dict
    from kiosk.errors import ConfigError

    loaded = settings_from_dict({"remote": {"url": "https://ocr.example.org", "ca_bundle": "/etc/ssl/org.pem", "backoff": 1, "max_retry_wait": 20, "breaker_failures": 5, "breaker_cooldown": 60}})
    mrz = loaded.remote.mrz[0]  # a release-1 [remote] url: one provider per kind, its values carried over
    assert mrz.backoff == 1.0 and mrz.breaker_failures == 5 and mrz.breaker_cooldown == 60.0
    for bad in ({"breaker_failures": 0}, {"breaker_cooldown": 0}, {"backoff": -1}, {"max_retry_wait": -1}):
        with pytest.raises(ConfigError, match=r"\[\[remote\.receipt\]\] 1:"):
            settings_from_dict({"remote": {"url": "https://ocr.example.org", **bad}})


def test_scan_receipt_prints_one_shape_and_one_local_read_with_or_without_the_service(service, configured, receipt_file, blank_file, capsys):
    """`kiosk scan receipt --json`: the same keys and the same local read whether or not --fallback/--remote is given."""
    def scan(*flags):
        assert main(["scan", "receipt", str(receipt_file), "--json", *flags]) == 0
        return json.loads(capsys.readouterr().out)

    local, fallback = scan(), scan("--fallback")
    assert local["status"] == "ok" and local["via"] == "local"
    assert fallback["via"] == "local" and service.posts() == []  # a good local read is not sent
    remote = scan("--remote")
    assert set(local) == set(fallback) == set(remote)
    for key in ("vendor", "date", "total", "tax", "subtotal", "currency"):
        assert fallback[key] == local[key]  # the same local read: straightened, at the same width
    assert remote["via"] == "remote" and remote["total"]["value"] == 12.5


def test_fallback_under_manual_policy_sends_nothing_and_says_how_to(service, tmp_path, monkeypatch, blank_file, capsys):
    """The command line follows the app's policy: under `manual` only the operator (`--remote`) sends an image."""
    config = write_config(tmp_path / "manual.toml", service.url, policy="manual")
    monkeypatch.setenv("KIOSK_SECRET_OCR_TOKEN", TOKEN)
    assert main(["--config", str(config), "scan", "passport", str(blank_file), "--fallback", "--json"]) == 0
    captured = capsys.readouterr()
    out = json.loads(captured.out)
    assert out["status"] == "no_mrz" and out["via"] == "local" and "remote_error" not in out
    assert service.posts() == [] and "--remote" in captured.err
    assert main(["--config", str(config), "scan", "passport", str(blank_file), "--remote", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["via"] == "remote" and len(service.posts()) == 1
