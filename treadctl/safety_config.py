"""``[safety]``: the caps and pacing the supervisor and the plan enforce.

Its own module (like ``display_config``) so that what reads the caps — prescriptions, the plan,
the supervisor's tests — does not import the whole configuration loader.
"""

from __future__ import annotations

from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from treadctl.limits import (
    ABSOLUTE_MAX_ACCELERATION_KMH_PER_S,
    ABSOLUTE_MAX_INCLINE_PCT,
    ABSOLUTE_MAX_SPEED_KMH,
)
from treadctl.toml_locate import LocatedValueError


class SafetyConfig(BaseModel):
    """Caps and pacing the supervisor and the plan enforce; backward caps are the stricter ones."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    max_speed_kmh: float = Field(default=8.0, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    max_backward_speed_kmh: float = Field(default=4.0, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    max_incline_pct: float = Field(default=10.0, ge=0, le=ABSOLUTE_MAX_INCLINE_PCT)
    max_backward_incline_pct: float = Field(default=6.0, ge=0, le=ABSOLUTE_MAX_INCLINE_PCT)
    max_acceleration_kmh_per_s: float = Field(
        default=0.5, gt=0, le=ABSOLUTE_MAX_ACCELERATION_KMH_PER_S
    )
    max_backward_acceleration_kmh_per_s: float = Field(
        default=0.25, gt=0, le=ABSOLUTE_MAX_ACCELERATION_KMH_PER_S
    )
    # No telemetry for this long -> Stop. Longer than 10 s would defeat the purpose.
    watchdog_s: float = Field(default=3.0, gt=0, le=10.0)
    # Belt speed while the walker turns around; 0 stops the belt.
    turn_speed_kmh: float = Field(default=1.0, ge=0, le=ABSOLUTE_MAX_SPEED_KMH)
    turn_hold_s: float = Field(default=5.0, ge=0, le=120.0)
    confirm_turns: bool = False
    # Nudges (+/- keys, remote nudges) stay within this much of the bout's planned target in
    # total, and at most one is taken every nudge_interval_s (the caps still apply on top).
    max_nudge_kmh: float = Field(default=1.0, ge=0, le=3.0)
    max_nudge_incline_pct: float = Field(default=2.0, ge=0, le=5.0)
    nudge_interval_s: float = Field(default=1.0, ge=0.2, le=10.0)
    # Without keys (headless), a paused session ends after this long instead of waiting for ever.
    pause_timeout_s: float = Field(default=600.0, gt=0, le=7200.0)
    # Heart rate (README "Heart rate"): a ceiling that only slows, then stops. None: no ceiling.
    hr_ceiling_bpm: int | None = Field(default=None, ge=60, le=220)
    hr_ceiling_margin_bpm: int = Field(default=10, ge=1, le=40)
    hr_ceiling_stop_s: float = Field(default=30.0, gt=0, le=600)
    hr_ceiling_hold_s: float = Field(default=20.0, gt=0, le=600)
    hr_ceiling_step_kmh: float = Field(default=0.3, gt=0, le=2.0)
    require_hr: bool = False  # an untrusted heart rate stops the belt instead of a banner

    @model_validator(mode="before")
    @classmethod
    def _mph_keys(cls, data: Any) -> Any:
        """Speeds may be written in mph (``max_speed_mph``), but only one of the two per cap."""
        return _fold_mph(data, SPEED_KEYS)

    @model_validator(mode="after")
    def _backward_is_stricter(self) -> Self:
        pairs = (
            ("max_backward_speed_kmh", "max_speed_kmh"),
            ("max_backward_incline_pct", "max_incline_pct"),
            ("max_backward_acceleration_kmh_per_s", "max_acceleration_kmh_per_s"),
        )
        for backward, forward in pairs:
            if getattr(self, backward) > getattr(self, forward):
                raise LocatedValueError(
                    (backward,),
                    f"must not be above {forward} ({getattr(self, forward):g})",
                )
        if self.turn_speed_kmh > self.max_backward_speed_kmh:
            raise LocatedValueError(
                ("turn_speed_kmh",),
                f"must not be above max_backward_speed_kmh ({self.max_backward_speed_kmh:g})",
            )
        return self


SPEED_KEYS = (
    "max_speed_kmh",
    "max_backward_speed_kmh",
    "turn_speed_kmh",
    "max_acceleration_kmh_per_s",
    "max_backward_acceleration_kmh_per_s",
)


def _fold_mph(data: Any, kmh_keys: tuple[str, ...]) -> Any:
    from treadctl.units import fold_mph_keys

    try:
        return fold_mph_keys(data, kmh_keys)
    except KeyError as error:
        mph_key = str(error.args[0])
        raise LocatedValueError(
            (mph_key,), f"give either {mph_key} or {mph_key.replace('mph', 'kmh')}, not both"
        ) from None
