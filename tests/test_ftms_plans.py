"""The compiled Treadmill Data plans against plain table-walking reference codecs.

The codec reads and writes frames through ``struct`` plans compiled per flags value (and per
ATT MTU for splitting). The references below walk the field table one field at a time with
``int.from_bytes`` / ``int.to_bytes``, as the format reads in the specification, and must agree
with the plans byte for byte, value for value (ints stay ints), error for error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_ftms_treadmill_data import treadmill_records
from treadctl import ftms
from treadctl.ftms._scalar import to_raw
from treadctl.ftms.treadmill_data import FIELD_NAMES, FIELDS, _frame, expected_length

TreadmillData = ftms.TreadmillData


def _present(flags: int, bit: int) -> bool:
    return not flags & 1 if bit == 0 else bool(flags >> bit & 1)


def reference_decode(data: bytes) -> TreadmillData:
    """One field at a time, in table order, stopping at the first that does not fit whole."""
    if len(data) < 2:
        raise ftms.DecodeError("too short for the flags")
    flags = int.from_bytes(data[:2], "little")
    values: dict[str, Any] = {}
    missing: set[str] = set()
    truncated = False
    offset = 2
    for f in FIELDS:
        if not _present(flags, f.bit):
            continue
        if offset + f.size > len(data):
            truncated = True
            break
        raw = int.from_bytes(data[offset : offset + f.size], "little", signed=f.signed)
        offset += f.size
        if raw == f.not_available:
            missing.add(f.name)
        else:
            values[f.name] = raw if f.divisor == 1 else raw / f.divisor
    return TreadmillData(
        flags=flags,
        more_data=bool(flags & 1),
        not_available=frozenset(missing),
        truncated=truncated,
        **values,
    )


def _field_bytes(record: TreadmillData, f: Any) -> bytes:
    value = getattr(record, f.name)
    if value is None:
        raw = f.not_available
    else:
        raw = to_raw(f.name, value, f.divisor, f.size, f.signed, f.not_available)
    return int(raw).to_bytes(f.size, "little", signed=f.signed)


def reference_encode(record: TreadmillData) -> bytes:
    """For a record whose flagged fields are all carried: the flags, then each field's bytes."""
    body = b"".join(_field_bytes(record, f) for f in FIELDS if record.carries(f.name))
    return record.flags.to_bytes(2, "little") + body


def reference_split(record: TreadmillData, att_mtu: int) -> list[bytes]:
    """Byte-level grouping: whole flag groups in order, speed in the last notification."""
    room = att_mtu - 3 - 2
    groups: list[tuple[int, bytes]] = []
    speed = b""
    for f in FIELDS:
        if not record.carries(f.name):
            continue
        if f.bit == 0:
            speed = _field_bytes(record, f)
        elif groups and groups[-1][0] == f.bit:
            groups[-1] = (f.bit, groups[-1][1] + _field_bytes(record, f))
        else:
            groups.append((f.bit, _field_bytes(record, f)))
    frames: list[bytes] = []
    bits, body = 0, b""
    for bit, chunk in groups:
        if len(body) + len(chunk) > room:
            frames.append((bits | 1).to_bytes(2, "little") + body)
            bits, body = 0, b""
        bits |= 1 << bit
        body += chunk
    if len(body) + len(speed) > room:
        frames.append((bits | 1).to_bytes(2, "little") + body)
        bits, body = 0, b""
    last = bits | (record.flags & 0xC000) | (record.flags & 1)
    frames.append(last.to_bytes(2, "little") + speed + body)
    return frames


def _outcome(call: Callable[[], object]) -> object:
    try:
        return call()
    except ftms.EncodeError as error:
        return f"EncodeError: {error}"


def _typed_json(record: TreadmillData) -> list[tuple[str, object, type]]:
    """to_json with each value's type: 1 == 1.0 in Python, but an int field must stay an int."""
    return [(key, value, type(value)) for key, value in record.to_json().items()]


@st.composite
def frames(draw: st.DrawFn) -> bytes:
    """Any flags, then a body from empty to a few octets past what the flags ask for."""
    flags = draw(st.integers(0, 0xFFFF))
    body = draw(st.binary(max_size=expected_length(flags) - 2 + 3))
    return flags.to_bytes(2, "little") + body


