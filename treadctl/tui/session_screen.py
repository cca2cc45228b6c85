"""The live session: what the walker reads at a glance, and the keys that ask the supervisor.

Everything shown is ``SessionView`` (folded from the event stream) plus the session clock; the
screen's only timer redraws countdowns from ``session_clock()`` and never counts by itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Digits, Footer, Sparkline, Static

from treadctl.controls import Request, RequestKind, RequestResult, SessionControls
from treadctl.direction import Direction
from treadctl.events import (
    BoutStarted,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    SafetyEvent,
    SessionEnded,
    SessionEvent,
    Telemetry,
)
from treadctl.tui import fmt
from treadctl.tui.alerts import alert_for, turn_title
from treadctl.tui.confirm import QUIT, STOP, ConfirmQuit
from treadctl.tui.help_screen import HelpScreen
from treadctl.tui.outline import Outline
from treadctl.tui.sound import Cues, SilentCues
from treadctl.tui.widgets.banners import AlertBanner, DirectionBanner
from treadctl.tui.widgets.progress import SessionProgress
from treadctl.tui.widgets.readouts import Readouts
from treadctl.tui.widgets.status import StatusLine, live_data
from treadctl.units import SpeedUnit, format_duration, to_kmh
from treadctl.view import SessionState, SessionView, reduce

REDRAW_S = 0.25  # how often countdowns are recomputed from the session clock
NUDGE_STEP = 0.1  # in the walker's unit


class SessionScreen(Screen[None]):
    """Owns the ``SessionView``; the app feeds it events through ``on_session_event``."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "request('toggle_pause')", "Pause", priority=True),
        Binding("escape,s", "request('stop')", "STOP", priority=True, key_display="Esc/s"),
        Binding("plus,equals_sign", "nudge(1)", "Faster", priority=True, key_display="+"),
        Binding("minus,underscore", "nudge(-1)", "Slower", priority=True, key_display="−"),
        Binding("n", "request('skip')", "Next", priority=True),
        Binding("r", "request('rearm')", "Re-arm", priority=True),
        Binding("enter", "request('confirm_turn')", "Turned", priority=True, show=False),
        Binding("q", "quit_session", "Quit", priority=True),
        Binding("question_mark", "help", "Help", priority=True, key_display="?"),
    ]

    def __init__(
        self,
        outline: Outline,
        controls: SessionControls,
        session_clock: Callable[[], float],
        *,
        units: SpeedUnit = "kmh",
        cues: Cues | None = None,
        on_quit: Callable[[], object] | None = None,
    ) -> None:
        super().__init__()
        self.outline = outline
        self.controls = controls
        self.session_clock = session_clock
        self.units: SpeedUnit = units
        self.cues: Cues = cues if cues is not None else SilentCues()
        self._on_quit = on_quit
        self.view = SessionView()
        self.turn_to: Direction | None = None
        self.phase_detail = ""
        self.engine_error: str | None = None
        self._dirty = True
        self._ready = False

    # -- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        yield StatusLine(id="status")
        yield AlertBanner(id="alert")
        yield DirectionBanner(id="direction")
        yield Static(id="bout-label")
        with Horizontal(id="middle"):
            with Vertical(id="count-box"):
                yield Static(id="count-caption")
                yield Digits("-:--", id="countdown")
            yield Readouts(id="readouts")
        yield Static(id="next")
        yield SessionProgress(self.outline, id="progress")
        yield Static(id="times")
        with Horizontal(id="chart-row"):
            yield Static("speed", id="chart-caption")
            yield Sparkline([], id="chart")
        yield Static(id="message")
        yield Footer()

    def on_mount(self) -> None:
        self._ready = True
        self.redraw()
        self.set_interval(REDRAW_S, self.redraw)

    # -- events in --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Once the session is over only q, ? (and the ever-present stop) are offered."""
        ended = self.view.state is SessionState.ENDED
        offered = action not in ("nudge", "request") or parameters == ("stop",)
        return offered or not ended

    def on_session_event(self, event: SessionEvent) -> None:
        """Fold one event into the view (called synchronously by the bus)."""
        before = self.view
        self.view = reduce(self.view, event)
        if isinstance(event, SessionEnded):
            self.refresh_bindings()
        self._dirty = True
        self._cue(before, event)
        if isinstance(event, PhaseChanged):
            self.phase_detail = event.detail
            if event.name is PhaseName.TURN:
                self.turn_to = self._turn_target(event)
        if not isinstance(event, Telemetry):
            self.redraw()

    def engine_failed(self, message: str) -> None:
        self.engine_error = message
        self.redraw()

    def _turn_target(self, event: PhaseChanged) -> Direction | None:
        if event.bout_index is not None and event.bout_index != self.view.bout_index:
            upcoming = self.outline.bout(event.bout_index)
        else:
            upcoming = self.outline.next_bout(self.view.bout_index)
        return upcoming.direction if upcoming else None

    def _cue(self, before: SessionView, event: SessionEvent) -> None:
        if isinstance(event, BoutStarted):
            words = f"{event.direction.value} {event.label}. {event.cue or ''}"
            self.cues.say(words.strip())
        elif isinstance(event, PhaseChanged):
            if event.name is PhaseName.TURN:
                target = self._turn_target(event)
                self.cues.alert(turn_title(target).replace("—", ".").capitalize())
            elif (
                event.name is PhaseName.PAUSED
                and before.phase is not PhaseName.PAUSED
                and self.view.state is not SessionState.FAULT
            ):
                self.cues.alert("Paused. The belt is stopping.")
        elif isinstance(event, LinkChanged):
            if event.event == "disconnected":
                self.cues.alert("Link lost. The belt is stopping.")
            elif event.event == "reconnected":
                self.cues.alert("Reconnected. Press r to re-arm.")
        elif isinstance(event, SafetyEvent) and event.action in ("stop", "pause"):
            self.cues.alert(event.message)
        elif isinstance(event, SessionEnded):
            self.cues.alert(
                "Session complete." if event.status == "completed" else "Session ended."
            )

    # -- drawing ----------------------------------------------------------------------------

    def redraw(self) -> None:
        """Recompute everything from the view and the session clock."""
        if not self._ready:
            return
        now = self.session_clock()
        view = self.view
        unit = self.units
        self.query_one(StatusLine).show(view, now, self.outline.name)
        alert = alert_for(view, now, unit, turn_to=self.turn_to, phase_detail=self.phase_detail)
        if self.engine_error:
            from treadctl.tui.widgets.banners import Alert

            alert = Alert(
                "fault", "SESSION STOPPED — program error", f"{self.engine_error}  q = quit"
            )
        self.query_one(AlertBanner).show(alert)
        banner = self.query_one(DirectionBanner)
        banner.display = alert is None or alert.level in ("info", "turn")
        shown_direction = self.turn_to if view.phase is PhaseName.TURN else view.direction
        banner.show(shown_direction)

        turning = view.phase is PhaseName.TURN
        label = view.bout_label or ""
        cue = f"  [i]{view.bout_cue}[/i]" if view.bout_cue else ""
        upcoming = self.outline.next_bout(view.bout_index)
        if turning and upcoming is not None:
            label, cue = f"then: {upcoming.label}", ""
        self.query_one("#bout-label", Static).update(f"[b]{label}[/b]{cue}")

        turn_left = view.phase_remaining_s(now) if turning else None
        if turn_left is not None:
            caption, left = "turn — walk on in", turn_left
        elif view.bout_index is None:
            caption, left = "bout", None
        else:
            caption, left = (
                f"left in bout {view.bout_index + 1}/{view.bout_count}",
                view.bout_remaining_s(now),
            )
        self.query_one("#count-caption", Static).update(caption)
        self.query_one("#countdown", Digits).update(
            format_duration(left) if left is not None else "-:--"
        )
        self.query_one(Readouts).show(view, unit, live=live_data(view, now))
        self.query_one("#next", Static).update(self._next_text(now))

        position = self.outline.position_s(
            bout_index=view.bout_index,
            bout_elapsed_s=view.bout_elapsed_s(now),
            turning=turning,
            turn_elapsed_s=now - view.phase_started_t_s,
        )
        self.query_one(SessionProgress).set_position(position)
        remaining = max(0.0, self.outline.total_s - position)
        self.query_one("#times", Static).update(
            f"elapsed [b]{format_duration(now)}[/b] · left [b]{format_duration(remaining)}[/b]"
            f" · {fmt.distance(view.distance_m, unit)} · {view.energy_kcal:.0f} kcal"
        )
        if self._dirty:
            speeds = [to_unit(s, unit) for _, s in view.speed_history]
            self.query_one(Sparkline).data = speeds
        message = view.last_clamp and f"capped: {view.last_clamp}"
        if view.heart_rate_banner:  # stays up while the heart-rate ceiling is not active
            message = view.heart_rate_banner
        if view.safety_message and view.state is not SessionState.FAULT:
            message = view.safety_message
        self.query_one("#message", Static).update(message or "")
        self._dirty = False

    def _next_text(self, now: float) -> str:
        view = self.view
        upcoming = self.outline.next_bout(view.bout_index)
        if view.state is SessionState.ENDED:
            return ""
        if upcoming is None:
            return "next: the end — last bout" if view.bout_index is not None else ""
        if view.phase is PhaseName.TURN:
            return f"after the turn: [b]{upcoming.direction.value}[/b] " + fmt.speed(
                upcoming.speed_kmh, self.units
            )
        when = format_duration(view.bout_remaining_s(now)) if view.bout_index is not None else "–"
        return (
            f"next: [b]{upcoming.direction.value}[/b] {fmt.speed(upcoming.speed_kmh, self.units)}"
            f" in {when}" + (f" · {upcoming.label}" if upcoming.label else "")
        )

    # -- keys out ---------------------------------------------------------------------------

    def send(self, kind: RequestKind, value: float | None = None) -> RequestResult:
        result = self.controls.request(Request(kind, value, source="key"))
        if not result.accepted:
            self.notify(
                result.reason or f"{kind.value} refused",
                title="Not now",
                severity="warning",
                timeout=4,
            )
        return result

    def action_request(self, kind: str) -> None:
        self.send(RequestKind(kind))

    def action_nudge(self, sign: int) -> None:
        self.send(RequestKind.NUDGE_SPEED, round(to_kmh(NUDGE_STEP, self.units) * sign, 3))

    def belt_moving(self) -> bool:
        view = self.view
        if view.state is SessionState.ENDED:
            return False
        return (view.measured_speed_kmh or 0.0) > 0.0 or (view.target_speed_kmh or 0.0) > 0.0

    def action_quit_session(self) -> None:
        if self.belt_moving():
            self.app.push_screen(ConfirmQuit(), self._quit_answer)
        else:
            self.quit_now()

    def _quit_answer(self, choice: str | None) -> None:
        if choice == QUIT:
            self.quit_now()
        elif choice == STOP:
            self.send(RequestKind.STOP)

    def quit_now(self) -> None:
        """Ask the supervisor to stop the belt and end the session, then leave."""
        if self.view.state is not SessionState.ENDED and self.engine_error is None:
            self.send(RequestKind.QUIT)
        if self._on_quit is not None:
            self._on_quit()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(on_stop=lambda: self.send(RequestKind.STOP)))


def to_unit(speed_kmh: float, unit: SpeedUnit) -> float:
    from treadctl.units import from_kmh

    return from_kmh(speed_kmh, unit)
