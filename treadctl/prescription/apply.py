"""Locking: the configuration a session uses, with the person's prescription caps applied."""

from __future__ import annotations

from typing import TYPE_CHECKING

from treadctl.errors import ConfigError

if TYPE_CHECKING:
    from treadctl.config import LoadedConfig

PRESCRIPTION_SOURCE = "prescription"


def apply_prescription(loaded: LoadedConfig) -> LoadedConfig:
    """``loaded`` with its safety caps made the strictest of its own and the prescription's.

    Sources of the caps the prescription decided read ``prescription <file> (locked)``. An
    installed prescription that no longer reads is a ConfigError: the caps it locks cannot be
    known, so nothing may run until it is fixed or imported again."""
    from treadctl.config import LoadedConfig
    from treadctl.prescription.loading import PrescriptionInvalid, installed
    from treadctl.prescription.strictest import lock

    try:
        found = installed()
    except PrescriptionInvalid as error:
        raise ConfigError(f"the installed prescription cannot be read: {error}") from None
    if found is None:
        return loaded
    path, prescription = found
    effective, decided = lock(loaded.config.safety, prescription.caps)
    config = loaded.config.model_copy(update={"safety": effective})
    sources = dict(loaded.sources)
    for name in decided:
        sources[f"safety.{name}"] = f"{PRESCRIPTION_SOURCE} {path} (locked)"
    return LoadedConfig(config, loaded.path, sources)
