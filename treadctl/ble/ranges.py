"""DeviceLimits from what the treadmill publishes (pure: no bleak, no I/O).

The range characteristics are the truth about targets; the Feature bits are only hints
(reference.md §4), so an incline range counts even when its feature bit is missing.
"""

from __future__ import annotations

from dataclasses import replace

from treadctl.ble.quirks import DeviceQuirks
from treadctl.ftms.ranges import InclineRange, SpeedRange
from treadctl.limits import DeviceLimits
from treadctl.units import mph_to_kmh


def speed_range_kmh(speed_range: SpeedRange, quirks: DeviceQuirks) -> SpeedRange:
    """The range in km/h, converting devices that write mph into the km/h fields."""
    if not quirks.range_in_mph:
        return speed_range
    return SpeedRange(
        minimum_kmh=round(mph_to_kmh(speed_range.minimum_kmh), 2),
        maximum_kmh=round(mph_to_kmh(speed_range.maximum_kmh), 2),
        increment_kmh=round(mph_to_kmh(speed_range.increment_kmh), 2),
    )


def limits_from_ranges(
    speed_range: SpeedRange | None,
    incline_range: InclineRange | None,
    quirks: DeviceQuirks,
) -> DeviceLimits:
    """Published ranges over conservative defaults; no incline range means no incline control."""
    limits = DeviceLimits()
    if speed_range is not None:
        kmh = speed_range_kmh(speed_range, quirks)
        if 0 <= kmh.minimum_kmh < kmh.maximum_kmh:
            limits = replace(
                limits,
                speed_min_kmh=kmh.minimum_kmh,
                speed_max_kmh=kmh.maximum_kmh,
                speed_increment_kmh=(
                    kmh.increment_kmh if kmh.increment_kmh > 0 else limits.speed_increment_kmh
                ),
            )
    if incline_range is not None and incline_range.minimum_pct < incline_range.maximum_pct:
        limits = replace(
            limits,
            incline_min_pct=incline_range.minimum_pct,
            incline_max_pct=incline_range.maximum_pct,
            incline_increment_pct=(
                incline_range.increment_pct
                if incline_range.increment_pct > 0
                else limits.incline_increment_pct
            ),
            supports_incline=True,
        )
    else:
        limits = replace(limits, incline_min_pct=0.0, incline_max_pct=0.0, supports_incline=False)
    return limits
