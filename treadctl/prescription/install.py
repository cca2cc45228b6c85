"""Installing a prescription for a person: its caps, its program and its profiles.

The prescription file itself goes first (``prescription.toml`` in the person's folder): from that
moment its caps are locked, whatever happens to the rest. Then each profile and the program are
written to the person's own profile folders, each atomically, so ``treadctl run``, ``progress``
and the start screen find them by name. A different file already there is kept next to it as
``<name>.toml.before-prescription``, never silently lost.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import tomlkit
from tomlkit.toml_document import TOMLDocument

from treadctl.atomic import atomic_write_text
from treadctl.profile.loading import PROFILE_SUFFIX, slugify
from treadctl.profile.program import PROGRAMS_FOLDER

from .loading import installed_path, parse_prescription
from .model import Prescription

BACKUP_SUFFIX = ".before-prescription"


@dataclass(frozen=True)
class Installed:
    prescription: Prescription
    path: Path
    program_path: Path
    profile_paths: tuple[Path, ...]
    backups: tuple[Path, ...]


def _table_document(table: object, header: str) -> TOMLDocument:
    document = tomlkit.document()
    for line in header.splitlines():
        document.add(tomlkit.comment(line))
    document.add(tomlkit.nl())
    for key, value in table.items():  # type: ignore[attr-defined]
        document.add(key, value)
    return document


def _write_keeping_old(path: Path, text: str, backups: list[Path]) -> None:
    if path.exists():
        old = path.read_text(encoding="utf-8", errors="replace")
        if old == text:
            return
        backup = path.with_name(path.name + BACKUP_SUFFIX)
        atomic_write_text(backup, old)
        backups.append(backup)
    atomic_write_text(path, text)


def install(source: Path, person: str, *, today: date | None = None) -> Installed:
    """Validate ``source`` and install it for the selected person (``person`` is checked against
    the file's own ``person``). Raises PrescriptionInvalid or UsageError; writes nothing then."""
    from treadctl.errors import UsageError
    from treadctl.paths import user_profiles_dir
    from treadctl.person import DEFAULT_PERSON

    from .loading import PrescriptionInvalid

    try:
        text = source.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PrescriptionInvalid([f"{source}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PrescriptionInvalid([f"{source}: cannot read: {error}"]) from None
    prescription = parse_prescription(text, source)
    meant_for = prescription.prescription.person
    if meant_for is not None and meant_for != person:
        who = "the default person" if person == DEFAULT_PERSON else person
        raise UsageError(
            f"{source}: this prescription is for {meant_for!r}, not {who}; use --person {meant_for}"
        )
    document = tomlkit.parse(text)
    stamp = (today or date.today()).isoformat()
    title = prescription.prescription.title
    header = (
        f"From the prescription {title!r} ({source.name}), installed {stamp}.\n"
        "`treadctl prescription import` replaces this file; edit the prescription instead."
    )
    target = installed_path()
    target.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(target, text)  # the caps are locked from here on
    backups: list[Path] = []
    profile_paths: list[Path] = []
    folder = user_profiles_dir()
    for slug in prescription.profiles:
        path = folder / f"{slug}{PROFILE_SUFFIX}"
        body = tomlkit.dumps(_table_document(document["profiles"][slug], header))
        _write_keeping_old(path, body, backups)
        profile_paths.append(path)
    program_slug = slugify(prescription.program.name) or "prescription"
    program_path = folder / PROGRAMS_FOLDER / f"{program_slug}{PROFILE_SUFFIX}"
    body = tomlkit.dumps(_table_document(document["program"], header))
    _write_keeping_old(program_path, body, backups)
    return Installed(prescription, target, program_path, tuple(profile_paths), tuple(backups))
