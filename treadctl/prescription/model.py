"""The prescription format: a program, its profiles, locked caps and notes for the walker.

A physiotherapist writes (or ``treadctl prescription new`` drafts) one TOML file::

    [prescription]          title, prescribed_by, person, issued, review, notes
    [caps]                  any SafetyConfig keys: locked once imported
    [program]               a program, as in profiles/programs/*.toml
    [profiles.<slug>]       each profile the program names, as in profiles/*.toml

Validation is strict and located like profiles: unknown keys, a cap beyond the absolute limits,
a backward cap above the forward one, or a program naming a profile the file does not bundle are
each reported as ``file:line: field: reason``.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from treadctl.profile.models import Profile
from treadctl.profile.program import Program
from treadctl.safety_config import SafetyConfig
from treadctl.toml_locate import LocatedValueError

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]*$")


class PrescriptionInfo(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    title: str = Field(min_length=1, max_length=100)
    prescribed_by: str | None = Field(default=None, max_length=100)
    person: str | None = None  # whom it is for; import refuses it for anybody else
    issued: date | None = None
    review: date | None = None  # the next follow-up
    notes: str | None = Field(default=None, max_length=4000)  # for the walker, in words

    @field_validator("person")
    @classmethod
    def _person_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from treadctl.errors import UsageError
        from treadctl.person import normalise

        try:
            return normalise(value)
        except UsageError as error:
            raise ValueError(str(error)) from None


def check_caps(caps: dict[str, Any]) -> dict[str, Any]:
    """The caps as SafetyConfig validates them; LocatedValueError for the first problem."""
    from treadctl.prescription.strictest import loosest_with

    fields = SafetyConfig.model_fields
    for key in caps:
        if key not in fields:
            raise LocatedValueError((key,), "unknown key (check the spelling)")
    try:
        loosest_with(caps)
    except ValidationError as error:
        first = error.errors()[0]
        loc = tuple(first.get("loc", ()))
        ctx_error = (first.get("ctx") or {}).get("error")
        if isinstance(ctx_error, LocatedValueError):
            raise LocatedValueError((*loc, *ctx_error.loc), ctx_error.reason) from None
        from treadctl.toml_locate import plain_reason

        message = plain_reason(first, loc) or str(first.get("msg", "invalid"))
        raise LocatedValueError(loc or (), message.removeprefix("Value error, ")) from None
    return caps


class Prescription(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    prescription: PrescriptionInfo
    caps: dict[str, Any] = Field(default_factory=dict)
    program: Program
    profiles: dict[str, Profile] = Field(min_length=1)

    @field_validator("caps")
    @classmethod
    def _caps(cls, value: dict[str, Any]) -> dict[str, Any]:
        return check_caps(value)

    @field_validator("profiles")
    @classmethod
    def _slugs(cls, value: dict[str, Profile]) -> dict[str, Profile]:
        for slug in value:
            if not _SLUG.match(slug):
                raise LocatedValueError(
                    (slug,), "profile keys are file names: lower-case letters, digits and '-'"
                )
        return value

    @model_validator(mode="after")
    def _program_profiles_bundled(self) -> Self:
        for index, phase in enumerate(self.program.phases):
            for slug in phase.profiles:
                if slug not in self.profiles:
                    raise LocatedValueError(
                        ("program", "phases", index, "profiles"),
                        f"profile {slug!r} is not in this prescription; add a "
                        f"[profiles.{slug}] table",
                    )
        return self
