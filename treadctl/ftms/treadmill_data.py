"""Treadmill Data (0x2ACD): one notification <-> TreadmillData, plus multi-notification records.

The flags field says which fields follow, in a fixed order. Bit 0 is inverted ("More Data"): when
it is 0, Instantaneous Speed is present and the notification ends a record; when it is 1, speed is
absent and more notifications follow. Bit 13 is a vendor step count (uint24) that several walking
pads append after the standard fields. Real devices send frames shorter than their flags require,
so decoding keeps every field that fits whole and marks the record ``truncated``.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import reduce
from itertools import compress, repeat
from operator import attrgetter, is_not, itemgetter, or_
from typing import Any, NamedTuple

from treadctl.ftms._scalar import pack, raw_range, to_raw
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
# Every field but speed sets its flag bit when present (speed's bit 0 is "more data", inverted).
_PRESENCE_VALUES = attrgetter(*(f.name for f in FIELDS[1:]))
_PRESENCE_MASKS: tuple[int, ...] = tuple(1 << f.bit for f in FIELDS[1:])


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
        # Built for every record on both sides of the link: the presence bits are or-ed in C.
        present = map(is_not, _PRESENCE_VALUES(self), repeat(None))
        flags = reduce(or_, compress(_PRESENCE_MASKS, present), self.flags)
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


_DecodeStep = tuple[str, int, int, bool, int, int | None]
# One field of a whole frame unpacked by struct: name, divisor, "not available" raw value, and
# for a width struct has no code for (uint24) the signedness to read its octets with.
_WholeStep = tuple[str, int, int | None, bool | None]


class _DecodePlan(NamedTuple):
    """How to read a frame with given flags, worked out once per flags value."""

    steps: tuple[_DecodeStep, ...]  # per field, with octet offsets: for short (truncated) frames
    length: int  # octets a whole frame has
    whole: struct.Struct  # all fields of a whole frame at once
    whole_steps: tuple[_WholeStep, ...]


_STRUCT_CODES = {(1, False): "B", (1, True): "b", (2, False): "H", (2, True): "h"}
_STRUCT_CODES |= {(4, False): "I", (4, True): "i"}
_decode_plans: dict[int, _DecodePlan] = {}


def _decode_plan(flags: int) -> _DecodePlan:
    """``_layout(flags)`` with each field's octet offsets worked out (cached per flags value)."""
    key = flags & _KNOWN_BITS
    plan = _decode_plans.get(key)
    if plan is None:
        steps = []
        whole_steps = []
        codes = "<"
        offset = FLAGS_SIZE
        for f in _layout(key):
            steps.append((f.name, offset, offset + f.size, f.signed, f.divisor, f.not_available))
            code = _STRUCT_CODES.get((f.size, f.signed))
            codes += code or f"{f.size}s"
            whole_steps.append((f.name, f.divisor, f.not_available, None if code else f.signed))
            offset += f.size
        plan = _DecodePlan(tuple(steps), offset, struct.Struct(codes), tuple(whole_steps))
        _decode_plans[key] = plan
    return plan


def expected_length(flags: int) -> int:
    """Octets a frame with these flags must have (standard fields and the bit-13 step count)."""
    return FLAGS_SIZE + sum(f.size for f in _layout(flags))


