"""The profiles on this machine: the user's own folder and the shipped library."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from treadctl.profile.loading import PROFILE_SUFFIX, ProfileInvalid, read_profile
from treadctl.profile.models import Profile

Origin = Literal["user", "shipped"]


@dataclass(frozen=True)
class LibraryEntry:
    """One profile file; ``profile`` is None and ``error`` says why when it does not validate.
    ``shadowed`` marks a shipped profile hidden by a user profile of the same slug."""

    slug: str
    path: Path
    origin: Origin
    profile: Profile | None
    error: str | None = None
    shadowed: bool = False


def list_profiles() -> list[LibraryEntry]:
    """User profiles first, then shipped ones, each sorted by slug."""
    from treadctl.paths import shipped_profiles_dir, user_profiles_dir

    entries: list[LibraryEntry] = []
    user_slugs: set[str] = set()
    folders: tuple[tuple[Origin, Path], ...] = (
        ("user", user_profiles_dir()),
        ("shipped", shipped_profiles_dir()),
    )
    for origin, folder in folders:
        if not folder.is_dir():
            continue
        for path in sorted(folder.glob(f"*{PROFILE_SUFFIX}")):
            slug = path.stem
            try:
                profile: Profile | None = read_profile(path)
                error = None
            except ProfileInvalid as problem:
                profile, error = None, str(problem)
            shadowed = origin == "shipped" and slug in user_slugs
            if origin == "user":
                user_slugs.add(slug)
            entries.append(LibraryEntry(slug, path, origin, profile, error, shadowed))
    return entries


def is_shipped(path: Path) -> bool:
    """Whether ``path`` is in the shipped library (read-only: edits are saved as a user copy)."""
    from treadctl.paths import shipped_profiles_dir

    try:
        return path.resolve().parent == shipped_profiles_dir().resolve()
    except OSError:
        return False
