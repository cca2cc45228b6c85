"""Telling the walker that an output (history, audit log) is not being written, once.

A full disk or a locked database must not stop the belt, but the walker (or whoever looks after
the session) should know what is not being recorded: one line on stderr when a problem starts and
one when it clears, and an ``OutputProblem`` event on the session's bus for the screen (a banner).
The writer threads call ``ProblemReporter``; the event is published on the session's own loop,
never from the writer thread (the bus is single-threaded).
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import Callable
from dataclasses import dataclass
from typing import ClassVar, TextIO

from treadctl.errors import TreadctlError
from treadctl.events import EventBus, SessionEvent
from treadctl.history.sink_thread import SinkReport


class OutputError(TreadctlError):
    """An output (audit log, history, MQTT) cannot work at all: said before the session starts,
    rather than running a session that is silently not recorded (exit 2)."""


@dataclass(frozen=True)
class OutputProblem(SessionEvent):
    """An output stopped (``active``) or resumed writing. ``output``: ``history`` or ``audit``.

    The belt is never affected; this is for a banner on the screen and for the audit log."""

    kind: ClassVar[str] = "output"
    output: str
    message: str
    active: bool = True


class ProblemReporter:
    """Turns a writer thread's problem callbacks into one stderr line and one bus event each."""

    def __init__(
        self,
        output: str,
        what: str,
        *,
        bus: EventBus | None = None,
        loop: asyncio.AbstractEventLoop | None = None,
        now: Callable[[], float] | None = None,
        err: TextIO | None = None,
    ) -> None:
        self.output = output
        self._what = what  # "the history", "the audit log"
        self._bus = bus
        self._loop = loop
        self._now = now
        self._err = err
        self.messages: list[str] = []

    def __call__(self, problem: str | None) -> None:
        """Called on the writer thread: ``problem`` in words, or None once it has cleared."""
        if problem is None:
            message = f"{self._what} is being written again; it has caught up"
        else:
            message = (
                f"{self._what} is not being written: {problem}. What it could not write is kept "
                "and written when this clears; the belt is not affected"
            )
        self.messages.append(message)
        err = self._err if self._err is not None else sys.stderr
        with contextlib.suppress(Exception):
            print(f"treadctl: {message}", file=err, flush=True)
        self._publish(message, problem is not None)

    def _publish(self, message: str, active: bool) -> None:
        bus, loop = self._bus, self._loop
        if bus is None or loop is None:
            return

        def publish() -> None:
            t_s = self._now() if self._now is not None else 0.0
            bus.publish(OutputProblem(t_s, self.output, message, active))

        with contextlib.suppress(RuntimeError):  # the session's loop has closed
            loop.call_soon_threadsafe(publish)


def describe_loss(report: SinkReport, unit: str) -> str | None:
    """The end-of-session line for an output that lost something, or None if it is complete."""
    if report.complete:
        return None
    because = f" ({report.problem})" if report.problem else ""
    return f"{report.name}: {report.lost} {unit} could not be written{because}"