def _decode_fields(
    data: bytes | bytearray | memoryview,
) -> tuple[int, dict[str, Any], list[str], bool]:
    """The flags, values, "not available" names and truncation of one notification."""
    data = bytes(data)
    if len(data) < FLAGS_SIZE:
        raise DecodeError(
            f"treadmill data needs at least {FLAGS_SIZE} octets (the flags), got {len(data)}"
        )
    flags = data[0] | data[1] << 8
    values: dict[str, Any] = {}
    missing: list[str] = []
    truncated = False
    length = len(data)
    plan = _decode_plan(flags)
    if length >= plan.length:
        # The usual case, a whole frame: one struct call instead of a slice per field.
        for (name, divisor, not_available, wide_signed), raw in zip(
            plan.whole_steps, plan.whole.unpack_from(data, FLAGS_SIZE), strict=True
        ):
            if wide_signed is not None:
                raw = int.from_bytes(raw, "little", signed=wide_signed)
            if raw == not_available:
                missing.append(name)
            else:
                values[name] = raw if divisor == 1 else raw / divisor
        return flags, values, missing, truncated
    for name, start, end, signed, divisor, not_available in plan.steps:
        if end > length:
            truncated = True
            break
        raw = int.from_bytes(data[start:end], "little", signed=signed)
        if raw == not_available:
            missing.append(name)
        else:
            values[name] = raw if divisor == 1 else raw / divisor
    return flags, values, missing, truncated


def decode_treadmill_data(data: bytes | bytearray | memoryview) -> TreadmillData:
    """Decode one notification. Extra trailing octets are ignored; missing ones mark truncation."""
    flags, values, missing, truncated = _decode_fields(data)
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
    not_available = record.not_available
    carried = [f for f in layout if getattr(record, f.name) is not None or f.name in not_available]
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


# One field of a split plan: divisor, the raw range its values must round into (the "data not
# available" code excluded), and whether it is a uint24 (packed by struct as uint16 + uint8).
_SplitStep = tuple[int, int, int, bool]


class _SplitPlan(NamedTuple):
    """The notifications of a record with given flags and ATT MTU, worked out once."""

    values: Callable[[TreadmillData], tuple[Any, ...]]  # the fields, in sending order
    names: tuple[str, ...]  # the same fields' names
    steps: tuple[_SplitStep, ...]
    frames: tuple[tuple[struct.Struct, int, int, int], ...]  # struct, flags, raws[start:stop]


_split_plans: dict[tuple[int, int], _SplitPlan | None] = {}


def _split_plan(flags: int, att_mtu: int) -> _SplitPlan | None:
    """The same grouping as :func:`split_treadmill_data`, on field sizes instead of bytes.

    None when a field has no struct form (a signed uint24): those records take the general path.
    """
    layout = _layout(flags)
    room = att_mtu - 3 - FLAGS_SIZE
    groups: list[tuple[int, int, list[_Field]]] = []
    for f in layout:
        if f.bit == 0:
            continue
        if groups and groups[-1][0] == f.bit:
            groups[-1][2].append(f)
            groups[-1] = (f.bit, groups[-1][1] + f.size, groups[-1][2])
        else:
            groups.append((f.bit, f.size, [f]))
    speed = [f for f in layout if f.bit == 0]
    packets: list[tuple[int, list[_Field]]] = []
    body: list[_Field] = []
    bits, size = 0, 0
    for bit, chunk_size, chunk in groups:
        if size + chunk_size > room:
            packets.append((bits, body))
            bits, body, size = 0, [], 0
        bits |= 1 << bit
        body = body + chunk
        size += chunk_size
    if size + sum(f.size for f in speed) > room:
        packets.append((bits, body))
        bits, body = 0, []
    last_flags = bits | (flags & ~_KNOWN_BITS & 0xFFFF) | (flags & MORE_DATA_BIT)
    framed = [(b | MORE_DATA_BIT, fields) for b, fields in packets]
    framed.append((last_flags, speed + body))
    order: list[_Field] = []
    steps: list[_SplitStep] = []
    frames = []
    start = 0
    for header, fields in framed:
        codes = "<H"
        for f in fields:
            wide = f.size == 3 and not f.signed
            code = "HB" if wide else _STRUCT_CODES.get((f.size, f.signed))
            if code is None:
                return None
            codes += code
            low, high = raw_range(f.size, f.signed)
            if f.not_available == low:
                low += 1
            if f.not_available == high:
                high -= 1
            order.append(f)
            steps.append((f.divisor, low, high, wide))
        stop = start + len(codes) - 2  # the items after the flags
        frames.append((struct.Struct(codes), header, start, stop))
        start = stop
    names = [f.name for f in order]
    values: Callable[[TreadmillData], tuple[Any, ...]]
    if len(names) > 1:
        values = attrgetter(*names)
    else:
        values = lambda record: tuple(getattr(record, name) for name in names)  # noqa: E731
    return _SplitPlan(values, tuple(names), tuple(steps), tuple(frames))


