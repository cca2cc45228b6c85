"""Supported Speed Range (0x2AD4) and Supported Inclination Range (0x2AD5).

Some devices report mph in these km/h fields; the codec reports what is on the wire.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from treadctl.ftms._scalar import pack, to_raw
from treadctl.ftms.errors import DecodeError

RANGE_SIZE = 6


@dataclass(frozen=True, slots=True)
class SpeedRange:
    minimum_kmh: float
    maximum_kmh: float
    increment_kmh: float

    def to_json(self) -> dict[str, float]:
        return asdict(self)


@dataclass(frozen=True, slots=True)
class InclineRange:
    minimum_pct: float
    maximum_pct: float
    increment_pct: float

    def to_json(self) -> dict[str, float]:
        return asdict(self)


def _three(data: bytes | bytearray | memoryview, what: str, signed: bool) -> tuple[int, int, int]:
    data = bytes(data)
    if len(data) < RANGE_SIZE:
        raise DecodeError(f"{what} needs {RANGE_SIZE} octets, got {len(data)}")
    return (
        int.from_bytes(data[0:2], "little", signed=signed),
        int.from_bytes(data[2:4], "little", signed=signed),
        int.from_bytes(data[4:6], "little"),
    )


def decode_speed_range(data: bytes | bytearray | memoryview) -> SpeedRange:
    low, high, step = _three(data, "supported speed range", signed=False)
    return SpeedRange(low / 100, high / 100, step / 100)


def encode_speed_range(speed_range: SpeedRange) -> bytes:
    return b"".join(
        pack(to_raw(name, getattr(speed_range, name), 100, 2, False), 2, False)
        for name in ("minimum_kmh", "maximum_kmh", "increment_kmh")
    )


def decode_incline_range(data: bytes | bytearray | memoryview) -> InclineRange:
    low, high, step = _three(data, "supported inclination range", signed=True)
    return InclineRange(low / 10, high / 10, step / 10)


def encode_incline_range(incline_range: InclineRange) -> bytes:
    return (
        pack(to_raw("minimum_pct", incline_range.minimum_pct, 10, 2, True), 2, True)
        + pack(to_raw("maximum_pct", incline_range.maximum_pct, 10, 2, True), 2, True)
        + pack(to_raw("increment_pct", incline_range.increment_pct, 10, 2, False), 2, False)
    )
