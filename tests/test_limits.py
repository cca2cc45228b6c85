"""DeviceLimits rounding: never above a cap when flooring, nearest step otherwise."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from treadctl.limits import DeviceLimits


def test_rounds_to_the_device_increment() -> None:
    half_steps = DeviceLimits(speed_min_kmh=1.0, speed_increment_kmh=0.5)
    assert half_steps.round_speed_kmh(1.3) == 1.5
    assert half_steps.round_speed_kmh(1.2) == 1.0
    assert half_steps.floor_speed_kmh(1.9) == 1.5


def test_incline_steps_may_start_below_zero() -> None:
    limits = DeviceLimits(incline_min_pct=-3.0, incline_increment_pct=1.0)
    assert limits.round_incline_pct(4.6) == 5.0
    assert limits.floor_incline_pct(4.6) == 4.0
    assert limits.round_incline_pct(-2.6) == -3.0


@given(
    cap_kmh=st.floats(min_value=0.5, max_value=20.0),
    step_kmh=st.sampled_from([0.1, 0.5, 0.161]),
)
def test_floor_never_exceeds_the_value(cap_kmh: float, step_kmh: float) -> None:
    limits = DeviceLimits(speed_min_kmh=0.5, speed_increment_kmh=step_kmh)
    floored = limits.floor_speed_kmh(cap_kmh)
    assert floored <= cap_kmh + 1e-9
    assert cap_kmh - floored < step_kmh + 0.01
