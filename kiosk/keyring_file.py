"""A keyring backend in one JSON file, for headless machines with no keyring daemon.

Selected only on purpose: `PYTHON_KEYRING_BACKEND=kiosk.keyring_file.FileKeyring`.
The file (`KIOSK_KEYRING_FILE`, default `<config dir>/secrets.json`) is created
with mode 0600 and holds values in plain text: use it for CI and test
machines; on kiosks use the OS keyring.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from keyring.backend import KeyringBackend
from keyring.errors import PasswordDeleteError

from kiosk.config import config_dir


def keyring_file() -> Path:
    return Path(os.environ.get("KIOSK_KEYRING_FILE") or config_dir() / "secrets.json")


class FileKeyring(KeyringBackend):
    priority = 1  # type: ignore[assignment]

    def _load(self) -> dict[str, dict[str, str]]:
        try:
            return json.loads(keyring_file().read_text("utf-8"))
        except FileNotFoundError:
            return {}

    def _store(self, data: dict[str, dict[str, str]]) -> None:
        path = keyring_file()
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(data, handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    def get_password(self, service: str, username: str) -> str | None:
        return self._load().get(service, {}).get(username)

    def set_password(self, service: str, username: str, password: str) -> None:
        data = self._load()
        data.setdefault(service, {})[username] = password
        self._store(data)

    def delete_password(self, service: str, username: str) -> None:
        data = self._load()
        if username not in data.get(service, {}):
            raise PasswordDeleteError(f"{username} is not stored")
        del data[service][username]
        self._store(data)
