"""Plain words for the program's internal names: the supervisor's reasons, the ways a session
ends, and signals.

The walker reads "the safety key was pulled", never ``safety_key``; every consumer that shows a
reason to a person (the headless lines, the session screen's banners, the history listing) asks
this one module, so they all say the same thing. Pure and standard library only.
"""

from __future__ import annotations

import signal

# A supervisor reason, for the walker: what happened, and what to do first ("" when nothing).
REASONS: dict[str, tuple[str, str]] = {
    "watchdog": ("no data from the treadmill", "Check the treadmill is on and close by."),
    "link_lost": ("the Bluetooth link was lost", ""),
    "link_not_recovered": (
        "could not reconnect to the treadmill",
        "If the belt still moves, stop it on the console.",
    ),
    "safety_key": ("the safety key was pulled", "Put the safety key back in first."),
    "console_stop": ("stopped on the console", ""),
    "console_pause": ("paused on the console", ""),
    "console_speed": ("the speed was changed on the console", ""),
    "console_overspeed": ("the console went above your speed cap", ""),
    "console_incline": ("the incline was changed on the console", ""),
    "console_start": ("the belt was started on the console", ""),
    "control_lost": ("the treadmill took back control", ""),
    "machine_reset": ("the treadmill reset itself", ""),
    "runaway": ("the belt ran faster than allowed", "Check the treadmill before carrying on."),
    "ignore_commands": (
        "the belt does not follow speed commands",
        "Check the treadmill before carrying on.",
    ),
    "command_failed": ("the treadmill refused a command", ""),
    "walker_stop": ("you pressed stop", ""),
    "internal_error": ("treadctl hit an internal error", ""),
    "not_rearmed": ("not re-armed in time", ""),
    "not_stopping": (
        "THE BELT MAY NOT HAVE STOPPED",
        "Use the console stop or pull the safety key now.",
    ),
    "at_rest": ("the belt is at rest", ""),
    "treadmill_stopped": ("the treadmill reports that the belt has stopped", ""),
    "sensor_stop": ("a sensor asked to stop", ""),
    "suspended": ("treadctl was suspended (Ctrl-Z)", "Re-arm after it continues."),
    "no_data": ("the treadmill sends no data", "Check the treadmill is on and close by."),
    "rearm_refused": ("not re-armed", ""),
    "heart_rate": ("your heart rate is above your limit", "Slow down and breathe."),
}

# The engine's own end reasons (besides the supervisor's).
END_REASONS: dict[str, str] = {
    "completed": "every bout was walked",
    "quit": "you quit",
    "signal": "stopped with Ctrl-C (or a stop signal)",
    "cancelled": "the program was closed",
    "running": "still running",
    "signal SIGINT": "stopped with Ctrl-C",
    "signal SIGTERM": "stopped by a stop request (SIGTERM)",
    "signal SIGHUP": "stopped because the terminal was closed",
    "signal SIGQUIT": "stopped with Ctrl-\\",
    "signal SIGPIPE": "stopped because the output was closed",
}

SIGNALS: dict[str, str] = {
    "SIGINT": "Ctrl-C",
    "SIGTERM": "a stop request (SIGTERM)",
    "SIGHUP": "the terminal was closed",
    "SIGQUIT": "Ctrl-\\",
    "SIGTSTP": "Ctrl-Z",
    "SIGPIPE": "the output was closed",
}

# The ``action`` of a safety event, as the start of a line.
ACTIONS: dict[str, str] = {
    "stop": "stopping the belt",
    "pause": "paused",
    "refuse": "not done",
    "adopt": "following the console",
    "report": "note",
}


def reason_words(reason: str | None) -> str:
    """What happened, as a phrase: ``safety_key`` -> "the safety key was pulled".

    Also takes end reasons (``signal``, ``quit``) and ``internal_error: detail``; an unknown name
    is at least spelled without underscores."""
    if not reason:
        return ""
    name, _, detail = reason.partition(": ")
    if name in REASONS:
        words = REASONS[name][0]
        return f"{words} ({detail})" if detail else words
    if reason in END_REASONS:
        return END_REASONS[reason]
    return reason.replace("_", " ")


def reason_todo(reason: str | None) -> str:
    """What the walker should do first after ``reason`` ("" when there is nothing to add)."""
    if not reason:
        return ""
    known = REASONS.get(reason.partition(": ")[0])
    return known[1] if known else ""


def signal_words(sig: int | str) -> str:
    """``signal.SIGINT`` (or ``"SIGINT"``) -> "Ctrl-C"."""
    if isinstance(sig, str):
        name = sig
    else:
        try:
            name = signal.Signals(sig).name
        except ValueError:
            return f"signal {sig}"
    return SIGNALS.get(name, name)


def action_words(action: str) -> str:
    """``stop`` -> "stopping the belt": how a safety event's line begins (never "stopped":
    rest is confirmed by telemetry, in a line of its own)."""
    return ACTIONS.get(action, action.replace("_", " "))


def ending_sentence(status: str, reason: str) -> str:
    """How a session ended, as one sentence without internal names:

    ``completed`` -> "session completed"; ``safety_stop`` + ``safety_key`` -> "session ended:
    the safety key was pulled"; ``interrupted`` + ``signal`` -> "session interrupted: stopped
    with Ctrl-C (or a stop signal)"."""
    if status == "completed":
        return "session completed"
    words = reason_words(reason) or "stopped"
    if status == "safety_stop":
        return f"session ended: {words}"
    return f"session interrupted: {words}"
