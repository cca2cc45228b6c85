"""How a command reaches a treadmill: BlueZ (optionally on a chosen adapter) or a bumble transport.

``run``, ``scan`` and ``probe`` share these so the three accept the same ``--transport``,
``--adapter`` and ``--quirks`` and say the same thing when something is missing. Nothing here
imports bleak or bumble at module level.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from treadctl.errors import UsageError

if TYPE_CHECKING:
    from treadctl.ble.client import FtmsClient
    from treadctl.ble.device_config import DeviceSettings
    from treadctl.ble.quirks import DeviceQuirks

_ADAPTER = re.compile(r"^hci[0-9]{1,3}$")
_TRANSPORT = re.compile(r"^[a-z][a-z0-9-]*(:.*)?$")
BUMBLE_HINT = "pip install 'treadctl[sim]'"


@dataclass(frozen=True)
class Radio:
    """Which radio: a bumble transport spec, or BlueZ with an adapter name (None: default)."""

    transport: str | None = None
    adapter: str | None = None

    @property
    def uses_bluez(self) -> bool:
        return self.transport is None


def radio(transport: str | None, adapter: str | None) -> Radio:
    """Checked command-line choice (UsageError on bad input or a missing bumble)."""
    if transport is not None and adapter is not None:
        raise UsageError("--adapter is for BlueZ; a --transport does not use it")
    if adapter is not None and not _ADAPTER.match(adapter):
        raise UsageError(f"bad adapter {adapter!r}: expected a BlueZ name like hci0 or hci1")
    if transport is not None:
        transport = transport.strip()
        if not _TRANSPORT.match(transport):
            raise UsageError(
                f"bad transport {transport!r}: expected a bumble transport such as "
                "tcp-client:127.0.0.1:9100, usb:0 or serial:/dev/ttyUSB0,1000000"
            )
        try:
            import bumble  # noqa: F401
        except ImportError:
            raise UsageError(f"--transport needs bumble: {BUMBLE_HINT}") from None
    return Radio(transport, adapter)


def parse_quirks(text: str | None) -> DeviceQuirks | None:
    """``--quirks LIST`` (comma-separated presets); None when not given."""
    if text is None:
        return None
    from treadctl.ble.quirks import UnknownQuirk, combine

    try:
        return combine(text.split(","))
    except UnknownQuirk as error:
        raise UsageError(str(error)) from None


def backend_options(where: Radio) -> dict[str, Any]:
    """FtmsClient keyword arguments for this radio."""
    if where.transport is not None:
        from treadctl.ble.bumble_host import TRANSPORT_KEY, BumbleHostClient, BumbleHostScanner

        return {
            "client_backend": BumbleHostClient,
            "scanner_backend": BumbleHostScanner,
            "backend_kwargs": {TRANSPORT_KEY: where.transport},
        }
    if where.adapter is not None:
        return {"backend_kwargs": {"bluez": {"adapter": where.adapter}}}
    return {}


def check_radio(where: Radio) -> None:
    """BluetoothUnavailable now rather than after a screen opened: BlueZ (and the adapter)
    answers, or the bumble transport opens."""
    from treadctl.ble.availability import check_bluez, check_transport

    if where.transport is not None:
        check_transport(where.transport)
    else:
        check_bluez(where.adapter)


def make_client(
    target: str,
    where: Radio,
    quirks: DeviceQuirks | None = None,
    device_settings: Mapping[str, DeviceSettings] | None = None,
    **options: Any,
) -> FtmsClient:
    """An FtmsClient for ``target`` (address or name; "" with a transport: the first treadmill
    heard) on ``where``."""
    from treadctl.ble.client import FtmsClient

    if not target and where.uses_bluez:
        raise UsageError("no treadmill given: use --device ADDRESS (see `treadctl scan`)")
    return FtmsClient(
        target,
        quirks,
        device_settings=device_settings,
        **backend_options(where),
        **options,
    )


async def close_radio(where: Radio) -> None:
    """Close what the command opened on this loop (the shared bumble host)."""
    if where.transport is not None:
        from treadctl.ble.bumble_host import close_hosts

        await close_hosts()
