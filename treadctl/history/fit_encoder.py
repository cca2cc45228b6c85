"""A small FIT (Flexible and Interoperable Data Transfer) file writer.

Only what an activity file needs: the 14-byte file header, definition and data messages with
little-endian fields, null-terminated strings and the FIT CRC-16 over the header and the whole
file. A message is written as its fields (number, base type, value); a ``None`` value is written
as the base type's invalid value, so records with and without a heart rate share a definition.
Each global message gets its own local message type and is redefined only when its layout
changes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from datetime import UTC, datetime

PROTOCOL_VERSION = 0x20  # 2.0
PROFILE_VERSION = 2132  # 21.32
FIT_EPOCH = datetime(1989, 12, 31, tzinfo=UTC)


@dataclass(frozen=True)
class BaseType:
    code: int
    fmt: str  # struct format of one value ("" for strings)
    invalid: int


ENUM = BaseType(0x00, "B", 0xFF)
UINT8 = BaseType(0x02, "B", 0xFF)
SINT16 = BaseType(0x83, "h", 0x7FFF)
UINT16 = BaseType(0x84, "H", 0xFFFF)
UINT32 = BaseType(0x86, "I", 0xFFFFFFFF)
STRING = BaseType(0x07, "", 0)
UINT32Z = BaseType(0x8C, "I", 0)

Field = tuple[int, BaseType, "int | str | None"]

_CRC_TABLE = (
    0x0000, 0xCC01, 0xD801, 0x1400, 0xF001, 0x3C00, 0x2800, 0xE401,
    0xA001, 0x6C00, 0x7800, 0xB401, 0x5000, 0x9C01, 0x8801, 0x4400,
)  # fmt: skip


def crc16(data: bytes, crc: int = 0) -> int:
    """The FIT CRC (CRC-16/ARC), computed a nibble at a time as the FIT protocol describes."""
    for byte in data:
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[byte & 0xF]
        tmp = _CRC_TABLE[crc & 0xF]
        crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ _CRC_TABLE[(byte >> 4) & 0xF]
    return crc


def fit_timestamp(moment: datetime) -> int:
    """Seconds since the FIT epoch (1989-12-31 00:00 UTC)."""
    return int((moment - FIT_EPOCH).total_seconds())


def _encode_value(base: BaseType, value: int | str | None, size: int) -> bytes:
    if base is STRING:
        raw = str(value or "").encode("utf-8")[: size - 1]
        return raw + b"\x00" * (size - len(raw))
    number = base.invalid if value is None else int(value)
    return struct.pack("<" + base.fmt, number)


def _size(base: BaseType, value: int | str | None) -> int:
    if base is STRING:
        return len(str(value or "").encode("utf-8")) + 1
    return struct.calcsize("<" + base.fmt)


class FitWriter:
    """Collects messages; ``to_bytes()`` returns the complete file with header and CRCs."""

    def __init__(self) -> None:
        self._body = bytearray()
        self._local: dict[int, int] = {}
        self._layout: dict[int, tuple[tuple[int, int, int], ...]] = {}

    def write(self, global_num: int, fields: list[Field]) -> None:
        local = self._local.setdefault(global_num, len(self._local))
        if local > 15:
            raise ValueError("more than 16 kinds of message")
        layout = tuple((num, _size(base, value), base.code) for num, base, value in fields)
        if self._layout.get(local) != layout:
            self._body += struct.pack("<BBBHB", 0x40 | local, 0, 0, global_num, len(layout))
            for num, size, code in layout:
                self._body += struct.pack("<BBB", num, size, code)
            self._layout[local] = layout
        self._body.append(local)
        for (num, base, value), (_, size, _) in zip(fields, layout, strict=True):
            del num
            self._body += _encode_value(base, value, size)

    def to_bytes(self) -> bytes:
        header = struct.pack(
            "<BBHI4s", 14, PROTOCOL_VERSION, PROFILE_VERSION, len(self._body), b".FIT"
        )
        header += struct.pack("<H", crc16(header))
        content = header + bytes(self._body)
        return content + struct.pack("<H", crc16(content))
