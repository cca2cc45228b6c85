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
    # A sensor (heart rate, presence) caps the speed for the rest of the bout: value = the
    # highest speed in km/h it allows, None to lift its cap. It can only ever lower the target.
    SENSOR_LIMIT = "sensor_limit"


# Request sources. A key press is ``key:<name>`` (``key:r``, ``key:space``); the rest are fixed.
SOURCE_PLAN = "plan"  # the session engine walking the plan
SOURCE_MQTT = "mqtt"  # a remote command over MQTT
SOURCE_DISPLAY = "display"  # the Stop button of the view-only big screen
SOURCE_SIGNAL = "signal"  # SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGTSTP, a closed pipe
SOURCE_PROGRAM = "program"  # treadctl itself (a bounded wait ran out)
SOURCE_SENSOR = "sensor"  # heart rate or presence: may only slow or stop the belt
SOURCE_RECOVERY = "recovery"  # the Stop sent after a reconnect
SOURCE_SAFETY = "safety"  # the supervisor's own Stops
SOURCE_EXIT = "exit"  # the Stop on the way out


def key_source(name: str) -> str:
    """The source of a request made with the key ``name`` (``key_source("r") == "key:r"``)."""
    return f"key:{name}"


def is_key(source: str) -> bool:
    """Whether ``source`` is a key on treadctl's own screen (the only way to re-arm)."""
    return source == "key" or source.startswith("key:")


@dataclass(frozen=True)
class Request:
    kind: RequestKind
    value: float | None = None
    source: str = "key"  # key or key:<name>, mqtt, display, signal, program, sensor


@dataclass(frozen=True)
class RequestResult:
    accepted: bool
    reason: str = ""


class SessionControls(Protocol):
    """The one method the UI and MQTT use to act on a session."""

    def request(self, request: Request) -> RequestResult: ...
