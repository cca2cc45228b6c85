"""Pure supervisor arithmetic: caps per direction, clamping, ramp stepping, status decisions."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl.direction import Direction
from treadctl.ftms.machine_status import MachineStatus, MachineStatusEvent
from treadctl.limits import DeviceLimits
from treadctl.safety.caps import caps_for, clamp_incline, clamp_speed, ramp_step, strictest
from treadctl.safety.checks import (
    COAST_KMH_PER_S,
    STATUS_SETTLE_S,
    CommandHistory,
    FollowCheck,
    RestWatch,
    RunawayCheck,
    Watchdog,
)
from treadctl.safety.rules import Action, Reason, decide_status
from treadctl.safety_config import SafetyConfig

SAFETY = SafetyConfig()
LIMITS = DeviceLimits()


def test_backward_caps_are_stricter() -> None:
    forward = caps_for(Direction.FORWARD, SAFETY, LIMITS)
    backward = caps_for(Direction.BACKWARD, SAFETY, LIMITS)
    assert forward.max_speed_kmh == SAFETY.max_speed_kmh
    assert backward.max_speed_kmh == SAFETY.max_backward_speed_kmh
    assert backward.acceleration_kmh_per_s < forward.acceleration_kmh_per_s
    assert strictest(forward, backward).max_speed_kmh == backward.max_speed_kmh


def test_clamp_speed_reports_the_cap() -> None:
    backward = caps_for(Direction.BACKWARD, SAFETY, LIMITS)
    clamp = clamp_speed(9.0, backward)
    assert clamp.sent == backward.max_speed_kmh
    assert clamp.reason == "backward speed cap"
    assert clamp_speed(0.1, backward).sent == LIMITS.speed_min_kmh
    assert clamp_speed(float("nan"), backward).sent == LIMITS.speed_min_kmh


def test_device_range_below_user_cap() -> None:
    pad = DeviceLimits(speed_min_kmh=1.0, speed_max_kmh=6.0, speed_increment_kmh=0.5)
    caps = caps_for(Direction.FORWARD, SafetyConfig(max_speed_kmh=7.7), pad)
    assert caps.max_speed_kmh == 6.0
    assert clamp_speed(3.3, caps).sent == 3.5


def test_incline_without_incline_support_is_zero() -> None:
    caps = caps_for(Direction.FORWARD, SAFETY, DeviceLimits(supports_incline=False))
    assert clamp_incline(5.0, caps).sent == 0.0


@given(
    asked=st.floats(-5, 30, allow_nan=False),
    direction=st.sampled_from(list(Direction)),
    increment=st.sampled_from([0.1, 0.5, 0.05]),
)
def test_clamped_speed_never_exceeds_the_caps(
    asked: float, direction: Direction, increment: float
) -> None:
    limits = DeviceLimits(speed_min_kmh=0.5, speed_max_kmh=12.0, speed_increment_kmh=increment)
    caps = caps_for(direction, SAFETY, limits)
    sent = clamp_speed(asked, caps).sent
    assert caps.min_speed_kmh - 1e-9 <= sent <= caps.max_speed_kmh + 1e-9


@given(
    accel=st.floats(0.05, 2.0),
    increment=st.sampled_from([0.1, 0.5, 0.01, 0.05]),
)
def test_ramp_step_never_exceeds_the_acceleration(accel: float, increment: float) -> None:
    limits = DeviceLimits(speed_increment_kmh=increment)
    safety = SafetyConfig(
        max_acceleration_kmh_per_s=accel, max_backward_acceleration_kmh_per_s=accel
    )
    caps = caps_for(Direction.FORWARD, safety, limits)
    step = ramp_step(caps)
    assert step.step_kmh / step.interval_s <= accel + 1e-9
    assert step.step_kmh >= increment - 1e-9
    assert step.interval_s >= 0.5 - 1e-9


def test_watchdog_fires_once_per_episode() -> None:
    dog = Watchdog(3.0)
    assert not dog.check(100.0)  # no data yet: nothing to be stale
    dog.feed(1.0)
    assert not dog.check(3.9)
    assert dog.check(4.0)
    assert not dog.check(5.0)
    dog.feed(6.0)
    assert dog.check(9.5)


def test_runaway_needs_more_than_a_moment() -> None:
    check = RunawayCheck(tolerance_kmh=0.5, moment_s=2.0)
    assert not check.observe(0.0, 5.0, 4.0)
    assert not check.observe(1.0, 5.0, 4.0)
    assert not check.observe(1.5, 4.2, 4.0)  # back within tolerance: the moment restarts
    assert not check.observe(2.0, 5.0, 4.0)
    assert check.observe(4.0, 5.0, 4.0)


def test_a_belt_slowing_from_above_the_ceiling_is_not_a_runaway() -> None:
    check = RunawayCheck(tolerance_kmh=0.5, moment_s=2.0)
    # 8 km/h decelerating towards a 1 km/h turn speed: above the ceiling for seconds, not a runaway.
    assert not any(check.observe(t, 8.0 - 0.5 * t, 1.0) for t in range(0, 14))
    # A belt holding a speed above the ceiling is.
    assert [check.observe(t, 3.0, 1.0) for t in range(20, 23)] == [False, False, True]


def test_rest_watch_wants_progress_towards_rest() -> None:
    slowing = RestWatch(since_t=0.0, stall_s=3.0)
    overdue = []
    for t in range(1, 10):
        slowing.observe(t, max(0.0, 4.0 - 1.0 * t))
        overdue.append(slowing.overdue(t, telemetry_fresh=True))
    assert not any(overdue)
    assert slowing.confirmed(telemetry_fresh=True)
    stuck = RestWatch(since_t=0.0, stall_s=3.0)
    seen = []
    for t in range(1, 6):
        stuck.observe(t, 4.0)
        seen.append(stuck.overdue(t, telemetry_fresh=True))
    assert seen == [False, False, False, True, True]  # 3 s without a new low after the first
    assert not stuck.confirmed(telemetry_fresh=True)


def test_a_stopped_status_waits_for_the_belt_to_coast_from_its_last_known_speed() -> None:
    """Found by the stateful soak: a Stop at 4 km/h, then the data goes stale and the safety key
    is pulled while the belt coasts. The treadmill's "stopped" must not count as rest two seconds
    after it, with the belt still at 1.2 km/h: not before a gentle coast from 4 km/h is over."""
    watch = RestWatch(since_t=100.0, last_kmh=4.0)  # the reading before Stop: 4 km/h
    watch.treadmill_stopped(100.7)
    coasted_t = 100.0 + 4.0 / COAST_KMH_PER_S
    assert watch.coasted_by() == pytest.approx(coasted_t)
    assert not watch.confirmed(telemetry_fresh=False, now=100.7 + STATUS_SETTLE_S)
    assert not watch.confirmed(telemetry_fresh=False, now=coasted_t - 0.1)
    assert watch.confirmed(telemetry_fresh=False, now=coasted_t)
    # A reading after the Stop is the newer knowledge: 1 km/h at 102 s, so at rest by 103 s.
    watch = RestWatch(since_t=100.0, last_kmh=4.0)
    watch.observe(102.0, 1.0)
    watch.treadmill_stopped(102.1)
    assert watch.coasted_by() == pytest.approx(103.0)
    assert not watch.confirmed(telemetry_fresh=False, now=103.5)  # the status's own 2 s first
    assert watch.confirmed(telemetry_fresh=False, now=102.1 + STATUS_SETTLE_S)


def test_rest_watch_without_telemetry_is_overdue_and_status_alone_confirms() -> None:
    silent = RestWatch(since_t=10.0, stall_s=3.0)
    assert not silent.overdue(12.0, telemetry_fresh=False)
    assert silent.overdue(13.0, telemetry_fresh=False)
    told = RestWatch(since_t=10.0, stall_s=3.0)
    told.treadmill_stopped(11.0)
    # The treadmill's word counts only once the belt has had time to coast to rest.
    assert not told.confirmed(telemetry_fresh=False, now=12.0)
    assert told.confirmed(telemetry_fresh=False, now=13.0)
    assert not told.overdue(20.0, telemetry_fresh=False)
    # While data flows only a reading counts: a safety-key status comes while the belt coasts.
    assert not told.confirmed(telemetry_fresh=True)
    told.observe(21.0, 3.0)  # a reading says it still moves: the status does not count
    assert not told.confirmed(telemetry_fresh=False)


def test_a_slowing_belt_is_not_a_runaway() -> None:
    history = CommandHistory(window_s=10.0)
    history.record(0.0, 6.0)
    history.record(1.0, 1.0)
    assert history.peak(5.0) == 6.0
    assert history.peak(20.0) == 1.0


def test_follow_check_catches_a_belt_that_ignores_a_ramp() -> None:
    check = FollowCheck(timeout_s=10.0)
    fired = [check.observe(t, 2.0, 2.0 + 0.2 * t, commanded_t=t) for t in range(0, 15)]
    assert any(fired)


@pytest.mark.parametrize(
    ("status", "reason"),
    [
        (MachineStatus(MachineStatusEvent.STOPPED_BY_SAFETY_KEY), Reason.SAFETY_KEY),
        (MachineStatus(MachineStatusEvent.STOPPED_BY_USER), Reason.CONSOLE_STOP),
        (MachineStatus(MachineStatusEvent.PAUSED_BY_USER), Reason.CONSOLE_PAUSE),
        (MachineStatus(MachineStatusEvent.CONTROL_PERMISSION_LOST), Reason.CONTROL_LOST),
        (MachineStatus(MachineStatusEvent.RESET), Reason.MACHINE_RESET),
        (MachineStatus(MachineStatusEvent.STOPPED_OR_PAUSED_BY_USER), Reason.CONSOLE_STOP),
    ],
)
def test_the_treadmills_word_halts(status: MachineStatus, reason: Reason) -> None:
    decision = decide_status(status, speed_cap_kmh=4.0, incline_cap_pct=6.0, driving=True)
    assert decision.action is Action.HALT
    assert decision.reason is reason


def test_console_speed_within_caps_is_adopted_and_above_stops() -> None:
    within = MachineStatus.target_speed_changed(3.5)
    above = MachineStatus.target_speed_changed(6.0)
    kw = {"speed_cap_kmh": 4.0, "incline_cap_pct": 6.0}
    assert decide_status(within, driving=True, **kw).action is Action.ADOPT
    assert decide_status(within, driving=False, **kw).action is Action.REPORT
    assert decide_status(above, driving=True, **kw).action is Action.HALT


@given(
    max_speed_kmh=st.floats(min_value=2.0, max_value=12.0),
    backward_fraction=st.floats(min_value=0.3, max_value=1.0),
    increment_kmh=st.sampled_from([0.1, 0.5, 0.16]),
    asked_kmh=st.floats(min_value=0.5, max_value=20.0),
    direction=st.sampled_from(list(Direction)),
)
def test_the_plan_and_the_supervisor_agree_on_every_cap(
    max_speed_kmh: float,
    backward_fraction: float,
    increment_kmh: float,
    asked_kmh: float,
    direction: Direction,
) -> None:
    """The plan clamps before anything moves, the supervisor clamps every command: a planned
    target the supervisor would clamp again would mean two ideas of the same cap."""
    from treadctl.plan import build_plan
    from treadctl.profile.bout import BoutSpec

    safety = SafetyConfig(
        max_speed_kmh=round(max_speed_kmh, 1),
        max_backward_speed_kmh=round(max(1.0, max_speed_kmh * backward_fraction), 1),
    )
    limits = DeviceLimits(speed_min_kmh=0.5, speed_max_kmh=16.0, speed_increment_kmh=increment_kmh)
    bout = BoutSpec(0, "b", direction, 60.0, round(asked_kmh, 1), 0.0)
    planned = build_plan("p", [bout], safety, limits).bouts[0]
    caps = caps_for(direction, safety, limits)
    assert planned.speed_kmh <= caps.max_speed_kmh + 1e-9
    assert clamp_speed(planned.speed_kmh, caps).sent == pytest.approx(planned.speed_kmh)
