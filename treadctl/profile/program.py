"""Programs: multi-week plans saying which profile each session of each week uses.

A program is a list of phases; each phase lasts some weeks, has a number of sessions per week and
cycles through its profiles session by session. Progress against it is tracked with the session
history (another module); this one only defines and expands the plan.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from treadctl.errors import ProfileError
from treadctl.profile.loading import PROFILE_SUFFIX, ProfileInvalid, slugify
from treadctl.toml_locate import located_messages, toml_syntax_message

PROGRAMS_FOLDER = "programs"


class Phase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str | None = Field(default=None, max_length=80)
    weeks: int = Field(ge=1, le=52)
    sessions_per_week: int = Field(ge=1, le=7)
    profiles: list[str] = Field(min_length=1)  # slugs, used in turn session by session
    notes: str | None = None
    hr_ceiling_bpm: int | None = Field(default=None, ge=60, le=220)  # for these weeks' sessions


class Program(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=100)
    description: str = ""
    notes: str | None = None
    phases: list[Phase] = Field(min_length=1)

    @property
    def weeks(self) -> int:
        return sum(phase.weeks for phase in self.phases)

    def schedule(self) -> list[ScheduledSession]:
        """Every session of the program in order."""
        sessions: list[ScheduledSession] = []
        week = 0
        for phase_index, phase in enumerate(self.phases):
            for _ in range(phase.weeks):
                week += 1
                for number in range(phase.sessions_per_week):
                    profile = phase.profiles[number % len(phase.profiles)]
                    sessions.append(ScheduledSession(week, number + 1, phase_index, profile))
        return sessions


@dataclass(frozen=True)
class ScheduledSession:
    week: int  # 1-based
    session: int  # 1-based within the week
    phase_index: int
    profile: str


def program_dirs() -> list[Path]:
    from treadctl.paths import shipped_profiles_dir, user_profiles_dir

    return [user_profiles_dir() / PROGRAMS_FOLDER, shipped_profiles_dir() / PROGRAMS_FOLDER]


def read_program(path: Path) -> Program:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ProfileInvalid([f"{path}: cannot read: {error}"]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileInvalid([toml_syntax_message(error, path, text)]) from None
    try:
        return Program.model_validate(data)
    except ValidationError as error:
        raise ProfileInvalid(located_messages(error.errors(), path, text)) from None


def resolve_program(name_or_path: str | Path) -> Path:
    candidate = Path(name_or_path).expanduser()
    if candidate.is_file():
        return candidate
    slug = slugify(str(name_or_path))
    for folder in program_dirs():
        path = folder / f"{slug}{PROFILE_SUFFIX}"
        if path.is_file():
            return path
    raise ProfileError(f"no program named {str(name_or_path)!r}")


def load_program(name_or_path: str | Path) -> Program:
    return read_program(resolve_program(name_or_path))


def list_programs() -> list[Path]:
    paths: list[Path] = []
    for folder in program_dirs():
        if folder.is_dir():
            paths.extend(sorted(folder.glob(f"*{PROFILE_SUFFIX}")))
    return paths


def missing_profiles(program: Program) -> list[str]:
    """Profile slugs the program names that cannot be found."""
    from treadctl.profile.loading import resolve_profile

    missing: list[str] = []
    for phase in program.phases:
        for slug in phase.profiles:
            try:
                resolve_profile(slug)
            except ProfileError:
                if slug not in missing:
                    missing.append(slug)
    return missing
