"""Progress lines for a session without the terminal UI: bout changes, turns, faults, the end.

Concise by design (one line per thing the walker would want to know), built from the same events
every other consumer sees.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from treadctl.events import (
    BoutStarted,
    Clamped,
    EndStatus,
    EventBus,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    SafetyEvent,
    SessionEnded,
    SessionEvent,
)
from treadctl.units import format_duration


class HeadlessPrinter:
    def __init__(self, out: TextIO | None = None) -> None:
        self._out = out if out is not None else sys.stdout
        self._unsubscribe: Callable[[], None] | None = None

    def attach(self, bus: EventBus) -> HeadlessPrinter:
        self._unsubscribe = bus.subscribe(self)
        return self

    def __call__(self, event: SessionEvent) -> None:
        line = describe(event)
        if line is not None:
            print(f"[{format_duration(event.t_s):>7}] {line}", file=self._out, flush=True)


def describe(event: SessionEvent) -> str | None:
    """The progress line for ``event``, or None if it is not worth a line."""
    if isinstance(event, BoutStarted):
        incline = f", {event.incline_pct:g} %" if event.incline_pct else ""
        cue = f" — {event.cue}" if event.cue else ""
        return (
            f"bout {event.index + 1}/{event.count} {event.label}: {event.direction} "
            f"{event.speed_kmh:g} km/h{incline} for {format_duration(event.duration_s)}{cue}"
        )
    if isinstance(event, PhaseChanged):
        if event.name is PhaseName.TURN:
            hold = f" ({event.duration_s:g} s)" if event.duration_s else ""
            return f"turn around: {event.detail}{hold}"
        if event.name in (PhaseName.PAUSED, PhaseName.RECONNECTING):
            return f"{event.name}: {event.detail}" if event.detail else str(event.name)
        return None
    if isinstance(event, SafetyEvent):
        return f"safety {event.action}: {event.reason}: {event.message}"
    if isinstance(event, Clamped):
        where = f" in bout {event.bout_index + 1}" if event.bout_index is not None else ""
        return f"clamped {event.field}{where}: {event.asked:g} → {event.sent:g} ({event.reason})"
    if isinstance(event, LinkChanged):
        reason = f" ({event.reason})" if event.reason else ""
        return f"link {event.event}{reason}"
    if isinstance(event, SessionEnded):
        text = _ending(event)
        s = event.summary
        if s is not None:
            text += (
                f"\n  {format_duration(s.duration_s)} in total, "
                f"{format_duration(s.backward_s)} backward, {format_duration(s.forward_s)} forward,"
                f" {s.distance_m / 1000:.2f} km, {s.energy_kcal:.0f} kcal,"
                f" {s.bouts_completed}/{s.bouts_total} bouts"
            )
        return text
    return None


def _ending(event: SessionEnded) -> str:
    """``session completed``, ``session ended in a safety stop: safety key``, ...: a sentence,
    not the status and reason codes side by side."""
    reason = event.reason.replace("_", " ")
    if event.status is EndStatus.COMPLETED:
        return "session completed"
    if event.status is EndStatus.SAFETY_STOP:
        return f"session ended in a safety stop: {reason}"
    return f"session interrupted: {reason}"
