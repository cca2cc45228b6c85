"""The safety state machine on its own (pure tables) and the supervisor behind a fake link.

The tables are the contract in one place: these tests read them the way a reviewer would. The
supervisor tests drive the real ``Supervisor`` over a fake ``TreadmillLink`` that records every
Control Point call and feeds telemetry by hand, on the virtual clock.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl.controls import Request, RequestKind, key_source
from treadctl.events import Alarm, EventBus, RequestDecided, SafetyEvent, SessionEvent
from treadctl.ftms.machine_status import MachineStatus, MachineStatusEvent
from treadctl.ftms.treadmill_data import TreadmillData
from treadctl.limits import DeviceLimits
from treadctl.link import (
    DeviceInfo,
    LinkEvent,
    LinkState,
    MachineEvent,
    MachineListener,
    StatusEvent,
    TelemetryEvent,
)
from treadctl.safety.rules import Reason
from treadctl.safety.state import (
    DRIVING_STATES,
    REQUEST_RULES,
    TRANSITIONS,
    Facts,
    Latch,
    SafetyMachine,
    SafetyState,
    Trigger,
    describe_tables,
    source_class,
)
from treadctl.safety.supervisor import Refused, Supervisor
from treadctl.safety_config import SafetyConfig
from treadctl.virtual_time import run_virtual

FRESH_AT_REST = Facts(telemetry_fresh=True, at_rest=True, link_up=True, remote_start_allowed=True)

# --- the tables ----------------------------------------------------------------------------------


def test_every_state_has_a_row_in_both_tables() -> None:
    assert set(TRANSITIONS) == set(SafetyState)
    assert set(REQUEST_RULES) == set(SafetyState)
    text = describe_tables()
    assert all(str(state) in text for state in SafetyState)


def test_stop_and_quit_are_taken_in_every_state_but_the_end_from_every_source() -> None:
    for state in SafetyState:
        machine = SafetyMachine(state=state)
        for source in ("key:s", "mqtt", "display", "signal:SIGTERM", "sensor:hr", "program"):
            verdict = machine.judge(RequestKind.STOP, source, FRESH_AT_REST)
            assert verdict.accepted is (state is not SafetyState.ENDED), (state, source)


@given(
    st.sampled_from(list(SafetyState)),
    st.sampled_from(list(RequestKind)),
    st.sampled_from(["key:r", "mqtt", "display", "sensor:hr", "signal:SIGINT", "plan", "x"]),
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
def test_only_a_key_or_an_allowed_remote_ever_rearms(
    state: SafetyState,
    kind: RequestKind,
    source: str,
    fresh: bool,
    at_rest: bool,
    key_only: bool,
) -> None:
    machine = SafetyMachine(state=state, latch=Latch.KEY_ONLY if key_only else Latch.WALKER)
    facts = Facts(telemetry_fresh=fresh, at_rest=at_rest, link_up=True, remote_start_allowed=True)
    verdict = machine.judge(kind, source, facts)
    if verdict.accepted and kind in (RequestKind.REARM, RequestKind.RESUME, RequestKind.START):
        assert fresh and at_rest, "a re-arm needs fresh telemetry and the belt at rest"
        assert state in (SafetyState.PAUSED, SafetyState.HALTED)
        assert source.startswith("key") or (source == "mqtt" and not key_only)
        if state is SafetyState.HALTED and source.startswith("key"):
            assert kind is RequestKind.REARM, "after a halt only the explicit re-arm key"


def test_sensors_only_slow_or_stop_and_the_wall_screen_only_stops() -> None:
    machine = SafetyMachine(state=SafetyState.RUNNING)
    for kind in RequestKind:
        sensor = machine.judge(kind, "sensor:hr", FRESH_AT_REST).accepted
        wall = machine.judge(kind, "display", FRESH_AT_REST).accepted
        assert not sensor or kind in (RequestKind.STOP, RequestKind.SENSOR_LIMIT)
        assert not wall or kind is RequestKind.STOP


def test_a_turn_refuses_skip_nudge_and_extend() -> None:
    machine = SafetyMachine(state=SafetyState.TURNING)
    for kind in (RequestKind.SKIP, RequestKind.NUDGE_SPEED, RequestKind.EXTEND):
        verdict = machine.judge(kind, key_source("n"), FRESH_AT_REST)
        assert not verdict.accepted and "turn" in verdict.reason


def test_halts_latch_at_their_strongest() -> None:
    machine = SafetyMachine(state=SafetyState.RUNNING)
    assert machine.latch_halt(Latch.WALKER, "walker_stop")
    assert machine.latch_halt(Latch.KEY_ONLY, "watchdog")
    assert not machine.latch_halt(Latch.WALKER, "walker_stop")  # never weakened
    assert machine.latch is Latch.KEY_ONLY and machine.halt_reason == "watchdog"
    machine.fire(Trigger.HALT)
    remote = machine.judge(RequestKind.RESUME, "mqtt", FRESH_AT_REST)
    assert not remote.accepted
    assert machine.judge(RequestKind.REARM, key_source("r"), FRESH_AT_REST).accepted
    machine.fire(Trigger.REARM)
    assert machine.state is SafetyState.COUNTDOWN and machine.latch is Latch.NONE


def test_the_belt_is_driven_only_in_the_driving_states() -> None:
    assert frozenset({SafetyState.COUNTDOWN, SafetyState.RUNNING, SafetyState.TURNING}) == (
        DRIVING_STATES
    )
    for state in SafetyState:
        if state is SafetyState.ENDED:
            continue
        assert TRANSITIONS[state].get(Trigger.QUIT) is SafetyState.ENDING or state is (
            SafetyState.ENDING
        )


def test_unknown_sources_get_the_least_trust() -> None:
    assert str(source_class("somebody")) == "remote"


# --- the supervisor over a fake link -------------------------------------------------------------


@dataclass
class FakeLink:
    """Records every Control Point call; the test feeds telemetry and status by hand."""

    calls: list[str] = field(default_factory=list)
    listeners: list[MachineListener] = field(default_factory=list)
    connected: bool = True
    stop_works: bool = True

    @property
    def info(self) -> DeviceInfo:
        return DeviceInfo("fake", "00:00", DeviceLimits())

    @property
    def is_connected(self) -> bool:
        return self.connected

    def add_listener(self, listener: MachineListener) -> Callable[[], None]:
        self.listeners.append(listener)
        return lambda: self.listeners.remove(listener)

    def emit(self, event: MachineEvent) -> None:
        for listener in list(self.listeners):
            listener(event)

    async def connect(self) -> DeviceInfo:
        return self.info

    async def disconnect(self) -> None:
        self.connected = False

    async def request_control(self) -> None:
        self.calls.append("request_control")

    async def start(self) -> None:
        self.calls.append("start")

    async def stop(self) -> None:
        self.calls.append("stop")

    async def pause(self) -> None:
        self.calls.append("pause")

    async def reset(self) -> None:
        self.calls.append("reset")

    async def set_speed(self, speed_kmh: float) -> float:
        self.calls.append(f"set_speed {speed_kmh:g}")
        return speed_kmh

    async def set_incline(self, incline_pct: float) -> float:
        self.calls.append(f"set_incline {incline_pct:g}")
        return incline_pct


def _supervised(
    safety: SafetyConfig | None = None,
) -> tuple[Supervisor, FakeLink, list[SessionEvent]]:
    link = FakeLink()
    bus = EventBus()
    events: list[SessionEvent] = []
    bus.subscribe(events.append)
    loop = asyncio.get_running_loop()
    sup = Supervisor(
        link, bus, safety or SafetyConfig(), DeviceLimits(), session_time=loop.time, loop=loop
    )
    sup.connected = True
    sup.attach()
    return sup, link, events


def _data(link: FakeLink, speed_kmh: float) -> None:
    link.emit(TelemetryEvent(TreadmillData(speed_kmh=speed_kmh)))


async def _feed(link: FakeLink, speed_of: Callable[[float], float], seconds: float) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        _data(link, speed_of(loop.time()))
        await asyncio.sleep(1.0)


def test_no_start_without_fresh_telemetry() -> None:
    async def scenario() -> list[str]:
        sup, link, _events = _supervised()
        assert sup.count_in()
        with pytest.raises(Refused):  # after tripping the watchdog
            await sup.start_belt(0.5)
        await sup.close()
        assert sup.halt is not None and sup.halt.reason is Reason.WATCHDOG
        return link.calls

    assert "start" not in run_virtual(scenario())


def test_a_rearm_waits_for_rest_and_fresh_data_then_counts_in() -> None:
    async def scenario() -> None:
        sup, link, events = _supervised()
        _data(link, 0.0)
        assert sup.count_in()
        await sup.start_belt(0.5)
        assert link.calls[-2:] == ["start", "set_speed 0.5"]
        result = sup.request(Request(RequestKind.STOP, source=key_source("s")))
        assert result.accepted and sup.state is SafetyState.HALTED
        _data(link, 0.4)  # still moving: refused
        refused = sup.request(Request(RequestKind.REARM, source=key_source("r")))
        assert not refused.accepted and "moving" in refused.reason
        await asyncio.sleep(0.1)
        _data(link, 0.0)
        assert sup.request(Request(RequestKind.REARM, source=key_source("r"))).accepted
        assert sup.state is SafetyState.COUNTDOWN
        decided = [e for e in events if isinstance(e, RequestDecided) and e.request == "rearm"]
        assert [d.accepted for d in decided] == [False, True]
        await sup.close()

    run_virtual(scenario())


def test_a_stop_that_does_not_take_raises_the_alarm_and_escalates_without_pause() -> None:
    async def scenario() -> tuple[list[str], list[SessionEvent]]:
        sup, link, events = _supervised()
        _data(link, 0.0)
        assert sup.count_in()
        await sup.start_belt(0.5)
        sup.request(Request(RequestKind.STOP, source="mqtt"))
        await _feed(link, lambda t: 3.0, 15.0)  # the belt ignores Stop
        await sup.close()
        return link.calls, events

    calls, events = run_virtual(scenario())
    after = calls[calls.index("stop") :]
    assert after.count("stop") >= 3 and "reset" in after and "pause" not in after
    alarms = [e for e in events if isinstance(e, Alarm)]
    assert alarms and alarms[0].active and "MAY NOT HAVE STOPPED" in alarms[0].message
    assert not any(isinstance(e, SafetyEvent) and e.reason == "at_rest" for e in events)


def test_a_safety_key_status_while_data_flows_is_not_taken_as_rest() -> None:
    async def scenario() -> bool:
        sup, link, _events = _supervised()
        _data(link, 0.0)
        assert sup.count_in()
        await sup.start_belt(0.5)
        _data(link, 2.0)
        link.emit(StatusEvent(MachineStatus(MachineStatusEvent.STOPPED_BY_SAFETY_KEY)))
        coasting = sup.at_rest()
        _data(link, 0.0)
        await sup.close()
        return coasting is False and sup.at_rest()

    assert run_virtual(scenario())


def test_the_overspeed_ceiling_is_the_backward_cap_during_a_turn_into_backward() -> None:
    from treadctl.direction import Direction

    async def scenario() -> Reason | None:
        sup, link, _events = _supervised(SafetyConfig(max_backward_speed_kmh=2.0))
        _data(link, 0.0)
        assert sup.count_in()
        await sup.start_belt(0.5)
        sup.set_target(5.0)
        await _feed(link, lambda t: min(5.0, 0.5 + t), 12.0)
        sup.begin_turn(Direction.BACKWARD, Direction.FORWARD)
        await _feed(link, lambda t: 5.0, 4.0)  # does not slow: 5 km/h > 2 + 0.5 for 2 s
        await sup.close()
        return sup.halt.reason if sup.halt is not None else None

    assert run_virtual(scenario()) is Reason.RUNAWAY


def test_link_loss_latches_a_key_only_halt_and_reconnect_never_resumes() -> None:
    async def scenario() -> tuple[SafetyState, list[str]]:
        sup, link, _events = _supervised()
        _data(link, 0.0)
        assert sup.count_in()
        await sup.start_belt(0.5)
        link.connected = False
        link.emit(LinkEvent(LinkState.DISCONNECTED, reason="gone"))
        assert sup.state is SafetyState.RECONNECTING
        link.connected = True
        sup.reconnected()
        await sup.stop("recovery")
        remote = sup.request(Request(RequestKind.RESUME, source="mqtt"))
        await sup.close()
        assert not remote.accepted
        return sup.state, link.calls

    state, calls = run_virtual(scenario())
    assert state is SafetyState.HALTED
    assert calls[-1] == "stop"
