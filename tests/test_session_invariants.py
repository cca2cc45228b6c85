"""The supervisor's invariants under random profiles, configurations, personalities and faults.

Each example is a whole session through the real client and the simulator on virtual time.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulators.faults import FaultKind
from simulators.personalities import PERSONALITIES
from tests.session_support import bouts_of, check_invariants, run_session
from treadctl.events import EndStatus
from treadctl.plan import PlanError
from treadctl.safety_config import SafetyConfig
from treadctl.virtual_time import run_virtual

bout = st.tuples(
    st.sampled_from(["forward", "backward"]),
    st.integers(20, 240),
    st.floats(0.5, 9.0).map(lambda v: round(v, 1)),
    st.floats(0.0, 12.0).map(lambda v: round(v, 1)),
)


@st.composite
def safety_configs(draw: st.DrawFn) -> SafetyConfig:
    max_speed = draw(st.floats(2.0, 10.0))
    max_accel = draw(st.floats(0.1, 1.5))
    return SafetyConfig(
        max_speed_kmh=max_speed,
        max_backward_speed_kmh=draw(st.floats(1.0, max_speed)),
        max_incline_pct=(incline := draw(st.floats(0.0, 12.0))),
        max_backward_incline_pct=draw(st.floats(0.0, incline)),
        max_acceleration_kmh_per_s=max_accel,
        max_backward_acceleration_kmh_per_s=draw(st.floats(0.05, max_accel)),
        watchdog_s=draw(st.floats(1.5, 6.0)),
        turn_speed_kmh=draw(st.sampled_from([0.0, 0.8, 1.0])),
        turn_hold_s=draw(st.floats(0.0, 8.0)),
        confirm_turns=draw(st.booleans()),
    )


faults = st.lists(
    st.tuples(st.sampled_from(list(FaultKind)), st.integers(1, 600), st.integers(1, 40)),
    max_size=2,
).map(lambda items: [f"{kind}@{at}+{duration}" for kind, at, duration in items])


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(
    specs=st.lists(bout, min_size=1, max_size=5),
    safety=safety_configs(),
    personality=st.sampled_from(list(PERSONALITIES)),
    fault_specs=faults,
)
def test_invariants_hold(
    specs: list[tuple[str, int, float, float]],
    safety: SafetyConfig,
    personality: str,
    fault_specs: list[str],
) -> None:
    try:
        safety = SafetyConfig.model_validate(safety.model_dump())
    except ValueError:
        return
    try:
        out = run_virtual(
            run_session(
                bouts_of(*specs), safety=safety, personality=personality, faults=fault_specs
            )
        )
    except PlanError:
        return  # this device cannot satisfy these caps at all: refused before anything moves
    check_invariants(out)
    # Every session, faulty or not, ends with the belt stopped in the simulator's own state.
    assert out.speed_after_kmh == pytest.approx(0.0, abs=0.05)
    if not fault_specs:
        assert out.ended.status is EndStatus.COMPLETED, out.ended
