"""The ``[voice]`` section of the user configuration: spoken cues (on by default)."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

Engine = Literal["auto", "espeak-ng", "spd-say", "say"]
VoiceUnits = Literal["profile", "kmh", "mph"]


class VoiceCuesConfig(BaseModel):
    """Which cues are spoken. Alarms (the belt may not have stopped) are always spoken while the
    voice is on: there is no switch for them on purpose."""

    model_config = ConfigDict(extra="forbid")

    countdown: bool = True  # 3-2-1 before the belt starts or restarts
    bout: bool = True  # "Backward, one point three kilometres an hour, two minutes"
    time_left: bool = True  # at the points in ``time_left_s`` (and halfway)
    turn: bool = True  # the turn count-in, "you can turn now", "start walking backward"
    pause: bool = True  # paused, resumed, link lost, reconnected
    fault: bool = True  # every safety stop, in plain words
    end: bool = True  # the end of the session


class VoiceConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = True
    engine: Engine = "auto"  # auto: the first of espeak-ng, spd-say, say that is installed
    voice: str | None = None  # the engine's voice name (espeak-ng -v, spd-say -y, say -v)
    rate_wpm: int = Field(default=150, ge=80, le=400)  # words a minute; slower is clearer
    volume_pct: int = Field(default=100, ge=0, le=100)
    language: str = "en"  # espeak-ng/spd-say language, e.g. en, en-gb, en-us
    units: VoiceUnits = "profile"  # spoken speed units: the profile's own, or kmh / mph
    halfway: bool = True  # "Halfway" in bouts of a minute or more
    time_left_s: list[float] = Field(default_factory=lambda: [30.0, 10.0])
    repeat_alarm_s: float = Field(default=6.0, ge=2.0, le=60.0)  # an alarm repeats until cleared
    cues: VoiceCuesConfig = Field(default_factory=VoiceCuesConfig)

    @field_validator("time_left_s")
    @classmethod
    def _positive_points(cls, value: list[float]) -> list[float]:
        if any(point <= 0 or point > 3600 for point in value):
            raise ValueError("time-left points are seconds between 0 and 3600")
        return sorted(set(value), reverse=True)

    @field_validator("language")
    @classmethod
    def _plain_language(cls, value: str) -> str:
        if not value or not all(ch.isalnum() or ch in "-_" for ch in value):
            raise ValueError("must be a language code such as en, en-gb or de")
        return value
