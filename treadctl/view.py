"""What a session looks like right now, folded from its event stream.

A pure reducer: ``reduce(view, event) -> view``. The terminal UI, MQTT's state topic and the
headless printer all read the same ``SessionView``, so they can never disagree about the bout, the
phase or what the walker was told. It knows nothing about time passing between events: callers
that display countdowns pass the current session time to ``bout_remaining_s``.

The bout countdown runs only during the ramp and steady phases: a pause, a turn or a lost link
freezes it, and the engine's ramp/steady ``PhaseChanged`` events carry the bout's remaining seconds
(after any extension), which re-anchor it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from enum import StrEnum

from treadctl.direction import Direction
from treadctl.events import (
    Alarm,
    BoutStarted,
    Clamped,
    CommandSent,
    Countdown,
    EndStatus,
    HeartRate,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    SafetyEvent,
    SafetyStateChanged,
    SessionEnded,
    SessionEvent,
    SessionSummary,
    Telemetry,
)

SPEED_HISTORY_MAX = 4096
# A countdown number stays up this long after its event (a count that stops half-way, because the
# belt was halted, must not freeze on screen); "go" (0) shows for as long.
COUNTDOWN_SHOW_S = 1.5


class SessionState(StrEnum):
    """The coarse state published to MQTT and shown in the header."""

    IDLE = "idle"
    RUNNING = "running"
    TURN = "turn"
    PAUSED = "paused"
    FAULT = "fault"
    RECONNECTING = "reconnecting"
    ENDED = "ended"


@dataclass(frozen=True)
class SessionView:
    t_s: float = 0.0
    state: SessionState = SessionState.IDLE
    phase: PhaseName = PhaseName.STARTING
    phase_started_t_s: float = 0.0
    phase_left_at_start_s: float | None = None  # what the phase had left as it began
    bout_index: int | None = None
    bout_count: int = 0
    bout_label: str = ""
    bout_cue: str | None = None
    direction: Direction | None = None
    bout_duration_s: float = 0.0  # grows when the walker extends the bout
    bout_started_t_s: float = 0.0
    # The bout clock: elapsed and remaining as of ``bout_anchor_t_s``, and whether it is running.
    bout_anchor_t_s: float = 0.0
    bout_elapsed_at_anchor_s: float = 0.0
    bout_remaining_at_anchor_s: float = 0.0
    bout_clock_running: bool = False
    bout_target_speed_kmh: float | None = None
    target_speed_kmh: float | None = None  # last speed sent to the belt
    target_incline_pct: float | None = None
    measured_speed_kmh: float | None = None
    measured_incline_pct: float | None = None
    distance_m: float = 0.0
    energy_kcal: float = 0.0
    heart_rate_bpm: int | None = None
    heart_rate_trust: str | None = None  # None: no heart-rate source (HeartRate events) yet
    heart_rate_source: str | None = None
    # "the heart-rate ceiling is not active": up from hr_untrusted until hr_trusted.
    heart_rate_banner: str | None = None
    link: str = "connecting"
    last_telemetry_t_s: float | None = None
    safety_reason: str | None = None
    safety_message: str | None = None
    last_clamp: str | None = None
    end_status: EndStatus | None = None
    end_reason: str | None = None
    summary: SessionSummary | None = None
    belt_at_rest: bool | None = None  # at the end: was rest confirmed (False: it may still move)
    speed_history: tuple[tuple[float, float], ...] = ()
    # The 3-2-1 before the belt moves (Countdown events): the number, why, and when it was said.
    countdown_left: int | None = None
    countdown_purpose: str = ""
    countdown_t_s: float = 0.0
    # The persistent alarm (Alarm events): shown above everything until it is resolved.
    alarm_reason: str | None = None
    alarm_message: str | None = None
    safety_state: str | None = None  # the safety state machine's state (SafetyStateChanged)

    @property
    def alarm_active(self) -> bool:
        return self.alarm_reason is not None

    def countdown_shown(self, now_s: float) -> str | None:
        """``"3"``, ``"2"``, ``"1"`` or ``"GO"`` while a countdown is on, else None."""
        if self.countdown_left is None or now_s - self.countdown_t_s > COUNTDOWN_SHOW_S:
            return None
        return str(self.countdown_left) if self.countdown_left > 0 else "GO"

    def _bout_ticked_s(self, now_s: float) -> float:
        if not self.bout_clock_running:
            return 0.0
        return max(0.0, now_s - self.bout_anchor_t_s)

    def bout_elapsed_s(self, now_s: float) -> float:
        if self.bout_index is None:
            return 0.0
        return self.bout_elapsed_at_anchor_s + self._bout_ticked_s(now_s)

    def bout_remaining_s(self, now_s: float) -> float:
        if self.bout_index is None:
            return 0.0
        return max(0.0, self.bout_remaining_at_anchor_s - self._bout_ticked_s(now_s))

    def phase_remaining_s(self, now_s: float) -> float | None:
        if self.phase_left_at_start_s is None:
            return None
        return max(0.0, self.phase_left_at_start_s - (now_s - self.phase_started_t_s))

    def telemetry_age_s(self, now_s: float) -> float | None:
        if self.last_telemetry_t_s is None:
            return None
        return max(0.0, now_s - self.last_telemetry_t_s)


_PHASE_STATE = {
    PhaseName.STARTING: SessionState.IDLE,
    PhaseName.RAMP: SessionState.RUNNING,
    PhaseName.STEADY: SessionState.RUNNING,
    PhaseName.TURN: SessionState.TURN,
    PhaseName.PAUSED: SessionState.PAUSED,
    PhaseName.RECONNECTING: SessionState.RECONNECTING,
    PhaseName.STOPPING: SessionState.PAUSED,
    PhaseName.ENDED: SessionState.ENDED,
}


# A pause, a lost link or the end puts an end to a countdown on screen (even a "go" still shown).
_COUNT_ENDS = frozenset(
    {PhaseName.PAUSED, PhaseName.STOPPING, PhaseName.RECONNECTING, PhaseName.ENDED}
)


def _reanchor_bout_clock(view: SessionView, event: PhaseChanged) -> SessionView:
    """Freeze or restart the bout countdown at a phase change."""
    if view.bout_index is None:
        return view
    running = event.name in (PhaseName.RAMP, PhaseName.STEADY)
    elapsed_s = view.bout_elapsed_s(event.t_s)
    remaining_s = view.bout_remaining_s(event.t_s)
    if running and event.remaining_s is not None:
        remaining_s = event.remaining_s  # the engine's word, extensions included
    return dataclasses.replace(
        view,
        bout_anchor_t_s=event.t_s,
        bout_elapsed_at_anchor_s=elapsed_s,
        bout_remaining_at_anchor_s=remaining_s,
        bout_clock_running=running,
        bout_duration_s=max(view.bout_duration_s, elapsed_s + remaining_s),
    )


def reduce(view: SessionView, event: SessionEvent) -> SessionView:
    """The view after ``event``."""
    replace = dataclasses.replace
    view = replace(view, t_s=max(view.t_s, event.t_s))
    if isinstance(event, BoutStarted):
        return replace(
            view,
            bout_index=event.index,
            bout_count=event.count,
            bout_label=event.label,
            bout_cue=event.cue,
            direction=event.direction,
            bout_duration_s=event.duration_s,
            bout_started_t_s=event.t_s,
            bout_target_speed_kmh=event.speed_kmh,
            bout_anchor_t_s=event.t_s,
            bout_elapsed_at_anchor_s=0.0,
            bout_remaining_at_anchor_s=event.duration_s,
            bout_clock_running=True,
        )
    if isinstance(event, PhaseChanged):
        state = _PHASE_STATE[event.name]
        if event.name is PhaseName.PAUSED and view.safety_reason is not None:
            state = SessionState.FAULT
        cleared = event.name in (PhaseName.RAMP, PhaseName.STEADY, PhaseName.TURN)
        view = _reanchor_bout_clock(view, event)
        return replace(
            view,
            phase=event.name,
            phase_started_t_s=event.t_s,
            phase_left_at_start_s=event.remaining_s,
            state=state,
            safety_reason=None if cleared else view.safety_reason,
            safety_message=None if cleared else view.safety_message,
            countdown_left=None if event.name in _COUNT_ENDS else view.countdown_left,
        )
    if isinstance(event, CommandSent):
        if event.op == "set_speed" and event.speed_kmh is not None:
            return replace(view, target_speed_kmh=event.speed_kmh)
        if event.op == "set_incline" and event.incline_pct is not None:
            return replace(view, target_incline_pct=event.incline_pct)
        if event.op in ("stop", "pause"):
            return replace(view, target_speed_kmh=0.0)
        return view
    if isinstance(event, Telemetry):
        history = view.speed_history
        if event.speed_kmh is not None:
            history = (*history, (event.t_s, event.speed_kmh))[-SPEED_HISTORY_MAX:]
        return replace(
            view,
            measured_speed_kmh=event.speed_kmh,
            measured_incline_pct=event.incline_pct,
            distance_m=event.distance_m if event.distance_m is not None else view.distance_m,
            energy_kcal=event.energy_kcal if event.energy_kcal is not None else view.energy_kcal,
            heart_rate_bpm=(
                view.heart_rate_bpm
                if view.heart_rate_trust is not None
                else (event.heart_rate_bpm or None)
            ),
            last_telemetry_t_s=event.t_s,
            speed_history=history,
        )
    if isinstance(event, HeartRate):
        return replace(
            view,
            heart_rate_bpm=event.bpm,
            heart_rate_trust=event.trust,
            heart_rate_source=event.source,
        )
    if isinstance(event, LinkChanged):
        state = SessionState.RECONNECTING if event.event == "disconnected" else view.state
        return replace(view, link=event.event, state=state)
    if isinstance(event, SafetyEvent) and event.reason in ("hr_untrusted", "hr_trusted"):
        banner = event.message if event.reason == "hr_untrusted" else None
        view = replace(view, heart_rate_banner=banner)
    if isinstance(event, SafetyEvent):
        if event.action == "refuse":
            return replace(view, safety_message=event.message)
        halted = event.action in ("stop", "pause")
        state = SessionState.FAULT if halted else view.state
        return replace(
            view,
            safety_reason=event.reason,
            safety_message=event.message,
            state=state,
            countdown_left=None if halted else view.countdown_left,
        )
    if isinstance(event, Countdown):
        return replace(
            view,
            countdown_left=event.seconds_left,
            countdown_purpose=event.purpose,
            countdown_t_s=event.t_s,
        )
    if isinstance(event, Alarm):
        if event.active:
            return replace(view, alarm_reason=event.reason, alarm_message=event.message)
        if view.alarm_reason in (None, event.reason):
            return replace(view, alarm_reason=None, alarm_message=None)
        return view
    if isinstance(event, SafetyStateChanged):
        return replace(view, safety_state=event.state)
    if isinstance(event, Clamped):
        return replace(
            view, last_clamp=f"{event.field} {event.asked:g} → {event.sent:g} ({event.reason})"
        )
    if isinstance(event, SessionEnded):
        return replace(
            view,
            state=SessionState.ENDED,
            phase=PhaseName.ENDED,
            end_status=event.status,
            end_reason=event.reason,
            summary=event.summary,
            belt_at_rest=event.belt_at_rest,
            countdown_left=None,
        )
    return view
