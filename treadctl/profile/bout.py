"""One bout of a profile once repeats are unrolled and speeds are in km/h."""

from __future__ import annotations

from dataclasses import dataclass

from treadctl.direction import Direction


@dataclass(frozen=True)
class BoutSpec:
    """What the profile asks for; the plan clamps and rounds it for the treadmill."""

    index: int
    label: str
    direction: Direction
    duration_s: float
    speed_kmh: float
    incline_pct: float
    cue: str | None = None

    @property
    def distance_m(self) -> float:
        return self.speed_kmh / 3.6 * self.duration_s
