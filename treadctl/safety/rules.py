"""What the supervisor does about each thing the treadmill says: a pure decision table.

The treadmill's own word wins (safety rule 6): a safety key, a console stop or pause, a lost
control permission or a reset by the machine halt the session, and only the walker's key may move
the belt again. A console speed change within the caps is adopted; above them the belt stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

# Fitness Machine Status op codes (reference §8).
_RESET = 0x01
_STOPPED_OR_PAUSED = 0x02
_SAFETY_KEY = 0x03
_STARTED = 0x04
_TARGET_SPEED = 0x05
_TARGET_INCLINE = 0x06
_CONTROL_LOST = 0xFF
_CONTROL_PAUSE = 0x02


class Reason(StrEnum):
    """Why the supervisor stopped, paused or refused (the ``reason`` of safety events)."""

    WATCHDOG = "watchdog"
    LINK_LOST = "link_lost"
    LINK_NOT_RECOVERED = "link_not_recovered"
    SAFETY_KEY = "safety_key"
    CONSOLE_STOP = "console_stop"
    CONSOLE_PAUSE = "console_pause"
    CONSOLE_SPEED = "console_speed"
    CONSOLE_OVERSPEED = "console_overspeed"
    CONSOLE_INCLINE = "console_incline"
    CONSOLE_START = "console_start"
    CONTROL_LOST = "control_lost"
    MACHINE_RESET = "machine_reset"
    RUNAWAY = "runaway"
    IGNORE_COMMANDS = "ignore_commands"
    NOT_STOPPING = "not_stopping"
    COMMAND_FAILED = "command_failed"
    WALKER_STOP = "walker_stop"
    INTERNAL_ERROR = "internal_error"
    NOT_REARMED = "not_rearmed"


MESSAGES: dict[Reason, str] = {
    Reason.WATCHDOG: "no data from the treadmill; the belt was stopped. Re-arm to continue.",
    Reason.LINK_LOST: (
        "lost the treadmill; reconnecting. The session clock is frozen. "
        "If the belt is still moving, use the console stop."
    ),
    Reason.LINK_NOT_RECOVERED: "could not reconnect to the treadmill; use its console stop.",
    Reason.SAFETY_KEY: "the safety key was pulled. Re-insert it, then re-arm to continue.",
    Reason.CONSOLE_STOP: "stopped at the console. Re-arm to continue.",
    Reason.CONSOLE_PAUSE: "paused at the console. Re-arm to continue.",
    Reason.CONSOLE_SPEED: "speed changed at the console; keeping it.",
    Reason.CONSOLE_OVERSPEED: "speed raised at the console above your cap; the belt was stopped.",
    Reason.CONSOLE_INCLINE: "incline changed at the console.",
    Reason.CONSOLE_START: "belt started at the console; treadctl will not drive it until re-armed.",
    Reason.CONTROL_LOST: "the treadmill took control back. Re-arm to continue.",
    Reason.MACHINE_RESET: "the treadmill reset itself. Re-arm to continue.",
    Reason.RUNAWAY: "the belt ran faster than allowed; it was stopped.",
    Reason.IGNORE_COMMANDS: "the belt does not follow speed commands; it was stopped.",
    Reason.NOT_STOPPING: (
        "THE BELT MAY NOT HAVE STOPPED: press the console stop or pull the safety key NOW."
    ),
    Reason.COMMAND_FAILED: "the treadmill refused a command; stopping the belt.",
    Reason.WALKER_STOP: "stopped. Re-arm to continue.",
    Reason.INTERNAL_ERROR: "treadctl hit an internal error; the belt was stopped.",
    Reason.NOT_REARMED: "not re-armed in time; the session ended.",
}


# Shown while paused after the link came back (the halt's reason is still link_lost).
RECONNECTED_MESSAGE = "reconnected; the belt was stopped. Re-arm to continue."


class Action(StrEnum):
    HALT = "halt"  # stop the belt, pause the session, wait for a key
    ADOPT = "adopt"  # take the console's value as the new target
    REPORT = "report"  # tell the walker; change nothing
    IGNORE = "ignore"


@dataclass(frozen=True)
class Decision:
    action: Action
    reason: Reason | None = None
    speed_kmh: float | None = None
    incline_pct: float | None = None


IGNORE = Decision(Action.IGNORE)


def status_code(status: Any) -> int | None:
    """The op code of a decoded Fitness Machine Status (duck-typed over the codec's type)."""
    for name in ("op_code", "op", "code", "opcode"):
        value = getattr(status, name, None)
        if value is not None:
            try:
                return int(value)
            except (TypeError, ValueError):
                continue
    return None


def _param(status: Any, *names: str) -> Any:
    for name in names:
        value = getattr(status, name, None)
        if value is not None:
            return value
    return None


def decide_status(
    status: Any, *, speed_cap_kmh: float, incline_cap_pct: float, driving: bool
) -> Decision:
    """What to do about a Fitness Machine Status notification.

    ``driving`` is whether treadctl is currently driving the belt (armed); a console change while
    the session is paused is reported, or stopped when above the caps, but never adopted.
    """
    code = status_code(status)
    if code == _SAFETY_KEY:
        return Decision(Action.HALT, Reason.SAFETY_KEY)
    if code == _CONTROL_LOST:
        return Decision(Action.HALT, Reason.CONTROL_LOST)
    if code == _RESET:
        return Decision(Action.HALT, Reason.MACHINE_RESET)
    if code == _STOPPED_OR_PAUSED:
        info = _param(status, "control_information", "control_info")
        pause = getattr(status, "event", "") == "paused_by_user" or _as_int(info) == _CONTROL_PAUSE
        return Decision(Action.HALT, Reason.CONSOLE_PAUSE if pause else Reason.CONSOLE_STOP)
    if code == _STARTED:
        return Decision(Action.REPORT, Reason.CONSOLE_START)
    if code == _TARGET_SPEED:
        speed = _as_float(_param(status, "target_speed_kmh", "speed_kmh", "value"))
        if speed is None:
            return IGNORE
        if speed > speed_cap_kmh + 1e-6:
            return Decision(Action.HALT, Reason.CONSOLE_OVERSPEED, speed_kmh=speed)
        action = Action.ADOPT if driving else Action.REPORT
        return Decision(action, Reason.CONSOLE_SPEED, speed_kmh=speed)
    if code == _TARGET_INCLINE:
        incline = _as_float(_param(status, "target_incline_pct", "incline_pct", "value"))
        if incline is None:
            return IGNORE
        action = Action.ADOPT if driving and incline <= incline_cap_pct + 1e-6 else Action.REPORT
        return Decision(action, Reason.CONSOLE_INCLINE, incline_pct=incline)
    return IGNORE


def _as_int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _as_float(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None
