"""Faults a simulated treadmill can be told to suffer, and their command-line form.

A fault is ``NAME@SECONDS`` or ``NAME@SECONDS+DURATION``: SECONDS counts from the start of the
training session (the belt's first Start or Resume), DURATION (seconds) bounds the faults that
last (stale, ignore-commands, reject-commands, runaway, safety-key, disconnect). The treadmill
applies them (:meth:`simulators.treadmill.SimulatedTreadmill.schedule_fault`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum


class FaultKind(StrEnum):
    DISCONNECT = "disconnect"  # the treadmill drops the link; reconnect possible after a moment
    STALE = "stale"  # data notifications stop while the link stays up
    SAFETY_KEY = "safety-key"  # safety key pulled: belt stops, status 0x03
    CONSOLE_STOP = "console-stop"  # Stop pressed on the console: status 02 01
    CONSOLE_SPEED_UP = "console-speed-up"  # "+" pressed on the console: target +2 km/h, status 05
    RUNAWAY = "runaway"  # the belt accelerates on its own beyond its target
    IGNORE_COMMANDS = "ignore-commands"  # writes succeed, nothing changes
    REJECT_COMMANDS = "reject-commands"  # every procedure answers Operation Failed (0x04)
    CONTROL_LOST = "control-lost"  # status 0xFF to the controller, control revoked


FAULT_HELP: dict[FaultKind, str] = {
    FaultKind.DISCONNECT: "the treadmill drops the link; it can be reconnected after a moment",
    FaultKind.STALE: "Treadmill Data notifications stop while the link stays up",
    FaultKind.SAFETY_KEY: "safety key pulled: the belt stops, status 0x03",
    FaultKind.CONSOLE_STOP: "Stop pressed on the console: the belt stops, status 02 01",
    FaultKind.CONSOLE_SPEED_UP: "'+' pressed on the console: target +2 km/h, status 05",
    FaultKind.RUNAWAY: "the belt accelerates on its own beyond its target (until Stop)",
    FaultKind.IGNORE_COMMANDS: "Control Point writes succeed but change nothing",
    FaultKind.REJECT_COMMANDS: "every Control Point procedure answers Operation Failed (0x04)",
    FaultKind.CONTROL_LOST: "status 0xFF: the controlling client loses control",
}


class FaultSpecError(ValueError):
    """A fault given on the command line that cannot be understood."""


@dataclass(frozen=True)
class Fault:
    """``kind`` happens ``at_s`` seconds into the session and lasts ``duration_s`` (None: the
    fault's natural length, e.g. forever for stale, a moment for disconnect)."""

    kind: FaultKind
    at_s: float
    duration_s: float | None = None

    def __str__(self) -> str:
        text = f"{self.kind.value}@{self.at_s:g}"
        return text if self.duration_s is None else f"{text}+{self.duration_s:g}"


def parse_fault(spec: str) -> Fault:
    """``"console-stop@300"`` → ``Fault(CONSOLE_STOP, 300.0)``; bad input → FaultSpecError."""
    name, at, when = spec.strip().partition("@")
    if not at or not when:
        raise FaultSpecError(f"bad fault {spec!r}: expected NAME@SECONDS, e.g. console-stop@300")
    try:
        kind = FaultKind(name.strip().lower())
    except ValueError:
        names = ", ".join(k.value for k in FaultKind)
        raise FaultSpecError(f"unknown fault {name!r}; choose one of: {names}") from None
    at_text, plus, duration_text = when.partition("+")
    at_s = _seconds(at_text, spec)
    duration_s = _seconds(duration_text, spec) if plus else None
    return Fault(kind, at_s, duration_s)


def _seconds(text: str, spec: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise FaultSpecError(f"bad time {text!r} in fault {spec!r}: expected seconds") from None
    if not math.isfinite(value) or value < 0:
        raise FaultSpecError(f"bad time {text!r} in fault {spec!r}: must be 0 or more seconds")
    return value
