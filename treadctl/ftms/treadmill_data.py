"""Treadmill Data (0x2ACD): one notification <-> TreadmillData, plus multi-notification records.

The flags field says which fields follow, in a fixed order. Bit 0 is inverted ("More Data"): when
it is 0, Instantaneous Speed is present and the notification ends a record; when it is 1, speed is
absent and more notifications follow. Bit 13 is a vendor step count (uint24) that several walking
pads append after the standard fields. Real devices send frames shorter than their flags require,
so decoding keeps every field that fits whole and marks the record ``truncated``.

The fields of :class:`TreadmillData` are the format's one description (their ``_wire`` rows).
Everything else is compiled from them: a :class:`_Frame` per (flags, frame length) reads and
writes a frame with one ``struct`` call, and a split plan per (flags, ATT MTU) lists the frames
a record is sent as.
"""

from __future__ import annotations

import dataclasses
import struct
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, reduce
from itertools import compress, repeat
from operator import attrgetter, is_not, itemgetter, or_
from typing import Any, NamedTuple, TypeAlias, cast

from treadctl.ftms._scalar import raw_range, to_raw
from treadctl.ftms.errors import DecodeError, EncodeError

MORE_DATA_BIT = 0x0001
STEP_COUNT_BIT = 0x2000
_KNOWN_BITS = 0x3FFF
FLAGS_SIZE = 2
MIN_ATT_MTU = 23  # the LE minimum; one notification then carries ATT_MTU - 3 octets

FieldValue: TypeAlias = float | None  # what a Treadmill Data field holds (int fields are ints)
TreadmillJson: TypeAlias = dict[str, float | None]  # to_json(): numbers, booleans and nulls


class WireField(NamedTuple):
    """One row of the wire format, with the raw range its real values use (derived)."""

    name: str
    bit: int  # flag bit that carries the field (bit 0 is inverted: present when clear)
    size: int  # octets; a 24-bit field is packed as its low uint16 and its high octet
    signed: bool
    divisor: int  # raw / divisor = value; 1 means an integer field
    not_available: int | None  # the spec's "data not available" raw value, if it defines one
    low: int  # the smallest and largest raw value a real value may have ("not available" and
    high: int  # beyond excluded)


def _wire(bit: int, size: int, signed: bool, divisor: int, not_available: int | None = None) -> Any:
    """A TreadmillData field's default (None: absent) carrying its wire format as metadata.

    Typed ``Any``, as ``dataclasses.field`` is, so each annotation stays the field's own type.
    """
    return field(default=None, metadata={"wire": (bit, size, signed, divisor, not_available)})


_U, _S = False, True


