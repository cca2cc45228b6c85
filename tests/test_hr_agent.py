"""The heart-rate agent against a fake SessionControls that records what it is asked."""

from __future__ import annotations

from dataclasses import dataclass, field

from hypothesis import given, settings
from hypothesis import strategies as st

from treadctl.controls import Request, RequestKind, RequestResult
from treadctl.direction import Direction
from treadctl.events import (
    BoutStarted,
    EventBus,
    HeartRate,
    SafetyEvent,
    SessionEvent,
    Telemetry,
)
from treadctl.hr.agent import SOURCE_HR, AgentSettings, HeartRateAgent
from treadctl.safety.heart_rate import CeilingSettings


@dataclass
class FakeControls:
    requests: list[Request] = field(default_factory=list)
    accept: bool = True

    def request(self, request: Request) -> RequestResult:
        self.requests.append(request)
        return RequestResult(self.accept, "" if self.accept else "not implemented")


@dataclass
class Clock:
    t: float = 0.0

    def __call__(self) -> float:
        return self.t


def _agent(
    settings: AgentSettings,
) -> tuple[HeartRateAgent, EventBus, FakeControls, Clock, list[SessionEvent]]:
    bus = EventBus()
    events: list[SessionEvent] = []
    bus.subscribe(events.append)
    controls = FakeControls()
    clock = Clock()
    agent = HeartRateAgent(bus, controls, settings, clock=clock, session_time=clock).attach()
    return agent, bus, controls, clock, events


def _second(bus: EventBus, clock: Clock, speed_kmh: float = 3.0, hr: int | None = None) -> None:
    clock.t += 1.0
    bus.publish(Telemetry(clock.t, speed_kmh, heart_rate_bpm=hr))


def _hr(events: list[SessionEvent]) -> list[HeartRate]:
    return [e for e in events if isinstance(e, HeartRate)]


def test_no_source_no_events() -> None:
    _, bus, controls, clock, events = _agent(AgentSettings())
    for _ in range(30):
        _second(bus, clock)
    assert _hr(events) == [] and controls.requests == []


def test_treadmill_field_is_published_and_zero_is_no_contact() -> None:
    _, bus, _, clock, events = _agent(AgentSettings())
    _second(bus, clock, hr=95)
    _second(bus, clock, hr=0)
    readings = _hr(events)
    assert [(r.bpm, r.trust, r.source) for r in readings] == [
        (95, "good", "treadmill"),
        (None, "no_contact", "treadmill"),
    ]


def test_the_strap_wins_over_the_treadmill_field() -> None:
    agent, bus, _, clock, events = _agent(AgentSettings(strap=True))
    agent.strap_link(True)
    agent.strap_reading(131, True, 1)
    _second(bus, clock, hr=88)
    last = _hr(events)[-1]
    assert (last.bpm, last.trust, last.source) == (131, "good", "strap")


def test_strap_link_lost_shows_no_number() -> None:
    agent, bus, _, clock, events = _agent(AgentSettings(strap=True))
    agent.strap_link(True)
    agent.strap_reading(100, True, 1)
    _second(bus, clock)
    agent.strap_link(False, "gone")
    _second(bus, clock)
    assert (_hr(events)[-1].bpm, _hr(events)[-1].trust) == (None, "link_lost")


CEILING = CeilingSettings(ceiling_bpm=120, margin_bpm=10, stop_after_s=30, hold_s=20, step_kmh=0.3)


def _strapped(
    require_hr: bool = False,
) -> tuple[HeartRateAgent, EventBus, FakeControls, Clock, list[SessionEvent]]:
    agent, bus, controls, clock, events = _agent(
        AgentSettings(ceiling=CEILING, require_hr=require_hr, strap=True)
    )
    agent.strap_link(True)
    return agent, bus, controls, clock, events


def test_ceiling_holds_then_slows_then_stops_only_through_requests() -> None:
    agent, bus, controls, clock, events = _strapped()
    for _ in range(70):
        agent.strap_reading(135, True, 1)
        _second(bus, clock, speed_kmh=3.5)
    kinds = [(r.kind, r.value) for r in controls.requests]
    assert kinds[0] == (RequestKind.SENSOR_LIMIT, 3.5)
    limits = [v for k, v in kinds if k is RequestKind.SENSOR_LIMIT and v is not None]
    assert limits == sorted(limits, reverse=True) and limits[:3] == [3.5, 3.2, 2.9]
    assert (RequestKind.STOP, None) in kinds
    assert {r.source for r in controls.requests} == {SOURCE_HR}
    assert {r.kind for r in controls.requests} <= {RequestKind.SENSOR_LIMIT, RequestKind.STOP}
    assert any(isinstance(e, SafetyEvent) and e.reason == "hr_ceiling" for e in events)


def test_the_limit_is_lifted_at_the_next_bout_once_heart_rate_is_down() -> None:
    agent, bus, controls, clock, _ = _strapped()
    agent.strap_reading(125, True, 1)
    _second(bus, clock, speed_kmh=3.0)
    agent.strap_reading(110, True, 1)
    _second(bus, clock, speed_kmh=3.0)
    bus.publish(BoutStarted(clock.t, 1, 3, "Back", Direction.BACKWARD, 60.0, 3.0, 0.0))
    assert [(r.kind, r.value) for r in controls.requests] == [
        (RequestKind.SENSOR_LIMIT, 3.0),
        (RequestKind.SENSOR_LIMIT, None),
    ]


