"""The ``[checkins]`` section: whether the terminal UI asks, and the limits progress applies."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class CheckinConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    ask: bool = True  # the terminal UI asks after a session and before the next
    max_pain: int = Field(default=5, ge=0, le=10)  # knee pain above this holds the week back
    max_effort: int = Field(default=6, ge=0, le=10)  # effort (RPE) above this holds it back
