"""The project's own exceptions: each carries a message a walker can act on and an exit status.

The command line prints ``treadctl: <message>`` and exits with ``exit_code``; nothing below the CLI
prints tracebacks for these. Exit statuses: 2 bad input (arguments, profile, config, no Bluetooth),
3 a session that ended in a safety stop, 4 the belt was not confirmed at rest (it may still be
moving), 130 interrupted by the user.
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_BAD_INPUT = 2
EXIT_SAFETY_STOP = 3
EXIT_BELT_MAY_BE_MOVING = 4  # the belt was not confirmed at rest: use the console stop
EXIT_INTERRUPTED = 130


class TreadctlError(Exception):
    """Base class: a problem the user can do something about."""

    exit_code: int = EXIT_BAD_INPUT


class UsageError(TreadctlError):
    """Bad command-line arguments or a bad value given on the command line."""


class ProfileError(TreadctlError):
    """A workout profile or program that cannot be read or is invalid."""


class ConfigError(TreadctlError):
    """The user configuration cannot be read or is invalid."""


class BluetoothUnavailable(TreadctlError):
    """No Bluetooth stack or adapter on this machine."""


class DeviceNotFound(TreadctlError):
    """No treadmill with that address or name answered."""


class ControlRefused(TreadctlError):
    """The treadmill would not hand over control (often locked to the vendor's app)."""
