"""Locking: a person's prescription caps applied to the caps of their own configuration."""

from __future__ import annotations

from treadctl.errors import ConfigError
from treadctl.safety_config import SafetyConfig

PRESCRIPTION_SOURCE = "prescription"


def apply_prescription(own: SafetyConfig) -> tuple[SafetyConfig, dict[str, str]]:
    """The strictest of ``own`` and the installed prescription's caps, and for each cap the
    prescription decided, its source (``safety.NAME`` -> ``prescription <file> (locked)``).

    An installed prescription that no longer reads is a ConfigError: the caps it locks cannot
    be known, so nothing may run until it is fixed or imported again."""
    from treadctl.prescription.loading import PrescriptionInvalid, installed
    from treadctl.prescription.strictest import lock

    try:
        found = installed()
    except PrescriptionInvalid as error:
        raise ConfigError(f"the installed prescription cannot be read: {error}") from None
    if found is None:
        return own, {}
    path, prescription = found
    effective, decided = lock(own, prescription.caps)
    return effective, {
        f"safety.{name}": f"{PRESCRIPTION_SOURCE} {path} (locked)" for name in decided
    }
