"""What a treadmill can do: its advertised speed and incline ranges and increments.

The plan and the supervisor clamp and round every target to these. They come from the FTMS
Supported Speed / Inclination Range characteristics (converted from mph where a device reports mph),
and default to conservative values when a device does not publish them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Absolute limits no configuration may exceed: a walking program, not a running one.
ABSOLUTE_MAX_SPEED_KMH = 20.0
ABSOLUTE_MAX_INCLINE_PCT = 20.0
ABSOLUTE_MAX_ACCELERATION_KMH_PER_S = 2.0


@dataclass(frozen=True)
class DeviceLimits:
    speed_min_kmh: float = 0.5
    speed_max_kmh: float = 16.0
    speed_increment_kmh: float = 0.1
    incline_min_pct: float = 0.0
    incline_max_pct: float = 15.0
    incline_increment_pct: float = 0.5
    supports_incline: bool = True

    def round_speed_kmh(self, speed_kmh: float) -> float:
        """Nearest speed the device accepts (a multiple of its increment above its minimum)."""
        return _round_to_step(speed_kmh, self.speed_min_kmh, self.speed_increment_kmh)

    def round_incline_pct(self, incline_pct: float) -> float:
        return _round_to_step(incline_pct, self.incline_min_pct, self.incline_increment_pct)

    def floor_speed_kmh(self, speed_kmh: float) -> float:
        """Largest accepted speed not above ``speed_kmh``: what a cap may round to."""
        return _floor_to_step(speed_kmh, self.speed_min_kmh, self.speed_increment_kmh)

    def floor_incline_pct(self, incline_pct: float) -> float:
        return _floor_to_step(incline_pct, self.incline_min_pct, self.incline_increment_pct)


def _round_to_step(value: float, origin: float, step: float) -> float:
    if step <= 0:
        return round(value, 2)
    steps = round((value - origin) / step)
    return round(origin + steps * step, 2)


def _floor_to_step(value: float, origin: float, step: float) -> float:
    """Floor to the step, then truncate to FTMS's 0.01 resolution so that the value that goes on
    the wire is never above ``value`` (a cap), whatever the step (mph devices step 0.1609 km/h)."""
    if step > 0:
        value = origin + math.floor((value - origin) / step + 1e-9) * step
    return math.floor(value * 100 + 1e-6) / 100
