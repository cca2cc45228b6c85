"""Reading prescriptions, and where a person's installed prescription lives."""

from __future__ import annotations

import tomllib
from pathlib import Path

from pydantic import ValidationError

from treadctl.profile.loading import ProfileInvalid
from treadctl.profile.models import STEP_TAGS
from treadctl.toml_locate import located_messages, toml_syntax_message

from .model import Prescription

INSTALLED_FILE_NAME = "prescription.toml"


class PrescriptionInvalid(ProfileInvalid):
    """A prescription file that cannot be used (located messages, like profiles)."""


def installed_path() -> Path:
    """The selected person's installed prescription (which may not exist)."""
    from treadctl.paths import config_dir

    return config_dir() / INSTALLED_FILE_NAME


def parse_prescription(text: str, path: Path) -> Prescription:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PrescriptionInvalid([toml_syntax_message(error, path, text)]) from None
    try:
        return Prescription.model_validate(data)
    except ValidationError as error:
        raise PrescriptionInvalid(
            located_messages(error.errors(), path, text, ignore=STEP_TAGS)
        ) from None


def read_prescription(path: Path) -> Prescription:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise PrescriptionInvalid([f"{path}: no such file"]) from None
    except (OSError, UnicodeDecodeError) as error:
        raise PrescriptionInvalid([f"{path}: cannot read: {error}"]) from None
    return parse_prescription(text, path)


def installed() -> tuple[Path, Prescription] | None:
    """The selected person's prescription, or None when they have none."""
    path = installed_path()
    if not path.exists():
        return None
    return path, read_prescription(path)


def walker_notes() -> str | None:
    """The installed prescription's notes for the walker, on one line; None without any (a
    prescription that does not read is reported by the configuration loader, not here)."""
    try:
        found = installed()
    except PrescriptionInvalid:
        return None
    if found is None or not found[1].prescription.notes:
        return None
    return " ".join(found[1].prescription.notes.split())
