"""The Device Information Service (0x180A): who made the treadmill, which model and firmware.

Sans-I/O: the UUIDs, and bytes in, text out. Every characteristic is optional and a UTF-8 string
(DIS v1.1 §3); real devices pad with NUL bytes or send Latin-1, so decoding is forgiving and an
empty value counts as absent. The client reads these on connect (for quirk matching, the history
and the FIT file) and ``treadctl probe`` reports them; the simulator serves them.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import Any

from treadctl.ftms.uuids import uuid16

DEVICE_INFORMATION_SERVICE_UUID = uuid16(0x180A)
MANUFACTURER_UUID = uuid16(0x2A29)
MODEL_UUID = uuid16(0x2A24)
SERIAL_NUMBER_UUID = uuid16(0x2A25)
HARDWARE_REVISION_UUID = uuid16(0x2A27)
FIRMWARE_REVISION_UUID = uuid16(0x2A26)
SOFTWARE_REVISION_UUID = uuid16(0x2A28)

# Field name -> characteristic, in the order they are read and reported.
DIS_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("manufacturer", MANUFACTURER_UUID, "Manufacturer Name String"),
    ("model", MODEL_UUID, "Model Number String"),
    ("serial_number", SERIAL_NUMBER_UUID, "Serial Number String"),
    ("hardware_revision", HARDWARE_REVISION_UUID, "Hardware Revision String"),
    ("firmware_revision", FIRMWARE_REVISION_UUID, "Firmware Revision String"),
    ("software_revision", SOFTWARE_REVISION_UUID, "Software Revision String"),
)
DIS_NAMES = {uuid: label for _field, uuid, label in DIS_FIELDS}
MAX_STRING_OCTETS = 64  # longer values are cut: a display name, not a document


@dataclass(frozen=True)
class DeviceInformation:
    """The strings a device offers; None where it offers none."""

    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    hardware_revision: str | None = None
    firmware_revision: str | None = None
    software_revision: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def empty(self) -> bool:
        return all(getattr(self, f.name) is None for f in fields(self))


def decode_string(raw: bytes) -> str | None:
    """A DIS string: UTF-8 (Latin-1 where that fails), NUL padding and blanks trimmed."""
    cut = raw[:MAX_STRING_OCTETS].split(b"\x00", 1)[0]
    try:
        text = cut.decode("utf-8")
    except UnicodeDecodeError:
        text = cut.decode("latin-1")
    text = "".join(c for c in text if c.isprintable()).strip()
    return text or None


def encode_string(text: str) -> bytes:
    return text.encode("utf-8")[:MAX_STRING_OCTETS]


def from_reads(reads: dict[str, bytes]) -> DeviceInformation:
    """The record from raw reads keyed by characteristic UUID (missing keys stay None)."""
    values = {
        name: decode_string(reads[uuid]) for name, uuid, _label in DIS_FIELDS if uuid in reads
    }
    return DeviceInformation(**values)
