"""The supervisor's reasons in plain words: what happened, and what the walker does first.

Shared by the screen's banners, the voice coach and the big screen, so all three say the same.
Pure data (no Textual), so the headless voice and the display can use it.
"""

from __future__ import annotations

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
    "console_overspeed": ("the console went above your speed cap", ""),
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
    "not_stopping": ("the belt kept moving after Stop", "Check the treadmill before carrying on."),
    "internal_error": ("treadctl hit an internal error", ""),
    "not_rearmed": ("not re-armed in time", ""),
    "heart_rate": ("your heart rate is above your limit", "Slow down and breathe."),
}

# What an alarm says (the loudest thing on every surface until it is resolved).
ALARM_WORDS: dict[str, tuple[str, str]] = {
    "not_stopping": (
        "THE BELT MAY NOT HAVE STOPPED",
        "Stop it on the console or pull the safety key now.",
    ),
}


def reason_words(reason: str | None) -> str:
    """A supervisor reason (or an end reason) in words; unknown codes lose their underscores."""
    if not reason:
        return ""
    known = REASONS.get(reason.split(":", 1)[0])
    return known[0] if known else reason.replace("_", " ")


def reason_todo(reason: str | None) -> str:
    """What to do first after a stop for ``reason`` ("" when nothing in particular)."""
    known = REASONS.get((reason or "").split(":", 1)[0])
    return known[1] if known else ""


def alarm_words(reason: str, message: str) -> tuple[str, str]:
    """An alarm's title (capitals) and what to do; the supervisor's message where unknown."""
    known = ALARM_WORDS.get(reason)
    if known is not None:
        return known
    return (reason_words(reason).upper() or "ALARM", sentence(message))


def sentence(text: str) -> str:
    """``text`` starting with a capital letter and ending with a full stop."""
    text = text.strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text[-1] in ".!?" else text + "."
