"""The plan: clamps, rounding, ramps and turn-arounds, and the caps property."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from treadctl.direction import Direction
from treadctl.limits import DeviceLimits
from treadctl.plan import PlanError, PlannedBout, TurnAround, build_plan
from treadctl.profile.bout import BoutSpec
from treadctl.profile.models import Profile
from treadctl.safety_config import SafetyConfig

F, B = Direction.FORWARD, Direction.BACKWARD


def spec(
    index: int, direction: Direction, speed_kmh: float, incline_pct: float = 0.0, s: float = 60
) -> BoutSpec:
    return BoutSpec(index, f"bout {index}", direction, s, speed_kmh, incline_pct)


def test_backward_speed_is_capped_and_reported() -> None:
    plan = build_plan("p", [spec(0, F, 3.0), spec(1, B, 5.0)], SafetyConfig())
    backward = plan.bouts[1]
    assert backward.speed_kmh == 4.0
    (clamp,) = plan.clamps
    assert (clamp.bout_index, clamp.field, clamp.asked, clamp.sent) == (1, "speed", 5.0, 4.0)
    assert clamp.reason == "backward speed cap 4.0 km/h"


def test_forward_bout_uses_forward_cap_not_backward_one() -> None:
    plan = build_plan("p", [spec(0, F, 6.0)], SafetyConfig())
    assert plan.bouts[0].speed_kmh == 6.0
    assert plan.clamps == ()


def test_cap_rounds_down_to_the_increment_never_above() -> None:
    limits = DeviceLimits(speed_min_kmh=1.0, speed_increment_kmh=0.5)
    safety = SafetyConfig(max_backward_speed_kmh=2.8)
    plan = build_plan("p", [spec(0, B, 3.5)], safety, limits)
    assert plan.bouts[0].speed_kmh == 2.5
    assert "backward speed cap 2.8 km/h" in plan.clamps[0].reason


def test_below_a_cap_speed_rounds_to_nearest_increment() -> None:
    limits = DeviceLimits(speed_min_kmh=1.0, speed_increment_kmh=0.5)
    plan = build_plan("p", [spec(0, F, 2.8)], SafetyConfig(), limits)
    assert plan.bouts[0].speed_kmh == 3.0
    assert plan.clamps[0].reason == "device increment 0.5 km/h"


def test_speed_below_device_minimum_is_raised_to_it() -> None:
    limits = DeviceLimits(speed_min_kmh=1.0)
    plan = build_plan("p", [spec(0, B, 0.6)], SafetyConfig(), limits)
    assert plan.bouts[0].speed_kmh == 1.0
    assert plan.clamps[0].reason == "device minimum 1.0 km/h"


def test_device_slower_than_nothing_the_caps_allow_is_an_error() -> None:
    limits = DeviceLimits(speed_min_kmh=1.5)
    safety = SafetyConfig(max_backward_speed_kmh=1.2, turn_speed_kmh=1.0)
    with pytest.raises(PlanError, match="slowest speed"):
        build_plan("p", [spec(0, B, 1.0)], safety, limits)


def test_incline_caps_and_device_without_incline() -> None:
    plan = build_plan("p", [spec(0, B, 2.0, incline_pct=8.0)], SafetyConfig())
    assert plan.bouts[0].incline_pct == 6.0
    assert plan.clamps[0].reason == "backward incline cap 6.0 %"
    flat = build_plan(
        "p",
        [spec(0, F, 2.0, incline_pct=3.0)],
        SafetyConfig(),
        DeviceLimits(supports_incline=False),
    )
    assert flat.bouts[0].incline_pct == 0.0
    assert flat.clamps[0].reason == "device has no incline"


def test_turn_around_wherever_direction_changes() -> None:
    safety = SafetyConfig(turn_speed_kmh=1.0, turn_hold_s=5, confirm_turns=True)
    plan = build_plan("p", [spec(0, F, 3.0), spec(1, B, 1.3), spec(2, B, 1.5)], safety)
    kinds = [type(item).__name__ for item in plan.items]
    assert kinds == ["PlannedBout", "TurnAround", "PlannedBout", "PlannedBout"]
    turn = plan.items[1]
    assert isinstance(turn, TurnAround)
    assert (turn.before_bout, turn.from_direction, turn.to_direction) == (1, F, B)
    assert (turn.turn_speed_kmh, turn.hold_s, turn.confirm) == (1.0, 5, True)
    # After the turn the belt ramps up from the turn speed.
    assert plan.bouts[1].ramp_from_kmh == 1.0
    assert plan.bouts[2].ramp_from_kmh == 1.3


def test_backward_first_bout_gets_a_turn_with_the_belt_stopped() -> None:
    plan = build_plan("p", [spec(0, B, 1.3)], SafetyConfig())
    first = plan.items[0]
    assert isinstance(first, TurnAround)
    assert (first.before_bout, first.turn_speed_kmh, first.to_direction) == (0, 0.0, B)
    assert plan.bouts[0].ramp_from_kmh == plan.start_speed_kmh


def test_turn_speed_zero_stops_and_restarts_from_minimum() -> None:
    limits = DeviceLimits(speed_min_kmh=0.8)
    plan = build_plan(
        "p", [spec(0, F, 3.0), spec(1, B, 1.3)], SafetyConfig(turn_speed_kmh=0), limits
    )
    assert plan.turns[0].turn_speed_kmh == 0.0
    assert plan.bouts[1].ramp_from_kmh == 0.8


def test_turn_speed_below_device_minimum_stops_the_belt() -> None:
    limits = DeviceLimits(speed_min_kmh=1.2)
    plan = build_plan("p", [spec(0, F, 3.0), spec(1, B, 1.3)], SafetyConfig(), limits)
    assert plan.turns[0].turn_speed_kmh == 0.0


def test_ramp_is_stepped_and_slower_backward() -> None:
    limits = DeviceLimits(speed_min_kmh=0.5, speed_increment_kmh=0.1)
    safety = SafetyConfig(max_acceleration_kmh_per_s=0.5, max_backward_acceleration_kmh_per_s=0.25)
    plan = build_plan("p", [spec(0, F, 3.0), spec(1, B, 2.0)], safety, limits)
    forward, backward = plan.bouts
    assert forward.acceleration_kmh_per_s == 0.5
    assert forward.ramp_from_kmh == 0.5
    assert forward.ramp_s == pytest.approx(5.0)  # 25 steps of 0.1 km/h every 0.2 s
    assert backward.acceleration_kmh_per_s == 0.25
    assert backward.ramp_s == pytest.approx(4.0)  # 1.0 -> 2.0 km/h at 0.25 km/h/s


def test_ramp_never_longer_than_its_bout() -> None:
    plan = build_plan("p", [spec(0, F, 6.0, s=3)], SafetyConfig())
    assert plan.bouts[0].ramp_s == 3


def test_totals() -> None:
    safety = SafetyConfig(turn_hold_s=5)
    plan = build_plan("p", [spec(0, F, 3.6, s=100), spec(1, B, 1.8, s=200)], safety)
    assert plan.forward_s == 100
    assert plan.backward_s == 200
    assert plan.total_duration_s == 305
    # 100 m + 100 m + 5 s turning at 1 km/h, less a little for the ramps.
    assert 190 < plan.distance_m < 100 + 100 + 1.0 / 3.6 * 5
    assert plan.energy_kcal(70) > 0


# The property: whatever profile the models accept, the plan respects every cap.

_bout = st.fixed_dictionaries(
    {
        "direction": st.sampled_from(["forward", "backward"]),
        "duration": st.one_of(st.integers(1, 1200), st.sampled_from(["5m", "90s", "1m30s"])),
        "speed": st.floats(0.01, 25, allow_nan=False),
        "incline": st.floats(-6, 25, allow_nan=False),
    }
)
_step = st.one_of(
    _bout,
    st.fixed_dictionaries(
        {"repeat": st.integers(1, 4), "bouts": st.lists(_bout, min_size=1, max_size=3)}
    ),
)
_profiles = st.fixed_dictionaries(
    {
        "name": st.just("generated"),
        "units": st.sampled_from(["kmh", "mph"]),
        "steps": st.lists(_step, min_size=1, max_size=5),
    }
)


@st.composite
def _safety(draw: st.DrawFn) -> SafetyConfig:
    max_speed = draw(st.floats(1.0, 20.0))
    max_incline = draw(st.floats(0.0, 20.0))
    max_acc = draw(st.floats(0.05, 2.0))
    backward_speed = draw(st.floats(0.5, max_speed))
    return SafetyConfig(
        max_speed_kmh=max_speed,
        max_backward_speed_kmh=backward_speed,
        max_incline_pct=max_incline,
        max_backward_incline_pct=draw(st.floats(0.0, max_incline)),
        max_acceleration_kmh_per_s=max_acc,
        max_backward_acceleration_kmh_per_s=draw(st.floats(0.01, max_acc)),
        turn_speed_kmh=draw(st.floats(0.0, backward_speed)),
    )


@st.composite
def _limits(draw: st.DrawFn) -> DeviceLimits:
    speed_min = draw(st.sampled_from([0.1, 0.5, 0.8, 1.0]))
    incline_min = draw(st.sampled_from([-3.0, 0.0]))
    return DeviceLimits(
        speed_min_kmh=speed_min,
        speed_max_kmh=draw(st.floats(speed_min + 1, 22.0)),
        speed_increment_kmh=draw(st.sampled_from([0.01, 0.1, 0.5, 0.3])),
        incline_min_pct=incline_min,
        incline_max_pct=draw(st.floats(0.0, 15.0)),
        incline_increment_pct=draw(st.sampled_from([0.1, 0.5, 1.0])),
        supports_incline=draw(st.booleans()),
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_profiles, _safety(), _limits())
def test_any_accepted_profile_plans_within_caps(
    data: dict, safety: SafetyConfig, limits: DeviceLimits
) -> None:
    try:
        profile = Profile.model_validate(data)
    except ValidationError:
        assume(False)
        return
    assume(limits.speed_min_kmh <= safety.max_backward_speed_kmh)
    plan = build_plan("generated", profile.expand(), safety, limits)
    assert len(plan.bouts) == len(profile.expand())
    facing = Direction.FORWARD
    for item in plan.items:
        if isinstance(item, TurnAround):
            assert item.from_direction is facing and item.to_direction is not facing
            assert item.turn_speed_kmh <= safety.max_backward_speed_kmh + 1e-9
            facing = item.to_direction
            continue
        assert isinstance(item, PlannedBout)
        assert item.direction is facing  # every change of direction had its turn-around
        backward = item.direction is Direction.BACKWARD
        speed_cap = min(
            safety.max_speed_kmh,
            safety.max_backward_speed_kmh if backward else safety.max_speed_kmh,
            limits.speed_max_kmh,
        )
        assert limits.speed_min_kmh - 1e-9 <= item.speed_kmh <= speed_cap + 1e-9
        incline_cap = min(
            safety.max_incline_pct,
            safety.max_backward_incline_pct if backward else safety.max_incline_pct,
            limits.incline_max_pct,
        )
        if limits.supports_incline:
            assert limits.incline_min_pct - 1e-9 <= item.incline_pct <= incline_cap + 1e-9
        else:
            assert item.incline_pct == 0.0
        expected_acc = (
            safety.max_backward_acceleration_kmh_per_s
            if backward
            else safety.max_acceleration_kmh_per_s
        )
        assert item.acceleration_kmh_per_s == expected_acc
        assert 0 <= item.ramp_s <= item.duration_s