@dataclass(frozen=True, slots=True, kw_only=True)
class TreadmillData:
    """One Treadmill Data record. A field is None when absent or sent as "data not available".

    ``flags`` are kept as received; the bits of every field that is set (or listed in
    ``not_available``) are added to them, and bit 0 always mirrors ``more_data``, so a record built
    by hand only needs its fields (and ``more_data=True`` for a record without speed).
    """

    flags: int = 0
    more_data: bool = False
    # The wire format, in wire order: flag bit, octets, signed, divisor, "data not available" raw
    # value. Sizes, signedness and resolutions per the SIG GATT XML (reference.md §3.1, §3.6).
    speed_kmh: float | None = _wire(0, 2, _U, 100)
    average_speed_kmh: float | None = _wire(1, 2, _U, 100)
    total_distance_m: int | None = _wire(2, 3, _U, 1)
    inclination_pct: float | None = _wire(3, 2, _S, 10, 0x7FFF)
    ramp_angle_deg: float | None = _wire(3, 2, _S, 10, 0x7FFF)
    elevation_gain_m: float | None = _wire(4, 2, _U, 10)
    elevation_loss_m: float | None = _wire(4, 2, _U, 10)
    instantaneous_pace_km_per_min: float | None = _wire(5, 1, _U, 10)
    average_pace_km_per_min: float | None = _wire(6, 1, _U, 10)
    total_energy_kcal: int | None = _wire(7, 2, _U, 1, 0xFFFF)
    energy_per_hour_kcal: int | None = _wire(7, 2, _U, 1, 0xFFFF)
    energy_per_minute_kcal: int | None = _wire(7, 1, _U, 1, 0xFF)
    heart_rate_bpm: int | None = _wire(8, 1, _U, 1)
    metabolic_equivalent: float | None = _wire(9, 1, _U, 10)
    elapsed_time_s: int | None = _wire(10, 2, _U, 1)
    remaining_time_s: int | None = _wire(11, 2, _U, 1)
    force_on_belt_n: int | None = _wire(12, 2, _S, 1, 0x7FFF)
    power_output_w: int | None = _wire(12, 2, _S, 1, 0x7FFF)
    step_count: int | None = _wire(13, 3, _U, 1)  # vendor extension (walking pads)
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

    def to_json(self) -> TreadmillJson:
        """The vectors.json form: absent field -> no key, N/A -> None, ``truncated`` only if so."""
        out: TreadmillJson = {"flags": self.flags, "more_data": self.more_data}
        for name, value in zip(FIELD_NAMES, _FIELD_VALUES(self), strict=True):
            if value is not None or name in self.not_available:
                out[name] = value
        if self.truncated:
            out["truncated"] = True
        return out

    @classmethod
    def from_json(cls, data: Mapping[str, FieldValue]) -> TreadmillData:
        """Inverse of :meth:`to_json` (a null value means "data not available")."""
        unknown = set(data) - {*FIELD_NAMES, "flags", "more_data", "truncated"}
        if unknown:
            raise ValueError(f"unknown treadmill data keys: {', '.join(sorted(unknown))}")
        values = {k: v for k, v in data.items() if k in _BY_NAME and v is not None}
        return _construct(
            values,
            flags=int(data.get("flags") or 0),
            more_data=bool(data.get("more_data")),
            truncated=bool(data.get("truncated")),
            not_available=frozenset(k for k, v in data.items() if k in _BY_NAME and v is None),
        )


def _table() -> tuple[WireField, ...]:
    """The ``_wire`` rows of TreadmillData's fields, in declaration (= wire) order."""
    rows = []
    for spec in dataclasses.fields(TreadmillData):
        if "wire" in spec.metadata:
            bit, size, signed, divisor, not_available = spec.metadata["wire"]
            low, high = raw_range(size, signed)
            if not_available == low:
                low += 1
            if not_available == high:
                high -= 1
            rows.append(WireField(spec.name, bit, size, signed, divisor, not_available, low, high))
    return tuple(rows)


FIELDS: tuple[WireField, ...] = _table()
FIELD_NAMES: tuple[str, ...] = tuple(f.name for f in FIELDS)
_BY_NAME = {f.name: f for f in FIELDS}
_NA_CAPABLE = frozenset(f.name for f in FIELDS if f.not_available is not None)
_FIELD_VALUES: Callable[[TreadmillData], tuple[FieldValue, ...]] = attrgetter(*FIELD_NAMES)
# Every field but speed sets its flag bit when present (speed's bit 0 is "more data", inverted).
_PRESENCE_VALUES = attrgetter(*(f.name for f in FIELDS if f.bit))
_PRESENCE_MASKS: tuple[int, ...] = tuple(1 << f.bit for f in FIELDS if f.bit)


def _construct(values: Mapping[str, FieldValue], **options: object) -> TreadmillData:
    """``TreadmillData(**values, **options)``: field names are only known at run time here."""
    return TreadmillData(**cast("dict[str, Any]", values), **cast("dict[str, Any]", options))


@lru_cache(maxsize=1024)
def _layout(flags: int) -> tuple[WireField, ...]:
    """The fields a frame with these flags carries, in wire order."""
    return tuple(
        f for f in FIELDS if (not flags & MORE_DATA_BIT if f.bit == 0 else flags & (1 << f.bit))
    )


