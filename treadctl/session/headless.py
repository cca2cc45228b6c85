"""Progress lines for a session without the terminal UI: bout changes, turns, faults, the end.

Concise by design (one line per thing the walker would want to know), built from the same events
every other consumer sees. Speeds and distances follow the user's units; reasons are in words
(``treadctl.wording``), never the internal names.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import TextIO

from treadctl.events import (
    BoutStarted,
    Clamped,
    EventBus,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    SafetyEvent,
    SessionEnded,
    SessionEvent,
    SessionSummary,
)
from treadctl.units import SpeedUnit, format_distance, format_duration, format_speed
from treadctl.wording import action_words, ending_sentence, reason_words


class HeadlessPrinter:
    def __init__(self, out: TextIO | None = None, *, units: SpeedUnit = "kmh") -> None:
        self._out = out if out is not None else sys.stdout
        self._units: SpeedUnit = units
        self._unsubscribe: Callable[[], None] | None = None

    def attach(self, bus: EventBus) -> HeadlessPrinter:
        self._unsubscribe = bus.subscribe(self)
        return self

    def __call__(self, event: SessionEvent) -> None:
        line = describe(event, self._units)
        if line is not None:
            print(f"[{format_duration(event.t_s):>7}] {line}", file=self._out, flush=True)


def describe(event: SessionEvent, units: SpeedUnit = "kmh") -> str | None:
    """The progress line for ``event``, or None if it is not worth a line."""
    if isinstance(event, BoutStarted):
        return _bout(event, units)
    if isinstance(event, PhaseChanged):
        return _phase(event)
    if isinstance(event, SafetyEvent):
        return _safety(event)
    if isinstance(event, Clamped):
        return _clamp(event, units)
    if isinstance(event, LinkChanged):
        reason = f" ({reason_words(event.reason)})" if event.reason else ""
        return f"link {event.event}{reason}"
    if isinstance(event, SessionEnded):
        text = _ending(event)
        if event.summary is not None:
            text += "\n  " + summary_line(event.summary, units)
        return text
    return None


def _bout(event: BoutStarted, units: SpeedUnit) -> str:
    incline = f", {event.incline_pct:g} %" if event.incline_pct else ""
    cue = f" — {event.cue}" if event.cue else ""
    return (
        f"bout {event.index + 1}/{event.count} {event.label}: {event.direction} "
        f"{format_speed(event.speed_kmh, units)}{incline} for "
        f"{format_duration(event.duration_s)}{cue}"
    )


def _phase(event: PhaseChanged) -> str | None:
    if event.name is PhaseName.TURN:
        hold = f" ({event.duration_s:g} s)" if event.duration_s else ""
        return f"turn around: {event.detail}{hold}"
    if event.name in (PhaseName.PAUSED, PhaseName.RECONNECTING):
        return f"{event.name}: {event.detail}" if event.detail else str(event.name)
    return None


def _safety(event: SafetyEvent) -> str:
    """``belt stopped: the safety key was pulled — <the supervisor's advice>`` (the advice alone
    when it already starts with those words)."""
    words = reason_words(event.reason)
    message = event.message.strip()
    if message and message.lower().startswith(words.lower()):
        return f"{action_words(event.action)}: {message}"
    return f"{action_words(event.action)}: {words}" + (f" — {message}" if message else "")


def _clamp(event: Clamped, units: SpeedUnit) -> str:
    where = f" in bout {event.bout_index + 1}" if event.bout_index is not None else ""
    if event.field == "speed":
        asked, sent = format_speed(event.asked, units), format_speed(event.sent, units)
    else:
        asked, sent = f"{event.asked:g} %", f"{event.sent:g} %"
    return f"clamped {event.field}{where}: {asked} → {sent} ({event.reason})"


def summary_line(s: SessionSummary, units: SpeedUnit = "kmh") -> str:
    """The end summary: times as m:ss, the distance in the user's unit."""
    return (
        f"{format_duration(s.duration_s)} in total, "
        f"{format_duration(s.backward_s)} backward, {format_duration(s.forward_s)} forward,"
        f" {format_distance(s.distance_m, units)}, {s.energy_kcal:.0f} kcal,"
        f" {s.bouts_completed}/{s.bouts_total} bouts"
    )


def _ending(event: SessionEnded) -> str:
    """``session completed``, ``session ended: the safety key was pulled``, ...: a sentence,
    not the status and reason codes side by side."""
    return ending_sentence(str(event.status), event.reason)
