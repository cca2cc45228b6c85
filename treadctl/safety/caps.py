"""The limits that apply to the belt right now, and the pure arithmetic of clamping and ramping.

Three layers of limits meet here: the device's advertised range and increment, the walker's caps
from the configuration, and the stricter caps for walking backward. Everything is a pure function
of those numbers, so the plan, the supervisor and the tests agree on every value.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from treadctl.direction import Direction
from treadctl.limits import DeviceLimits

# Never step the belt more often than this: fewer Control Point writes, same acceleration.
MIN_STEP_INTERVAL_S = 0.5


class SafetyCaps(Protocol):
    """The fields of ``treadctl.config.SafetyConfig`` the supervisor reads."""

    max_speed_kmh: float
    max_backward_speed_kmh: float
    max_incline_pct: float
    max_backward_incline_pct: float
    max_acceleration_kmh_per_s: float
    max_backward_acceleration_kmh_per_s: float
    watchdog_s: float
    max_nudge_kmh: float
    max_nudge_incline_pct: float
    nudge_interval_s: float


@dataclass(frozen=True)
class Caps:
    """Device range ∩ user caps for one walking direction."""

    direction: Direction
    min_speed_kmh: float
    max_speed_kmh: float
    speed_increment_kmh: float
    min_incline_pct: float
    max_incline_pct: float
    incline_increment_pct: float
    acceleration_kmh_per_s: float
    supports_incline: bool


def caps_for(direction: Direction, safety: SafetyCaps, limits: DeviceLimits) -> Caps:
    backward = direction is Direction.BACKWARD
    # Backward is never looser than forward, even if a configuration said otherwise.
    user_speed = safety.max_speed_kmh
    user_incline = safety.max_incline_pct
    if backward:
        user_speed = min(user_speed, safety.max_backward_speed_kmh)
        user_incline = min(user_incline, safety.max_backward_incline_pct)
    accel = (
        safety.max_backward_acceleration_kmh_per_s
        if backward
        else safety.max_acceleration_kmh_per_s
    )
    max_speed = limits.floor_speed_kmh(min(user_speed, limits.speed_max_kmh))
    max_incline = limits.floor_incline_pct(min(user_incline, limits.incline_max_pct))
    return Caps(
        direction=direction,
        min_speed_kmh=limits.speed_min_kmh,
        max_speed_kmh=max(max_speed, limits.speed_min_kmh),
        speed_increment_kmh=limits.speed_increment_kmh,
        min_incline_pct=limits.incline_min_pct,
        max_incline_pct=max(max_incline, limits.incline_min_pct),
        incline_increment_pct=limits.incline_increment_pct,
        acceleration_kmh_per_s=accel,
        supports_incline=limits.supports_incline,
    )


def strictest(a: Caps, b: Caps) -> Caps:
    """The caps that satisfy both ``a`` and ``b`` (used across a turn-around)."""
    return Caps(
        direction=b.direction,
        min_speed_kmh=max(a.min_speed_kmh, b.min_speed_kmh),
        max_speed_kmh=min(a.max_speed_kmh, b.max_speed_kmh),
        speed_increment_kmh=b.speed_increment_kmh,
        min_incline_pct=max(a.min_incline_pct, b.min_incline_pct),
        max_incline_pct=min(a.max_incline_pct, b.max_incline_pct),
        incline_increment_pct=b.incline_increment_pct,
        acceleration_kmh_per_s=min(a.acceleration_kmh_per_s, b.acceleration_kmh_per_s),
        supports_incline=a.supports_incline and b.supports_incline,
    )


@dataclass(frozen=True)
class TargetClamp:
    """``asked`` became ``sent``; ``reason`` is None when nothing had to change."""

    asked: float
    sent: float
    reason: str | None = None


def clamp_speed(asked_kmh: float, caps: Caps) -> TargetClamp:
    """The belt speed to command for ``asked_kmh``: within the caps, on the device's grid."""
    if not math.isfinite(asked_kmh):
        return TargetClamp(asked_kmh, caps.min_speed_kmh, "not a number")
    if asked_kmh > caps.max_speed_kmh:
        return TargetClamp(asked_kmh, caps.max_speed_kmh, _speed_cap_reason(caps))
    if asked_kmh < caps.min_speed_kmh:
        return TargetClamp(asked_kmh, caps.min_speed_kmh, "below the treadmill's minimum speed")
    sent = _on_grid(asked_kmh, caps.min_speed_kmh, caps.speed_increment_kmh, caps.max_speed_kmh)
    reason = None if math.isclose(sent, asked_kmh, abs_tol=1e-6) else "rounded to the increment"
    return TargetClamp(asked_kmh, sent, reason)