def expected_length(flags: int) -> int:
    """Octets a frame with these flags must have (standard fields and the bit-13 step count)."""
    return FLAGS_SIZE + sum(f.size for f in _layout(flags & _KNOWN_BITS))


# struct has no 24-bit code: such a field is its low uint16 and its high (signed) octet.
_CODES = {(1, _U): "B", (1, _S): "b", (2, _U): "H", (2, _S): "h", (3, _U): "HB", (3, _S): "Hb"}


class _Frame(NamedTuple):
    """A frame of given flags and length, compiled from the field table."""

    fields: tuple[WireField, ...]  # the flagged fields that fit whole, in wire order
    codec: struct.Struct  # the flags, then those fields
    truncated: bool  # flagged fields did not fit


@lru_cache(maxsize=1024)
def _frame(flags: int, length: int) -> _Frame:
    """The plan for frames of ``length`` octets with these flags (cached per pair)."""
    layout = _layout(flags & _KNOWN_BITS)
    fits, end = 0, FLAGS_SIZE
    while fits < len(layout) and end + layout[fits].size <= length:
        end += layout[fits].size
        fits += 1
    codes = "".join(_CODES[f.size, f.signed] for f in layout[:fits])
    return _Frame(layout[:fits], struct.Struct("<H" + codes), fits < len(layout))


def _decode_fields(
    data: bytes | bytearray | memoryview,
) -> tuple[int, dict[str, float], list[str], bool]:
    """The flags, values, "not available" names and truncation of one notification."""
    if len(data) < FLAGS_SIZE:
        raise DecodeError(
            f"treadmill data needs at least {FLAGS_SIZE} octets (the flags), got {len(data)}"
        )
    data = bytes(data)
    frame = _frame(data[0] | data[1] << 8, len(data))
    items = iter(frame.codec.unpack_from(data))
    flags: int = next(items)
    values: dict[str, float] = {}
    missing: list[str] = []
    for name, _, size, _, divisor, not_available, _, _ in frame.fields:
        raw: int = next(items)
        if size == 3:
            raw += next(items) << 16
        if raw == not_available:
            missing.append(name)
        else:
            values[name] = raw if divisor == 1 else raw / divisor
    return flags, values, missing, frame.truncated


def decode_treadmill_data(data: bytes | bytearray | memoryview) -> TreadmillData:
    """Decode one notification. Extra trailing octets are ignored; missing ones mark truncation."""
    flags, values, missing, truncated = _decode_fields(data)
    return _record(flags, values, frozenset(missing), truncated)


def _raws(fields: Iterable[WireField], values: Iterable[FieldValue]) -> list[int]:
    """The struct items of these fields' values; None is the field's "data not available" code.

    Plain numbers in range are scaled here; anything else goes through ``to_raw``, which converts
    it the same way or raises the EncodeError that names the field and its range.
    """
    raws: list[int] = []
    for (name, _, size, signed, divisor, not_available, low, high), value in zip(
        fields, values, strict=True
    ):
        raw: int | None = None
        if type(value) is float and (scaled := value * divisor) - scaled == 0.0:  # finite
            raw = round(scaled)
        elif type(value) is int:
            raw = value * divisor
        if raw is None or not low <= raw <= high:
            if value is None and not_available is not None:
                raw = not_available
            else:
                raw = to_raw(name, value, divisor, size, signed, not_available)
        if size == 3:
            raws += (raw & 0xFFFF, raw >> 16)
        else:
            raws.append(raw)
    return raws


def _check(record: TreadmillData, values: Sequence[FieldValue] = (None,)) -> tuple[WireField, ...]:
    """Refuse records the wire cannot express; return the fields to write, in order.

    ``values``, when given, are the record's values of every flagged field, in any order: when
    none is None and none is "not available", every flagged field is carried (the usual case).
    """
    if not 0 <= record.flags <= 0xFFFF:
        raise EncodeError(f"flags {record.flags:#x} do not fit in 16 bits")
    for name in record.not_available:
        if name not in _NA_CAPABLE:
            raise EncodeError(f"{name} has no 'data not available' value in FTMS")
        if getattr(record, name) is not None:
            raise EncodeError(f"{name} is both set and marked not available")
    if record.more_data and record.speed_kmh is not None:
        raise EncodeError("speed_kmh is only carried when more_data is False (bit 0 clear)")
    layout = _layout(record.flags & _KNOWN_BITS)
    not_available = record.not_available
    if not_available or None in values:
        carried = [
            f for f in layout if getattr(record, f.name) is not None or f.name in not_available
        ]
    else:
        carried = list(layout)
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


