"""The strictest of two sets of caps (pure): a prescription's caps can be tightened, never
loosened, whatever the two configurations hold."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl.limits import (
    ABSOLUTE_MAX_ACCELERATION_KMH_PER_S,
    ABSOLUTE_MAX_INCLINE_PCT,
    ABSOLUTE_MAX_SPEED_KMH,
)
from treadctl.prescription.strictest import RULES, lock, loosest_with, strictest
from treadctl.safety_config import SafetyConfig


@st.composite
def safety_configs(draw: st.DrawFn) -> SafetyConfig:
    speed = draw(st.floats(0.1, ABSOLUTE_MAX_SPEED_KMH))
    back_speed = draw(st.floats(0.1, speed))
    incline = draw(st.floats(0.0, ABSOLUTE_MAX_INCLINE_PCT))
    back_incline = draw(st.floats(0.0, incline))
    accel = draw(st.floats(0.01, ABSOLUTE_MAX_ACCELERATION_KMH_PER_S))
    back_accel = draw(st.floats(0.01, accel))
    return SafetyConfig(
        max_speed_kmh=speed,
        max_backward_speed_kmh=back_speed,
        max_incline_pct=incline,
        max_backward_incline_pct=back_incline,
        max_acceleration_kmh_per_s=accel,
        max_backward_acceleration_kmh_per_s=back_accel,
        watchdog_s=draw(st.floats(0.1, 10.0)),
        turn_speed_kmh=draw(st.floats(0.0, back_speed)),
        turn_hold_s=draw(st.floats(0.0, 120.0)),
        confirm_turns=draw(st.booleans()),
        max_nudge_kmh=draw(st.floats(0.0, 3.0)),
        nudge_interval_s=draw(st.floats(0.2, 10.0)),
        pause_timeout_s=draw(st.floats(1.0, 7200.0)),
        hr_ceiling_bpm=draw(st.none() | st.integers(60, 220)),
        hr_ceiling_step_kmh=draw(st.floats(0.05, 2.0)),
        require_hr=draw(st.booleans()),
    )


def _at_least_as_strict(field: str, value: Any, other: Any) -> bool:
    """``value`` is no looser than ``other`` for ``field``."""
    if field in ("turn_hold_s", "nudge_interval_s", "hr_ceiling_step_kmh"):
        return bool(value >= other)
    if field in ("confirm_turns", "require_hr"):
        return bool(value or not other)
    if other is None:  # no limit at all is the loosest
        return True
    if value is None:
        return False
    return bool(value <= other)


@given(safety_configs(), safety_configs())
def test_the_result_is_no_looser_than_either_and_takes_one_of_them(
    own: SafetyConfig, locked: SafetyConfig
) -> None:
    result = strictest(own, locked)  # validates, so the backward caps stay below the forward ones
    for field in SafetyConfig.model_fields:
        value = getattr(result, field)
        assert _at_least_as_strict(field, value, getattr(own, field)), field
        assert _at_least_as_strict(field, value, getattr(locked, field)), field
        assert value in (getattr(own, field), getattr(locked, field))


@given(safety_configs(), safety_configs())
def test_order_does_not_matter_and_repeating_changes_nothing(
    a: SafetyConfig, b: SafetyConfig
) -> None:
    assert strictest(a, b) == strictest(b, a)
    assert strictest(a, a) == a
    once = strictest(a, b)
    assert strictest(once, b) == once
    assert strictest(once, a) == once


@given(safety_configs(), safety_configs())
def test_the_walker_can_tighten_but_never_loosen_a_lock(
    own: SafetyConfig, prescribed: SafetyConfig
) -> None:
    caps = prescribed.model_dump()
    effective, decided = lock(own, caps)
    for field in SafetyConfig.model_fields:
        assert _at_least_as_strict(field, getattr(effective, field), caps[field])
        if getattr(effective, field) != getattr(own, field):
            assert field in decided  # a limit that is not the walker's is named as prescribed


@given(safety_configs(), st.floats(0.1, 4.0))
def test_a_partial_prescription_only_locks_what_it_names(
    own: SafetyConfig, backward_kmh: float
) -> None:
    effective, decided = lock(own, {"max_backward_speed_kmh": backward_kmh})
    assert effective.max_backward_speed_kmh == min(own.max_backward_speed_kmh, backward_kmh)
    assert effective.max_speed_kmh == own.max_speed_kmh
    assert effective.watchdog_s == own.watchdog_s
    assert effective.turn_speed_kmh <= effective.max_backward_speed_kmh
    assert decided <= {"max_backward_speed_kmh", "turn_speed_kmh"}


def test_a_forward_cap_alone_also_caps_backward_walking() -> None:
    own = SafetyConfig(max_speed_kmh=8.0, max_backward_speed_kmh=4.0, turn_speed_kmh=1.0)
    effective, decided = lock(own, {"max_speed_kmh": 3.0})
    assert effective.max_speed_kmh == 3.0
    assert effective.max_backward_speed_kmh == 3.0
    assert decided == {"max_speed_kmh", "max_backward_speed_kmh"}


def test_every_safety_field_has_a_rule_and_open_fields_are_loosest() -> None:
    assert set(SafetyConfig.model_fields) <= set(RULES)
    loose = loosest_with({})
    for field in SafetyConfig.model_fields:
        own = SafetyConfig()
        assert getattr(strictest(own, loose), field) == getattr(own, field), field


def test_the_heart_rate_ceiling_rule_treats_none_as_no_limit() -> None:
    rule = RULES["hr_ceiling_bpm"]
    assert rule(None, 120) == 120
    assert rule(140, None) == 140
    assert rule(140, 120) == 120
    assert rule(None, None) is None


def test_a_field_without_a_rule_is_locked_only_when_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from treadctl.prescription import strictest as module

    monkeypatch.setattr(module, "RULES", {k: v for k, v in RULES.items() if k != "confirm_turns"})
    own = SafetyConfig(confirm_turns=True)
    effective, _ = lock(own, {"max_speed_kmh": 5.0})
    assert effective.confirm_turns is True  # not named: the walker's
    effective, decided = lock(own, {"confirm_turns": False})
    assert effective.confirm_turns is False  # named: the prescription's wins
    assert "confirm_turns" in decided
