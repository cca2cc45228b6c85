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