def _split_plain(record: TreadmillData, att_mtu: int) -> list[bytes] | None:
    """:func:`split_treadmill_data` for a plain record (every flagged field a finite int or float
    in range, none "not available"), from a cached plan: the simulator sends one a second.

    None means "not plain": the general path then encodes it, or raises the error it raises.
    """
    if record.not_available or (record.speed_kmh is None) is not record.more_data:
        return None
    key = (record.flags, att_mtu)
    plan = _split_plans.get(key)
    if plan is None:
        if key in _split_plans or not 0 <= record.flags <= 0xFFFF:
            return None
        plan = _split_plans[key] = _split_plan(record.flags, att_mtu)
        if plan is None:
            return None
    return _pack_plain(plan, plan.values(record))


def _pack_plain(plan: _SplitPlan, values: Sequence[Any]) -> list[bytes] | None:
    """The frames of ``plan`` for ``values`` (its fields, in sending order); None unless every
    value is a finite int or float that fits its field (the general path then decides)."""
    raws: list[int] = []
    append = raws.append
    for value, (divisor, low, high, wide) in zip(values, plan.steps, strict=True):
        kind = value.__class__
        if kind is float:
            if value - value != 0.0:  # inf or nan
                return None
            raw = round(value * divisor)
        elif kind is int:
            raw = value * divisor
        else:  # None, bool, a subclass: the general path decides
            return None
        if not low <= raw <= high:
            return None
        if wide:
            append(raw & 0xFFFF)
            append(raw >> 16)
        else:
            append(raw)
    return [frame.pack(header, *raws[start:stop]) for frame, header, start, stop in plan.frames]


# Per (field names, ATT MTU): the split plan and where each of its fields is among the names.
_ValuesPlan = tuple[_SplitPlan, Callable[[Sequence[Any]], Sequence[Any]]]
_values_plans: dict[tuple[tuple[str, ...], int], _ValuesPlan | None] = {}


def _values_plan(names: tuple[str, ...], att_mtu: int) -> _ValuesPlan | None:
    """The plan :func:`_split_plain` uses for a record carrying exactly ``names`` (None when such
    a record is not plain whatever its values: the general path then encodes or refuses it)."""
    if att_mtu < MIN_ATT_MTU or len(set(names)) != len(names) or "speed_kmh" not in names:
        return None
    if not set(names) <= set(FIELD_NAMES):
        return None
    sample: dict[str, Any] = dict.fromkeys(names, 0)
    flags = TreadmillData(**sample).flags  # the flags such a record gets
    key = (flags, att_mtu)
    plan = _split_plans.get(key)
    if plan is None:
        if key in _split_plans:
            return None
        plan = _split_plans[key] = _split_plan(flags, att_mtu)
        if plan is None:
            return None
    if not set(plan.names) <= set(names):  # a flagged field is missing: the general path refuses
        return None
    order = [names.index(name) for name in plan.names]  # the plan's fields among the values
    if len(order) == 1:  # itemgetter of one index returns the item, not a tuple
        return plan, lambda values: [values[order[0]]]
    return plan, itemgetter(*order)


