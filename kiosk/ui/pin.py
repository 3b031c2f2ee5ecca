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
import json
import logging
import os
import secrets as _random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from kiosk.config import settings_path
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

log = logging.getLogger(__name__)


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


LOCKOUT_FILE = "pin-lockout.json"


def lockout_path(config_path: str | os.PathLike[str] | None = None) -> Path:
    """Where the wrong-PIN count and lockout live: beside the settings file, so a restart cannot reset them."""
    return settings_path(config_path).parent / LOCKOUT_FILE


@dataclass
class Attempt:
    """One PIN tried: whether it was right, and how long the pad stays locked (`locked_before`: it was
    locked already, so the PIN was not even checked)."""

    ok: bool
    wait: float = 0.0
    locked_before: bool = False


class Throttle:
    """Counts wrong PINs; after `MAX_FAILURES` in a row, locks for `LOCK_SECONDS`, doubling each time.

    With a `path` the count and the lockout are kept in that file (written atomically on every change,
    read before every attempt), so quitting or restarting the app does not unlock the pad. The lockout
    is kept in wall-clock time; a clock set back cannot make it longer than the lock it started as.
    File I/O: call `attempt` from a worker, never the UI thread.
    """

    def __init__(
        self,
        max_failures: int = MAX_FAILURES,
        lock_seconds: float = LOCK_SECONDS,
        clock: Callable[[], float] = time.time,
        path: Path | None = None,
    ) -> None:
        self.max_failures = max_failures
        self.lock_seconds = lock_seconds
        self.clock = clock
        self.path = path
        self.failures = 0
        self.locks = 0
        self.locked_until = 0.0
        self._lock = threading.Lock()

    def _longest_lock(self) -> float:
        return self.lock_seconds * (2 ** max(0, self.locks - 1))

    def remaining(self) -> float:
        """Seconds until another PIN may be tried (0 when not locked)."""
        return max(0.0, min(self.locked_until - self.clock(), self._longest_lock()))

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

    def attempt(self, pin: str, verify: Callable[[str], bool] = verify_pin) -> Attempt:
        """Check `pin` unless locked, counting a wrong one (blocking: keyring, hashing, the lockout file)."""
        with self._lock:
            self.load()
            wait = self.remaining()
            if wait > 0:
                return Attempt(False, wait, locked_before=True)
            ok = verify(pin)
            if ok:
                self.succeeded()
            else:
                self.failed()
            self.save()
            return Attempt(ok, self.remaining())

    def load(self) -> None:
        """Take the count and lockout from the file (nothing to do without one)."""
        if self.path is None:
            return
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
            self.failures = int(state["failures"])
            self.locks = int(state["locks"])
            self.locked_until = float(state["locked_until"])
        except FileNotFoundError:
            return
        except (OSError, ValueError, KeyError, TypeError) as exc:
            log.warning("PIN lockout file %s unreadable (%s): keeping the count in memory", self.path, type(exc).__name__)

    def save(self) -> None:
        if self.path is None:
            return
        state = {"failures": self.failures, "locks": self.locks, "locked_until": self.locked_until}
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            tmp = self.path.with_suffix(".tmp")
            with open(tmp, "w", encoding="utf-8") as handle:
                json.dump(state, handle)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, self.path)
        except OSError as exc:
            log.warning("PIN lockout not saved to %s: %s", self.path, exc.strerror)
