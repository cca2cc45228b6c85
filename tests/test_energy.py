"""The energy model reproduces the Compendium's published figures."""

from __future__ import annotations

import pytest

from treadctl.direction import Direction
from treadctl.energy import energy_kcal, mets
from treadctl.units import mph_to_kmh

SPEED_3_5_MPH = mph_to_kmh(3.5)


@pytest.mark.parametrize(
    ("direction", "incline_pct", "expected_mets"),
    [(Direction.FORWARD, 0, 4.3), (Direction.BACKWARD, 0, 6.0), (Direction.BACKWARD, 5, 8.0)],
)
def test_compendium_values_at_3_5_mph(
    direction: Direction, incline_pct: float, expected_mets: float
) -> None:
    assert mets(direction, SPEED_3_5_MPH, incline_pct) == pytest.approx(expected_mets)
    # 10 minutes at 70 kg: METs x 70 kg x 1/6 h.
    kcal = energy_kcal(direction, SPEED_3_5_MPH, incline_pct, 600, 70)
    assert kcal == pytest.approx(expected_mets * 70 / 6)


def test_backward_costs_about_40_percent_more() -> None:
    ratio = mets(Direction.BACKWARD, SPEED_3_5_MPH, 0) / mets(Direction.FORWARD, SPEED_3_5_MPH, 0)
    assert ratio == pytest.approx(1.4, abs=0.02)


def test_compendium_level_walking_points() -> None:
    assert mets(Direction.FORWARD, mph_to_kmh(2.5), 0) == pytest.approx(3.0)
    assert mets(Direction.FORWARD, mph_to_kmh(4.0), 0) == pytest.approx(5.0)


def test_monotonic_in_speed_and_grade_and_continuous() -> None:
    for direction in Direction:
        previous = mets(direction, 0.0, 0)
        for tenth in range(1, 100):
            value = mets(direction, tenth / 10, 0)
            assert value > previous
            assert value - previous < 0.4  # no jumps between table and equation
            previous = value
        assert mets(direction, 3.0, 5) > mets(direction, 3.0, 2) > mets(direction, 3.0, 0)


def test_standstill_and_zero_duration() -> None:
    assert mets(Direction.BACKWARD, 0, 0) == 1.0
    assert energy_kcal(Direction.FORWARD, 3, 0, 0, 70) == 0
    assert energy_kcal(Direction.FORWARD, 3, 0, 600, 140) == pytest.approx(
        2 * energy_kcal(Direction.FORWARD, 3, 0, 600, 70)
    )
