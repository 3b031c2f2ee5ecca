"""Encryption at rest for the outbox: AES-256-GCM, key in the OS keyring (secret `outbox_key`).

Each blob is `version byte | 12-byte nonce | ciphertext+tag`. The associated
data binds a blob to its record id and column, so a payload copied into
another row (or an image swapped for a payload) does not decrypt.
"""

from __future__ import annotations

import base64
import binascii
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from kiosk.errors import SyncError
from kiosk.secrets import get_secret, set_secret

KEY_SECRET = "outbox_key"
_VERSION = b"\x01"
_NONCE_BYTES = 12


class DecryptError(SyncError):
    """A blob does not decrypt with this key: wrong key, or the file was altered."""


def new_key() -> str:
    """A fresh 256-bit key, as the text stored in the keyring."""
    return base64.urlsafe_b64encode(AESGCM.generate_key(bit_length=256)).decode("ascii")


def _decode_key(text: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(text.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raw = b""
    if len(raw) != 32:
        raise SyncError(
            f"the secret {KEY_SECRET} is not an outbox key (expected 32 bytes, base64); "
            "restore the right key with `kiosk secret set outbox_key`"
        )
    return raw


class OutboxCipher:
    """Encrypts and decrypts outbox blobs with one key."""

    def __init__(self, key_text: str) -> None:
        self._aead = AESGCM(_decode_key(key_text))

    @staticmethod
    def _aad(record_id: str, column: str) -> bytes:
        return f"scan-kiosk-outbox:{record_id}:{column}".encode("utf-8")

    def encrypt(self, data: bytes, record_id: str, column: str) -> bytes:
        nonce = os.urandom(_NONCE_BYTES)
        return _VERSION + nonce + self._aead.encrypt(nonce, data, self._aad(record_id, column))

    def decrypt(self, blob: bytes, record_id: str, column: str) -> bytes:
        if len(blob) < 1 + _NONCE_BYTES + 16 or blob[:1] != _VERSION:
            raise DecryptError(f"record {record_id}: {column} is not an outbox blob (damaged file?)")
        nonce, body = blob[1 : 1 + _NONCE_BYTES], blob[1 + _NONCE_BYTES :]
        try:
            return self._aead.decrypt(nonce, body, self._aad(record_id, column))
        except InvalidTag:
            raise DecryptError(f"record {record_id}: {column} does not decrypt with this outbox key") from None


def load_key(create: bool) -> str | None:
    """The outbox key from the keyring (or `KIOSK_SECRET_OUTBOX_KEY`); a new one is stored when `create`.

    Only a new, empty outbox may create a key: an existing outbox whose key went
    missing must stop with a clear message, not start over with a key that
    cannot read what is queued.
    """
    key = get_secret(KEY_SECRET)
    if key or not create:
        return key
    key = new_key()
    set_secret(KEY_SECRET, key)
    stored = get_secret(KEY_SECRET)
    if stored != key:
        raise SyncError(f"the new outbox key could not be stored in the keyring (secret {KEY_SECRET})")
    return key
