"""Secrets (service tokens, passwords, the outbox key) through the OS keyring.

Lookup order for each secret: the environment variable `KIOSK_SECRET_<NAME>`
(for headless runs and CI), then the keyring (service `scan-kiosk`). Where no
keyring daemon exists, select the file backend explicitly with
`PYTHON_KEYRING_BACKEND=kiosk.keyring_file.FileKeyring`. Values are never
written to the settings file or a log.
"""

from __future__ import annotations

import os

import keyring
from keyring.errors import KeyringError, PasswordDeleteError

from kiosk.errors import SecretError

SERVICE = "scan-kiosk"
SECRETS = {
    "ocr_token": "bearer token of the remote OCR service",
    "mrz_token": "bearer token of the MRZ OCR service, when it has its own",
    "ocr_backup_token": "bearer token of a backup receipt OCR provider",
    "mrz_backup_token": "bearer token of a backup MRZ OCR provider",
    "odoo_secret": "Odoo password or API key",
    "greenpay_token": "bearer token of the GreenPay backend",
    "outbox_key": "encryption key of the on-disk outbox",
    "admin_pin": "PIN that opens the settings and leaves kiosk mode",
}
NO_KEYRING_HINT = (
    "no usable keyring: start the desktop keyring, or set KIOSK_SECRET_<NAME>, "
    "or use PYTHON_KEYRING_BACKEND=kiosk.keyring_file.FileKeyring (see README)"
)


def _check_name(name: str) -> None:
    if name not in SECRETS:
        raise SecretError(f"unknown secret {name!r}; known: {', '.join(SECRETS)}")


def env_var(name: str) -> str:
    return f"KIOSK_SECRET_{name.upper()}"


def get_secret(name: str) -> str | None:
    """The secret's value, or None when it is not set anywhere."""
    _check_name(name)
    from_env = os.environ.get(env_var(name))
    if from_env:
        return from_env
    try:
        return keyring.get_password(SERVICE, name)
    except KeyringError as exc:
        raise SecretError(NO_KEYRING_HINT) from exc


def secret_source(name: str) -> str:
    """Where the secret comes from: 'environment', 'keyring', 'not set' or 'unavailable'."""
    _check_name(name)
    if os.environ.get(env_var(name)):
        return "environment"
    try:
        return "keyring" if keyring.get_password(SERVICE, name) else "not set"
    except KeyringError:
        return "unavailable (no keyring)"


def set_secret(name: str, value: str) -> None:
    _check_name(name)
    if not value:
        raise SecretError(f"refusing to store an empty {name}")
    try:
        keyring.set_password(SERVICE, name, value)
    except KeyringError as exc:
        raise SecretError(NO_KEYRING_HINT) from exc


def delete_secret(name: str) -> bool:
    """Remove the secret from the keyring; False when it was not there."""
    _check_name(name)
    try:
        keyring.delete_password(SERVICE, name)
    except PasswordDeleteError:
        return False
    except KeyringError as exc:
        raise SecretError(NO_KEYRING_HINT) from exc
    return True
