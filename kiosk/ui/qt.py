"""Qt helpers, and a guard against reference-count bugs of PySide6 6.12.0 on Python 3.11.

PySide6 6.12.0 (abi3 wheel) on CPython 3.11 returns `None`, `True` and
`False` from C++ without taking a reference: every void method call
(`setText`, `update`, `processEvents`...) drops one reference of `None`, and
every `Signal.emit()` one of `True`. On 3.12+ these objects are immortal and
nothing happens; on 3.11 the count reaches zero after some thousands of calls
and the interpreter aborts ("none_dealloc: deallocating None"). 6.11.3 has
neither bug (checked); pin `pyside6-essentials<6.12` where you can.

Importing this module measures both bugs (a few calls on a private QObject);
only when one is present, it makes `None`, `True` and `False` practically
immortal, as Python 3.12 does, by raising their reference counts by 2**40:
the dropped references then never reach zero. With a sound PySide6 it does
nothing. Import it before anything else of the UI (kiosk.ui.app does).

Worker threads never call Qt at all (see `workers.Mailbox`): the same
release also races on reference counts of queued signal arguments emitted
from Python threads.
"""

from __future__ import annotations

import ctypes
import sys
from typing import Any

from PySide6.QtCore import QObject, Signal

PROBES = 64
BOOST = 1 << 40


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


def _immortalise(*objects: object) -> None:
    for obj in objects:
        ctypes.c_ssize_t.from_address(id(obj)).value += BOOST


def guard_singletons() -> bool:
    """Apply the guard when the installed PySide6 needs it; True when it did."""
    if sys.implementation.name != "cpython" or sys.version_info >= (3, 12):
        return False  # None/True/False are immortal there
    lost_none, lost_true = _losses()
    needed = lost_none >= PROBES // 2 or lost_true >= PROBES // 2
    if needed:
        _immortalise(None, True, False)
    return needed


GUARDED = guard_singletons()


def emit(signal: Any, *args: Any) -> Any:
    """`signal.emit(*args)`: every emission of the app goes through here (one place for Qt quirks)."""
    return signal.emit(*args)
