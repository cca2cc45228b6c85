"""The ``[heart_rate]`` section of the user configuration: which strap to connect.

The ceiling itself is a safety setting (``[safety] hr_ceiling_bpm`` and friends, in
``treadctl.config.SafetyConfig``); this section only says where heart rate comes from.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class HeartRateConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # Address (or name) of a Bluetooth heart-rate strap; None: only the treadmill's own field.
    device: str | None = Field(default=None, min_length=1, max_length=200)
