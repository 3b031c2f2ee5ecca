"""Qt helpers, and a refusal to run on PySide6 builds that crash Python 3.11.

PySide6 6.12.0 (abi3 wheel) on CPython 3.11 returns `None`, `True` and
`False` from C++ without taking a reference: every void method call
(`setText`, `update`...) drops one reference of `None`, and every
`Signal.emit()` one of `True`. After some thousands of calls the interpreter
aborts ("none_dealloc: deallocating None"): a kiosk left running all day
would crash. 6.11.3 is sound; `pyproject.toml` pins `pyside6-essentials<6.12`.

Importing this module measures both losses on a private QObject (a few
microseconds) and raises a clear error when they are present, instead of a
crash hours later. Worker threads never call Qt at all (see
`workers.Mailbox`).
"""

from __future__ import annotations

import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

from kiosk.errors import KioskError

PROBES = 64


class _Probe(QObject):
    ping = Signal()


def _losses() -> tuple[int, int]:
    """References of None lost by void calls, and of True by emit(), over PROBES calls each."""
    probe = _Probe()
    before = sys.getrefcount(None)
    for _ in range(PROBES):
        probe.setObjectName("probe")
    lost_none = before - sys.getrefcount(None)
    before = sys.getrefcount(True)
    for _ in range(PROBES):
        probe.ping.emit()
    lost_true = before - sys.getrefcount(True)
    probe.deleteLater()
    return lost_none, lost_true


def check_pyside() -> None:
    """Raise KioskError when the installed PySide6 loses references of None/True (see the module docstring)."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return  # None/True/False are immortal there
    lost_none, lost_true = _losses()
    if lost_none >= PROBES // 2 or lost_true >= PROBES // 2:
        import PySide6

        raise KioskError(
            f"PySide6 {PySide6.__version__} drops references on Python 3.11 and would crash the app; "
            "install pyside6-essentials<6.12 (run scripts/setup.sh)"
        )


check_pyside()


def emit(signal: Any, *args: Any) -> Any:
    """`signal.emit(*args)`: every emission of the app goes through here (one place for Qt quirks)."""
    return signal.emit(*args)
