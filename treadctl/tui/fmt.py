"""Text the screens show: speeds in the walker's units, distances, directions. Pure."""

from __future__ import annotations

from treadctl.direction import Direction
from treadctl.units import SpeedUnit, from_kmh, speed_label

ARROW = {Direction.BACKWARD: "◀◀", Direction.FORWARD: "▶▶"}
WORD = {Direction.BACKWARD: "BACKWARD", Direction.FORWARD: "FORWARD"}


def speed(speed_kmh: float | None, unit: SpeedUnit, *, with_unit: bool = True) -> str:
    text = "–" if speed_kmh is None else f"{from_kmh(speed_kmh, unit):.1f}"
    return f"{text} {speed_label(unit)}" if with_unit else text


def incline(incline_pct: float | None) -> str:
    return "–" if incline_pct is None else f"{incline_pct:.1f} %"


def distance(distance_m: float, unit: SpeedUnit) -> str:
    if unit == "mph":
        return f"{distance_m / 1609.344:.2f} mi"
    return f"{distance_m / 1000:.2f} km"


def direction_word(direction: Direction | None) -> str:
    return WORD[direction] if direction is not None else "—"


def facing_hint(direction: Direction) -> str:
    """What a walker does to face ``direction``."""
    if direction is Direction.BACKWARD:
        return "face away from the console"
    return "face the console"
