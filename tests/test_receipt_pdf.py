"""PDF receipts and invoices: the text layer read exactly, scans through OCR, bad files one clear line each,
and the whole file attached to the expense."""

from __future__ import annotations

import base64
import json

import pytest

from kiosk.capture.synthetic import ReceiptData, receipt_page
from kiosk.cli.main import main
from kiosk.config import Settings, save_settings
from kiosk.sync.outbox import open_outbox
from odoo_server import OdooServer
from pdf_maker import build, no_pages, scanned
from test_sync_odoo import deliver, odoo_settings

CAFE = ReceiptData(layout="cafe", cash=50.0, date="14-03-18", total_label="GRAND TOTAL", tax_label="GST")


def cafe_lines(data: ReceiptData = CAFE) -> list[str]:
    """The receipt's rows as a till's PDF carries them: one text line each, amounts at the end."""
    lines = [data.vendor, "TAX INVOICE", data.address, f"Date: {data.date} {data.time}"]
    lines += [f"1 x {name} {price:.2f}" for name, price in data.items]
    lines += [
        f"Total (Excluding GST): {data.subtotal:.2f}",
        f"GST payable ({data.tax_rate * 100:.0f}%): {data.tax:.2f}",
        f"GRAND TOTAL: {data.currency} {data.total:.2f}",
        f"CASH {data.cash:.2f}",
        f"CHANGE {data.cash - data.total:.2f}",
    ]
    return lines


def value(out: dict, name: str):
    return out[name]["value"]


def scan(capsys, monkeypatch, tmp_path, *files, extra=()):
    settings = tmp_path / "settings.toml"
    if not settings.exists():
        settings.write_text("")
    monkeypatch.setenv("KIOSK_CONFIG", str(settings))
    code = main(["scan", "receipt", "--json", "--engine", "onnx", *extra, *map(str, files)])
    captured = capsys.readouterr()
    return code, [json.loads(line) for line in captured.out.splitlines()], captured.err


def test_a_pdf_with_a_text_layer_is_read_exactly_without_ocr(tmp_path, capsys, monkeypatch):
    path = tmp_path / "invoice.pdf"
    path.write_bytes(build([cafe_lines(), ["Page 2: terms and conditions"]]))
    code, [out], _ = scan(capsys, monkeypatch, tmp_path, path)
    assert code == 0
    assert tuple(value(out, n) for n in ("vendor", "date", "total", "tax", "currency")) == (
        CAFE.vendor, "2018-03-14", pytest.approx(CAFE.total), pytest.approx(CAFE.tax), "MYR"
    )
    assert out["status"] == "ok" and out["straightening"] == "text layer"
    assert out["total"]["confidence"] >= 0.9 and out["seconds"] < 1.0


def test_a_scanned_pdf_is_read_by_ocr(tmp_path, capsys, monkeypatch):
    data = ReceiptData()
    path = tmp_path / "scan.pdf"
    path.write_bytes(scanned(receipt_page(data)))
    code, [out], _ = scan(capsys, monkeypatch, tmp_path, path)
    assert code == 0 and out["straightening"] != "text layer"
    assert tuple(value(out, n) for n in ("date", "total", "tax")) == ("2018-12-25", pytest.approx(data.total), pytest.approx(data.tax))


@pytest.mark.parametrize(
    "name, data, message",
    [
        ("locked.pdf", build([["TOTAL 1.00"]], encrypt=True), "the PDF is password-protected"),
        ("nopages.pdf", no_pages(), "not a readable PDF"),
        ("cut.pdf", build([cafe_lines()])[:300], "not a readable PDF"),
        ("book.pdf", build([["a page"]] * 500), "the PDF has 500 pages"),
        ("zero.pdf", b"", "empty file"),
    ],
)
def test_a_bad_pdf_gets_one_clear_line_and_the_next_file_is_read(tmp_path, capsys, monkeypatch, name, data, message):
    bad, good = tmp_path / name, tmp_path / "good.pdf"
    bad.write_bytes(data)
    good.write_bytes(build([cafe_lines()]))
    code, outs, err = scan(capsys, monkeypatch, tmp_path, bad, good)
    assert code == 1
    assert outs[0]["file"] == str(bad) and message in outs[0]["error"] and "\n" not in outs[0]["error"]
    assert outs[1]["file"] == str(good) and value(outs[1], "total") == pytest.approx(CAFE.total)
    assert message in err and "Traceback" not in err


def test_a_confirmed_pdf_goes_to_odoo_whole_as_the_expenses_main_attachment(tmp_path, capsys, monkeypatch):
    euro = ReceiptData(layout="cafe", cash=50.0, date="14-03-18", currency="EUR")  # MYR is inactive in the demo database
    data = build([cafe_lines(euro), ["Page 2: terms and conditions"]])
    path = tmp_path / "invoice.pdf"
    path.write_bytes(data)
    with OdooServer() as odoo:
        settings = odoo_settings(odoo.url, odoo)  # stores the Odoo password in the test keyring
        settings.sync.outbox = str(tmp_path / "outbox.db")
        save_settings(settings, tmp_path / "settings.toml")
        code, [out], _ = scan(capsys, monkeypatch, tmp_path, path, extra=("--confirm",))
        assert code == 0 and out["queued"] is True
        with open_outbox(settings) as outbox:
            assert outbox.status().counts.get("pending") == 1
        summary, _ = deliver(settings)
        assert summary.sent == 1, summary
        [attachment] = odoo.state.made("ir.attachment")
    assert attachment["mimetype"] == "application/pdf" and attachment["name"].endswith(".pdf")
    assert base64.b64decode(attachment["datas"]) == data, "the whole file, every page"


def test_the_same_receipt_confirmed_twice_from_the_command_line_is_flagged_the_second_time(tmp_path, capsys, monkeypatch):
    first, again = tmp_path / "invoice.pdf", tmp_path / "invoice-again.pdf"
    first.write_bytes(build([cafe_lines()]))
    again.write_bytes(build([cafe_lines(), ["a second page"]]))
    settings = Settings()
    settings.sync.outbox = str(tmp_path / "outbox.db")
    save_settings(settings, tmp_path / "settings.toml")
    code, [out], err = scan(capsys, monkeypatch, tmp_path, first, extra=("--confirm",))
    assert code == 0 and out["queued"] and "duplicate_of" not in out and "duplicate" not in err
    code, [out], err = scan(capsys, monkeypatch, tmp_path, again, extra=("--confirm",))
    assert code == 0 and out["queued"], "a warning, not a refusal: the clerk may have two identical receipts"
    assert out["duplicate_of"] and "possibly a duplicate" in err
