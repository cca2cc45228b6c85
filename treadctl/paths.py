"""Where treadctl keeps its files: configuration, data, user profiles, the shipped library.

``TREADCTL_HOME`` (if set) puts everything under one folder, which the tests and portable set-ups
use; otherwise the platform's usual folders (platformdirs) are used.

People: the folders below belong to the *selected person* (``set_person``; the command line
selects one with ``--person``, see ``treadctl.person``). The default person keeps the original
single-user folders, so an installation from before people existed needs no migration; every
other person gets one folder of their own, ``<data>/people/<name>/``, holding their configuration,
history, session logs, profiles, programs and prescription.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "treadctl"
HOME_ENV = "TREADCTL_HOME"
CONFIG_FILE_NAME = "config.toml"
PEOPLE_FOLDER = "people"
DEFAULT_PERSON = "default"

# The selected person (None: the default person). Set by the command line, once per invocation.
_person: str | None = None

_PACKAGE_DIR = Path(__file__).resolve().parent


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def set_person(name: str | None) -> str | None:
    """Select whose folders the functions below return; returns the previous selection.

    ``name`` must already be a valid person name (``treadctl.person.normalise``); None or
    ``"default"`` selects the default person."""
    global _person
    previous = _person
    _person = None if name in (None, DEFAULT_PERSON) else name
    return previous


def current_person() -> str:
    return _person if _person is not None else DEFAULT_PERSON


def people_dir() -> Path:
    """Where the named people's folders live (next to the default person's data)."""
    return _base_data_dir() / PEOPLE_FOLDER


def person_dir(name: str) -> Path | None:
    """The folder of a named person; None for the default person (whose files stay where they
    always were)."""
    return None if name == DEFAULT_PERSON else people_dir() / name


def _selected_dir() -> Path | None:
    return None if _person is None else people_dir() / _person


def config_dir() -> Path:
    selected = _selected_dir()
    if selected is not None:
        return selected
    return _base_config_dir()


def _base_config_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    selected = _selected_dir()
    if selected is not None:
        return selected
    return _base_data_dir()


def _base_data_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_profiles_dir() -> Path:
    selected = _selected_dir()
    if selected is not None:
        return selected / "profiles"
    home = _home()
    if home is not None:
        return home / "profiles"
    return data_dir() / "profiles"


def default_config_path() -> Path:
    return config_dir() / CONFIG_FILE_NAME


def installation_config_path() -> Path:
    """The default person's configuration file, which may name the default person
    (``[people] default``)."""
    return _base_config_dir() / CONFIG_FILE_NAME


def shipped_profiles_dir() -> Path:
    """The profile library shipped with treadctl.

    In a source or editable install it is ``profiles/`` next to the package; a wheel carries it
    inside the package as ``treadctl/_profiles`` (see the hatch ``force-include`` setting).
    """
    candidates = (_PACKAGE_DIR / "_profiles", _PACKAGE_DIR.parent / "profiles")
    for candidate in candidates:
        if candidate.is_dir():
            return candidate
    return candidates[-1]
