"""``[zones]``: belt speeds for the pace zones of Zwift run workouts (read by ``profile.zwo``)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from treadctl.limits import ABSOLUTE_MAX_SPEED_KMH


class ZonesConfig(BaseModel):
    """Belt speeds for the pace zones of Zwift run workouts (``pace="0"`` .. ``"4"``), which
    give targets as a fraction of one of these. Walking-friendly defaults."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    mile_kmh: float = Field(default=6.0, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    k5_kmh: float = Field(default=5.5, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    k10_kmh: float = Field(default=5.0, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    half_marathon_kmh: float = Field(default=4.5, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)
    marathon_kmh: float = Field(default=4.0, gt=0, le=ABSOLUTE_MAX_SPEED_KMH)

    def for_pace(self, pace: int) -> float:
        """Speed of Zwift's pace zone number (0 one mile, 1 5 km, 2 10 km, 3 half, 4 full)."""
        speeds = (self.mile_kmh, self.k5_kmh, self.k10_kmh, self.half_marathon_kmh)
        return speeds[pace] if 0 <= pace < len(speeds) else self.marathon_kmh