@settings(max_examples=300)
@given(st.one_of(frames(), st.binary(max_size=40)))
def test_decode_agrees_with_the_table_walking_reference(frame: bytes) -> None:
    try:
        want = reference_decode(frame)
    except ftms.DecodeError:
        want = None
    if want is None:
        try:
            ftms.decode_treadmill_data(frame)
        except ftms.DecodeError:
            return
        raise AssertionError("the reference refused a frame the codec decoded")
    got = ftms.decode_treadmill_data(frame)
    assert got == want
    assert (
        ftms.decode_treadmill_data(bytearray(frame))
        == ftms.decode_treadmill_data(memoryview(frame))
        == got
    )
    assert got.flags == want.flags
    assert _typed_json(got) == _typed_json(want)
    # decoding skips __post_init__; the constructor must have nothing to add
    assert dataclasses.replace(got) == got
    assert dataclasses.replace(got).flags == got.flags


_ODD_VALUES = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True, width=64),
    st.integers(-(1 << 25), 1 << 25),
    st.integers(),
    st.sampled_from([1e308, -1e308, 10**400]),  # scaling overflows a float / no float holds it
    st.booleans(),
)


@st.composite
def odd_records(draw: st.DrawFn) -> TreadmillData:
    """Whole flag groups whose values may be out of range, off-resolution, nan, inf or bool."""
    more_data = draw(st.booleans())
    bits = {b for b in range(1, 14) if draw(st.booleans())} | (set() if more_data else {0})
    values: dict[str, Any] = {}
    missing: set[str] = set()
    for f in FIELDS:
        if f.bit not in bits:
            continue
        if f.not_available is not None and draw(st.booleans()):
            missing.add(f.name)
        elif draw(st.booleans()):
            values[f.name] = draw(_ODD_VALUES)
        else:  # a value the field can carry
            raw = draw(st.integers(f.low, f.high))
            values[f.name] = raw if f.divisor == 1 else raw / f.divisor
    return TreadmillData(more_data=more_data, not_available=frozenset(missing), **values)


@settings(max_examples=200)
@given(st.one_of(treadmill_records(), odd_records()))
def test_encode_agrees_with_the_reference_bytes_or_error(record: TreadmillData) -> None:
    want = _outcome(lambda: reference_encode(record))
    assert _outcome(lambda: ftms.encode_treadmill_data(record)) == want


@settings(max_examples=200)
@given(st.one_of(treadmill_records(), odd_records()), st.integers(23, 60))
def test_split_agrees_with_the_byte_level_reference(record: TreadmillData, mtu: int) -> None:
    want = _outcome(lambda: reference_split(record, mtu))
    got = _outcome(lambda: ftms.split_treadmill_data(record, mtu))
    if isinstance(want, str):  # with several bad fields, split names the first one it sends
        assert isinstance(got, str) and got.startswith("EncodeError: ")
        assert _outcome(lambda: ftms.encode_treadmill_data(record)) == want
    else:
        assert got == want


@given(treadmill_records())
def test_truncated_encode_agrees_with_the_reference(record: TreadmillData) -> None:
    """A record decoded from a cut frame encodes back to exactly that cut frame."""
    frame = ftms.encode_treadmill_data(record)
    for cut in range(2, len(frame) + 1):
        short = reference_decode(frame[:cut])
        assert ftms.encode_treadmill_data(short) == reference_encode(short)


def test_frame_plans_are_compiled_once_per_flags_and_length() -> None:
    frame = bytes.fromhex("8424960000000000000000000100010000")
    ftms.decode_treadmill_data(frame)
    before = _frame.cache_info()
    for _ in range(3):
        ftms.decode_treadmill_data(frame)
        ftms.encode_treadmill_data(ftms.decode_treadmill_data(frame))
    after = _frame.cache_info()
    assert after.misses == before.misses
    assert after.hits > before.hits


def test_the_record_fields_are_the_table_and_typed_by_its_resolution() -> None:
    """Each field's annotation says int exactly when its divisor is 1 (raw values are ints)."""
    wire = [f for f in dataclasses.fields(TreadmillData) if "wire" in f.metadata]
    assert tuple(f.name for f in wire) == FIELD_NAMES
    for spec, row in zip(wire, FIELDS, strict=True):
        assert spec.type == ("int | None" if row.divisor == 1 else "float | None"), spec.name
