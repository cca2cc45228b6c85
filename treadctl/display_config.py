"""The ``[display]`` section of the user configuration: how numbers are shown.

``[display] units`` chooses km/h or mph for every screen, line and new profile. The older
top-level ``units = "..."`` still works as an alias (``Config`` folds one into the other; giving
both with different values is an error that names the line).
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict


class DisplayConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    units: Literal["kmh", "mph"] = "kmh"
