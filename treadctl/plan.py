"""The plan: a profile turned into the timeline the session engine walks, before anything moves.

Pure (no I/O, no asyncio). Every target is clamped to the strictest cap that applies — the user's
cap, the lower backward cap for backward bouts, the treadmill's range — and put on the treadmill's
increment: rounded down when at a cap (never above it), to the nearest step otherwise. Every change
is recorded as a ``PlanClamp`` so ``profile check`` and ``run`` can list it first.

Ramps: the belt starts at its minimum speed; each bout ramps from the previous belt speed in
increment-sized steps no faster than the applicable acceleration (the backward one is lower).

Turn-arounds: wherever the direction changes there is a ``TurnAround`` item (slow to the turn
speed or stop, count down, optionally wait for a key, then ramp up). A session that opens with a
backward bout also starts with one, with the belt still stopped (``turn_speed_kmh`` 0): the walker
gets on facing the console and must be facing away before the belt first moves.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from treadctl.direction import Direction
from treadctl.errors import ProfileError
from treadctl.limits import DeviceLimits
from treadctl.safety.caps import caps_for, clamp_incline, clamp_speed

if TYPE_CHECKING:
    from treadctl.profile.bout import BoutSpec
    from treadctl.profile.models import Profile
    from treadctl.safety_config import SafetyConfig

_EPS = 1e-9


class PlanError(ProfileError):
    """The caps and the treadmill's range leave no safe target (e.g. the slowest belt speed is
    above the backward cap)."""


@dataclass(frozen=True)
class PlanClamp:
    bout_index: int
    field: Literal["speed", "incline"]
    asked: float
    sent: float
    reason: str


@dataclass(frozen=True)
class PlannedBout:
    index: int
    label: str
    direction: Direction
    duration_s: float
    speed_kmh: float  # after clamps and rounding
    incline_pct: float
    cue: str | None
    acceleration_kmh_per_s: float  # the applicable cap (lower when backward)
    ramp_from_kmh: float  # belt speed when the bout starts
    ramp_s: float  # time the stepped ramp takes inside the bout (at most duration_s)

    @property
    def distance_m(self) -> float:
        ramp_m = (self.ramp_from_kmh + self.speed_kmh) / 2 / 3.6 * self.ramp_s
        steady_m = self.speed_kmh / 3.6 * (self.duration_s - self.ramp_s)
        return ramp_m + steady_m


@dataclass(frozen=True)
class TurnAround:
    before_bout: int
    from_direction: Direction
    to_direction: Direction
    turn_speed_kmh: float  # 0: the belt stops
    hold_s: float
    confirm: bool  # wait for a key after the countdown


PlanItem = PlannedBout | TurnAround


@dataclass(frozen=True)
class Plan:
    profile_name: str
    items: tuple[PlanItem, ...]
    clamps: tuple[PlanClamp, ...]
    start_speed_kmh: float
    limits: DeviceLimits

    @property
    def bouts(self) -> tuple[PlannedBout, ...]:
        return tuple(item for item in self.items if isinstance(item, PlannedBout))

    @property
    def turns(self) -> tuple[TurnAround, ...]:
        return tuple(item for item in self.items if isinstance(item, TurnAround))

    @property
    def total_duration_s(self) -> float:
        """Bouts plus turn-around countdowns (waiting for a key is not counted)."""
        return sum(b.duration_s for b in self.bouts) + sum(t.hold_s for t in self.turns)

    @property
    def backward_s(self) -> float:
        return sum(b.duration_s for b in self.bouts if b.direction is Direction.BACKWARD)

    @property
    def forward_s(self) -> float:
        return sum(b.duration_s for b in self.bouts if b.direction is Direction.FORWARD)

    @property
    def distance_m(self) -> float:
        """Belt distance estimate: ramps at their mean speed, turns at the turn speed."""
        turning_m = sum(t.turn_speed_kmh / 3.6 * t.hold_s for t in self.turns)
        return sum(b.distance_m for b in self.bouts) + turning_m

    def energy_kcal(self, body_mass_kg: float) -> float:
        from treadctl.energy import energy_kcal

        return sum(
            energy_kcal(b.direction, b.speed_kmh, b.incline_pct, b.duration_s, body_mass_kg)
            for b in self.bouts
        )


def build_plan(
    profile_name: str,
    bouts: Sequence[BoutSpec],
    safety: SafetyConfig,
    limits: DeviceLimits | None = None,
    *,
    stop_for_turns: bool = False,
    confirm_turns: bool = False,
) -> Plan:
    """The timeline for ``bouts`` under ``safety`` and the device's ``limits`` (defaults if
    unknown). Raises PlanError when no speed satisfies both the caps and the device.
    ``stop_for_turns`` and ``confirm_turns`` (a profile's ``[turns]``) only add care."""
    device = limits if limits is not None else DeviceLimits()
    start_speed_kmh = device.speed_min_kmh
    turn_speed_kmh = 0.0 if stop_for_turns else _turn_speed(safety.turn_speed_kmh, device)
    items: list[PlanItem] = []
    clamps: list[PlanClamp] = []
    belt_kmh = start_speed_kmh
    facing = Direction.FORWARD  # the walker gets on facing the console
    for spec in bouts:
        speed_kmh, speed_clamp = _speed(spec, safety, device)
        incline_pct, incline_clamp = _incline(spec, safety, device)
        clamps.extend(c for c in (speed_clamp, incline_clamp) if c is not None)
        if spec.direction is not facing:
            first = not items
            items.append(
                TurnAround(
                    before_bout=spec.index,
                    from_direction=facing,
                    to_direction=spec.direction,
                    turn_speed_kmh=0.0 if first else turn_speed_kmh,
                    hold_s=safety.turn_hold_s,
                    confirm=safety.confirm_turns or confirm_turns,
                )
            )
            if not first:
                belt_kmh = turn_speed_kmh if turn_speed_kmh > 0 else start_speed_kmh
            facing = spec.direction
        acceleration = (
            safety.max_backward_acceleration_kmh_per_s
            if spec.direction is Direction.BACKWARD
            else safety.max_acceleration_kmh_per_s
        )
        ramp_s = min(
            spec.duration_s,
            _ramp_s(belt_kmh, speed_kmh, acceleration, device.speed_increment_kmh),
        )
        items.append(
            PlannedBout(
                index=spec.index,
                label=spec.label,
                direction=spec.direction,
                duration_s=spec.duration_s,
                speed_kmh=speed_kmh,
                incline_pct=incline_pct,
                cue=spec.cue,
                acceleration_kmh_per_s=acceleration,
                ramp_from_kmh=belt_kmh,
                ramp_s=ramp_s,
            )
        )
        belt_kmh = speed_kmh
    return Plan(profile_name, tuple(items), tuple(clamps), start_speed_kmh, device)


def plan_profile(
    profile: Profile, safety: SafetyConfig, limits: DeviceLimits | None = None
) -> Plan:
    """``build_plan`` for a whole profile, its own ``[turns]`` included: what ``run`` drives is
    what ``profile check`` and the start screen show."""
    return build_plan(
        profile.name,
        profile.expand(),
        safety,
        limits,
        stop_for_turns=profile.turns.stop,
        confirm_turns=profile.turns.confirm,
    )


def speed_cap_kmh(direction: Direction, safety: SafetyConfig, limits: DeviceLimits) -> float:
    """The highest speed any source may ask for in ``direction`` on this device."""
    return _speed_cap(direction, safety, limits)[0]


def _speed_cap(
    direction: Direction, safety: SafetyConfig, limits: DeviceLimits
) -> tuple[float, str]:
    caps: list[tuple[float, str]] = []
    if direction is Direction.BACKWARD:
        caps.append(
            (
                safety.max_backward_speed_kmh,
                f"backward speed cap {_num(safety.max_backward_speed_kmh)} km/h",
            )
        )
    caps.append((safety.max_speed_kmh, f"speed cap {_num(safety.max_speed_kmh)} km/h"))
    caps.append((limits.speed_max_kmh, f"device maximum {_num(limits.speed_max_kmh)} km/h"))
    # min() keeps the first of equal caps, so the most specific reason is reported.
    return min(caps, key=lambda cap: cap[0])


def _incline_cap(
    direction: Direction, safety: SafetyConfig, limits: DeviceLimits
) -> tuple[float, str]:
    caps: list[tuple[float, str]] = []
    if direction is Direction.BACKWARD:
        caps.append(
            (
                safety.max_backward_incline_pct,
                f"backward incline cap {_num(safety.max_backward_incline_pct)} %",
            )
        )
    caps.append((safety.max_incline_pct, f"incline cap {_num(safety.max_incline_pct)} %"))
    caps.append((limits.incline_max_pct, f"device maximum {_num(limits.incline_max_pct)} %"))
    return min(caps, key=lambda cap: cap[0])


def _speed(
    spec: BoutSpec, safety: SafetyConfig, limits: DeviceLimits
) -> tuple[float, PlanClamp | None]:
    """The speed the supervisor will drive: the supervisor's own clamp (one clamp, one rounding),
    with the reason worded for ``profile check``."""
    cap, cap_reason = _speed_cap(spec.direction, safety, limits)
    if limits.speed_min_kmh > cap + _EPS:
        raise PlanError(
            f"bout {spec.index + 1} ({spec.label}): the treadmill's slowest speed "
            f"{_num(limits.speed_min_kmh)} km/h is above the {cap_reason}"
        )
    asked = spec.speed_kmh
    sent = clamp_speed(asked, caps_for(spec.direction, safety, limits)).sent
    if asked > cap + _EPS:
        reason = cap_reason
        if abs(sent - cap) > 1e-6:
            reason += (
                f", rounded down to the device increment {_num(limits.speed_increment_kmh)} km/h"
            )
    elif asked < limits.speed_min_kmh - _EPS:
        reason = f"device minimum {_num(limits.speed_min_kmh)} km/h"
    else:
        reason = f"device increment {_num(limits.speed_increment_kmh)} km/h"
    clamp = None
    if abs(sent - asked) > 1e-6:
        clamp = PlanClamp(spec.index, "speed", asked, sent, reason)
    return sent, clamp


def _incline(
    spec: BoutSpec, safety: SafetyConfig, limits: DeviceLimits
) -> tuple[float, PlanClamp | None]:
    asked = spec.incline_pct
    if not limits.supports_incline:
        if abs(asked) > 1e-6:
            return 0.0, PlanClamp(spec.index, "incline", asked, 0.0, "device has no incline")
        return 0.0, None
    cap, cap_reason = _incline_cap(spec.direction, safety, limits)
    if limits.incline_min_pct > cap + _EPS:
        raise PlanError(
            f"bout {spec.index + 1} ({spec.label}): the treadmill's lowest incline "
            f"{_num(limits.incline_min_pct)} % is above the {cap_reason}"
        )
    sent = clamp_incline(asked, caps_for(spec.direction, safety, limits)).sent
    if asked > cap + _EPS:
        reason = cap_reason
    elif asked < limits.incline_min_pct - _EPS:
        reason = f"device minimum {_num(limits.incline_min_pct)} %"
    else:
        reason = f"device increment {_num(limits.incline_increment_pct)} %"
    clamp = None
    if abs(sent - asked) > 1e-6:
        clamp = PlanClamp(spec.index, "incline", asked, sent, reason)
    return sent, clamp


def _num(value: float) -> str:
    """4 -> "4.0", 0.25 -> "0.25": how caps read in clamp reasons."""
    return f"{value:.1f}" if abs(value - round(value, 1)) < 1e-9 else f"{value:g}"


def _not_above(value: float, cap: float, increment: float) -> float:
    """Guard against two-decimal rounding lifting a floored value over a finer-grained cap."""
    step = increment if increment > 0 else 0.01
    while value > cap + _EPS:
        value = round(value - step, 2)
    return value


def _turn_speed(turn_speed_kmh: float, limits: DeviceLimits) -> float:
    """The belt speed during a turn: never faster than configured; if the treadmill cannot go
    that slowly, the belt stops instead."""
    if turn_speed_kmh <= 0 or turn_speed_kmh < limits.speed_min_kmh - _EPS:
        return 0.0
    capped = min(turn_speed_kmh, limits.speed_max_kmh)
    return _not_above(limits.floor_speed_kmh(capped), capped, limits.speed_increment_kmh)


def _ramp_s(from_kmh: float, to_kmh: float, acceleration: float, increment: float) -> float:
    """Time to step from one speed to another, one device increment per ``increment /
    acceleration`` seconds."""
    change = abs(to_kmh - from_kmh)
    if change < 1e-6:
        return 0.0
    if increment <= 0:
        return change / acceleration
    steps = math.ceil(change / increment - 1e-6)
    return round(steps * increment / acceleration, 3)
