"""The ``[devices."KEY"]`` tables of the user configuration: settings for one treadmill.

``KEY`` is a Bluetooth address (``[devices."F0:F0:F0:F0:F0:01"]``) or a pattern for the advertised
name (``[devices."WELLFIT TM*"]``, case-insensitive, ``*`` and ``?`` as in a shell). An address wins
over a pattern; among patterns the first in the file wins. A table may set:

* ``name``: a friendly name shown instead of the advertised one;
* ``quirks``: quirk presets (``treadctl devices`` lists them). Set, it replaces what the
  known-device table would pick; ``quirks = []`` switches every quirk off. ``--quirks`` on the
  command line replaces both;
* ``speed_min_kmh`` ... ``incline_increment_pct``: the range to use instead of the one the
  treadmill publishes (for a device that publishes nonsense). The safety caps still apply on top;
* ``response_timeout_s``: how long to wait for each Control Point answer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import replace
from fnmatch import fnmatchcase
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from treadctl.limits import ABSOLUTE_MAX_INCLINE_PCT as MAX_INCLINE_PCT
from treadctl.limits import ABSOLUTE_MAX_SPEED_KMH as MAX_SPEED_KMH
from treadctl.limits import DeviceLimits

RANGE_FIELDS = (
    "speed_min_kmh",
    "speed_max_kmh",
    "speed_increment_kmh",
    "incline_min_pct",
    "incline_max_pct",
    "incline_increment_pct",
)
_ADDRESS = re.compile(
    r"^([0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}|[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12})$"
)


class DeviceSettings(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str | None = Field(default=None, min_length=1, max_length=64)
    quirks: tuple[str, ...] | None = None
    speed_min_kmh: float | None = Field(default=None, ge=0, le=MAX_SPEED_KMH)
    speed_max_kmh: float | None = Field(default=None, gt=0, le=MAX_SPEED_KMH)
    speed_increment_kmh: float | None = Field(default=None, gt=0, le=2.0)
    incline_min_pct: float | None = Field(default=None, ge=-MAX_INCLINE_PCT, le=MAX_INCLINE_PCT)
    incline_max_pct: float | None = Field(default=None, ge=-MAX_INCLINE_PCT, le=MAX_INCLINE_PCT)
    incline_increment_pct: float | None = Field(default=None, gt=0, le=5.0)
    response_timeout_s: float | None = Field(default=None, gt=0, le=30.0)

    @field_validator("quirks")
    @classmethod
    def _known_quirks(cls, value: tuple[str, ...] | None) -> tuple[str, ...] | None:
        if value is None:
            return None
        from treadctl.ble.quirks import PRESETS

        names = tuple(q.strip().lower() for q in value)
        for name in names:
            if name not in PRESETS:
                raise ValueError(f"unknown quirk {name!r}; choose from: {', '.join(PRESETS)}")
        return names

    @model_validator(mode="after")
    def _ordered_ranges(self) -> Self:
        pairs = (("speed_min_kmh", "speed_max_kmh"), ("incline_min_pct", "incline_max_pct"))
        for low, high in pairs:
            a, b = getattr(self, low), getattr(self, high)
            if a is not None and b is not None and a >= b:
                raise ValueError(f"{low} ({a:g}) must be below {high} ({b:g})")
        return self

    def apply(self, limits: DeviceLimits) -> DeviceLimits:
        """``limits`` with this table's range overrides; an incline range switches incline on."""
        changes = {
            name: value for name in RANGE_FIELDS if (value := getattr(self, name)) is not None
        }
        if not changes:
            return limits
        result = replace(limits, **changes)
        if self.incline_max_pct is not None and self.incline_max_pct > result.incline_min_pct:
            result = replace(result, supports_incline=True)
        if result.speed_min_kmh >= result.speed_max_kmh:
            # One bound from the file, the other from the device, in the wrong order: keep the
            # device's range rather than a nonsense one (config load cannot know the device).
            return limits
        if result.incline_min_pct > result.incline_max_pct:
            result = replace(
                result,
                incline_min_pct=limits.incline_min_pct,
                incline_max_pct=limits.incline_max_pct,
            )
        return result

    @property
    def overrides_range(self) -> bool:
        return any(getattr(self, name) is not None for name in RANGE_FIELDS)


def is_address_key(key: str) -> bool:
    return bool(_ADDRESS.match(key))


def settings_for(
    devices: Mapping[str, DeviceSettings], address: str | None, name: str | None
) -> tuple[str, DeviceSettings] | None:
    """The table for this device: its address first, then the first name pattern that fits."""
    if address:
        for key, settings in devices.items():
            if is_address_key(key) and key.upper() == address.upper():
                return key, settings
    if name:
        for key, settings in devices.items():
            if not is_address_key(key) and fnmatchcase(name.upper(), key.upper()):
                return key, settings
    return None
