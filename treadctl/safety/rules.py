"""What the supervisor does about each thing the treadmill says: a pure decision table.

The treadmill's own word wins (safety rule 6): a safety key, a console stop or pause, a lost
control permission or a reset by the machine halt the session, and only the walker's key may move
the belt again. A console speed change within the caps is adopted; above them the belt stops.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from treadctl.ftms.machine_status import MachineStatus, MachineStatusEvent


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
    SENSOR_STOP = "sensor_stop"  # heart rate (or another sensor) asked for Stop
    SUSPENDED = "suspended"  # Ctrl-Z: stopped before the process was suspended
    NO_DATA = "no_data"  # the treadmill sent no data before the start: nothing to watch it by


# What the walker is told. "Stopping", never "stopped": rest is a measurement, announced on its
# own (``AT_REST_MESSAGE``) once telemetry or the treadmill's status confirms it.
MESSAGES: dict[Reason, str] = {
    Reason.WATCHDOG: "no data from the treadmill; stopping the belt. Re-arm to continue.",
    Reason.LINK_LOST: (
        "lost the treadmill; reconnecting. The session clock is frozen. "
        "If the belt is still moving, use the console stop."
    ),
    Reason.LINK_NOT_RECOVERED: "could not reconnect to the treadmill; use its console stop.",
    Reason.SAFETY_KEY: "the safety key was pulled. Re-insert it, then re-arm to continue.",
    Reason.CONSOLE_STOP: "stopped at the console. Re-arm to continue.",
    Reason.CONSOLE_PAUSE: "paused at the console. Re-arm to continue.",
    Reason.CONSOLE_SPEED: "speed changed at the console; keeping it.",
    Reason.CONSOLE_OVERSPEED: "speed raised at the console above your cap; stopping the belt.",
    Reason.CONSOLE_INCLINE: "incline changed at the console.",
    Reason.CONSOLE_START: "belt started at the console; treadctl will not drive it until re-armed.",
    Reason.CONTROL_LOST: "the treadmill took control back; stopping the belt. Re-arm to continue.",
    Reason.MACHINE_RESET: "the treadmill reset itself. Re-arm to continue.",
    Reason.RUNAWAY: "the belt ran faster than allowed; stopping it.",
    Reason.IGNORE_COMMANDS: "the belt does not follow speed commands; stopping it.",
    Reason.NOT_STOPPING: (
        "THE BELT MAY NOT HAVE STOPPED: use the console stop or pull the safety key NOW."
    ),
    Reason.COMMAND_FAILED: "the treadmill refused a command; stopping the belt.",
    Reason.WALKER_STOP: "stopping the belt. Re-arm to continue.",
    Reason.INTERNAL_ERROR: "treadctl hit an internal error; stopping the belt.",
    Reason.NOT_REARMED: "not re-armed in time; the session ended.",
    Reason.SENSOR_STOP: "a sensor asked to stop; stopping the belt. Re-arm to continue.",
    Reason.SUSPENDED: "treadctl was suspended (Ctrl-Z); stopping the belt. Re-arm to continue.",
    Reason.NO_DATA: "the treadmill sends no data, so treadctl cannot watch the belt; not starting.",
}

AT_REST_MESSAGE = "the belt is at rest."
# With no data to read, the treadmill's own status is the only witness: say whose word it is.
TREADMILL_STOPPED_MESSAGE = "the treadmill reports that the belt has stopped."
# Shown while halted after the link came back (the halt's reason is still link_lost).
RECONNECTED_MESSAGE = "reconnected; stopping the belt. Re-arm to continue."


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
    stopped: bool = False  # the treadmill says the belt stopped


IGNORE = Decision(Action.IGNORE)

_E = MachineStatusEvent
# The treadmill's own word that needs no judgement, by status event. ``stopped`` marks the events
# that say the belt stopped (they count towards confirming rest). Target changes are judged
# against the caps in ``decide_status``; every other event is ignored.
_BY_EVENT: dict[MachineStatusEvent, Decision] = {
    _E.STOPPED_BY_SAFETY_KEY: Decision(Action.HALT, Reason.SAFETY_KEY, stopped=True),
    _E.CONTROL_PERMISSION_LOST: Decision(Action.HALT, Reason.CONTROL_LOST),
    _E.RESET: Decision(Action.HALT, Reason.MACHINE_RESET),
    _E.STOPPED_BY_USER: Decision(Action.HALT, Reason.CONSOLE_STOP, stopped=True),
    _E.PAUSED_BY_USER: Decision(Action.HALT, Reason.CONSOLE_PAUSE, stopped=True),
    # A sloppy 0x02 (no or an unknown control octet): a stop.
    _E.STOPPED_OR_PAUSED_BY_USER: Decision(Action.HALT, Reason.CONSOLE_STOP, stopped=True),
    _E.STARTED_OR_RESUMED_BY_USER: Decision(Action.REPORT, Reason.CONSOLE_START),
}


def decide_status(
    status: MachineStatus, *, speed_cap_kmh: float, incline_cap_pct: float, driving: bool
) -> Decision:
    """What to do about a Fitness Machine Status notification.

    ``driving`` is whether treadctl is driving a bout right now; a console change at any other
    time (paused, halted, turning) is reported, or stopped when above the caps, never adopted.
    """
    fixed = _BY_EVENT.get(status.event)
    if fixed is not None:
        return fixed
    if status.event is _E.TARGET_SPEED_CHANGED and status.target_speed_kmh is not None:
        speed = status.target_speed_kmh
        if speed > speed_cap_kmh + 1e-6:
            return Decision(Action.HALT, Reason.CONSOLE_OVERSPEED, speed_kmh=speed)
        action = Action.ADOPT if driving else Action.REPORT
        return Decision(action, Reason.CONSOLE_SPEED, speed_kmh=speed)
    if status.event is _E.TARGET_INCLINE_CHANGED and status.target_incline_pct is not None:
        incline = status.target_incline_pct
        action = Action.ADOPT if driving and incline <= incline_cap_pct + 1e-6 else Action.REPORT
        return Decision(action, Reason.CONSOLE_INCLINE, incline_pct=incline)
    return IGNORE