def encode_treadmill_data(record: TreadmillData) -> bytes:
    """Encode one notification carrying the whole record (flags as the record holds them)."""
    carried = _check(record)
    frame = _frame(record.flags, FLAGS_SIZE + sum(f.size for f in carried))
    values = [getattr(record, f.name) for f in carried]
    return frame.codec.pack(record.flags, *_raws(carried, values))


class _Split(NamedTuple):
    """The notifications of a record with given flags and ATT MTU."""

    fields: tuple[WireField, ...]  # the fields of all of them, in sending order
    frames: tuple[tuple[int, struct.Struct, int, int], ...]  # flags, codec, its _raws[start:stop]
    values: Callable[[TreadmillData], tuple[FieldValue, ...]]  # a record's values of ``fields``

    def pack(self, values: Sequence[FieldValue]) -> list[bytes]:
        """The notifications for ``values`` (of ``fields``); EncodeError as ``_raws`` says."""
        raws = _raws(self.fields, values)
        return [codec.pack(header, *raws[start:stop]) for header, codec, start, stop in self.frames]


@lru_cache(maxsize=256)
def _split_plan(flags: int, att_mtu: int) -> _Split:
    """Group the flagged fields into notifications of at most ``att_mtu - 3`` octets.

    Fields keep their order, fields sharing a flag bit travel together, and speed rides in the
    last notification; every notification is then a whole frame for its own flags.
    """
    room = att_mtu - 3 - FLAGS_SIZE
    groups: dict[int, int] = {}  # octets per flag bit, in wire order (speed apart)
    speed = 0
    for f in _layout(flags & _KNOWN_BITS):
        if f.bit:
            groups[f.bit] = groups.get(f.bit, 0) + f.size
        else:
            speed = f.size
    headers: list[int] = []
    bits = size = 0
    for bit, octets in groups.items():
        if size + octets > room:
            headers.append(bits | MORE_DATA_BIT)
            bits = size = 0
        bits |= 1 << bit
        size += octets
    if size + speed > room:
        headers.append(bits | MORE_DATA_BIT)
        bits = 0
    headers.append(bits | (flags & ~_KNOWN_BITS & 0xFFFF) | (flags & MORE_DATA_BIT))
    fields: list[WireField] = []
    frames = []
    start = 0
    for header in headers:
        frame = _frame(header, expected_length(header))
        stop = start + len(frame.fields) + sum(f.size == 3 for f in frame.fields)  # struct items
        fields += frame.fields
        frames.append((header, frame.codec, start, stop))
        start = stop
    return _Split(tuple(fields), tuple(frames), _getter([f.name for f in fields]))


def _getter(names: Sequence[str]) -> Callable[[TreadmillData], tuple[FieldValue, ...]]:
    if len(names) > 1:
        return attrgetter(*names)
    return lambda record: tuple(getattr(record, name) for name in names)  # not a bare value


def split_treadmill_data(record: TreadmillData, att_mtu: int = MIN_ATT_MTU) -> list[bytes]:
    """Encode a record as the notifications an FTMS server sends for this ATT MTU.

    Fields keep their order and are never split; each notification but the last has bit 0 set,
    and Instantaneous Speed rides only in the last one (FTMS §4.4.1.2, §4.19).
    """
    if att_mtu < MIN_ATT_MTU:
        raise EncodeError(f"ATT MTU {att_mtu} is below the Bluetooth LE minimum of {MIN_ATT_MTU}")
    if record.truncated:
        raise EncodeError("a truncated record cannot be split into notifications")
    plan = _split_plan(record.flags, att_mtu)
    values = plan.values(record)
    _check(record, values)
    return plan.pack(values)


