"""Treadmill Data (0x2ACD): one notification <-> TreadmillData, plus multi-notification records.

The flags field says which fields follow, in a fixed order. Bit 0 is inverted ("More Data"): when
it is 0, Instantaneous Speed is present and the notification ends a record; when it is 1, speed is
absent and more notifications follow. Bit 13 is a vendor step count (uint24) that several walking
pads append after the standard fields. Real devices send frames shorter than their flags require,
so decoding keeps every field that fits whole and marks the record ``truncated``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from treadctl.ftms._scalar import pack, to_raw
from treadctl.ftms.errors import DecodeError, EncodeError

MORE_DATA_BIT = 0x0001
STEP_COUNT_BIT = 0x2000
_KNOWN_BITS = 0x3FFF
FLAGS_SIZE = 2
MIN_ATT_MTU = 23  # the LE minimum; one notification then carries ATT_MTU - 3 octets


class _Field(NamedTuple):
    name: str
    bit: int  # flag bit that carries the field (bit 0 is inverted: present when clear)
    size: int
    signed: bool
    divisor: int  # raw / divisor = value; 1 means an integer field
    not_available: int | None  # the spec's "data not available" raw value, if it defines one


_U, _S = False, True
# Wire order. Sizes, signedness and resolutions per the SIG GATT XML (see reference.md §3.1, §3.6).
FIELDS: tuple[_Field, ...] = (
    _Field("speed_kmh", 0, 2, _U, 100, None),
    _Field("average_speed_kmh", 1, 2, _U, 100, None),
    _Field("total_distance_m", 2, 3, _U, 1, None),
    _Field("inclination_pct", 3, 2, _S, 10, 0x7FFF),
    _Field("ramp_angle_deg", 3, 2, _S, 10, 0x7FFF),
    _Field("elevation_gain_m", 4, 2, _U, 10, None),
    _Field("elevation_loss_m", 4, 2, _U, 10, None),
    _Field("instantaneous_pace_km_per_min", 5, 1, _U, 10, None),
    _Field("average_pace_km_per_min", 6, 1, _U, 10, None),
    _Field("total_energy_kcal", 7, 2, _U, 1, 0xFFFF),
    _Field("energy_per_hour_kcal", 7, 2, _U, 1, 0xFFFF),
    _Field("energy_per_minute_kcal", 7, 1, _U, 1, 0xFF),
    _Field("heart_rate_bpm", 8, 1, _U, 1, None),
    _Field("metabolic_equivalent", 9, 1, _U, 10, None),
    _Field("elapsed_time_s", 10, 2, _U, 1, None),
    _Field("remaining_time_s", 11, 2, _U, 1, None),
    _Field("force_on_belt_n", 12, 2, _S, 1, 0x7FFF),
    _Field("power_output_w", 12, 2, _S, 1, 0x7FFF),
    _Field("step_count", 13, 3, _U, 1, None),
)
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
_BY_NAME = {f.name: f for f in FIELDS}
_NA_CAPABLE = frozenset(f.name for f in FIELDS if f.not_available is not None)


@dataclass(frozen=True, slots=True, kw_only=True)
class TreadmillData:
    """One Treadmill Data record. A field is None when absent or sent as "data not available".

    ``flags`` are kept as received; the bits of every field that is set (or listed in
    ``not_available``) are added to them, and bit 0 always mirrors ``more_data``, so a record built
    by hand only needs its fields (and ``more_data=True`` for a record without speed).
    """

    flags: int = 0
    more_data: bool = False
    speed_kmh: float | None = None
    average_speed_kmh: float | None = None
    total_distance_m: int | None = None
    inclination_pct: float | None = None
    ramp_angle_deg: float | None = None
    elevation_gain_m: float | None = None
    elevation_loss_m: float | None = None
    instantaneous_pace_km_per_min: float | None = None
    average_pace_km_per_min: float | None = None
    total_energy_kcal: int | None = None
    energy_per_hour_kcal: int | None = None
    energy_per_minute_kcal: int | None = None
    heart_rate_bpm: int | None = None
    metabolic_equivalent: float | None = None
    elapsed_time_s: int | None = None
    remaining_time_s: int | None = None
    force_on_belt_n: int | None = None
    power_output_w: int | None = None
    step_count: int | None = None
    not_available: frozenset[str] = field(default_factory=frozenset)
    truncated: bool = False

    def __post_init__(self) -> None:
        flags = self.flags
        for f in FIELDS[1:]:
            if getattr(self, f.name) is not None:
                flags |= 1 << f.bit
        for name in self.not_available:
            spec = _BY_NAME.get(name)
            if spec is not None and spec.bit:
                flags |= 1 << spec.bit
        flags = (flags & ~MORE_DATA_BIT) | (MORE_DATA_BIT if self.more_data else 0)
        if flags != self.flags:
            object.__setattr__(self, "flags", flags)

    def carries(self, name: str) -> bool:
        """True when the record holds the field, with a value or as "data not available"."""
        return getattr(self, name) is not None or name in self.not_available

    def to_json(self) -> dict[str, Any]:
        """The vectors.json form: absent field -> no key, N/A -> None, ``truncated`` only if so."""
        out: dict[str, Any] = {"flags": self.flags, "more_data": self.more_data}
        for name in FIELD_NAMES:
            value = getattr(self, name)
            if value is not None or name in self.not_available:
                out[name] = value
        if self.truncated:
            out["truncated"] = True
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> TreadmillData:
        """Inverse of :meth:`to_json` (a null value means "data not available")."""
        unknown = set(data) - {*FIELD_NAMES, "flags", "more_data", "truncated"}
        if unknown:
            raise ValueError(f"unknown treadmill data keys: {', '.join(sorted(unknown))}")
        values = {k: v for k, v in data.items() if k in _BY_NAME and v is not None}
        na = frozenset(k for k, v in data.items() if k in _BY_NAME and v is None)
        return cls(
            flags=int(data.get("flags", 0)),
            more_data=bool(data.get("more_data", False)),
            truncated=bool(data.get("truncated", False)),
            not_available=na,
            **values,
        )


_layouts: dict[int, tuple[_Field, ...]] = {}


def _layout(flags: int) -> tuple[_Field, ...]:
    """The fields a frame with these flags carries, in wire order (cached per flags value)."""
    key = flags & _KNOWN_BITS
    layout = _layouts.get(key)
    if layout is None:
        layout = tuple(
            f for f in FIELDS if (not key & MORE_DATA_BIT if f.bit == 0 else key & (1 << f.bit))
        )
        _layouts[key] = layout
    return layout


def expected_length(flags: int) -> int:
    """Octets a frame with these flags must have (standard fields and the bit-13 step count)."""
    return FLAGS_SIZE + sum(f.size for f in _layout(flags))


def decode_treadmill_data(data: bytes | bytearray | memoryview) -> TreadmillData:
    """Decode one notification. Extra trailing octets are ignored; missing ones mark truncation."""
    data = bytes(data)
    if len(data) < FLAGS_SIZE:
        raise DecodeError(
            f"treadmill data needs at least {FLAGS_SIZE} octets (the flags), got {len(data)}"
        )
    flags = data[0] | data[1] << 8
    values: dict[str, Any] = {}
    missing: list[str] = []
    truncated = False
    offset = FLAGS_SIZE
    length = len(data)
    for f in _layout(flags):
        end = offset + f.size
        if end > length:
            truncated = True
            break
        raw = int.from_bytes(data[offset:end], "little", signed=f.signed)
        offset = end
        if raw == f.not_available:
            missing.append(f.name)
        else:
            values[f.name] = raw if f.divisor == 1 else raw / f.divisor
    return TreadmillData(
        flags=flags,
        more_data=bool(flags & MORE_DATA_BIT),
        not_available=frozenset(missing),
        truncated=truncated,
        **values,
    )


def _check(record: TreadmillData) -> tuple[_Field, ...]:
    """Refuse records the wire cannot express; return the fields to write, in order."""
    if not 0 <= record.flags <= 0xFFFF:
        raise EncodeError(f"flags {record.flags:#x} do not fit in 16 bits")
    for name in record.not_available:
        if name not in _NA_CAPABLE:
            raise EncodeError(f"{name} has no 'data not available' value in FTMS")
        if getattr(record, name) is not None:
            raise EncodeError(f"{name} is both set and marked not available")
    if record.more_data and record.speed_kmh is not None:
        raise EncodeError("speed_kmh is only carried when more_data is False (bit 0 clear)")
    layout = _layout(record.flags)
    carried = [f for f in layout if record.carries(f.name)]
    if carried != list(layout[: len(carried)]):
        gap = next(f.name for f in layout if not record.carries(f.name))
        raise EncodeError(f"{gap} is flagged but missing before later fields")
    if len(carried) < len(layout) and not record.truncated:
        gap = layout[len(carried)].name
        if gap == "speed_kmh":
            raise EncodeError("speed_kmh is required unless more_data is set")
        raise EncodeError(f"{gap} is flagged but missing (truncated=True sends a short frame)")
    if record.truncated and len(carried) == len(layout):
        raise EncodeError("truncated is set but every flagged field is present")
    return tuple(carried)


def _field_bytes(record: TreadmillData, f: _Field) -> bytes:
    value = getattr(record, f.name)
    if value is None:
        if f.not_available is None:  # unreachable after _check; kept explicit
            raise EncodeError(f"{f.name} is missing")
        return pack(f.not_available, f.size, f.signed)
    raw = to_raw(f.name, value, f.divisor, f.size, f.signed, f.not_available)
    return pack(raw, f.size, f.signed)


def encode_treadmill_data(record: TreadmillData) -> bytes:
    """Encode one notification carrying the whole record (flags as the record holds them)."""
    carried = _check(record)
    return pack(record.flags, 2, False) + b"".join(_field_bytes(record, f) for f in carried)


def split_treadmill_data(record: TreadmillData, att_mtu: int = MIN_ATT_MTU) -> list[bytes]:
    """Encode a record as the notifications an FTMS server sends for this ATT MTU.

    Fields keep their order and are never split; each notification but the last has bit 0 set,
    and Instantaneous Speed rides only in the last one (FTMS §4.4.1.2, §4.19).
    """
    if att_mtu < MIN_ATT_MTU:
        raise EncodeError(f"ATT MTU {att_mtu} is below the Bluetooth LE minimum of {MIN_ATT_MTU}")
    if record.truncated:
        raise EncodeError("a truncated record cannot be split into notifications")
    carried = _check(record)
    room = att_mtu - 3 - FLAGS_SIZE
    groups: list[tuple[int, bytes]] = []
    for f in carried:
        if f.bit == 0:
            continue
        body = _field_bytes(record, f)
        if groups and groups[-1][0] == f.bit:
            groups[-1] = (f.bit, groups[-1][1] + body)
        else:
            groups.append((f.bit, body))
    speed = b"" if record.speed_kmh is None else _field_bytes(record, FIELDS[0])
    packets: list[tuple[int, bytes]] = []
    bits, body = 0, b""
    for bit, chunk in groups:
        if len(body) + len(chunk) > room:
            packets.append((bits, body))
            bits, body = 0, b""
        bits |= 1 << bit
        body += chunk
    if len(body) + len(speed) > room:
        packets.append((bits, body))
        bits, body = 0, b""
    last_flags = bits | (record.flags & ~_KNOWN_BITS & 0xFFFF) | (record.flags & MORE_DATA_BIT)
    frames = [pack(b | MORE_DATA_BIT, 2, False) + chunk for b, chunk in packets]
    frames.append(pack(last_flags, 2, False) + speed + body)
    return frames


class RecordAssembler:
    """Merges the notifications of a multi-notification record (bit 0 set until the last one).

    Call :meth:`reset` on link loss: FTMS says a partial record is then discarded (§4.18).
    """

    __slots__ = ("_flags", "_missing", "_pending", "_truncated", "_values")

    def __init__(self) -> None:
        self._pending = False
        self._flags = 0
        self._values: dict[str, Any] = {}
        self._missing: set[str] = set()
        self._truncated = False

    @property
    def pending(self) -> bool:
        """True while part of a record has arrived and its last notification has not."""
        return self._pending

    def reset(self) -> None:
        """Discard a partial record (link lost, or a notification that could not be decoded)."""
        self._pending = False
        self._flags = 0
        self._values = {}
        self._missing = set()
        self._truncated = False

    def feed(self, notification: bytes | bytearray | memoryview) -> TreadmillData | None:
        """Take one notification; return the whole record when this one completes it.

        A DecodeError discards the partial record too, then propagates.
        """
        try:
            part = decode_treadmill_data(notification)
        except DecodeError:
            self.reset()
            raise
        if not self._pending and not part.more_data:
            return part
        for name in FIELD_NAMES:
            value = getattr(part, name)
            if value is not None:
                self._values[name] = value
                self._missing.discard(name)
            elif name in part.not_available:
                self._values.pop(name, None)
                self._missing.add(name)
        self._truncated = self._truncated or part.truncated
        if part.more_data:
            self._flags |= part.flags & ~MORE_DATA_BIT
            self._pending = True
            return None
        record = TreadmillData(
            flags=self._flags | part.flags,
            more_data=False,
            not_available=frozenset(self._missing),
            truncated=self._truncated,
            **self._values,
        )
        self.reset()
        return record


def replace(record: TreadmillData, **changes: Any) -> TreadmillData:
    """A copy of ``record`` with some fields changed (flags are re-derived from the fields)."""
    flags = record.flags & ~_KNOWN_BITS
    return dataclasses.replace(record, flags=flags, **changes)
