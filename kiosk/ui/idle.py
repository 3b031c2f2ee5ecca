"""Idle detection: no touch, click or key for a while -> `idle` fires (the window then returns home).

An application-wide event filter restarts a single-shot timer on every
input event; it only looks at the event type, so it costs nothing measurable.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, QTimer, Signal

INPUT_EVENTS = frozenset(
    {
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseButtonRelease,
        QEvent.Type.MouseButtonDblClick,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.KeyPress,
        QEvent.Type.KeyRelease,
        QEvent.Type.TouchBegin,
        QEvent.Type.TouchUpdate,
        QEvent.Type.TouchEnd,
        QEvent.Type.TabletPress,
        QEvent.Type.Drop,
    }
)


class IdleWatcher(QObject):
    """Emits `idle` after `interval_ms` without input (only while `active`)."""

    idle = Signal()

    def __init__(self, seconds: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle)
        self.set_seconds(seconds)

    def set_seconds(self, seconds: float) -> None:
        self.set_interval_ms(int(seconds * 1000))

    def set_interval_ms(self, ms: int) -> None:
        self.timer.setInterval(max(1, ms))
        if self.timer.isActive():
            self.timer.start()

    @property
    def interval_ms(self) -> int:
        return self.timer.interval()

    def activate(self) -> None:
        """Start counting (a screen with personal data is shown)."""
        self.timer.start()

    def deactivate(self) -> None:
        self.timer.stop()

    @property
    def active(self) -> bool:
        return self.timer.isActive()

    def poke(self) -> None:
        """Input happened: count again from zero (if counting)."""
        if self.timer.isActive():
            self.timer.start()

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() in INPUT_EVENTS and self.timer.isActive():
            self.timer.start()
        return False
