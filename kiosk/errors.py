"""The one exception family the kiosk raises for conditions a person must act on.

Its message is written for the operator or administrator: one line, no
traceback, no personal data.
"""

import traceback
from pathlib import Path


class KioskError(Exception):
    """A failure with a message fit to show as it is."""


class ConfigError(KioskError):
    """The settings file or a command-line option is wrong."""


class SecretError(KioskError):
    """A secret cannot be read or stored."""


class ImageError(KioskError):
    """An image cannot be used: missing, unreadable, unsupported, empty or too large."""


class EngineError(KioskError):
    """An OCR engine cannot be loaded or run."""


class RemoteError(KioskError):
    """The remote OCR service gave no usable answer; `kind` says why (see `kiosk.ocr.remote.client`)."""

    kind = "remote"


class SyncError(KioskError):
    """The outbox or a sync target cannot be used: settings, credentials, server, key or disk."""


def where_raised(exc: BaseException) -> str:
    """`file:line in function` of the innermost frame: enough to find a bug, without the message (it may hold read text)."""
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "unknown place"
    last = frames[-1]
    return f"{Path(last.filename).name}:{last.lineno} in {last.name}"
