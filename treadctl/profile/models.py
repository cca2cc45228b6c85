"""The profile format, as pydantic models: what a walker or physiotherapist writes in TOML.

Unknown keys are rejected (a typo such as ``sped`` must never be silently ignored), durations are
positive, speeds and inclines stay within absolute limits whatever the user's caps, and a profile
has at least one bout. The user's caps and the treadmill's ranges are applied later, by the plan.
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    model_validator,
)

from treadctl.direction import Direction
from treadctl.profile.bout import BoutSpec
from treadctl.profile.duration import parse_duration_s
from treadctl.toml_locate import LocatedValueError
from treadctl.units import SpeedUnit, speed_label, to_kmh

# Absolute limits for any profile: walking, not running.
MAX_SPEED_KMH = 20.0
MIN_INCLINE_PCT = -5.0
MAX_INCLINE_PCT = 20.0
MAX_BOUT_S = 4 * 3600.0
MAX_PROFILE_S = 6 * 3600.0
MAX_REPEAT = 100

# Union tags: pydantic puts them in error locations; they are not keys of the file.
STEP_TAGS = frozenset({"<bout>", "<repeat>"})

DurationS = Annotated[float, BeforeValidator(parse_duration_s), Field(gt=0, le=MAX_BOUT_S)]


class Bout(BaseModel):
    """One stretch of walking in one direction at one speed and incline."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    label: str | None = Field(default=None, max_length=80)
    direction: Direction
    duration_s: DurationS = Field(alias="duration")
    speed: float = Field(gt=0, le=MAX_SPEED_KMH)  # in the profile's units
    incline_pct: float = Field(default=0.0, ge=MIN_INCLINE_PCT, le=MAX_INCLINE_PCT, alias="incline")
    cue: str | None = Field(default=None, max_length=200)


class RepeatBlock(BaseModel):
    """The same bouts, ``repeat`` times in a row."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str | None = Field(default=None, max_length=80)
    repeat: int = Field(ge=1, le=MAX_REPEAT)
    bouts: list[Bout] = Field(min_length=1)


def _step_kind(value: Any) -> str:
    if isinstance(value, dict):
        return "<repeat>" if "repeat" in value or "bouts" in value else "<bout>"
    return "<repeat>" if isinstance(value, RepeatBlock) else "<bout>"


Step = Annotated[
    Annotated[Bout, Tag("<bout>")] | Annotated[RepeatBlock, Tag("<repeat>")],
    Discriminator(_step_kind),
]


class TurnSettings(BaseModel):
    """A profile's own turn-arounds (``[turns]``): they can only make turns more careful than the
    configuration's — stop the belt for each one, and wait for the walker's key."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    stop: bool = False  # the belt stops for every turn-around (else it slows to turn_speed_kmh)
    confirm: bool = False  # wait for "I have turned" before the next bout


class Profile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    units: SpeedUnit = "kmh"
    notes: str | None = None
    turns: TurnSettings = Field(default_factory=TurnSettings)
    hr_ceiling_bpm: int | None = Field(default=None, ge=60, le=220)  # overrides [safety]
    steps: list[Step] = Field(min_length=1)

    @model_validator(mode="after")
    def _within_absolute_limits(self) -> Self:
        """Speeds are checked in km/h (an mph profile's numbers are smaller) and the whole
        session must stay a walk of sensible length."""
        total_s = 0.0
        for step_index, step in enumerate(self.steps):
            located: list[tuple[tuple[int | str, ...], Bout, int]]
            if isinstance(step, Bout):
                located = [((step_index,), step, 1)]
            else:
                located = [
                    ((step_index, "bouts", bout_index), bout, step.repeat)
                    for bout_index, bout in enumerate(step.bouts)
                ]
            for where, bout, times in located:
                if to_kmh(bout.speed, self.units) > MAX_SPEED_KMH + 1e-9:
                    limit = MAX_SPEED_KMH if self.units == "kmh" else MAX_SPEED_KMH / 1.609344
                    raise LocatedValueError(
                        ("steps", *where, "speed"),
                        f"{bout.speed:g} {speed_label(self.units)} is above the "
                        f"{limit:.1f} {speed_label(self.units)} limit for walking",
                    )
                total_s += bout.duration_s * times
        if total_s > MAX_PROFILE_S:
            raise LocatedValueError(
                ("steps",), f"the session lasts {total_s / 3600:.1f} h; the limit is 6 h"
            )
        return self

    def expand(self) -> list[BoutSpec]:
        """The bouts in order with repeats unrolled and speeds in km/h."""
        specs: list[BoutSpec] = []
        for step in self.steps:
            if isinstance(step, Bout):
                specs.append(self._spec(len(specs), step, suffix=""))
                continue
            for round_number in range(1, step.repeat + 1):
                suffix = f" ({round_number}/{step.repeat})" if step.repeat > 1 else ""
                for bout in step.bouts:
                    specs.append(self._spec(len(specs), bout, suffix))
        return specs

    def _spec(self, index: int, bout: Bout, suffix: str) -> BoutSpec:
        label = bout.label or bout.direction.value.capitalize()
        return BoutSpec(
            index=index,
            label=label + suffix,
            direction=bout.direction,
            duration_s=bout.duration_s,
            speed_kmh=round(to_kmh(bout.speed, self.units), 4),
            incline_pct=bout.incline_pct,
            cue=bout.cue,
        )

    @property
    def total_duration_s(self) -> float:
        return sum(spec.duration_s for spec in self.expand())

    @property
    def backward_s(self) -> float:
        return sum(s.duration_s for s in self.expand() if s.direction is Direction.BACKWARD)
