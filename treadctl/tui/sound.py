"""Audible cues: the terminal bell, and a spoken sentence where a speech program is installed.

Never blocks: speech runs as a detached child process; a missing or failing program is ignored.
"""

from __future__ import annotations

import logging
import shutil
import subprocess
from collections.abc import Callable, Sequence
from typing import Protocol

log = logging.getLogger(__name__)

SPEECH_PROGRAMS: tuple[tuple[str, ...], ...] = (
    ("spd-say", "--wait"),  # speech-dispatcher; --wait keeps it from queuing stale cues
    ("espeak-ng",),
    ("espeak",),
    ("say",),  # macOS
)


class Cues(Protocol):
    """What the session screen calls when something needs the walker's attention."""

    def alert(self, spoken: str) -> None: ...

    def say(self, spoken: str) -> None: ...


def find_speech_program(
    which: Callable[[str], str | None] = shutil.which,
) -> tuple[str, ...] | None:
    for program in SPEECH_PROGRAMS:
        path = which(program[0])
        if path:
            return (path, *program[1:])
    return None


class TerminalCues:
    """Bell through ``bell`` (the app's ``bell``), speech through a found program."""

    def __init__(
        self, bell: Callable[[], None], *, speech: bool = True, program: Sequence[str] | None = None
    ) -> None:
        self._bell = bell
        self._program = tuple(program) if program else (find_speech_program() if speech else None)
        self._last: subprocess.Popen[bytes] | None = None

    def alert(self, spoken: str) -> None:
        self._bell()
        self.say(spoken)

    def say(self, spoken: str) -> None:
        if not self._program or not spoken:
            return
        if self._last is not None and self._last.poll() is None:
            self._last.terminate()  # a newer cue replaces an old one still speaking
        try:
            self._last = subprocess.Popen(
                [*self._program, spoken],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as error:
            log.info("speech program failed: %s", error)
            self._program = None


class SilentCues:
    """Records cues instead of sounding them (tests, ``--quiet``)."""

    def __init__(self) -> None:
        self.heard: list[tuple[str, str]] = []

    def alert(self, spoken: str) -> None:
        self.heard.append(("alert", spoken))

    def say(self, spoken: str) -> None:
        self.heard.append(("say", spoken))