# Per (field names, ATT MTU): the split plan of a record carrying exactly those fields, and where
# each of the plan's fields is among the names. None when such a record is never "plain".
_ValuesPlan: TypeAlias = tuple[_Split, Callable[[Sequence[FieldValue]], Sequence[FieldValue]]]


@lru_cache(maxsize=256)
def _values_plan(names: tuple[str, ...], att_mtu: int) -> _ValuesPlan | None:
    if att_mtu < MIN_ATT_MTU or len(set(names)) != len(names) or "speed_kmh" not in names:
        return None
    if not set(names) <= _BY_NAME.keys():
        return None
    plan = _split_plan(_construct(dict.fromkeys(names, 0)).flags, att_mtu)
    if {f.name for f in plan.fields} != set(names):  # a flagged field is missing: it refuses
        return None
    order = [names.index(f.name) for f in plan.fields]
    if len(order) == 1:  # itemgetter of one index returns the item, not a tuple
        return plan, lambda values: (values[order[0]],)
    return plan, itemgetter(*order)


def split_treadmill_values(
    names: tuple[str, ...], values: Sequence[FieldValue], att_mtu: int = MIN_ATT_MTU
) -> list[bytes]:
    """``split_treadmill_data(TreadmillData(**dict(zip(names, values))), att_mtu)``, the same
    frames or the same error, for a sender that builds a record a second from a fixed set of
    fields (the simulator): no record is constructed when the values fit, only packed.

    ``names`` are field names (no ``flags``, ``more_data``, ...), one per value; keep the tuple
    itself fixed, it keys a cache.
    """
    entry = _values_plan(names, att_mtu)
    if entry is not None and len(values) == len(names) and None not in values:
        plan, reorder = entry
        try:
            return plan.pack(reorder(values))
        except EncodeError:
            pass  # the general path raises its own error, after its own checks
    return split_treadmill_data(_construct(dict(zip(names, values, strict=True))), att_mtu)


_FIELD_SETTERS = tuple((name, TreadmillData.__dict__[name].__set__) for name in FIELD_NAMES)
_SET_FLAGS = TreadmillData.__dict__["flags"].__set__
_SET_MORE_DATA = TreadmillData.__dict__["more_data"].__set__
_SET_NOT_AVAILABLE = TreadmillData.__dict__["not_available"].__set__
_SET_TRUNCATED = TreadmillData.__dict__["truncated"].__set__


def _record(
    flags: int, values: Mapping[str, float], not_available: frozenset[str], truncated: bool
) -> TreadmillData:
    """``TreadmillData(flags=flags, more_data=bool(flags & 1), not_available=not_available,
    truncated=truncated, **values)``, without parsing two dozen keyword arguments: a client
    builds one a second. ``values`` holds field names only (as decoding makes them).

    Only for decoded records: ``__post_init__`` is skipped because it cannot change their flags.
    Every value and "not available" name came from a frame whose flags carry its bit, and those
    flags are in ``flags``, whose bit 0 says whether more data follows. (The codec's tests compare
    with the constructor.)"""
    record: TreadmillData = object.__new__(TreadmillData)
    _SET_FLAGS(record, flags)
    _SET_MORE_DATA(record, bool(flags & MORE_DATA_BIT))
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
        self._values: dict[str, float] = {}
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
            return _record(flags, values, frozenset(missing), truncated)
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
        record = _record(
            self._flags | flags, self._values, frozenset(self._missing), self._truncated
        )
        self.reset()
        return record


def replace(record: TreadmillData, **changes: FieldValue) -> TreadmillData:
    """A copy of ``record`` with some fields changed (flags are re-derived from the fields)."""
    flags = record.flags & ~_KNOWN_BITS
    return dataclasses.replace(record, flags=flags, **cast("dict[str, Any]", changes))
