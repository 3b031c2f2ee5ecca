"""Idle detection: no touch, click or key for a while -> `idle` fires (the window then returns home).

An application-wide event filter restarts a single-shot timer on every
input event; it only looks at the event type, so it costs nothing measurable.
Before `idle`, a countdown lets the screen warn ("Still here?"): any input
then cancels the reset.
"""

from __future__ import annotations

from PySide6.QtCore import QDeadlineTimer, QEvent, QObject, QTimer, Signal

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


WARN_SECONDS = 15
"""At most this long before the reset, `countdown` starts: the screen asks "Still here?"."""


def warning_ms(interval_ms: int) -> int:
    """How long the countdown before an idle reset lasts: `WARN_SECONDS`, or a third of a short interval."""
    return min(WARN_SECONDS * 1000, interval_ms // 3)


class IdleWatcher(QObject):
    """After `interval_ms` without input (only while active) `idle` fires; during the last `warning_ms` of it,
    `countdown(seconds_left)` fires once a second, so the screen can warn first. Input during the countdown
    starts counting again from zero and fires `resumed`."""

    idle = Signal()
    countdown = Signal(int)
    resumed = Signal()

    def __init__(self, seconds: float, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self._warn)
        self.ticker = QTimer(self)
        self.ticker.setInterval(200)
        self.ticker.timeout.connect(self._tick)
        self.deadline = QDeadlineTimer()
        self._interval_ms = 1
        self._shown = -1
        self.set_seconds(seconds)

    def set_seconds(self, seconds: float) -> None:
        self.set_interval_ms(int(seconds * 1000))

    def set_interval_ms(self, ms: int) -> None:
        self._interval_ms = max(1, ms)
        self.timer.setInterval(max(1, self._interval_ms - warning_ms(self._interval_ms)))
        if self.active:
            self.activate()

    @property
    def interval_ms(self) -> int:
        return self._interval_ms

    @property
    def warning(self) -> bool:
        """Counting down to the reset (the "Still here?" question is up)."""
        return self.ticker.isActive()

    def activate(self) -> None:
        """Start counting (a screen with personal data is shown)."""
        was_warning = self.warning
        self.ticker.stop()
        self.timer.start()
        if was_warning:
            self.resumed.emit()

    def deactivate(self) -> None:
        self.timer.stop()
        self.ticker.stop()

    @property
    def active(self) -> bool:
        return self.timer.isActive() or self.ticker.isActive()

    def poke(self) -> None:
        """Input happened: count again from zero (if counting)."""
        if self.active:
            self.activate()

    def _warn(self) -> None:
        self.deadline = QDeadlineTimer(warning_ms(self._interval_ms))
        self._shown = -1
        self.ticker.start()
        self._tick()

    def _tick(self) -> None:
        left = self.deadline.remainingTime()
        if left <= 0:
            self.ticker.stop()
            self.idle.emit()
            return
        seconds = (left + 999) // 1000
        if seconds != self._shown:
            self._shown = seconds
            self.countdown.emit(seconds)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt name
        if event.type() in INPUT_EVENTS and self.active:
            self.activate()
        return False
