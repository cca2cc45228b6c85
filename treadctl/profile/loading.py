"""Finding and reading profiles, with errors that name the file, the line and the field."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from pydantic import ValidationError

from treadctl.errors import ProfileError
from treadctl.profile.models import STEP_TAGS, Profile
from treadctl.toml_locate import located_messages, toml_syntax_message

PROFILE_SUFFIX = ".toml"


class ProfileInvalid(ProfileError):
    """A profile file that cannot be used; ``messages`` holds every located problem, the
    exception text the first one (one line, as the command line prints it)."""

    def __init__(self, messages: list[str]) -> None:
        more = f" (and {len(messages) - 1} more)" if len(messages) > 1 else ""
        super().__init__(messages[0] + more)
        self.messages = messages


def slugify(text: str) -> str:
    """``"Alternating 30"`` -> ``"alternating-30"``: how profiles are named on the command line."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


def read_profile(path: Path) -> Profile:
    """Parse and validate one profile file."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ProfileInvalid([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise ProfileInvalid([f"{path}: cannot read: {error}"]) from None
    return parse_profile(text, path)


def parse_profile(text: str, path: Path) -> Profile:
    """Validate TOML text; ``path`` is only used in messages."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise ProfileInvalid([toml_syntax_message(error, path, text)]) from None
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        raise ProfileInvalid(
            located_messages(error.errors(), path, text, ignore=STEP_TAGS)
        ) from None


def profile_dirs() -> list[Path]:
    """Where profiles are looked up by name: the user's own first, then the shipped library."""
    from treadctl.paths import shipped_profiles_dir, user_profiles_dir

    return [user_profiles_dir(), shipped_profiles_dir()]


def resolve_profile(name_or_path: str | Path) -> Path:
    """A file path as given, or a profile found by slug (file name) or by its ``name``."""
    candidate = Path(name_or_path).expanduser()
    text = str(name_or_path)
    looks_like_path = candidate.suffix == PROFILE_SUFFIX or "/" in text or "\\" in text
    if candidate.is_file():
        return candidate
    if looks_like_path:
        raise ProfileError(f"{candidate}: no such file")
    slug = slugify(text)
    for folder in profile_dirs():
        path = folder / f"{slug}{PROFILE_SUFFIX}"
        if path.is_file():
            return path
    for folder in profile_dirs():
        for path in sorted(folder.glob(f"*{PROFILE_SUFFIX}")):
            if _name_slug(path) == slug:
                return path
    hint = _suggestion(slug)
    if hint:
        raise ProfileError(f"no profile named {text!r}.{hint} See `treadctl profile list`.")
    raise ProfileError(f"no profile named {text!r}; see `treadctl profile list`")


def known_profile_slugs() -> list[str]:
    """Every profile name the command line accepts: file names in the user and shipped folders."""
    slugs: set[str] = set()
    for folder in profile_dirs():
        if folder.is_dir():
            slugs.update(path.stem for path in folder.glob(f"*{PROFILE_SUFFIX}"))
    return sorted(slugs)


def _suggestion(slug: str) -> str:
    from treadctl.suggest import did_you_mean

    return did_you_mean(slug, known_profile_slugs())


def load_profile(name_or_path: str | Path) -> Profile:
    """The validated profile for a name (user folder first, then shipped) or a file path."""
    return read_profile(resolve_profile(name_or_path))


def _name_slug(path: Path) -> str | None:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    name = data.get("name")
    return slugify(name) if isinstance(name, str) else None
