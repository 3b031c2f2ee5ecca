"""The admin PIN: stored in the keyring (secret `admin_pin`) as a salted PBKDF2 hash, never as the PIN.

    set_pin("2468")        # hashes and stores
    verify_pin("2468")     # True / False
    has_pin()

No Qt here, but every call does keyring I/O and deliberately slow hashing:
call them from a worker thread, never the UI thread.

A value stored by hand (`kiosk secret set admin_pin`, or the environment
variable `KIOSK_SECRET_ADMIN_PIN`) that is not a hash is taken as the PIN
itself; once it verifies, a keyring copy is replaced by its hash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets as _random
import time

from kiosk.errors import KioskError
from kiosk.secrets import get_secret, secret_source, set_secret

SECRET = "admin_pin"
SCHEME = "pbkdf2_sha256"
ITERATIONS = 200_000
MIN_LENGTH = 4
MAX_LENGTH = 12
MAX_FAILURES = 5
"""Wrong PINs in a row before the PIN pad locks for `LOCK_SECONDS` (doubling each time)."""
LOCK_SECONDS = 30.0


class PinError(KioskError):
    """A PIN that cannot be used (too short, not digits) or cannot be stored."""


def check_new_pin(pin: str, repeated: str | None = None) -> None:
    """Raise PinError when `pin` is not acceptable as a new admin PIN."""
    if not pin.isdigit():
        raise PinError("the PIN must be digits only")
    if not MIN_LENGTH <= len(pin) <= MAX_LENGTH:
        raise PinError(f"the PIN must have {MIN_LENGTH} to {MAX_LENGTH} digits")
    if len(set(pin)) == 1:
        raise PinError("choose a PIN that is not one digit repeated")
    if repeated is not None and repeated != pin:
        raise PinError("the two PINs differ")


def hash_pin(pin: str, *, salt: bytes | None = None, iterations: int = ITERATIONS) -> str:
    """`pbkdf2_sha256$<iterations>$<salt>$<hash>` (base64), the form stored in the keyring."""
    salt = salt or _random.token_bytes(16)
    digest = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, iterations)
    b64 = lambda data: base64.b64encode(data).decode("ascii")  # noqa: E731
    return f"{SCHEME}${iterations}${b64(salt)}${b64(digest)}"


def _matches(pin: str, stored: str) -> bool:
    parts = stored.split("$")
    if len(parts) == 4 and parts[0] == SCHEME:
        try:
            iterations = int(parts[1])
            salt = base64.b64decode(parts[2], validate=True)
            expected = base64.b64decode(parts[3], validate=True)
        except ValueError:
            return False
        digest = hashlib.pbkdf2_hmac("sha256", pin.encode("utf-8"), salt, iterations)
        return hmac.compare_digest(digest, expected)
    # a plain PIN stored by hand
    return hmac.compare_digest(pin.encode("utf-8"), stored.encode("utf-8"))


def is_hash(stored: str) -> bool:
    return stored.startswith(SCHEME + "$")


def has_pin() -> bool:
    return bool(get_secret(SECRET))


def set_pin(pin: str) -> None:
    """Store a new admin PIN (as its hash). Raises PinError for a bad PIN, SecretError without a keyring."""
    check_new_pin(pin)
    set_secret(SECRET, hash_pin(pin))


def verify_pin(pin: str) -> bool:
    """Whether `pin` is the admin PIN. False when no PIN is set (the caller decides what that means)."""
    stored = get_secret(SECRET)
    if not stored or not pin:
        return False
    ok = _matches(pin, stored)
    if ok and not is_hash(stored) and secret_source(SECRET) == "keyring":
        try:
            set_secret(SECRET, hash_pin(pin))
        except KioskError:
            pass
    return ok


class Throttle:
    """Counts wrong PINs; after `MAX_FAILURES` in a row, locks for `LOCK_SECONDS`, doubling each time."""

    def __init__(self, max_failures: int = MAX_FAILURES, lock_seconds: float = LOCK_SECONDS, clock=time.monotonic) -> None:
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self.clock = clock
        self.failures = 0
        self.locks = 0
        self.locked_until = 0.0

    def remaining(self) -> float:
        """Seconds until another PIN may be tried (0 when not locked)."""
        return max(0.0, self.locked_until - self.clock())

    def failed(self) -> None:
        self.failures += 1
        if self.failures >= self.max_failures:
            self.locked_until = self.clock() + self.lock_seconds * (2 ** self.locks)
            self.locks += 1
            self.failures = 0

    def succeeded(self) -> None:
        self.failures = 0
        self.locks = 0
        self.locked_until = 0.0
