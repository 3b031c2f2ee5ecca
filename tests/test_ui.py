"""The window reads a file off the UI thread and shows what it read."""

from kiosk.config import Settings
from kiosk.ui.main_window import MainWindow


def test_open_image_shows_the_lines(qtbot, receipt_file, receipt):
    window = MainWindow(Settings())
    qtbot.addWidget(window)
    window.show()
    window.open_path(str(receipt_file))
    assert not window.open_button.isEnabled()
    qtbot.waitUntil(lambda: window.lines.count() > 0, timeout=120_000)
    texts = [window.lines.item(i).text() for i in range(window.lines.count())]
    assert any(t.replace(" ", "").endswith(f"{receipt.total:.2f}") for t in texts)
    assert "lines read from receipt.jpg" in window.status.text()
    assert window.open_button.isEnabled()
    window.close()


def test_unreadable_file_is_reported_and_the_window_stays_usable(qtbot, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(b"not a png")
    window = MainWindow(Settings())
    qtbot.addWidget(window)
    window.open_path(str(bad))
    qtbot.waitUntil(lambda: "Could not read" in window.status.text(), timeout=120_000)
    assert "not an image" in window.status.text()
    assert window.open_button.isEnabled()
    window.close()
