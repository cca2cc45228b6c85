"""Unit conversions at the edges: internally speeds are km/h, inclines %, durations s."""

from __future__ import annotations

from typing import Literal

KM_PER_MILE = 1.609344

SpeedUnit = Literal["kmh", "mph"]


def mph_to_kmh(speed_mph: float) -> float:
    return speed_mph * KM_PER_MILE


def kmh_to_mph(speed_kmh: float) -> float:
    return speed_kmh / KM_PER_MILE


def to_kmh(speed: float, unit: SpeedUnit) -> float:
    """A speed in the user's unit, in km/h."""
    return mph_to_kmh(speed) if unit == "mph" else speed


def from_kmh(speed_kmh: float, unit: SpeedUnit) -> float:
    """A speed in km/h, in the user's unit."""
    return kmh_to_mph(speed_kmh) if unit == "mph" else speed_kmh


def speed_label(unit: SpeedUnit) -> str:
    return "mph" if unit == "mph" else "km/h"


def format_duration(duration_s: float) -> str:
    """``m:ss`` below an hour, ``h:mm:ss`` above; what the walker reads on screen."""
    total_s = max(0, round(duration_s))
    hours, rest_s = divmod(total_s, 3600)
    minutes, seconds = divmod(rest_s, 60)
    if hours:
        return f"{hours}:{minutes:02d}:{seconds:02d}"
    return f"{minutes}:{seconds:02d}"


METRES_PER_MILE = KM_PER_MILE * 1000


def format_speed(speed_kmh: float, unit: SpeedUnit, *, digits: int = 1) -> str:
    """``4.0 km/h`` or ``2.5 mph``: a speed as the walker reads it."""
    return f"{from_kmh(speed_kmh, unit):.{digits}f} {speed_label(unit)}"


def format_distance(distance_m: float, unit: SpeedUnit) -> str:
    """``1.25 km`` or ``0.78 mi``: distances follow the speed unit (mph walkers think in miles)."""
    if unit == "mph":
        return f"{distance_m / METRES_PER_MILE:.2f} mi"
    return f"{distance_m / 1000:.2f} km"


def distance_label(unit: SpeedUnit) -> str:
    return "mi" if unit == "mph" else "km"


def mph_alias(kmh_key: str) -> str:
    """``max_speed_kmh`` -> ``max_speed_mph``: the same setting written in mph."""
    return kmh_key.replace("kmh", "mph")


def fold_mph_keys(data: object, kmh_keys: tuple[str, ...], digits: int = 3) -> object:
    """A copy of a config table with every ``*_mph`` key turned into its ``*_kmh`` twin.

    Raises ``KeyError`` naming the mph key when a table gives both (the caller turns it into a
    located error). Anything that is not a dict, or a non-numeric value, passes unchanged so the
    model reports it in its usual words."""
    if not isinstance(data, dict):
        return data
    folded = dict(data)
    for kmh_key in kmh_keys:
        mph_key = mph_alias(kmh_key)
        if mph_key not in folded:
            continue
        if kmh_key in folded:
            raise KeyError(mph_key)
        value = folded.pop(mph_key)
        is_number = isinstance(value, int | float) and not isinstance(value, bool)
        folded[kmh_key] = round(mph_to_kmh(value), digits) if is_number else value
    return folded