def test_untrusted_gives_a_banner_not_a_stop() -> None:
    agent, bus, controls, clock, events = _strapped()
    for _ in range(20):  # strap connected but silent: stale after the grace
        _second(bus, clock)
    banners = [e for e in events if isinstance(e, SafetyEvent)]
    assert [(b.reason, b.action) for b in banners] == [("hr_untrusted", "report")]
    assert "ceiling is not active" in banners[0].message
    assert controls.requests == []
    agent.strap_reading(100, True, 1)
    _second(bus, clock)
    assert [e for e in events if isinstance(e, SafetyEvent)][-1].reason == "hr_trusted"


def test_require_hr_stops_a_moving_belt_when_untrusted() -> None:
    agent, bus, controls, clock, _ = _strapped(require_hr=True)
    for _ in range(5):
        agent.strap_reading(100, True, 1)
        _second(bus, clock)
    assert controls.requests == []
    agent.strap_link(False, "dropped")
    _second(bus, clock, speed_kmh=3.0)
    assert [r.kind for r in controls.requests] == [RequestKind.STOP]
    _second(bus, clock, speed_kmh=0.0)  # stopped: not asked again
    assert len(controls.requests) == 1


def test_require_hr_waits_out_the_start_grace() -> None:
    _, bus, controls, clock, _ = _strapped(require_hr=True)
    for _ in range(10):
        _second(bus, clock, speed_kmh=1.0)
    assert controls.requests == []
    for _ in range(5):
        _second(bus, clock, speed_kmh=1.0)
    assert [r.kind for r in controls.requests] == [RequestKind.STOP]


def test_battery_low_is_reported_once() -> None:
    agent, _, _, _, events = _strapped()
    for percent in (40, 12, 10, 9):
        agent.strap_battery(percent)
    reports = [e for e in events if isinstance(e, SafetyEvent) and e.reason == "hr_battery_low"]
    assert len(reports) == 1 and "12 %" in reports[0].message


def test_a_refused_limit_is_said_out_loud() -> None:
    agent, bus, controls, clock, events = _strapped()
    controls.accept = False
    agent.strap_reading(140, True, 1)
    _second(bus, clock)
    assert any(isinstance(e, SafetyEvent) and e.reason == "hr_limit_refused" for e in events)


@settings(max_examples=150, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.one_of(st.none(), st.integers(0, 250)),
            st.booleans(),
            st.floats(0.0, 6.0),
            st.sampled_from(["reading", "drop", "up", "bout", "silence"]),
        ),
        max_size=150,
    )
)
def test_no_heart_rate_sequence_asks_for_more(
    script: list[tuple[int | None, bool, float, str]],
) -> None:
    """Whatever the strap says, the agent only ever asks for SENSOR_LIMIT or STOP, and within a
    bout each limit is no higher than the one before (a lift to None only at a bout start)."""
    agent, bus, controls, clock, _ = _strapped(require_hr=True)
    bout_starts: set[int] = set()
    for bpm, contact, speed, what in script:
        if what == "reading" and bpm is not None:
            agent.strap_reading(bpm, contact, int(contact))
        elif what == "drop":
            agent.strap_link(False)
        elif what == "up":
            agent.strap_link(True)
        elif what == "bout":
            bout_starts.add(len(controls.requests))
            bus.publish(BoutStarted(clock.t, 0, 2, "B", Direction.BACKWARD, 60.0, 3.0, 0.0))
        _second(bus, clock, speed_kmh=speed)
    previous: float | None = None
    for index, request in enumerate(controls.requests):
        assert request.kind in (RequestKind.SENSOR_LIMIT, RequestKind.STOP)
        if request.kind is not RequestKind.SENSOR_LIMIT:
            continue
        if request.value is None:
            assert index in bout_starts
        elif previous is not None:
            assert request.value <= previous
        previous = request.value


def test_require_hr_with_no_source_at_all_stops_the_belt() -> None:
    _, bus, controls, clock, events = _agent(AgentSettings(require_hr=True))
    for _ in range(15):
        _second(bus, clock, speed_kmh=1.5)  # the treadmill sends no heart rate, no strap
    assert [r.kind for r in controls.requests] == [RequestKind.STOP]
    assert _hr(events)[-1].trust == "stale" and _hr(events)[-1].bpm is None


def test_a_limit_still_needed_is_said_again_at_the_next_bout() -> None:
    agent, bus, controls, clock, _ = _strapped()
    agent.strap_reading(125, True, 1)
    _second(bus, clock, speed_kmh=3.0)
    bus.publish(BoutStarted(clock.t, 1, 3, "Back", Direction.BACKWARD, 60.0, 3.4, 0.0))
    assert [(r.kind, r.value) for r in controls.requests] == [
        (RequestKind.SENSOR_LIMIT, 3.0),
        (RequestKind.SENSOR_LIMIT, 3.0),
    ]
