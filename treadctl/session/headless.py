"""Progress lines for a session without the terminal UI: bout changes, turns, faults, the end.

Concise by design (one line per thing the walker would want to know), built from the same events
every other consumer sees. Speeds and distances follow the user's units; reasons are in words
(``treadctl.wording``), never the internal names.
"""

from __future__ import annotations

import contextlib
import os
import select
import stat
import sys
import threading
from collections.abc import Callable
from queue import Empty, SimpleQueue
from typing import TextIO

from treadctl.events import (
    Alarm,
    BoutStarted,
    Clamped,
    Countdown,
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

PIPE_CHECK_S = 0.5  # how often an idle printer checks that someone still reads its pipe
COUNTDOWN_FIRST = 3  # the count-in starts at 3 (see ``treadctl.session.engine.COUNTDOWN_S``)
BELT_MAY_BE_MOVING = (
    "THE BELT MAY STILL BE MOVING: treadctl could not confirm that it stopped. "
    "Use the console stop or pull the safety key."
)


class HeadlessPrinter:
    """Writes progress lines from its own thread: a slow or stalled terminal or pipe never holds
    up the control loop. A closed pipe (``treadctl run … | head``) calls ``on_closed`` once, so
    the session stops the belt and ends instead of running on unseen."""

    def __init__(
        self,
        out: TextIO | None = None,
        *,
        units: SpeedUnit = "kmh",
        on_closed: Callable[[], None] | None = None,
    ) -> None:
        self._out = out if out is not None else sys.stdout
        self._units: SpeedUnit = units
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
        line = describe(event, self._units)
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
        while True:
            try:
                line = self._lines.get(timeout=PIPE_CHECK_S)
            except Empty:
                if not self._closed and _reader_gone(self._out):
                    self._output_closed()  # nobody reads the lines any more: say so now
                continue
            if line is None:
                return
            if self._closed:
                continue
            try:
                print(line, file=self._out, flush=True)
            except (OSError, ValueError):  # a closed pipe or file
                self._output_closed()

    def _output_closed(self) -> None:
        self._closed = True
        _silence(self._out)
        if self._on_closed is not None:
            self._on_closed()


def _reader_gone(out: TextIO) -> bool:
    """A pipe whose reader has gone (``| head -1`` after its line) reports an error when polled,
    long before the next line would fail to be written."""
    try:
        fd = out.fileno()
        if not stat.S_ISFIFO(os.fstat(fd).st_mode):
            return False
        poller = select.poll()
        poller.register(fd, select.POLLERR)
        return any(mask & (select.POLLERR | select.POLLHUP) for _fd, mask in poller.poll(0))
    except (OSError, ValueError, AttributeError):
        return False


def _silence(out: TextIO) -> None:
    """Point a dead stdout at /dev/null so the interpreter's last flush does not complain."""
    with contextlib.suppress(Exception):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, out.fileno())
        os.close(devnull)


def describe(event: SessionEvent, units: SpeedUnit = "kmh") -> str | None:
    """The progress line for ``event``, or None if it is not worth a line."""
    if isinstance(event, BoutStarted):
        return _bout(event, units)
    if isinstance(event, PhaseChanged):
        return _phase(event)
    if isinstance(event, Countdown):
        if event.purpose == "turn":
            return None  # the turn's own line says when; the voice counts it in
        if event.seconds_left == COUNTDOWN_FIRST:
            return f"the belt starts in {event.seconds_left} s"
        return "the belt starts now" if event.seconds_left == 0 else None
    if isinstance(event, Alarm):
        return f"ALARM: {event.message}" if event.active else f"alarm over: {event.message}"
    if isinstance(event, SafetyEvent):
        return _safety(event)
    if isinstance(event, Clamped):
        return _clamp(event, units)
    if isinstance(event, LinkChanged):
        reason = f" ({reason_words(event.reason)})" if event.reason else ""
        return f"link {event.event}{reason}"
    if isinstance(event, SessionEnded):
        # The summary first: the last line says how it ended (and whether the belt is at rest).
        if event.summary is None:
            return _ending(event)
        return f"{summary_line(event.summary, units)}\n{_ending(event)}"
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
    not the status and reason codes side by side. Never "completed" unless the belt was
    confirmed at rest."""
    sentence = ending_sentence(str(event.status), event.reason)
    if not event.belt_at_rest:
        return f"{BELT_MAY_BE_MOVING} ({sentence})"
    return sentence
