"""What a walker (keys), a remote viewer (MQTT) or the program itself can ask of a running session.

Requests are answered at once with accepted or refused (and why); what then happens to the belt
arrives on the event stream. Only the supervisor decides, and it applies its caps to every request.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Protocol


class RequestKind(StrEnum):
    PAUSE = "pause"
    RESUME = "resume"
    TOGGLE_PAUSE = "toggle_pause"
    STOP = "stop"  # stop the belt now; the session pauses and can be re-armed
    REARM = "rearm"  # after a fault, a reconnect or a stop: resume from a ramp at the start speed
    CONFIRM_TURN = "confirm_turn"  # the walker has turned round (when confirm_turns is on)
    NUDGE_SPEED = "nudge_speed"  # value: delta km/h (within the caps)
    NUDGE_INCLINE = "nudge_incline"  # value: delta %
    SKIP = "skip"  # to the next bout
    EXTEND = "extend"  # value: seconds added to the current bout
    START = "start"  # start the belt (remote start is off unless enabled)
    QUIT = "quit"  # stop the belt and end the session


@dataclass(frozen=True)
class Request:
    kind: RequestKind
    value: float | None = None
    source: str = "key"  # key, mqtt, signal, program


@dataclass(frozen=True)
class RequestResult:
    accepted: bool
    reason: str = ""


class SessionControls(Protocol):
    """The one method the UI and MQTT use to act on a session."""

    def request(self, request: Request) -> RequestResult: ...