def clamp_incline(asked_pct: float, caps: Caps) -> TargetClamp:
    if not caps.supports_incline:
        return TargetClamp(
            asked_pct, 0.0, None if asked_pct == 0 else "the treadmill has no incline"
        )
    if not math.isfinite(asked_pct):
        return TargetClamp(asked_pct, caps.min_incline_pct, "not a number")
    if asked_pct > caps.max_incline_pct:
        backward = caps.direction is Direction.BACKWARD
        why = "backward incline cap" if backward else "incline cap"
        return TargetClamp(asked_pct, caps.max_incline_pct, why)
    if asked_pct < caps.min_incline_pct:
        return TargetClamp(asked_pct, caps.min_incline_pct, "below the treadmill's minimum incline")
    sent = _on_grid(
        asked_pct, caps.min_incline_pct, caps.incline_increment_pct, caps.max_incline_pct
    )
    reason = None if math.isclose(sent, asked_pct, abs_tol=1e-6) else "rounded to the increment"
    return TargetClamp(asked_pct, sent, reason)


def _speed_cap_reason(caps: Caps) -> str:
    return "backward speed cap" if caps.direction is Direction.BACKWARD else "speed cap"


def _on_grid(value: float, origin: float, step: float, top: float) -> float:
    if step <= 0:
        return round(min(value, top), 2)
    steps = round((value - origin) / step)
    result = round(origin + steps * step, 2)
    if result > top + 1e-9:
        result = round(origin + math.floor((top - origin) / step + 1e-9) * step, 2)
    return result


@dataclass(frozen=True)
class RampStep:
    """Raise the speed by ``step_kmh`` at most once every ``interval_s``."""

    step_kmh: float
    interval_s: float


def ramp_step(caps: Caps, acceleration_kmh_per_s: float | None = None) -> RampStep:
    """The stepping that keeps every increase within the acceleration: one increment (or a whole
    number of increments) per interval, never sooner than ``MIN_STEP_INTERVAL_S``."""
    accel = caps.acceleration_kmh_per_s
    if acceleration_kmh_per_s is not None and acceleration_kmh_per_s > 0:
        accel = min(accel, acceleration_kmh_per_s)
    increment = caps.speed_increment_kmh if caps.speed_increment_kmh > 0 else 0.01
    interval_s = max(increment / accel, MIN_STEP_INTERVAL_S)
    steps = max(1, math.floor(accel * interval_s / increment + 1e-9))
    step_kmh = round(steps * increment, 2)
    return RampStep(step_kmh=step_kmh, interval_s=max(step_kmh / accel, MIN_STEP_INTERVAL_S))


def next_ramp_speed(sent_kmh: float, target_kmh: float, step: RampStep) -> float:
    """The next command on the way from ``sent_kmh`` up to ``target_kmh``."""
    return round(min(target_kmh, sent_kmh + step.step_kmh), 2)


def bounded_nudge(offset: float, delta: float, max_abs: float) -> float:
    """The new total nudge after adding ``delta``: never more than ``max_abs`` either way, so a
    thousand presses cannot walk a warm-up up to the cap."""
    return round(max(-max_abs, min(max_abs, offset + delta)), 2)
