"""Which cue each session event deserves: a pure fold over the event stream.

``Coach.cues_for(event)`` returns the sentences to speak now (maybe none). It keeps its own
``SessionView`` so the time-left points ("thirty seconds left") fire on the first event at or past
the point of the bout's own countdown (which stops during a pause or a lost link), never on a
timer of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from treadctl.direction import Direction

if TYPE_CHECKING:
    from treadctl.plan import PlannedBout
from treadctl.events import (
    Alarm,
    BoutStarted,
    Countdown,
    EndStatus,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    SafetyEvent,
    SessionEnded,
    SessionEvent,
    Telemetry,
)
from treadctl.units import SpeedUnit
from treadctl.view import SessionState, SessionView, reduce
from treadctl.voice.config import VoiceConfig
from treadctl.voice.reasons import alarm_words, reason_todo, reason_words, sentence
from treadctl.voice.words import count_word, duration_words, incline_words, speed_words

HALFWAY_MIN_S = 60.0  # "halfway" only in bouts at least this long
POINT_MARGIN_S = 5.0  # a time-left point is spoken only if the bout is longer by this much

FACING = {
    Direction.BACKWARD: "face away from the console",
    Direction.FORWARD: "face the console",
}


_FOLDED = (
    Alarm,
    BoutStarted,
    Countdown,
    LinkChanged,
    PhaseChanged,
    SafetyEvent,
    SessionEnded,
)


@dataclass(frozen=True)
class CueText:
    """One sentence to speak. ``urgent`` cues (alarms, stops) cut off whatever is being said."""

    text: str
    category: str  # countdown, bout, time_left, turn, pause, fault, alarm, end
    urgent: bool = False


@dataclass
class Coach:
    config: VoiceConfig = field(default_factory=VoiceConfig)
    units: SpeedUnit = "kmh"
    view: SessionView = field(default_factory=SessionView)
    _points_left: list[float] = field(default_factory=list)
    _halfway_due: bool = False
    _last_direction: Direction | None = None
    _turn_announced: bool = False
    # The plan's bouts (``direction`` each), to count the walker in to a turn-around.
    bouts: Callable[[], Sequence[PlannedBout]] = field(default=lambda: ())
    _turn_in_left: list[int] = field(default_factory=list)
    _turn_in_said: bool = False
    _next_direction: Direction | None = None

    def cues_for(self, event: SessionEvent) -> list[CueText]:
        if not isinstance(event, _FOLDED):
            # Data, commands, responses move no clock and no state the coach reads (and come
            # many a second): only the time-left points, and only with data.
            if not isinstance(event, Telemetry) or event.t_s < self._next_due_t_s:
                return []
            return [cue for cue in self._time_left(event.t_s) if self.wanted(cue.category)]
        before = self.view
        self.view = reduce(before, event)
        cues = self._event_cues(before, event)
        cues.extend(self._time_left(event.t_s))
        self._next_due_t_s = self._next_due()
        return [cue for cue in cues if self.wanted(cue.category)]

    _next_due_t_s: float = float("inf")

    def _next_due(self) -> float:
        """When the next time-left cue falls due on the bout's clock, if it keeps running."""
        view = self.view
        if view.bout_index is None or not view.bout_clock_running:
            return float("inf")
        if view.state is not SessionState.RUNNING:
            return float("inf")
        anchor = view.bout_anchor_t_s
        points = [*self._points_left, *self._turn_in_left]
        due = [anchor + view.bout_remaining_at_anchor_s - p for p in points]
        if self._halfway_due:
            due.append(anchor + view.bout_duration_s / 2 - view.bout_elapsed_at_anchor_s)
        return min(due, default=float("inf"))

    def wanted(self, category: str) -> bool:
        """Alarms are always wanted; the rest follow ``[voice.cues]``."""
        if category == "alarm":
            return True
        return bool(getattr(self.config.cues, category, True))

    # -- one event -------------------------------------------------------------------------

    def _event_cues(self, before: SessionView, event: SessionEvent) -> list[CueText]:
        if isinstance(event, Countdown):
            return self._countdown(event)
        if isinstance(event, BoutStarted):
            return [self._bout(event)]
        if isinstance(event, PhaseChanged):
            return self._phase(before, event)
        if isinstance(event, LinkChanged):
            if event.event == "disconnected":
                return [CueText("Link lost. The belt is stopping.", "pause", urgent=True)]
            if event.event == "reconnected" and before.link == "disconnected":
                return [CueText("Reconnected. The belt stays stopped until you re-arm.", "pause")]
            return []
        if isinstance(event, SafetyEvent) and event.action in ("stop", "pause"):
            if event.reason == "not_stopping" and before.alarm_active:
                return []  # the alarm, louder, already says it (and repeats until it is over)
            return [self._fault(event)]
        if isinstance(event, Alarm):
            return [self._alarm(event)]
        if isinstance(event, SessionEnded):
            return self._end(event)
        return []

    def _countdown(self, event: Countdown) -> list[CueText]:
        cue = self._count_cue(event)
        self._last_count = (event.purpose, event.seconds_left)
        return [cue] if cue is not None else []

    def _count_cue(self, event: Countdown) -> CueText | None:
        left = event.seconds_left
        if event.purpose == "turn":
            # The end of the turn's hold: the next bout's cue ("Start walking backward, ...")
            # follows the 0 at once, so the 0 itself says nothing.
            if left <= 0:
                return None
            first = f"Walking on in {count_word(left)}." if not self._counting(event) else ""
            return CueText(first or f"{count_word(left).capitalize()}.", "turn")
        if left <= 0:
            return CueText("Go.", "countdown")
        if not self._counting(event):
            verb = "Restarting" if event.purpose == "restart" else "Starting"
            return CueText(f"{verb} in {count_word(left)}.", "countdown")
        return CueText(f"{count_word(left).capitalize()}.", "countdown")

    def _counting(self, event: Countdown) -> bool:
        """Whether ``event`` continues a count already started (2 after 3, 1 after 2)."""
        return self._last_count == (event.purpose, event.seconds_left + 1)

    _last_count: tuple[str, int] | None = None

    def _bout(self, event: BoutStarted) -> CueText:
        unit = self.units
        direction = event.direction.value.capitalize()
        after_turn = self._last_direction is not None and self._last_direction != event.direction
        head = f"Start walking {event.direction.value}" if after_turn else direction
        parts = [head, speed_words(event.speed_kmh, unit)]
        if event.incline_pct:
            parts.append(incline_words(event.incline_pct))
        parts.append(duration_words(event.duration_s))
        text = ", ".join(parts) + "."
        if event.cue:
            text += " " + sentence(event.cue)
        self._last_direction = event.direction
        self._turn_announced = False
        self._turn_in_left = [3, 2, 1] if self._turn_follows(event) else []
        self._turn_in_said = False
        self._points_left = [
            p for p in self.config.time_left_s if p + POINT_MARGIN_S <= event.duration_s
        ]
        self._halfway_due = self.config.halfway and event.duration_s >= HALFWAY_MIN_S
        return CueText(text, "bout")

    def _phase(self, before: SessionView, event: PhaseChanged) -> list[CueText]:
        if event.name is PhaseName.TURN and "press" in (event.detail or ""):
            return [CueText("Press Enter when you have turned round.", "turn")]
        if event.name is PhaseName.TURN and not self._turn_announced:
            self._turn_announced = True  # the belt has slowed: "you can turn now"
            to = self._turn_direction(event)
            facing = f": {FACING[to]}" if to is not None else ""
            return [CueText(f"You can turn now{facing}.", "turn")]
        if event.name is PhaseName.PAUSED and before.phase is not PhaseName.PAUSED:
            if self.view.state is SessionState.FAULT:
                return []  # the fault's own cue says why
            return [CueText("Paused. The belt is stopping.", "pause")]
        resumed = before.phase is PhaseName.PAUSED and event.name in (
            PhaseName.RAMP,
            PhaseName.STEADY,
        )
        if resumed:
            return [CueText("Resuming. The belt speeds up slowly.", "pause")]
        return []

    def _turn_follows(self, event: BoutStarted) -> bool:
        """Whether the next bout goes the other way (a turn-around ends this one)."""
        following = [b for b in self.bouts() if b.index == event.index + 1]
        return bool(following) and following[0].direction != event.direction

    def _turn_direction(self, event: PhaseChanged) -> Direction | None:
        detail = event.detail or ""
        for direction in Direction:
            if detail.endswith(direction.value):
                return direction
        if self._last_direction is None:
            return None
        return (
            Direction.FORWARD if self._last_direction is Direction.BACKWARD else Direction.BACKWARD
        )

    def _fault(self, event: SafetyEvent) -> CueText:
        if event.reason == "walker_stop":
            return CueText("Stopped. The belt is stopping.", "fault", urgent=True)
        words = reason_words(event.reason) or "a safety stop"
        todo = reason_todo(event.reason)
        verb = "Paused" if event.action == "pause" else "Stopping the belt"
        text = f"{verb}: {words}." + (f" {todo}" if todo else "")
        return CueText(text, "fault", urgent=True)

    def _alarm(self, event: Alarm) -> CueText:
        if not event.active:
            return CueText("The belt has stopped. The alarm is over.", "alarm")
        title, todo = alarm_words(event.reason, event.message)
        return CueText(f"Warning! {sentence(title.lower())} {todo}".strip(), "alarm", urgent=True)

    def _end(self, event: SessionEnded) -> list[CueText]:
        if event.status is EndStatus.COMPLETED:
            text = "Session complete. Well walked."
        elif event.status is EndStatus.INTERRUPTED:
            text = "Session stopped."
        else:
            text = f"Session ended: {reason_words(event.reason) or 'stopped'}."
        cues = [CueText(text, "end")]
        if not event.belt_at_rest:
            cues.append(
                CueText(
                    "Warning! The belt may still be moving. Stop it on the console.",
                    "alarm",
                    urgent=True,
                )
            )
        return cues

    # -- time left ---------------------------------------------------------------------------

    def _time_left(self, now_s: float) -> list[CueText]:
        view = self.view
        if view.bout_index is None or not view.bout_clock_running:
            return []
        if view.state is not SessionState.RUNNING:
            return []
        remaining = view.bout_remaining_s(now_s)
        cues: list[CueText] = []
        if self._halfway_due and view.bout_elapsed_s(now_s) >= view.bout_duration_s / 2:
            self._halfway_due = False
            # "Halfway, thirty seconds left" already says a point that falls at the same moment.
            self._points_left = [p for p in self._points_left if abs(p - remaining) > 3.0]
            left = duration_words(_about(remaining)).capitalize()
            cues.append(CueText(f"Halfway. {left} left.", "time_left"))
        turn_in = [n for n in self._turn_in_left if remaining <= n]
        if turn_in:
            # "Turn around in three. Two. One." in the bout's last seconds before a turn.
            self._turn_in_left = [n for n in self._turn_in_left if remaining > n]
            n = min(turn_in)
            if self._turn_in_said:
                words = f"{count_word(n).capitalize()}."
            else:
                words = f"Turn around in {count_word(n)}."
            self._turn_in_said = True
            cues.append(CueText(words, "turn"))
        due = [p for p in self._points_left if remaining <= p]
        if due:
            self._points_left = [p for p in self._points_left if remaining > p]
            point = min(due)  # several at once (a late event): say only the nearest
            cues.append(CueText(f"{duration_words(point).capitalize()} left.", "time_left"))
        if cues:
            self._next_due_t_s = self._next_due()
        return cues


def _about(duration_s: float) -> float:
    """A time to say, to the nearest 5 s (events arrive up to a second after the moment)."""
    return duration_s if duration_s < 20 else 5.0 * round(duration_s / 5.0)
