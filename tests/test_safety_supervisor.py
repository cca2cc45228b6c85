"""The supervisor under faults that the plain fault matrix does not pin down: how fast, and what the
walker is told. End to end: real client, real bleak front end, simulator backend, virtual time.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.session_support import (
    SIMPLE,
    Outcome,
    bouts_of,
    check_invariants,
    run_session,
)
from treadctl.controls import Request, RequestKind
from treadctl.events import (
    Clamped,
    CommandAnswered,
    EndStatus,
    EventBus,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    SafetyEvent,
    SessionEvent,
    Telemetry,
)
from treadctl.safety.checks import MOVING_KMH as REST_KMH
from treadctl.safety.checks import STOP_STALL_S
from treadctl.safety.supervisor import GUARD_TICK_S
from treadctl.safety_config import SafetyConfig
from treadctl.session.engine import CONFIRM_WAIT_S, Session, SessionOptions
from treadctl.virtual_time import run_virtual

BACKWARD_FAULT_S = 150  # inside SIMPLE's backward bout (2.0 km/h), well after its ramp


def _fault_t(out: Outcome, at_s: float) -> float:
    """Session time at which a fault scheduled ``at_s`` after the first Start fires."""
    start = out.commands("start")[0]
    return start.t_s + at_s


def _urgent(out: Outcome) -> list[SafetyEvent]:
    """Messages telling the walker to stop the belt themselves."""
    return [e for e in out.of(SafetyEvent) if e.reason == "not_stopping"]


# --- runaway ---------------------------------------------------------------------------------


def test_runaway_while_walking_backward_is_stopped_near_the_commanded_speed() -> None:
    out = run_virtual(run_session(faults=[f"runaway@{BACKWARD_FAULT_S}"]))
    fault_t = _fault_t(out, BACKWARD_FAULT_S)
    stop = next(e for e in out.of(SafetyEvent) if e.reason == "runaway")
    # The belt was commanded 2.0 km/h: it must not be allowed up to the 4.0 km/h cap + tolerance
    # plus two seconds of acceleration before anyone reacts.
    assert stop.t_s - fault_t <= 3.5
    first_stop = next(c for c in out.commands("stop") if c.t_s >= fault_t)
    assert first_stop.t_s - stop.t_s < 0.1
    peak = max(e.speed_kmh or 0.0 for e in out.of(Telemetry) if e.t_s >= fault_t)
    assert peak < 4.5
    assert out.speed_after_kmh == pytest.approx(0.0, abs=0.05)


def test_a_belt_slowing_down_for_a_turn_is_not_a_runaway() -> None:
    # 8 km/h forward, then a turn to 1 km/h: the belt takes longer to slow than the 10 s window.
    safety = SafetyConfig(max_speed_kmh=8.0, turn_hold_s=20.0)
    bouts = bouts_of(("forward", 120, 8.0, 0.0), ("backward", 60, 2.0, 0.0))
    out = run_virtual(run_session(bouts, safety=safety, personality="spec"))
    assert out.ended.status is EndStatus.COMPLETED, out.ended
    assert not [e for e in out.of(SafetyEvent) if e.action == "stop"]


# --- Stop refused or unanswered -----------------------------------------------------------------


def test_a_refused_stop_tells_the_walker_to_use_the_console_at_once() -> None:
    out = run_virtual(run_session(faults=["reject-commands@100"]))
    refused = next(
        e for e in out.of(CommandAnswered) if e.op == "stop" and e.result == "operation_failed"
    )
    urgent = _urgent(out)
    assert urgent, "the walker was never told that the belt is still moving"
    assert urgent[0].t_s - refused.t_s <= 4.0
    assert "console" in urgent[0].message and "safety key" in urgent[0].message
    # Nothing claims the belt was stopped while it was still running.
    failed = next(e for e in out.of(SafetyEvent) if e.reason == "command_failed")
    assert "was stopped" not in failed.message
    assert out.ended.status is EndStatus.SAFETY_STOP
    check_invariants(out)


class _StopNeverAnswered:
    """The real client, except that Stop, Pause and Reset never get their indication once the
    session is 100 s old (a treadmill that went deaf together with its telemetry)."""

    def __init__(self, link: Any) -> None:
        self._link = link
        self.deaf_after_s: float | None = None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._link, name)

    async def _maybe_hang(self, call: Any) -> Any:
        loop = asyncio.get_running_loop()
        if self.deaf_after_s is None:
            self.deaf_after_s = loop.time() + 100.0
        if loop.time() >= self.deaf_after_s:
            await asyncio.sleep(3600)
        return await call()

    async def stop(self) -> None:
        await self._maybe_hang(self._link.stop)

    async def pause(self) -> None:
        await self._maybe_hang(self._link.pause)

    async def reset(self) -> None:
        await self._maybe_hang(self._link.reset)

    async def start(self) -> None:
        if self.deaf_after_s is None:
            self.deaf_after_s = asyncio.get_running_loop().time() + 100.0
        await self._link.start()


def test_stale_data_and_an_unanswered_stop_escalate_and_tell_the_walker() -> None:
    out = run_virtual(
        run_session(faults=[f"stale@{BACKWARD_FAULT_S}"], wrap_link=_StopNeverAnswered)
    )
    fault_t = _fault_t(out, BACKWARD_FAULT_S)
    watchdog = next(e for e in out.of(SafetyEvent) if e.reason == "watchdog")
    assert watchdog.t_s - fault_t <= out.safety.watchdog_s + 1.0 + 0.1
    urgent = _urgent(out)
    assert urgent, "an unanswered Stop with no data must be reported"
    assert urgent[0].t_s - watchdog.t_s <= 3.0 + 0.5  # the Stop timeout, then at once
    assert "console" in urgent[0].message
    after = [c.op for c in out.commands() if c.t_s >= watchdog.t_s and c.source == "safety"]
    assert {"stop", "reset"} <= set(after)  # escalated, not just given up
    assert "pause" not in after  # never FTMS Pause: it keeps the treadmill's target
    assert out.ended.status is EndStatus.SAFETY_STOP


def test_the_watchdog_covers_a_belt_that_never_sends_data() -> None:
    out = run_virtual(run_session(faults=["stale@0"]))
    start = out.commands("start")[0]
    watchdog = [e for e in out.of(SafetyEvent) if e.reason == "watchdog"]
    assert watchdog, "a belt started without any telemetry ran unwatched"
    assert watchdog[0].t_s - start.t_s <= out.safety.watchdog_s + 0.5
    assert out.ended.status is EndStatus.SAFETY_STOP


# The guard sleeps through the ticks that cannot find anything; these pin down that it still
# wakes on the first tick that can: at most one tick after the watchdog's deadline, and at most one
# tick after a Stop the belt ignores has stalled for STOP_STALL_S.
SLACK_S = 0.02  # event times are rounded to the centisecond


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stale_after_s=st.floats(min_value=5.0, max_value=280.0))
def test_the_watchdog_trips_within_a_guard_tick_of_its_deadline(stale_after_s: float) -> None:
    out = run_virtual(run_session(faults=[f"stale@{stale_after_s:.2f}"]))
    watchdog = next(e for e in out.of(SafetyEvent) if e.reason == "watchdog")
    last_data = max(e.t_s for e in out.of(Telemetry) if e.t_s <= watchdog.t_s)
    late_s = watchdog.t_s - (last_data + out.safety.watchdog_s)
    assert -SLACK_S <= late_s <= GUARD_TICK_S + SLACK_S
    assert out.ended.status is EndStatus.SAFETY_STOP


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(stop_after_s=st.floats(min_value=10.0, max_value=280.0))
def test_a_stop_the_belt_ignores_is_raised_within_a_guard_tick_of_the_stall(
    stop_after_s: float,
) -> None:
    stopped: list[float] = []

    def actions(session: Any, bus: Any, event: Any) -> None:
        # Fault times count from the first Start, a count-in after the session's start.
        if isinstance(event, Telemetry) and not stopped and event.t_s >= stop_after_s + 6.0:
            stopped.append(session.now())
            session.request(Request(RequestKind.STOP, source="key"))

    faults = [f"ignore-commands@{stop_after_s:.2f}+3000"]
    # The longest watchdog: a guard that slept towards its deadline after the Stop would be late.
    safety = SafetyConfig(watchdog_s=10.0)
    out = run_virtual(run_session(faults=faults, actions=actions, safety=safety))
    assert stopped, "the session ended before the walker's Stop"
    first_reading = min(e.t_s for e in out.of(Telemetry) if e.t_s > stopped[0])
    urgent = _urgent(out)
    assert urgent, "a belt that ignores Stop must be reported"
    late_s = urgent[0].t_s - (first_reading + STOP_STALL_S)
    assert -SLACK_S <= late_s <= GUARD_TICK_S + SLACK_S
    assert "console" in urgent[0].message


# --- the treadmill's word, and remote requests ---------------------------------------------------


def test_a_safety_key_after_a_walker_stop_still_needs_a_key() -> None:
    answers: list[bool] = []
    done: set[str] = set()

    def actions(session: Any, bus: Any, event: Any) -> None:
        if isinstance(event, Telemetry) and event.t_s > 140 and "stop" not in done:
            done.add("stop")
            session.request(Request(RequestKind.STOP, source="key"))
        if isinstance(event, SafetyEvent) and event.reason == "safety_key":
            answers.append(session.request(Request(RequestKind.REARM, source="mqtt")).accepted)

    options = SessionOptions(rearm_timeout_s=30.0, auto_confirm_turns=True, allow_remote_start=True)
    out = run_virtual(
        run_session(faults=[f"safety-key@{BACKWARD_FAULT_S}"], options=options, actions=actions)
    )
    assert answers == [False]
    assert out.ended.status is EndStatus.SAFETY_STOP
    assert out.ended.reason == "safety_key"
    check_invariants(out)


# --- exceptions --------------------------------------------------------------------------------


def test_a_bug_in_the_telemetry_checks_stops_the_belt(monkeypatch: pytest.MonkeyPatch) -> None:
    from treadctl.safety import checks

    original = checks.RunawayCheck.observe

    def failing(self: Any, now: float, measured_kmh: float, ceiling_kmh: float) -> bool:
        if now > 60:
            raise RuntimeError("checks bug")
        return original(self, now, measured_kmh, ceiling_kmh)

    monkeypatch.setattr(checks.RunawayCheck, "observe", failing)
    out = run_virtual(run_session(SIMPLE))
    assert out.ended.status is EndStatus.SAFETY_STOP
    assert out.ended.reason.startswith("internal_error")
    assert out.ended.t_s < 70
    assert not out.running_at_end
    assert out.speed_after_kmh == pytest.approx(0.0, abs=0.05)


def test_a_crashed_governor_stops_the_belt(monkeypatch: pytest.MonkeyPatch) -> None:
    from treadctl.safety import supervisor

    original = supervisor.next_ramp_speed
    calls: list[int] = []

    def failing(sent: float, target: float, step: Any) -> float:
        calls.append(1)
        if len(calls) == 3:
            raise RuntimeError("governor bug")
        return original(sent, target, step)

    monkeypatch.setattr(supervisor, "next_ramp_speed", failing)
    out = run_virtual(run_session(SIMPLE))
    assert out.ended.status is EndStatus.SAFETY_STOP
    assert out.ended.reason.startswith("internal_error")
    assert out.ended.t_s < 10
    assert not out.running_at_end


# --- turn-arounds and caps ----------------------------------------------------------------------


def test_a_belt_that_does_not_slow_for_a_turn_is_stopped_before_the_turn() -> None:
    # SIMPLE's first turn comes at 120 s; the belt ignores the slow-down to the turn speed.
    out = run_virtual(run_session(faults=["ignore-commands@115+60"]))
    stop = next(e for e in out.of(SafetyEvent) if e.action == "stop")
    assert stop.reason == "ignore_commands"
    turns = [e for e in out.of(PhaseChanged) if e.name is PhaseName.TURN]
    # The walker is never told to turn round while the belt still runs at the bout's speed.
    assert all(t.t_s >= stop.t_s for t in turns)
    assert out.speed_after_kmh == pytest.approx(0.0, abs=0.05)


def test_a_forward_bout_after_a_backward_one_gets_the_forward_caps() -> None:
    bouts = bouts_of(("backward", 60, 3.0, 0.0), ("forward", 120, 6.0, 0.0))
    out = run_virtual(run_session(bouts))
    assert out.ended.status is EndStatus.COMPLETED
    assert not [c for c in out.of(Clamped) if c.bout_index == 1]
    assert max(c.speed_kmh or 0 for c in out.commands("set_speed")) == pytest.approx(6.0)
    check_invariants(out)


def test_the_incline_comes_down_to_the_backward_cap_before_the_turn() -> None:
    bouts = bouts_of(("forward", 60, 4.0, 10.0), ("backward", 60, 2.0, 2.0))
    out = run_virtual(run_session(bouts))
    assert out.ended.status is EndStatus.COMPLETED
    turn = next(e for e in out.of(PhaseChanged) if e.name is PhaseName.TURN)
    inclines = [c.incline_pct for c in out.commands("set_incline") if 60 < c.t_s < turn.t_s]
    assert inclines and inclines[-1] is not None
    assert inclines[-1] <= out.safety.max_backward_incline_pct
    check_invariants(out)


def test_speed_nudges_on_a_backward_bout_respect_the_backward_cap_and_ramp() -> None:
    def actions(session: Any, bus: Any, event: Any) -> None:
        if isinstance(event, Telemetry) and 130 < event.t_s < 200:
            session.request(Request(RequestKind.NUDGE_SPEED, 0.1, source="key"))

    # Nudges may add up to 3 km/h here: the backward cap (4) must still hold above 2 + 3.
    out = run_virtual(run_session(actions=actions, safety=SafetyConfig(max_nudge_kmh=3.0)))
    assert out.ended.status is EndStatus.COMPLETED
    backward_cap = out.safety.max_backward_speed_kmh
    sent = [c.speed_kmh or 0 for c in out.commands("set_speed") if 130 < c.t_s < 240]
    assert max(sent) == pytest.approx(backward_cap)
    check_invariants(out)


def test_confirm_turns_keeps_the_belt_at_the_turn_speed_until_the_key() -> None:
    confirmed: list[float] = []

    def actions(session: Any, bus: Any, event: Any) -> None:
        if isinstance(event, PhaseChanged) and "press a key" in event.detail:
            loop = asyncio.get_running_loop()

            def confirm() -> None:
                confirmed.append(session.now())
                assert session.request(Request(RequestKind.CONFIRM_TURN, source="key")).accepted

            loop.call_later(20.0, confirm)

    safety = SafetyConfig(confirm_turns=True)
    options = SessionOptions(rearm_timeout_s=30.0, auto_confirm_turns=False)
    out = run_virtual(run_session(safety=safety, options=options, actions=actions))
    assert out.ended.status is EndStatus.COMPLETED
    waiting = next(e for e in out.of(PhaseChanged) if "press a key" in e.detail)
    between = [c for c in out.commands("set_speed", "start") if waiting.t_s <= c.t_s < confirmed[0]]
    assert not between
    after = [c for c in out.commands("set_speed") if c.t_s >= confirmed[0]]
    assert after[0].speed_kmh is not None and after[0].speed_kmh <= safety.turn_speed_kmh + 0.21
    check_invariants(out)


def test_an_unconfirmed_turn_does_not_keep_the_belt_running_for_ever() -> None:
    """Nobody presses the key after a turn: the belt must not run on at the turn speed with no
    one known to be on it. It comes to rest, and the walker resumes with a key."""
    prompted: list[float] = []
    resumed: list[float] = []

    def actions(session: Any, bus: Any, event: Any) -> None:
        if isinstance(event, PhaseChanged) and "press a key" in event.detail:
            prompted.append(event.t_s)
            # A late key, so that a session without the time limit ends (and fails) rather
            # than waiting for ever.
            asyncio.get_running_loop().call_later(
                2 * CONFIRM_WAIT_S,
                session.request,
                Request(RequestKind.CONFIRM_TURN, source="key"),
            )
        if isinstance(event, PhaseChanged) and event.name is PhaseName.PAUSED:
            loop = asyncio.get_running_loop()

            def resume() -> None:
                resumed.append(session.now())
                assert session.request(Request(RequestKind.RESUME, source="key")).accepted

            loop.call_later(30.0, resume)

    safety = SafetyConfig(confirm_turns=True)
    options = SessionOptions(rearm_timeout_s=30.0, auto_confirm_turns=False)
    out = run_virtual(run_session(safety=safety, options=options, actions=actions))
    assert out.ended.status is EndStatus.COMPLETED
    stops = [c for c in out.commands("stop") if c.t_s >= prompted[0]]
    assert stops, "the belt is brought to rest while the turn waits"
    assert stops[0].t_s - prompted[0] <= CONFIRM_WAIT_S + 1.0
    idle = [c for c in out.commands("start", "set_speed") if stops[0].t_s <= c.t_s < resumed[0]]
    assert not idle, "nothing moves the belt until the walker's key"
    after = [c for c in out.commands("set_speed") if c.t_s >= resumed[0]]
    assert after[0].speed_kmh == out.session.plan.start_speed_kmh
    check_invariants(out)


# --- reconnect -----------------------------------------------------------------------------------


def test_rearm_after_a_reconnect_starts_over_from_the_start_speed() -> None:
    rearmed: list[float] = []

    def actions(session: Any, bus: Any, event: Any) -> None:
        if isinstance(event, LinkChanged) and event.event == "reconnected":
            loop = asyncio.get_running_loop()

            def rearm() -> None:
                rearmed.append(session.now())
                assert session.request(Request(RequestKind.REARM, source="key")).accepted

            loop.call_later(5.0, rearm)

    out = run_virtual(run_session(faults=[f"disconnect@{BACKWARD_FAULT_S}"], actions=actions))
    assert out.ended.status is EndStatus.COMPLETED
    back = next(e for e in out.of(LinkChanged) if e.event == "reconnected")
    paused = [e for e in out.of(PhaseChanged) if e.name is PhaseName.PAUSED and e.t_s >= back.t_s]
    assert paused and paused[0].detail.startswith("reconnected")  # not stale "reconnecting"
    recovery = [c for c in out.commands() if back.t_s <= c.t_s < rearmed[0]]
    assert [c.op for c in recovery if c.op != "request_control"] == ["stop"]
    after = [c for c in out.commands("start", "set_speed") if c.t_s >= rearmed[0]]
    assert after[0].op == "start"
    assert after[1].speed_kmh == pytest.approx(out.session.plan.start_speed_kmh)
    check_invariants(out, rearm_times=rearmed)


def test_resuming_after_a_walker_pause_ramps_from_the_minimum_not_the_old_speed() -> None:
    """FTMS Pause keeps the treadmill's own target: a Start would head straight back to it before
    the ramp's first target arrives (a second or more on a slow treadmill). The belt must instead
    restart at its minimum and ramp at the configured acceleration."""
    safety = SafetyConfig(max_acceleration_kmh_per_s=0.25)
    fired: dict[str, float] = {}

    def actions(session: Session, bus: EventBus, event: SessionEvent) -> None:
        if isinstance(event, PhaseChanged) and event.name is PhaseName.STEADY and not fired:
            fired["pause"] = event.t_s
            session.request(Request(RequestKind.PAUSE))
        elif isinstance(event, PhaseChanged) and event.name is PhaseName.PAUSED:
            asyncio.get_running_loop().call_later(
                10.0, session.request, Request(RequestKind.RESUME)
            )

    out = run_virtual(
        run_session(
            bouts_of(("forward", 240, 3.0, 0.0)),
            safety=safety,
            personality="slow-response",
            actions=actions,
        )
    )
    starts = [c.t_s for c in out.commands("start")]
    assert len(starts) == 2, "the walker's resume starts the belt once more"
    resumed_t_s = starts[1]
    start_speed_kmh = out.session.plan.start_speed_kmh
    sent = [(c.t_s, c.speed_kmh) for c in out.commands("set_speed") if c.t_s >= resumed_t_s]
    checked = 0
    for record in out.of(Telemetry):
        if record.t_s < resumed_t_s or record.t_s > resumed_t_s + 20.0 or record.speed_kmh is None:
            continue
        asked_kmh = max([start_speed_kmh] + [v for t, v in sent if t <= record.t_s and v])
        # The belt never runs faster than anything treadctl has asked for since the resume.
        assert record.speed_kmh <= asked_kmh + 0.1, (record.t_s, record.speed_kmh, asked_kmh)
        checked += 1
    assert checked >= 10
    assert out.ended.status is EndStatus.COMPLETED


def test_a_session_ends_when_the_belt_has_come_to_rest_not_when_stop_is_acknowledged() -> None:
    """The walker is still being carried while the belt coasts down: the session (its summary,
    the screen, the link) lasts until the belt is at rest."""
    out = run_virtual(run_session(bouts_of(("forward", 60, 5.0, 0.0)), settle_s=0.0))
    assert out.ended.status is EndStatus.COMPLETED
    assert out.speed_at_end_kmh <= REST_KMH


def test_quitting_waits_for_the_belt_to_come_to_rest() -> None:
    def actions(session: Session, bus: EventBus, event: SessionEvent) -> None:
        if isinstance(event, PhaseChanged) and event.name is PhaseName.STEADY:
            session.request(Request(RequestKind.QUIT, source="key"))

    out = run_virtual(
        run_session(bouts_of(("forward", 600, 5.0, 0.0)), actions=actions, settle_s=0.0)
    )
    assert out.ended.status is EndStatus.INTERRUPTED
    assert out.speed_at_end_kmh <= REST_KMH
