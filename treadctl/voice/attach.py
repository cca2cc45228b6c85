"""The voice coach as a session consumer: events in, ``Cue`` events out, speech on a thread.

Every cue becomes a ``Cue`` event on the bus (so the audit log records it), spoken or not:
``spoken`` is True when the sentence went to a working speech program, False when the voice is
off, no program is installed, or the session runs on the virtual clock (``--fast``: faster than
words). The coach subscribes before the audit log, so a cue is logged just before the event that
caused it (the end cue before the ``end`` record that closes the log).
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from treadctl.plan import PlannedBout

from treadctl.events import Alarm, Cue, EventBus, SessionEvent, VoiceNotice
from treadctl.units import SpeedUnit
from treadctl.voice.coach import Coach, CueText
from treadctl.voice.config import VoiceConfig
from treadctl.voice.engines import Which, find_engine, speak_argv
from treadctl.voice.speaker import Speaker


class VoiceCoach:
    def __init__(
        self,
        config: VoiceConfig,
        units: SpeedUnit,
        *,
        speech: bool = True,
        headless: bool = True,
        out: TextIO | None = None,
        which: Which = shutil.which,
        speaker_factory: Callable[..., Speaker] = Speaker,
        bouts: Callable[[], Sequence[PlannedBout]] = lambda: (),
    ) -> None:
        self.config = config
        self.coach = Coach(config, units, bouts=bouts)
        self._bus: EventBus | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self._headless = headless
        self._out = out
        self.speaker: Speaker | None = None
        self.notice = ""
        if not (speech and config.enabled):
            return
        choice = find_engine(config, which)
        if choice.name is None or choice.path is None:
            self.notice = choice.notice
            return
        name, path = choice.name, choice.path
        self.speaker = speaker_factory(
            lambda text: speak_argv(name, path, config, text),
            repeat_alarm_s=config.repeat_alarm_s,
            on_failure=self._failed,
        )

    def attach(self, bus: EventBus) -> VoiceCoach:
        """Subscribe; a notice (no speech program) is printed now (headless) and goes on the
        bus with the first event, once every other consumer (the audit log) is listening."""
        self._bus = bus
        self._unsubscribe = bus.subscribe(self)
        if self.notice:
            self._print(self.notice)
            self._pending_notice = self.notice
        return self

    _pending_notice = ""
    _last_t_s = 0.0

    def __call__(self, event: SessionEvent) -> None:
        if isinstance(event, Cue | VoiceNotice):
            return
        self._last_t_s = event.t_s
        if self._pending_notice and self._bus is not None:
            notice, self._pending_notice = self._pending_notice, ""
            self._bus.publish(VoiceNotice(event.t_s, notice))
        for cue in self.coach.cues_for(event):
            spoken = self._speak(cue, event)
            if self._bus is not None:
                self._bus.publish(Cue(event.t_s, cue.text, cue.category, spoken))

    def _speak(self, cue: CueText, event: SessionEvent) -> bool:
        speaker = self.speaker
        if speaker is None or not speaker.working:
            return False
        if isinstance(event, Alarm) and cue.category == "alarm":
            if event.active:
                speaker.raise_alarm(cue.text)
                return True
            speaker.clear_alarm()
        speaker.say(cue.text, urgent=cue.urgent)
        return True

    def _failed(self, message: str) -> None:
        """From the speech thread: the program could not start. Say so once, on the loop."""
        self.notice = f"{message}; the cues are shown and logged only"
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed: nothing to tell
                loop.call_soon_threadsafe(self._tell, self.notice)

    _loop: asyncio.AbstractEventLoop | None = None

    def bind_loop(self, loop: asyncio.AbstractEventLoop | None) -> None:
        self._loop = loop

    def _tell(self, message: str) -> None:
        self._print(message)
        if self._bus is not None:
            self._bus.publish(VoiceNotice(self._last_t_s, message))

    def _print(self, message: str) -> None:
        if self._headless:
            print(f"treadctl: {message}", file=self._out or sys.stderr, flush=True)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self.speaker is not None:
            # Headless, the process exits next: wait (briefly) for the end to be said. Under the
            # screen, which stays open, the worker finishes on its own.
            self.speaker.close(wait=self._headless)


def attach_voice(
    bus: EventBus,
    config: VoiceConfig,
    units: SpeedUnit,
    *,
    speech: bool,
    headless: bool,
    virtual_clock: bool = False,
    bouts: Callable[[], Sequence[PlannedBout]] = lambda: (),
) -> VoiceCoach:
    """The session's voice (speech off on the virtual clock, whose minutes pass in an instant).
    ``bouts`` gives the plan's bouts, for the count-in before each turn-around."""
    speech = speech and not virtual_clock
    coach = VoiceCoach(config, units, speech=speech, headless=headless, bouts=bouts)
    with contextlib.suppress(RuntimeError):
        coach.bind_loop(asyncio.get_running_loop())
    return coach.attach(bus)
