"""Where treadctl keeps its files: configuration, data, user profiles, the shipped library.

``TREADCTL_HOME`` (if set) puts everything under one folder, which the tests and portable set-ups
use; otherwise the platform's usual folders (platformdirs) are used.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "treadctl"
HOME_ENV = "TREADCTL_HOME"
CONFIG_FILE_NAME = "config.toml"

_PACKAGE_DIR = Path(__file__).resolve().parent


def _home() -> Path | None:
    value = os.environ.get(HOME_ENV)
    return Path(value).expanduser() if value else None


def config_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "config"
    import platformdirs

    return Path(platformdirs.user_config_dir(APP_NAME, appauthor=False))


def data_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "data"
    import platformdirs

    return Path(platformdirs.user_data_dir(APP_NAME, appauthor=False))


def user_profiles_dir() -> Path:
    home = _home()
    if home is not None:
        return home / "profiles"
    return data_dir() / "profiles"


def default_config_path() -> Path:
    return config_dir() / CONFIG_FILE_NAME


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