def split_treadmill_values(
    names: tuple[str, ...], values: Sequence[Any], att_mtu: int = MIN_ATT_MTU
) -> list[bytes]:
    """``split_treadmill_data(TreadmillData(**dict(zip(names, values))), att_mtu)``, the same
    frames or the same error, for a sender that builds a record a second from a fixed set of
    fields (the simulator): no record is constructed when the values fit, only packed.

    ``names`` are field names (no ``flags``, ``more_data``, ...), one per value; keep the tuple
    itself fixed, it keys a cache.
    """
    key = (names, att_mtu)
    entry = _values_plans.get(key)
    if entry is None and key not in _values_plans:
        entry = _values_plans[key] = _values_plan(names, att_mtu)
    if entry is not None and len(values) == len(names):
        plan, reorder = entry
        frames = _pack_plain(plan, reorder(values))
        if frames is not None:
            return frames
    record = TreadmillData(**dict(zip(names, values, strict=True)))
    return split_treadmill_data(record, att_mtu)


def split_treadmill_data(record: TreadmillData, att_mtu: int = MIN_ATT_MTU) -> list[bytes]:
    """Encode a record as the notifications an FTMS server sends for this ATT MTU.

    Fields keep their order and are never split; each notification but the last has bit 0 set,
    and Instantaneous Speed rides only in the last one (FTMS §4.4.1.2, §4.19).
    """
    if att_mtu < MIN_ATT_MTU:
        raise EncodeError(f"ATT MTU {att_mtu} is below the Bluetooth LE minimum of {MIN_ATT_MTU}")
    if record.truncated:
        raise EncodeError("a truncated record cannot be split into notifications")
    plain = _split_plain(record, att_mtu)
    if plain is not None:
        return plain
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


_FIELD_SETTERS = tuple((name, TreadmillData.__dict__[name].__set__) for name in FIELD_NAMES)
_SET_FLAGS = TreadmillData.__dict__["flags"].__set__
_SET_MORE_DATA = TreadmillData.__dict__["more_data"].__set__
_SET_NOT_AVAILABLE = TreadmillData.__dict__["not_available"].__set__
_SET_TRUNCATED = TreadmillData.__dict__["truncated"].__set__


def _completed_record(
    flags: int, values: dict[str, Any], not_available: frozenset[str], truncated: bool
) -> TreadmillData:
    """``TreadmillData(flags=flags, more_data=False, not_available=not_available,
    truncated=truncated, **values)``, without parsing two dozen keyword arguments: a client
    builds one a second. ``values`` holds field names only (as decoding makes them).

    Only for what :class:`RecordAssembler` decoded: ``__post_init__`` is skipped because it
    cannot change those flags. Every value and "not available" name came from a frame whose
    flags carry its bit, and those flags are or-ed into ``flags``; bit 0 is clear, as in the
    frame that completed the record. (The codec's fuzz tests compare with the constructor.)"""
    record: TreadmillData = object.__new__(TreadmillData)
    _SET_FLAGS(record, flags)
    _SET_MORE_DATA(record, False)
    get = values.get
    for name, setter in _FIELD_SETTERS:
        setter(record, get(name))
    _SET_NOT_AVAILABLE(record, not_available)
    _SET_TRUNCATED(record, truncated)
    return record


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
            flags, values, missing, truncated = _decode_fields(notification)
        except DecodeError:
            self.reset()
            raise
        more_data = bool(flags & MORE_DATA_BIT)
        if not self._pending and not more_data:
            return _completed_record(flags, values, frozenset(missing), truncated)
        # A name is either a value or "not available" in one notification, never both.
        if self._missing:
            for name in values:
                self._missing.discard(name)
        self._values.update(values)
        for name in missing:
            self._values.pop(name, None)
            self._missing.add(name)
        self._truncated = self._truncated or truncated
        if more_data:
            self._flags |= flags & ~MORE_DATA_BIT
            self._pending = True
            return None
        record = _completed_record(
            self._flags | flags, self._values, frozenset(self._missing), self._truncated
        )
        self.reset()
        return record


def replace(record: TreadmillData, **changes: Any) -> TreadmillData:
    """A copy of ``record`` with some fields changed (flags are re-derived from the fields)."""
    flags = record.flags & ~_KNOWN_BITS
    return dataclasses.replace(record, flags=flags, **changes)
