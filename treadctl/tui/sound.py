"""Audible cues on the screen's side: the terminal bell for anything that needs the walker.

Speech is the voice coach's (``treadctl.voice``, attached to every session, screen or
headless), so a sentence is spoken once however many surfaces show it. The screen rings the bell
for alerts; ``say`` is kept for the screen's own record of what it announced (tests).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol


class Cues(Protocol):
    """What the session screen calls when something needs the walker's attention."""

    def alert(self, spoken: str) -> None: ...

    def say(self, spoken: str) -> None: ...


class TerminalCues:
    """The bell through ``bell`` (the app's ``bell``); ``speech`` is accepted for callers that
    switch speech off (``--no-speech``), which the voice coach honours."""

    def __init__(self, bell: Callable[[], None], *, speech: bool = True) -> None:
        self._bell = bell
        self.speech = speech

    def alert(self, spoken: str) -> None:
        self._bell()

    def say(self, spoken: str) -> None:
        return None


class SilentCues:
    """Records cues instead of sounding them (tests, ``--quiet``)."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str]] = []

    def alert(self, spoken: str) -> None:
        self.heard.append(("alert", spoken))

    def say(self, spoken: str) -> None:
        self.heard.append(("say", spoken))
