"""Find FTMS machines nearby from their advertisements (service 0x1826 and its service data).

The FTMS service data is ``flags (uint8) | machine type (uint16 LE)`` (reference.md §1.1). Some
machines send the type as one byte or byte-swapped, so every type byte is folded onto the
defined low bits. A machine that advertises 0x1826 but no service data is listed as "unknown":
it may well be a treadmill, so it is not hidden by default.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from treadctl.ftms.uuids import FTMS_SERVICE_UUID

if TYPE_CHECKING:
    from bleak.backends.scanner import AdvertisementData, BaseBleakScanner

DEFAULT_SCAN_TIMEOUT_S = 5.0

MACHINE_TYPE_BITS: tuple[tuple[int, str], ...] = (
    (0x01, "treadmill"),
    (0x02, "cross trainer"),
    (0x04, "step climber"),
    (0x08, "stair climber"),
    (0x10, "rower"),
    (0x20, "indoor bike"),
)
TREADMILL = "treadmill"


@dataclass(frozen=True)
class FtmsAdvert:
    """What the FTMS service data says: available flag and machine types (None: not sent)."""

    available: bool | None
    machine_types: tuple[str, ...] | None


@dataclass(frozen=True)
class FoundMachine:
    name: str
    address: str
    rssi_dbm: int | None
    machine_types: tuple[str, ...] | None  # None: the advertisement did not say
    available: bool | None = None
    service_data_hex: str = ""

    @property
    def is_treadmill(self) -> bool:
        return self.machine_types is not None and TREADMILL in self.machine_types

    @property
    def type_label(self) -> str:
        if self.machine_types is None:
            return "unknown (not advertised)"
        return ", ".join(self.machine_types) or "none"

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "rssi_dbm": self.rssi_dbm,
            "machine_types": list(self.machine_types) if self.machine_types is not None else None,
            "available": self.available,
            "service_data": self.service_data_hex,
        }


def parse_service_data(data: bytes | None) -> FtmsAdvert:
    """Decode the FTMS service data; tolerant of a 1-byte or byte-swapped machine type."""
    if not data:
        return FtmsAdvert(available=None, machine_types=None)
    available = bool(data[0] & 0x01)
    type_bytes = data[1:3]
    if not type_bytes:
        return FtmsAdvert(available=available, machine_types=None)
    folded = 0
    for byte in type_bytes:
        folded |= byte
    types = tuple(label for bit, label in MACHINE_TYPE_BITS if folded & bit)
    return FtmsAdvert(available=available, machine_types=types)


def is_ftms(adv: AdvertisementData) -> bool:
    uuids = {u.lower() for u in adv.service_uuids}
    return FTMS_SERVICE_UUID in uuids or FTMS_SERVICE_UUID in {k.lower() for k in adv.service_data}


def ftms_service_data(adv: AdvertisementData) -> bytes | None:
    for key, value in adv.service_data.items():
        if key.lower() == FTMS_SERVICE_UUID:
            return bytes(value)
    return None


def to_found(address: str, os_name: str | None, adv: AdvertisementData) -> FoundMachine:
    data = ftms_service_data(adv)
    parsed = parse_service_data(data)
    return FoundMachine(
        name=adv.local_name or os_name or "(no name)",
        address=address,
        rssi_dbm=adv.rssi,
        machine_types=parsed.machine_types,
        available=parsed.available,
        service_data_hex=data.hex(" ") if data else "",
    )


def wanted(machine: FoundMachine, all_machines: bool) -> bool:
    """Treadmills and machines that do not say their type; everything FTMS with ``--all``."""
    return all_machines or machine.machine_types is None or machine.is_treadmill


async def scan(
    timeout_s: float = DEFAULT_SCAN_TIMEOUT_S,
    all_machines: bool = False,
    scanner_backend: type[BaseBleakScanner] | None = None,
    backend_kwargs: Mapping[str, Any] | None = None,
) -> list[FoundMachine]:
    """FTMS machines heard within ``timeout_s``, strongest signal first.

    Raises treadctl's own errors (Bluetooth unavailable, permission refused) instead of bleak's.
    """
    from bleak import BleakScanner

    from treadctl.ble.errors import translate

    try:
        async with BleakScanner(backend=scanner_backend, **dict(backend_kwargs or {})) as scanner:
            await asyncio.sleep(timeout_s)
        seen = scanner.discovered_devices_and_advertisement_data
    except Exception as error:
        translated = translate(error, "the scan")
        if translated is None:
            raise
        raise translated from error
    found = [
        to_found(device.address, device.name, adv) for device, adv in seen.values() if is_ftms(adv)
    ]
    found = [m for m in found if wanted(m, all_machines)]
    found.sort(key=lambda m: (-(m.rssi_dbm if m.rssi_dbm is not None else -999), m.name))
    return found
