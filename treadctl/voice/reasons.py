"""The supervisor's reasons in plain words: what happened, and what the walker does first.

Shared by the screen's banners, the voice coach and the big screen, so all three say the same.
Pure data (no Textual), so the headless voice and the display can use it.
"""

from __future__ import annotations

# One table of reasons in words for every surface: ``treadctl.wording``.
from treadctl.wording import REASONS

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
