"""Shared fakes and a scripted session for the UI tests (no engine, no clock of their own)."""

from __future__ import annotations

from dataclasses import dataclass, field

from treadctl.controls import Request, RequestKind, RequestResult
from treadctl.direction import Direction
from treadctl.events import (
    BoutStarted,
    CommandSent,
    EventBus,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    SafetyEvent,
    SessionEvent,
    Telemetry,
)
from treadctl.tui.app import SessionApp
from treadctl.tui.outline import Outline, Segment, outline_from_bouts
from treadctl.tui.sound import SilentCues

B, F = Direction.BACKWARD, Direction.FORWARD


@dataclass
class FakeControls:
    """Records every request; refuses the kinds listed in ``refuse``."""

    requests: list[Request] = field(default_factory=list)
    refuse: dict[RequestKind, str] = field(default_factory=dict)

    def request(self, request: Request) -> RequestResult:
        self.requests.append(request)
        if request.kind in self.refuse:
            return RequestResult(False, self.refuse[request.kind])
        return RequestResult(True)

    @property
    def kinds(self) -> list[RequestKind]:
        return [r.kind for r in self.requests]


@dataclass
class FixedClock:
    now_s: float = 0.0

    def __call__(self) -> float:
        return self.now_s


def demo_outline() -> Outline:
    bouts = [
        Segment("bout", 0, 180, F, 0, "Warm-up", 3.0),
        Segment("bout", 0, 60, B, 1, "Backward easy", 1.5),
        Segment("bout", 0, 120, F, 2, "Forward recovery", 3.0),
        Segment("bout", 0, 60, B, 3, "Backward easy", 1.5),
        Segment("bout", 0, 120, F, 4, "Forward recovery", 3.0),
        Segment("bout", 0, 90, B, 5, "Backward steady", 1.8),
        Segment("bout", 0, 180, F, 6, "Cool-down", 2.5),
    ]
    return outline_from_bouts("Retro intervals · beginner", bouts, turn_s=10)


def steady_events() -> list[SessionEvent]:
    """Warm-up done, walking the first backward bout at 1.5 km/h; 25 s into it."""
    events: list[SessionEvent] = [
        LinkChanged(0.0, "connected", rssi_dbm=-60),
        PhaseChanged(0.0, PhaseName.STARTING),
        BoutStarted(0.0, 0, 7, "Warm-up", F, 180, 3.0, 0.0, "Walk tall, arms loose"),
        PhaseChanged(0.0, PhaseName.RAMP, bout_index=0),
        CommandSent(0.0, "set_speed", speed_kmh=3.0),
        PhaseChanged(20.0, PhaseName.STEADY, bout_index=0),
        PhaseChanged(180.0, PhaseName.TURN, bout_index=1, duration_s=10.0, remaining_s=10.0),
        BoutStarted(
            190.0,
            1,
            7,
            "Backward easy",
            B,
            60,
            1.5,
            1.0,
            "Reach back with the toes, then roll to the heel",
        ),
        CommandSent(190.0, "set_speed", speed_kmh=1.5),
        CommandSent(190.0, "set_incline", incline_pct=1.0),
        PhaseChanged(195.0, PhaseName.STEADY, bout_index=1),
    ]
    # Telemetry every 5 s of session time, speed following the plan.
    for tenth in range(0, 43):
        t = tenth * 5.0
        if t < 20:
            speed = 0.8 + t * 0.11
        elif t < 180:
            speed = 3.0
        elif t < 190:
            speed = 1.0
        else:
            speed = 1.5
        events.append(Telemetry(t, speed, 1.0 if t >= 190 else 0.0, t * 0.75, t * 0.05, 96))
    # A last record just before the snapshots' 215 s, so the data is fresh, as on a real link.
    events.append(Telemetry(214.5, 1.5, 1.0, 214.5 * 0.75, 214.5 * 0.05, 96))
    events.sort(key=lambda e: e.t_s)
    return events


def make_app(
    events: list[SessionEvent],
    now_s: float,
    controls: FakeControls | None = None,
) -> tuple[SessionApp, FakeControls, EventBus, SilentCues]:
    bus = EventBus()
    controls = controls or FakeControls()
    cues = SilentCues()
    app = SessionApp(demo_outline(), bus, controls, FixedClock(now_s), cues=cues)
    app.session.view  # noqa: B018
    for event in events:
        app.session.on_session_event(event)
    return app, controls, bus, cues


def with_extra(*extra: SessionEvent) -> list[SessionEvent]:
    return [*steady_events(), *extra]


TURN_EVENTS = [
    PhaseChanged(250.0, PhaseName.TURN, bout_index=2, duration_s=10.0, remaining_s=10.0),
    Telemetry(252.5, 1.0, 1.0, 200.0, 12.0, 95),
]
PAUSE_EVENTS = [
    CommandSent(240.0, "stop"),
    PhaseChanged(240.0, PhaseName.PAUSED, bout_index=1, detail="paused by you"),
    Telemetry(241.0, 0.0, 1.0, 185.0, 11.0, 94),
]
LINK_LOST_EVENTS = [
    LinkChanged(240.0, "disconnected", reason="no answer"),
    SafetyEvent(240.0, "link_lost", "Lost the treadmill; it stops its belt on its own.", "stop"),
    PhaseChanged(240.0, PhaseName.RECONNECTING, bout_index=1),
]
