"""The live session: what the walker reads at a glance, and the keys that ask the supervisor.

Everything shown is ``SessionView`` (folded from the event stream) plus the session clock; the
screen's only timer redraws countdowns from ``session_clock()`` and never counts by itself.

The walker reads it from the belt, a metre or two away: the direction and the countdown are block
letters that grow with the terminal, the speed chart only appears with rows to spare, and an alarm
(the belt may not have stopped) replaces both with the largest text that fits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import ClassVar

from rich.markup import escape
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.events import Resize
from textual.screen import Screen
from textual.widgets import Footer, Sparkline, Static

from treadctl.controls import Request, RequestKind, RequestResult, SessionControls, key_source
from treadctl.direction import Direction
from treadctl.events import (
    Alarm,
    BoutStarted,
    DisplayNotice,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    PlanAdjusted,
    SafetyEvent,
    SessionEnded,
    SessionEvent,
    Telemetry,
    VoiceNotice,
)
from treadctl.tui import fmt
from treadctl.tui.alerts import alarm_for, alert_for, turn_title
from treadctl.tui.confirm import QUIT, STOP, ConfirmQuit
from treadctl.tui.help_screen import HelpScreen
from treadctl.tui.outline import Outline
from treadctl.tui.sound import Cues, SilentCues
from treadctl.tui.widgets.banners import AlarmBanner, Alert, AlertBanner, DirectionBanner
from treadctl.tui.widgets.bigtext import BigText
from treadctl.tui.widgets.progress import SessionProgress
from treadctl.tui.widgets.readouts import Readouts
from treadctl.tui.widgets.status import StatusLine, live_data
from treadctl.units import SpeedUnit, format_duration, to_kmh
from treadctl.view import SessionState, SessionView, reduce

REDRAW_S = 0.25  # how often countdowns are recomputed from the session clock
NUDGE_STEP = 0.1  # in the walker's unit
CHART_MIN_ROWS = 40  # the speed chart only shows on terminals at least this tall
COUNT_CAPTION = {"start": "starting in", "restart": "restarting in", "turn": "turn around in"}
# Notices other consumers publish on the bus for the screen (the voice, the big screen).


class SessionScreen(Screen[None]):
    """Owns the ``SessionView``; the app feeds it events through ``on_session_event``."""

    # Each key has its own binding so the request names the key that made it (``key:escape``).
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space", "request('toggle_pause', 'space')", "Pause", priority=True),
        Binding("escape", "request('stop', 'escape')", "STOP", priority=True, key_display="Esc/s"),
        Binding("s", "request('stop', 's')", "STOP", priority=True, show=False),
        Binding("ctrl+c", "interrupt", "Stop", priority=True, show=False),
        Binding("plus", "nudge(1, 'plus')", "Faster", priority=True, key_display="+"),
        Binding("equals_sign", "nudge(1, 'equals_sign')", "Faster", priority=True, show=False),
        Binding("minus", "nudge(-1, 'minus')", "Slower", priority=True, key_display="−"),
        Binding("underscore", "nudge(-1, 'underscore')", "Slower", priority=True, show=False),
        Binding("n", "request('skip', 'n')", "Next", priority=True),
        Binding("r", "request('rearm', 'r')", "Re-arm", priority=True),
        Binding("enter", "request('confirm_turn', 'enter')", "Turned", priority=True, show=False),
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
        yield AlarmBanner(id="alarm")
        yield AlertBanner(id="alert")
        yield DirectionBanner(id="direction")
        yield Static(id="bout-label")
        with Horizontal(id="middle"):
            with Vertical(id="count-box"):
                yield BigText("-:--", id="countdown")
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
        self._fit_chart(self.size.height)
        self.redraw()
        self.set_interval(REDRAW_S, self.redraw)

    def on_resize(self, event: Resize) -> None:
        self._fit_chart(event.size.height)

    def _fit_chart(self, rows: int) -> None:
        """The chart is the least important thing: only with rows to spare."""
        self.query_one("#chart-row").display = rows >= CHART_MIN_ROWS

    # -- events in --------------------------------------------------------------------------

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Once the session is over only q, ? (and the ever-present stop) are offered."""
        ended = self.view.state is SessionState.ENDED
        offered = action not in ("nudge", "request") or parameters == ("stop",)
        return offered or not ended

    def on_session_event(self, event: SessionEvent) -> None:
        """Fold one event into the view (called synchronously by the bus)."""
        if isinstance(event, (VoiceNotice, DisplayNotice)):
            self._notice(event)
            return
        if isinstance(event, PlanAdjusted):
            # The device's own ranges are known: show the targets that will be driven.
            self.outline = self.outline.with_targets(event.targets)
            self._dirty = True
            return
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

    def _notice(self, event: VoiceNotice | DisplayNotice) -> None:
        """Said once at the start: no speech program, or the big screen's address (and its QR
        code, drawn light on dark so a phone can read it off the terminal)."""
        message = escape(event.message)
        qr = event.qr if isinstance(event, DisplayNotice) else ""
        if qr:
            message += "\n[#ffffff on #000000]" + qr + "[/]"
        if message:
            if event.kind == "display":
                self.notify(message, title="big screen", severity="information", timeout=30)
            else:
                self.notify(message, title=event.kind, severity="warning", timeout=30)

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
        elif (isinstance(event, SafetyEvent) and event.action in ("stop", "pause")) or (
            isinstance(event, Alarm) and event.active
        ):
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
        alarm = alarm_for(view)
        alert = alert_for(view, now, unit, turn_to=self.turn_to, phase_detail=self.phase_detail)
        if self.engine_error:
            alert = Alert(
                "fault", "SESSION STOPPED — program error", f"{self.engine_error}  q = quit"
            )
        elif self._starting_count(now) and (alert is None or alert.level != "fault"):
            # A 3-2-1 means the belt is about to move: "paused" would say the opposite.
            alert = Alert("info", "GET READY — the belt is about to move", "Esc or s stops it")
        self.query_one(AlarmBanner).show_alarm(alarm)
        self.query_one(AlertBanner).show(None if alarm is not None else alert)
        banner = self.query_one(DirectionBanner)
        banner.display = alarm is None and (alert is None or alert.level in ("info", "turn"))
        shown_direction = self.turn_to if view.phase is PhaseName.TURN else view.direction
        banner.show_direction(shown_direction)
        self.query_one("#middle").display = alarm is None

        turning = view.phase is PhaseName.TURN
        label = view.bout_label or ""
        cue = f"  [i]{view.bout_cue}[/i]" if view.bout_cue else ""
        upcoming = self.outline.next_bout(view.bout_index)
        if turning and upcoming is not None:
            label, cue = f"then: {upcoming.label}", ""
        self.query_one("#bout-label", Static).update(f"[b]{label}[/b]{cue}")
        count, caption = self._count_text(now)
        countdown = self.query_one("#countdown", BigText)
        countdown.show(count, caption)
        countdown.set_class(view.countdown_shown(now) is not None, "counting")
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

    def _starting_count(self, now: float) -> bool:
        """A 3-2-1 before the belt starts or restarts is on (not a turn's count-in)."""
        view = self.view
        counting = view.countdown_shown(now) not in (None, "GO")
        return counting and view.countdown_purpose != "turn"

    def _count_text(self, now: float) -> tuple[str, str]:
        """The big number and what it counts: a 3-2-1, the turn, or the bout's time left."""
        view = self.view
        counting = view.countdown_shown(now)
        if counting is not None:
            return counting, COUNT_CAPTION.get(view.countdown_purpose, "get ready")
        turn_left = view.phase_remaining_s(now) if view.phase is PhaseName.TURN else None
        if turn_left is not None:
            return format_duration(turn_left), "turn — walk on in"
        if view.bout_index is None:
            return "-:--", "bout"
        caption = f"left in bout {view.bout_index + 1}/{view.bout_count}"
        return format_duration(view.bout_remaining_s(now)), caption

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

    def send(
        self, kind: RequestKind, value: float | None = None, *, key: str = "key"
    ) -> RequestResult:
        """Ask the supervisor; the request's source is ``key:<key>`` (``key:escape``)."""
        result = self.controls.request(Request(kind, value, source=key_source(key)))
        if not result.accepted:
            self.notify(
                result.reason or f"{kind.value} refused",
                title="Not now",
                severity="warning",
                timeout=4,
            )
        return result

    def action_request(self, kind: str, key: str = "key") -> None:
        self.send(RequestKind(kind), key=key)

    def action_nudge(self, sign: int, key: str = "plus") -> None:
        step = round(to_kmh(NUDGE_STEP, self.units) * sign, 3)
        self.send(RequestKind.NUDGE_SPEED, step, key=key)

    def action_interrupt(self) -> None:
        """Ctrl-C: the belt stops at once; then the quit question (unless already over)."""
        if self.view.state is SessionState.ENDED or self.engine_error is not None:
            self.quit_now(key="ctrl+c")
            return
        self.send(RequestKind.STOP, key="ctrl+c")
        if not isinstance(self.app.screen, ConfirmQuit):
            title = "The belt is stopping. Quit the session?"
            self.app.push_screen(ConfirmQuit(title), self._quit_answer)

    def belt_moving(self) -> bool:
        view = self.view
        if view.state is SessionState.ENDED:
            return False
        return (view.measured_speed_kmh or 0.0) > 0.0 or (view.target_speed_kmh or 0.0) > 0.0

    def action_quit_session(self) -> None:
        if self.belt_moving():
            self.app.push_screen(ConfirmQuit(), self._quit_answer)
        else:
            self.quit_now(key="q")

    def _quit_answer(self, choice: str | None) -> None:
        """``choice`` is the dialog's answer and, after a colon, the key (``quit:y``)."""
        answer, _, key = (choice or "").partition(":")
        if answer == QUIT:
            self.quit_now(key=key or "y")
        elif answer == STOP:
            self.send(RequestKind.STOP, key=key or "escape")

    def quit_now(self, key: str = "q") -> None:
        """Ask the supervisor to stop the belt and end the session, then leave."""
        if self.view.state is not SessionState.ENDED and self.engine_error is None:
            self.send(RequestKind.QUIT, key=key)
        if self._on_quit is not None:
            self._on_quit()

    def action_help(self) -> None:
        self.app.push_screen(HelpScreen(on_stop=lambda: self.send(RequestKind.STOP, key="escape")))


def _halts(event: SessionEvent) -> bool:
    """A safety stop or pause, or a raised alarm: the bell rings."""
    if isinstance(event, SafetyEvent):
        return event.action in ("stop", "pause")
    return isinstance(event, Alarm) and event.active


def to_unit(speed_kmh: float, unit: SpeedUnit) -> float:
    from treadctl.units import from_kmh

    return from_kmh(speed_kmh, unit)
