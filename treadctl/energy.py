"""Energy estimates: one model for ``profile show``, the live screen and the history.

kcal = METs x body mass (kg) x hours, using 1 MET = 1 kcal per kg per hour.

Sources:

* Ainsworth BE et al. 2011 Compendium of Physical Activities: a second update of codes and MET
  values. Med Sci Sports Exerc 2011;43(8):1575-1581 (also in the 2024 Adult Compendium,
  Herrmann SD et al., J Sport Health Sci 2024). Walking, level, firm surface:
  2.0 mph 2.8, 2.5 mph 3.0, 2.8-3.2 mph 3.5, 3.5 mph 4.3, 4.0 mph 5.0, 4.5 mph 7.0, 5.0 mph 8.3
  METs. Walking backwards, 3.5 mph: level 6.0 METs; uphill, 5 % grade 8.0 METs.
* American College of Sports Medicine (ACSM) metabolic equation for walking:
  VO2 (ml/kg/min) = 3.5 + 0.1 x speed (m/min) + 1.8 x speed (m/min) x grade (fraction),
  1 MET = 3.5 ml/kg/min. Used where the Compendium has no entry: below 2 mph (joined
  continuously to the 2 mph value) and on grades.

Forward walking: the Compendium's level values interpolated by speed from 2 to 5 mph (the ACSM
equation below, proportional beyond), plus the ACSM grade term uphill (downhill adds nothing).

Backward walking: the Compendium's backward-to-forward ratio at level (6.0 against 4.3 METs,
about 40 % more; taken on the METs above rest) applied to the forward level value, plus the ACSM
grade term scaled so that 3.5 mph at 5 % gives the Compendium's 8.0 METs. At 3.5 mph this
reproduces 4.3, 6.0 and 8.0 METs exactly.
"""

from __future__ import annotations

from bisect import bisect_right

from treadctl.direction import Direction
from treadctl.units import mph_to_kmh

# (speed km/h, METs): Compendium 2011, walking, level, firm surface.
_FORWARD_LEVEL: tuple[tuple[float, float], ...] = tuple(
    (mph_to_kmh(speed_mph), mets)
    for speed_mph, mets in (
        (2.0, 2.8),  # 17152
        (2.5, 3.0),  # 17170
        (3.0, 3.5),  # 17190 (2.8-3.2 mph)
        (3.5, 4.3),  # 17200
        (4.0, 5.0),  # 17220
        (4.5, 7.0),  # 17230
        (5.0, 8.3),  # 17231
    )
)
_FORWARD_LEVEL_SPEEDS: tuple[float, ...] = tuple(point[0] for point in _FORWARD_LEVEL)
_BACKWARD_LEVEL_METS_3_5_MPH = 6.0  # 17320, walking backwards, 3.5 mph, level
_BACKWARD_UPHILL_METS_3_5_MPH_5_PCT = 8.0  # 17325, walking backwards, 3.5 mph, uphill 5 %
_FORWARD_LEVEL_METS_3_5_MPH = 4.3

_ML_O2_PER_MET = 3.5


def _acsm_level_mets(speed_kmh: float) -> float:
    speed_m_per_min = speed_kmh * 1000 / 60
    return (_ML_O2_PER_MET + 0.1 * speed_m_per_min) / _ML_O2_PER_MET


def _acsm_grade_mets(speed_kmh: float, incline_pct: float) -> float:
    """The METs the ACSM equation adds for climbing; nothing for level or downhill."""
    if incline_pct <= 0:
        return 0.0
    speed_m_per_min = speed_kmh * 1000 / 60
    return 1.8 * speed_m_per_min * (incline_pct / 100) / _ML_O2_PER_MET


def _forward_level_mets(speed_kmh: float) -> float:
    speeds = _FORWARD_LEVEL_SPEEDS
    if speed_kmh <= speeds[0]:
        # Below the Compendium's slowest entry: ACSM, with the gap to the 2 mph value phased in
        # linearly so the curve is continuous there and still 1 MET at a standstill.
        gap = _FORWARD_LEVEL[0][1] - _acsm_level_mets(speeds[0])
        return _acsm_level_mets(speed_kmh) + gap * speed_kmh / speeds[0]
    if speed_kmh >= speeds[-1]:
        slope = _FORWARD_LEVEL[-1][1] / speeds[-1]
        return slope * speed_kmh
    position = bisect_right(speeds, speed_kmh)
    (low_kmh, low_mets), (high_kmh, high_mets) = (
        _FORWARD_LEVEL[position - 1],
        _FORWARD_LEVEL[position],
    )
    fraction = (speed_kmh - low_kmh) / (high_kmh - low_kmh)
    return low_mets + fraction * (high_mets - low_mets)


# Applied to the METs above rest, so a standstill stays 1 MET whichever way the walker faces.
_BACKWARD_LEVEL_RATIO = (_BACKWARD_LEVEL_METS_3_5_MPH - 1) / (_FORWARD_LEVEL_METS_3_5_MPH - 1)
_BACKWARD_GRADE_SCALE = (_BACKWARD_UPHILL_METS_3_5_MPH_5_PCT - _BACKWARD_LEVEL_METS_3_5_MPH) / (
    _acsm_grade_mets(mph_to_kmh(3.5), 5.0)
)


def mets(direction: Direction, speed_kmh: float, incline_pct: float) -> float:
    """Metabolic equivalents of walking ``direction`` at this speed and grade (1.0 at rest)."""
    if speed_kmh <= 0:
        return 1.0
    level = _forward_level_mets(speed_kmh)
    grade = _acsm_grade_mets(speed_kmh, incline_pct)
    if direction is Direction.BACKWARD:
        return 1 + (level - 1) * _BACKWARD_LEVEL_RATIO + grade * _BACKWARD_GRADE_SCALE
    return level + grade


def energy_kcal(
    direction: Direction,
    speed_kmh: float,
    incline_pct: float,
    duration_s: float,
    body_mass_kg: float,
) -> float:
    """Estimated kcal for one bout: METs x kg x hours."""
    return mets(direction, speed_kmh, incline_pct) * body_mass_kg * max(0.0, duration_s) / 3600
