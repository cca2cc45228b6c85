"""Heart Rate Measurement (0x2A37), Body Sensor Location (0x2A38) and Battery Level (0x2A19).

Heart Rate Measurement, as the Heart Rate Service specification lays it out (little-endian):

* Flags (uint8): bit 0 value format (0 uint8, 1 uint16); bit 1 sensor contact detected; bit 2
  sensor contact supported (bit 1 means nothing unless bit 2 is set); bit 3 Energy Expended
  present; bit 4 RR-Interval present; bits 5-7 reserved (ignored, as the spec asks).
* Heart Rate Measurement Value: uint8 or uint16, beats per minute.
* Energy Expended (uint16, kilojoules), if bit 3.
* RR-Interval: one or more uint16 in units of 1/1024 s, if bit 4 (newest last).

A value of 0 bpm is what many straps send when they have lost skin contact; the codec reports
it as it is and leaves what it means to the trust tracker (``treadctl.safety.heart_rate``).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from treadctl.ftms.errors import DecodeError, EncodeError

RR_UNITS_PER_S = 1024

_FORMAT_UINT16 = 0x01
_CONTACT_DETECTED = 0x02
_CONTACT_SUPPORTED = 0x04
_ENERGY_PRESENT = 0x08
_RR_PRESENT = 0x10

__all__ = [
    "RR_UNITS_PER_S",
    "BodySensorLocation",
    "DecodeError",
    "EncodeError",
    "HeartRateMeasurement",
    "decode_battery_level",
    "decode_body_sensor_location",
    "decode_measurement",
    "encode_battery_level",
    "encode_body_sensor_location",
    "encode_measurement",
]


class BodySensorLocation(IntEnum):
    OTHER = 0
    CHEST = 1
    WRIST = 2
    FINGER = 3
    HAND = 4
    EAR_LOBE = 5
    FOOT = 6


@dataclass(frozen=True)
class HeartRateMeasurement:
    """One Heart Rate Measurement notification.

    ``contact_supported`` False means the strap cannot tell (``contact_detected`` is then None).
    ``rr_intervals_s`` are the beat-to-beat intervals in seconds, oldest first.
    """

    bpm: int
    contact_supported: bool = False
    contact_detected: bool | None = None
    energy_expended_kj: int | None = None
    rr_intervals_s: tuple[float, ...] = ()
    wide_value: bool = False  # the value was sent as uint16

    @property
    def in_contact(self) -> bool | None:
        """True/False when the strap reports contact, None when it cannot tell."""
        return self.contact_detected if self.contact_supported else None

    def to_json(self) -> dict[str, Any]:
        return {
            "bpm": self.bpm,
            "contact_supported": self.contact_supported,
            "contact_detected": self.contact_detected,
            "energy_expended_kj": self.energy_expended_kj,
            "rr_intervals_s": [round(rr, 4) for rr in self.rr_intervals_s],
        }


def decode_measurement(data: bytes | bytearray) -> HeartRateMeasurement:
    """Decode one 0x2A37 notification; DecodeError if it is short or has a torn RR interval."""
    raw = bytes(data)
    if not raw:
        raise DecodeError("heart rate measurement: empty")
    flags = raw[0]
    offset = 1
    wide = bool(flags & _FORMAT_UINT16)
    width = 2 if wide else 1
    if len(raw) < offset + width:
        raise DecodeError(f"heart rate measurement: {len(raw)} bytes, no heart rate value")
    bpm = int.from_bytes(raw[offset : offset + width], "little")
    offset += width
    energy: int | None = None
    if flags & _ENERGY_PRESENT:
        if len(raw) < offset + 2:
            raise DecodeError("heart rate measurement: energy expended flagged but missing")
        energy = int.from_bytes(raw[offset : offset + 2], "little")
        offset += 2
    rr: tuple[float, ...] = ()
    if flags & _RR_PRESENT:
        rest = raw[offset:]
        if len(rest) % 2:
            raise DecodeError("heart rate measurement: an RR interval is cut short")
        rr = tuple(
            int.from_bytes(rest[i : i + 2], "little") / RR_UNITS_PER_S
            for i in range(0, len(rest), 2)
        )
    supported = bool(flags & _CONTACT_SUPPORTED)
    return HeartRateMeasurement(
        bpm=bpm,
        contact_supported=supported,
        contact_detected=bool(flags & _CONTACT_DETECTED) if supported else None,
        energy_expended_kj=energy,
        rr_intervals_s=rr,
        wide_value=wide,
    )


def encode_measurement(measurement: HeartRateMeasurement) -> bytes:
    """The bytes of one notification (for the simulated strap and the tests)."""
    m = measurement
    if not 0 <= m.bpm <= 0xFFFF:
        raise EncodeError(f"heart rate {m.bpm} bpm does not fit a uint16")
    wide = m.wide_value or m.bpm > 0xFF
    flags = _FORMAT_UINT16 if wide else 0
    if m.contact_supported:
        flags |= _CONTACT_SUPPORTED
        if m.contact_detected:
            flags |= _CONTACT_DETECTED
    out = bytearray()
    out += m.bpm.to_bytes(2 if wide else 1, "little")
    if m.energy_expended_kj is not None:
        if not 0 <= m.energy_expended_kj <= 0xFFFF:
            raise EncodeError(f"energy expended {m.energy_expended_kj} kJ does not fit a uint16")
        flags |= _ENERGY_PRESENT
        out += m.energy_expended_kj.to_bytes(2, "little")
    if m.rr_intervals_s:
        flags |= _RR_PRESENT
        for rr_s in m.rr_intervals_s:
            units = round(rr_s * RR_UNITS_PER_S)
            if not 0 <= units <= 0xFFFF:
                raise EncodeError(f"RR interval {rr_s} s does not fit a uint16 of 1/1024 s")
            out += units.to_bytes(2, "little")
    return bytes((flags,)) + bytes(out)


def decode_body_sensor_location(data: bytes | bytearray) -> BodySensorLocation | int:
    """The strap's position; an unknown (reserved) code comes back as its number."""
    raw = bytes(data)
    if len(raw) != 1:
        raise DecodeError(f"body sensor location: expected 1 byte, got {len(raw)}")
    try:
        return BodySensorLocation(raw[0])
    except ValueError:
        return raw[0]


def encode_body_sensor_location(location: BodySensorLocation | int) -> bytes:
    if not 0 <= int(location) <= 0xFF:
        raise EncodeError(f"body sensor location {location} does not fit a uint8")
    return bytes((int(location),))


def decode_battery_level(data: bytes | bytearray) -> int:
    """Battery Level (0x2A19): percent, 0..100."""
    raw = bytes(data)
    if len(raw) != 1:
        raise DecodeError(f"battery level: expected 1 byte, got {len(raw)}")
    if raw[0] > 100:
        raise DecodeError(f"battery level: {raw[0]} % is above 100")
    return raw[0]


def encode_battery_level(percent: int) -> bytes:
    if not 0 <= percent <= 100:
        raise EncodeError(f"battery level {percent} % is not 0..100")
    return bytes((percent,))
