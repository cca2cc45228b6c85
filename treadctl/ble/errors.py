"""Bluetooth failures in words a walker can act on.

bleak reports a missing Bluetooth stack in several ways depending on the platform: a
``FileNotFoundError`` when there is no D-Bus socket, a ``BleakDBusError`` when BlueZ is not
running, ``BleakBluetoothNotAvailableError`` when there is no adapter or it is switched off.
:func:`translate` turns each into one of treadctl's own errors, which the command line prints as a
single line. bleak is imported lazily so this module is cheap to import.
"""

from __future__ import annotations

import asyncio

from treadctl.errors import BluetoothUnavailable, ControlRefused, DeviceNotFound, TreadctlError
from treadctl.link import CommandError, ControlNotPermitted

SIMULATE_HINT = "try --simulate to use the built-in treadmill simulator"

# ATT errors that mean the link must be paired/encrypted first (Core Vol 3 Part F 3.4.1.1).
ATT_INSUFFICIENT_AUTHENTICATION = 0x05
ATT_INSUFFICIENT_AUTHORIZATION = 0x08
ATT_INSUFFICIENT_KEY_SIZE = 0x0C
ATT_INSUFFICIENT_ENCRYPTION = 0x0F
SECURITY_ATT_ERRORS = frozenset(
    {
        ATT_INSUFFICIENT_AUTHENTICATION,
        ATT_INSUFFICIENT_AUTHORIZATION,
        ATT_INSUFFICIENT_KEY_SIZE,
        ATT_INSUFFICIENT_ENCRYPTION,
    }
)
ATT_CCCD_IMPROPERLY_CONFIGURED = 0xFD
ATT_PROCEDURE_ALREADY_IN_PROGRESS = 0xFE

_DBUS_STACK_MISSING = (
    "org.freedesktop.DBus.Error.ServiceUnknown",
    "org.freedesktop.DBus.Error.NameHasNoOwner",
    "org.freedesktop.DBus.Error.Spawn",
    "org.freedesktop.DBus.Error.NoServer",
)
_DBUS_ADAPTER_NOT_READY = ("org.bluez.Error.NotReady", "org.bluez.Error.NotAvailable")
_DBUS_REFUSED = (
    "org.bluez.Error.AuthenticationFailed",
    "org.bluez.Error.AuthenticationRejected",
    "org.bluez.Error.AuthenticationCanceled",
    "org.bluez.Error.AuthenticationTimeout",
    "org.bluez.Error.NotAuthorized",
    "org.bluez.Error.NotPermitted",
    "org.freedesktop.DBus.Error.AccessDenied",
)


class PairingRefused(TreadctlError):
    """The system or the treadmill refused pairing or permission to use the link."""


class NotAnFtmsTreadmill(DeviceNotFound):
    """The device answered but offers no Fitness Machine Service."""


class ControlLocked(ControlNotPermitted, ControlRefused):
    """Request Control answered "Control Not Permitted".

    Both a ``CommandError`` (the engine's view) and a ``TreadctlError`` (the command line's), so
    either layer reports it without a traceback.
    """

    def __init__(self, op: str, device: str = "the treadmill") -> None:
        super().__init__(
            op,
            "control_not_permitted",
            f"{device} refused control (Control Not Permitted). Some treadmills lock control to "
            "the vendor's app: close that app (and any other program connected to it), "
            "then try again",
        )


class PairingRequired(CommandError, PairingRefused):
    """A Control Point write failed with an ATT security error: the link must be paired."""

    def __init__(self, op: str, device: str = "the treadmill") -> None:
        super().__init__(
            op,
            f"{device} requires pairing before it accepts commands: pair it in your system's "
            "Bluetooth settings (bluetoothctl pair ADDRESS), then try again",
        )


def unavailable(detail: str) -> BluetoothUnavailable:
    return BluetoothUnavailable(
        f"Bluetooth is not available on this machine ({detail}); {SIMULATE_HINT}"
    )


def translate(error: BaseException, target: str = "the treadmill") -> TreadctlError | None:
    """treadctl's error for a bleak/OS error, or None when it is not one we can explain."""
    from bleak.exc import (
        BleakBluetoothNotAvailableError,
        BleakBluetoothNotAvailableReason,
        BleakDBusError,
        BleakDeviceNotFoundError,
        BleakGATTProtocolError,
    )

    if isinstance(error, TreadctlError):
        return error
    if isinstance(error, BleakBluetoothNotAvailableError):
        reason = error.reason
        if reason is BleakBluetoothNotAvailableReason.POWERED_OFF:
            return BluetoothUnavailable(f"Bluetooth is switched off; turn it on or {SIMULATE_HINT}")
        if reason in (
            BleakBluetoothNotAvailableReason.DENIED_BY_USER,
            BleakBluetoothNotAvailableReason.DENIED_BY_SYSTEM,
            BleakBluetoothNotAvailableReason.DENIED_BY_UNKNOWN,
        ):
            return PairingRefused(
                "this program is not allowed to use Bluetooth; grant the permission in your "
                f"system settings, or {SIMULATE_HINT}"
            )
        return unavailable("no Bluetooth adapter found")
    if isinstance(error, BleakDBusError):
        name = error.dbus_error
        if name.startswith(_DBUS_STACK_MISSING):
            return unavailable("the BlueZ service is not running")
        if name.startswith(_DBUS_ADAPTER_NOT_READY):
            return BluetoothUnavailable(
                f"the Bluetooth adapter is not ready (switched off?); turn it on or {SIMULATE_HINT}"
            )
        if name.startswith(_DBUS_REFUSED):
            return PairingRefused(
                f"pairing with or permission for {target} was refused ({name.rsplit('.', 1)[-1]});"
                " put the treadmill in pairing mode or pair it in your Bluetooth settings"
            )
        return None
    if isinstance(error, BleakDeviceNotFoundError):
        return DeviceNotFound(
            f"no treadmill answered at {target}; switch it on, stay close, "
            "and check the address with `treadctl scan`"
        )
    if isinstance(error, BleakGATTProtocolError) and int(error.code) in SECURITY_ATT_ERRORS:
        return PairingRefused(
            f"{target} requires pairing: pair it in your system's Bluetooth settings, then retry"
        )
    if isinstance(error, FileNotFoundError):
        return unavailable("no D-Bus system bus, so no BlueZ")
    if isinstance(error, PermissionError):
        return PairingRefused(
            f"this program is not allowed to use Bluetooth ({error.strerror or error}); "
            "run it as a user in the 'bluetooth' group"
        )
    if isinstance(error, asyncio.TimeoutError | TimeoutError):
        return DeviceNotFound(
            f"{target} did not answer in time; switch it on, stay close, and try again"
        )
    return None


def is_permanent(error: BaseException) -> bool:
    """Whether retrying a connect cannot help (no Bluetooth, refused pairing or permission)."""
    translated = translate(error)
    return isinstance(translated, BluetoothUnavailable | PairingRefused)


__all__ = [
    "ControlLocked",
    "NotAnFtmsTreadmill",
    "PairingRefused",
    "PairingRequired",
    "is_permanent",
    "translate",
]
