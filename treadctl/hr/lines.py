"""Heart-rate lines for a headless run: the ceiling in force, trust changes, and a reading a
minute (a line a second would drown the bout and safety lines)."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, TextIO

from treadctl.events import EventBus, HeartRate, SessionEvent
from treadctl.units import format_duration

if TYPE_CHECKING:
    from treadctl.hr.ceiling import Ceiling

EVERY_S = 60.0


def describe_heart_rate(event: HeartRate) -> str:
    if event.bpm is not None:
        return f"heart rate {event.bpm} bpm ({event.source})"
    return f"heart rate – ({event.source}: {event.trust.replace('_', ' ')})"


class HeartRateLines:
    def __init__(
        self,
        ceiling: Ceiling | None = None,
        out: TextIO | None = None,
        *,
        emit: Callable[[str], None] | None = None,
    ) -> None:
        """``emit``: where lines go (the headless printer's queue, so lines never interleave);
        without it, ``out`` directly."""
        self._out = out if out is not None else sys.stdout
        self._emit = emit
        self._ceiling = ceiling
        self._trust: str | None = None
        self._last_line_s: float | None = None
        self._unsubscribe: Callable[[], None] | None = None

    def attach(self, bus: EventBus) -> HeartRateLines:
        self._unsubscribe = bus.subscribe(self)
        return self

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def __call__(self, event: SessionEvent) -> None:
        if not isinstance(event, HeartRate):
            return
        changed = event.trust != self._trust
        due = self._last_line_s is None or event.t_s - self._last_line_s >= EVERY_S
        if self._trust is None and self._ceiling is not None and self._ceiling.bpm is not None:
            self._print(
                event.t_s,
                f"heart-rate ceiling {self._ceiling.bpm} bpm (from {self._ceiling.source})",
            )
        self._trust = event.trust
        if changed or due:
            self._last_line_s = event.t_s
            self._print(event.t_s, describe_heart_rate(event))

    def _print(self, t_s: float, text: str) -> None:
        line = f"[{format_duration(t_s):>7}] {text}"
        if self._emit is not None:
            self._emit(line)
        else:
            print(line, file=self._out, flush=True)
