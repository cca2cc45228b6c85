"""Progress lines for a session without the terminal UI: bout changes, turns, faults, the end.

Concise by design (one line per thing the walker would want to know), built from the same events
every other consumer sees.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
from collections.abc import Callable
from queue import SimpleQueue
from typing import TextIO

from treadctl.events import (
    Alarm,
    BoutStarted,
    Clamped,
    Countdown,
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

COUNTDOWN_FIRST = 3  # the count-in starts at 3 (see ``treadctl.session.engine.COUNTDOWN_S``)


class HeadlessPrinter:
    """Writes progress lines from its own thread: a slow or stalled terminal or pipe never holds
    up the control loop. A closed pipe (``treadctl run … | head``) calls ``on_closed`` once, so
    the session stops the belt and ends instead of running on unseen."""

    def __init__(
        self, out: TextIO | None = None, *, on_closed: Callable[[], None] | None = None
    ) -> None:
        self._out = out if out is not None else sys.stdout
        self._on_closed = on_closed
        self._unsubscribe: Callable[[], None] | None = None
        self._lines: SimpleQueue[str | None] = SimpleQueue()
        self._closed = False
        self._thread = threading.Thread(target=self._write, name="headless", daemon=True)
        self._thread.start()

    def attach(self, bus: EventBus) -> HeadlessPrinter:
        self._unsubscribe = bus.subscribe(self)
        return self

    def __call__(self, event: SessionEvent) -> None:
        line = describe(event)
        if line is not None and not self._closed:
            self._lines.put(f"[{format_duration(event.t_s):>7}] {line}")

    def say(self, line: str) -> None:
        """A line with no time stamp (where the audit log is, before the session starts)."""
        if not self._closed:
            self._lines.put(line)

    def close(self, timeout_s: float = 2.0) -> None:
        """Flush what is queued (bounded: a stalled reader cannot keep the process alive)."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self._lines.put(None)
        self._thread.join(timeout_s)

    def _write(self) -> None:
        while (line := self._lines.get()) is not None:
            if self._closed:
                continue
            try:
                print(line, file=self._out, flush=True)
            except (OSError, ValueError):  # a closed pipe or file
                self._closed = True
                _silence(self._out)
                if self._on_closed is not None:
                    self._on_closed()


def _silence(out: TextIO) -> None:
    """Point a dead stdout at /dev/null so the interpreter's last flush does not complain."""
    with contextlib.suppress(Exception):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


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
    if isinstance(event, Countdown):
        if event.purpose == "turn":
            return None  # the turn's own line says when; the voice counts it in
        if event.seconds_left == COUNTDOWN_FIRST:
            return f"the belt starts in {event.seconds_left} s"
        return "the belt starts now" if event.seconds_left == 0 else None
    if isinstance(event, Alarm):
        return f"ALARM: {event.message}" if event.active else f"alarm over: {event.message}"
    if isinstance(event, SafetyEvent):
        return f"safety {event.action}: {event.reason}: {event.message}"
    if isinstance(event, Clamped):
        where = f" in bout {event.bout_index + 1}" if event.bout_index is not None else ""
        return f"clamped {event.field}{where}: {event.asked:g} → {event.sent:g} ({event.reason})"
    if isinstance(event, LinkChanged):
        reason = f" ({event.reason})" if event.reason else ""
        return f"link {event.event}{reason}"
    if isinstance(event, SessionEnded):
        # The summary first: the last line says how it ended (and whether the belt is at rest).
        s = event.summary
        if s is None:
            return _ending(event)
        return (
            f"{format_duration(s.duration_s)} in total, "
            f"{format_duration(s.backward_s)} backward, {format_duration(s.forward_s)} forward,"
            f" {s.distance_m / 1000:.2f} km, {s.energy_kcal:.0f} kcal,"
            f" {s.bouts_completed}/{s.bouts_total} bouts\n{_ending(event)}"
        )
    return None


BELT_MAY_BE_MOVING = (
    "THE BELT MAY STILL BE MOVING: treadctl could not confirm that it stopped. "
    "Use the console stop or pull the safety key."
)


def _ending(event: SessionEnded) -> str:
    """``session completed``, ``session ended in a safety stop: safety key``, ...: a sentence,
    not the status and reason codes side by side. Never "completed" unless the belt was
    confirmed at rest."""
    if not event.belt_at_rest:
        return f"{BELT_MAY_BE_MOVING} (session ended: {event.reason.replace('_', ' ')})"
    reason = event.reason.replace("_", " ")
    if event.status is EndStatus.COMPLETED:
        return "session completed"
    if event.status is EndStatus.SAFETY_STOP:
        return f"session ended in a safety stop: {reason}"
    return f"session interrupted: {reason}"
