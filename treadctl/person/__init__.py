"""People: several walkers on one installation, each with their own configuration, caps,
history, profiles, programs and prescription.

Which person a command works for: ``--person NAME`` (anywhere on the command line), else the
``TREADCTL_PERSON`` environment variable, else ``[people] default`` in the installation's
configuration file, else the default person, whose files are the single-user files treadctl has
always used. This module stays free of heavy imports: the command line uses it on every run.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from treadctl import paths
from treadctl.errors import UsageError

DEFAULT_PERSON = paths.DEFAULT_PERSON
PERSON_ENV = "TREADCTL_PERSON"
MAX_NAME_CHARS = 40
_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]*$")


def normalise(name: str) -> str:
    """A person's name as used for their folder: lower case, spaces become ``-``.

    Raises UsageError for a name that cannot be a folder name (``../x``, empty, too long)."""
    text = name.strip().lower()
    text = re.sub(r"\s+", "-", text)
    if not text or len(text) > MAX_NAME_CHARS or not _NAME.match(text):
        raise UsageError(
            f"{name!r} is not a usable person name: use letters, digits, '-' or '_' "
            f"(at most {MAX_NAME_CHARS} characters), e.g. --person alice"
        )
    return text


def current() -> str:
    """The selected person (``"default"`` for the default person)."""
    return paths.current_person()


def configured_default(config_path: Path | None = None) -> str | None:
    """``[people] default`` of the configuration file (the installation's by default), if set.

    A file that does not parse is left for the configuration loader to report, with its line."""
    path = config_path if config_path is not None else paths.installation_config_path()
    try:
        data: Any = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return None
    people = data.get("people") if isinstance(data, dict) else None
    value = people.get("default") if isinstance(people, dict) else None
    return value if isinstance(value, str) and value.strip() else None


def resolve(person: str | None, config: str | None = None) -> tuple[str, str]:
    """The person a command works for and why: ``(name, "--person" | "TREADCTL_PERSON" |
    "config" | "default")``."""
    if person is not None:
        return normalise(person), "--person"
    from_env = os.environ.get(PERSON_ENV, "").strip()
    if from_env:
        return normalise(from_env), PERSON_ENV
    from_config = configured_default(Path(config).expanduser() if config else None)
    if from_config:
        return normalise(from_config), "config"
    return DEFAULT_PERSON, "default"


@contextmanager
def selected(name: str) -> Iterator[str]:
    """Select ``name`` for the duration of the block (then restore the previous person)."""
    previous = paths.set_person(name)
    try:
        yield name
    finally:
        paths.set_person(previous)


def select(name: str) -> None:
    """Select ``name`` until further notice (the start screen's choice)."""
    paths.set_person(name)


def known_people() -> list[str]:
    """The default person, then every named person with a folder, sorted."""
    names = [DEFAULT_PERSON]
    folder = paths.people_dir()
    if folder.is_dir():
        names.extend(sorted(p.name for p in folder.iterdir() if p.is_dir() and _NAME.match(p.name)))
    return names


def ensure_folder(name: str) -> Path:
    """Create (if needed) and return the folder holding ``name``'s files."""
    with selected(name):
        folder = paths.config_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return folder
