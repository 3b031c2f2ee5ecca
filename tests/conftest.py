import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from pathlib import Path

import cv2
import pytest

from kiosk.capture.synthetic import PassportData, ReceiptData, passport_page, receipt_page
from kiosk.ocr.engine import create_engine

ENGINES = ["onnx", "paddle"]


@pytest.fixture(autouse=True)
def isolated_settings(tmp_path, monkeypatch):
    """No test reads or writes the developer's own settings or keyring."""
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "config"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    monkeypatch.delenv("KIOSK_CONFIG", raising=False)
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "kiosk.keyring_file.FileKeyring")
    monkeypatch.setenv("KIOSK_KEYRING_FILE", str(tmp_path / "keyring.json"))
    for name in list(os.environ):
        if name.startswith("KIOSK_SECRET_"):
            monkeypatch.delenv(name)
    import keyring
    import keyring.core

    keyring.core._keyring_backend = None  # pick up PYTHON_KEYRING_BACKEND
    yield
    keyring.core._keyring_backend = None


@pytest.fixture(scope="session", params=ENGINES)
def engine(request):
    """Each installed backend in turn; both must pass the same tests."""
    return create_engine(request.param)


@pytest.fixture(scope="session")
def passport():
    return PassportData()


@pytest.fixture(scope="session")
def receipt():
    return ReceiptData()


@pytest.fixture(scope="session")
def passport_file(tmp_path_factory, passport) -> Path:
    path = tmp_path_factory.mktemp("docs") / "passport.png"
    cv2.imwrite(str(path), passport_page(passport))
    return path


@pytest.fixture(scope="session")
def receipt_file(tmp_path_factory, receipt) -> Path:
    path = tmp_path_factory.mktemp("docs") / "receipt.jpg"
    cv2.imwrite(str(path), receipt_page(receipt), [cv2.IMWRITE_JPEG_QUALITY, 90])
    return path
