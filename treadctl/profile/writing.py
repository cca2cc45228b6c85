"""Writing profiles: tomlkit documents so comments and layout survive, saved atomically.

Hand edits and the editor both keep a file's header comment, its other comments and its key order;
``save_document`` validates before it replaces the file, so a profile on disk is never left invalid
by treadctl, and the write is atomic, so a crash never leaves half a file.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import AoT, Table
from tomlkit.toml_document import TOMLDocument

from treadctl.atomic import atomic_write_text
from treadctl.profile.duration import format_duration_text
from treadctl.profile.loading import parse_profile
from treadctl.profile.models import Bout, Profile

PathPart = str | int


def load_document(path: Path) -> TOMLDocument:
    return tomlkit.parse(path.read_text(encoding="utf-8"))


def save_document(path: Path, document: TOMLDocument, *, validate: bool = True) -> Profile | None:
    """Atomically write ``document`` to ``path``; with ``validate`` (the default) it must be a
    valid profile first (ProfileInvalid otherwise, and the file is left untouched)."""
    text = tomlkit.dumps(document)
    profile = parse_profile(text, path) if validate else None
    atomic_write_text(path, text)
    return profile


def set_value(document: TOMLDocument, loc: Sequence[PathPart], value: Any) -> None:
    """Set one value, e.g. ``("steps", 1, "bouts", 0, "speed")``, keeping everything else."""
    node: Any = document
    for part in loc[:-1]:
        node = node[part]
    node[loc[-1]] = value


def remove_value(document: TOMLDocument, loc: Sequence[PathPart]) -> None:
    node: Any = document
    for part in loc[:-1]:
        node = node[part]
    del node[loc[-1]]


def profile_document(profile: Profile, header: Sequence[str] = ()) -> TOMLDocument:
    """A fresh, hand-editable document for ``profile`` with an optional comment header."""
    document = tomlkit.document()
    for line in header:
        document.add(tomlkit.comment(line) if line else tomlkit.nl())
    if header:
        document.add(tomlkit.nl())
    document["name"] = profile.name
    if profile.description:
        document["description"] = profile.description
    document["units"] = profile.units
    if profile.notes:
        document["notes"] = profile.notes
    if profile.hr_ceiling_bpm is not None:
        document["hr_ceiling_bpm"] = profile.hr_ceiling_bpm
    steps = AoT([])
    for step in profile.steps:
        if isinstance(step, Bout):
            steps.append(_bout_table(step, profile.units))
            continue
        table = tomlkit.table()
        if step.label:
            table["label"] = step.label
        table["repeat"] = step.repeat
        bouts = AoT([_bout_table(bout, profile.units) for bout in step.bouts])
        table["bouts"] = bouts
        steps.append(table)
    document.add(tomlkit.nl())
    document["steps"] = steps
    return document


def _bout_table(bout: Bout, units: str) -> Table:
    table = tomlkit.table()
    if bout.label:
        table["label"] = bout.label
    table["direction"] = bout.direction.value
    table["duration"] = format_duration_text(bout.duration_s)
    table["speed"] = round(bout.speed, 2)
    if bout.incline_pct:
        table["incline"] = round(bout.incline_pct, 1)
    if bout.cue:
        table["cue"] = bout.cue
    return table


def profile_text(profile: Profile, header: Sequence[str] = ()) -> str:
    return tomlkit.dumps(profile_document(profile, header))


def save_new_profile(path: Path, profile: Profile, header: Sequence[str] = ()) -> None:
    """Write a new profile file (atomic); refuses to overwrite an existing one."""
    if path.exists():
        from treadctl.errors import ProfileError

        raise ProfileError(f"{path}: already exists; choose another name or remove it first")
    text = profile_text(profile, header)
    parse_profile(text, path)  # what we write must read back
    atomic_write_text(path, text)
