"""The ``[people]`` section of the configuration: who is selected when nobody says."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, field_validator


class PeopleConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # The person selected when neither --person nor TREADCTL_PERSON names one. Only read from
    # the installation's configuration file (the default person's).
    default: str | None = None

    @field_validator("default")
    @classmethod
    def _usable_name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        from treadctl.errors import UsageError
        from treadctl.person import normalise

        try:
            return normalise(value)
        except UsageError as error:
            raise ValueError(str(error)) from None
