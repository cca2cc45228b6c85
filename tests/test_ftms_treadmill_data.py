"""Treadmill Data: flags, N/A sentinels, truncation, encoding rules, splitting and reassembly."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl.ftms import (
    DecodeError,
    EncodeError,
    RecordAssembler,
    TreadmillData,
    decode_treadmill_data,
    encode_treadmill_data,
    split_treadmill_data,
)
from treadctl.ftms.treadmill_data import FIELDS, expected_length


def _raw_values(size: int, signed: bool, reserved: int | None) -> st.SearchStrategy[int]:
    bits = 8 * size
    low, high = (-(1 << (bits - 1)), (1 << (bits - 1)) - 1) if signed else (0, (1 << bits) - 1)
    ints = st.integers(low, high)
    return ints if reserved is None else ints.filter(lambda raw: raw != reserved)


@st.composite
def treadmill_records(draw: st.DrawFn) -> TreadmillData:
    """A complete (not truncated) record: whole flag groups, values on the field's resolution."""
    more_data = draw(st.booleans())
    bits = {b for b in range(1, 14) if draw(st.booleans())}
    if not more_data:
        bits.add(0)
    values: dict[str, Any] = {}
    missing: set[str] = set()
    for f in FIELDS:
        if f.bit not in bits:
            continue
        if f.not_available is not None and draw(st.booleans()):
            missing.add(f.name)
            continue
        raw = draw(_raw_values(f.size, f.signed, f.not_available))
        values[f.name] = raw if f.divisor == 1 else raw / f.divisor
    rfu = draw(st.sampled_from([0, 0x4000, 0x8000]))
    return TreadmillData(flags=rfu, more_data=more_data, not_available=frozenset(missing), **values)


def test_more_data_bit_is_inverted_speed_present_only_when_clear() -> None:
    assert decode_treadmill_data(bytes.fromhex("0000e803")).speed_kmh == 10.0
    partial = decode_treadmill_data(bytes.fromhex("0300e803"))
    assert partial.more_data is True
    assert partial.speed_kmh is None
    assert partial.average_speed_kmh == 10.0


def test_not_available_sentinels_become_none_and_are_listed() -> None:
    frame = bytes.fromhex("88100000ff7fff7fffffffffffff7fff7f")
    record = decode_treadmill_data(frame)
    assert record.inclination_pct is None
    assert record.total_energy_kcal is None
    assert record.power_output_w is None
    assert record.not_available == {
        "inclination_pct",
        "ramp_angle_deg",
        "total_energy_kcal",
        "energy_per_hour_kcal",
        "energy_per_minute_kcal",
        "force_on_belt_n",
        "power_output_w",
    }
    assert record.to_json()["energy_per_minute_kcal"] is None
    assert "heart_rate_bpm" not in record.to_json()
    assert encode_treadmill_data(record) == frame


def test_elevation_has_no_sentinel_so_0x7fff_is_a_number() -> None:
    record = decode_treadmill_data(bytes.fromhex("10000000ffffff7f"))
    assert record.elevation_gain_m == 6553.5
    assert record.elevation_loss_m == 3276.7
    assert record.not_available == frozenset()


def test_short_frame_keeps_whole_fields_and_marks_truncated() -> None:
    # flags: speed, average speed, distance; distance cut after two of its three octets.
    record = decode_treadmill_data(bytes.fromhex("06002c0196001027"))
    assert record.speed_kmh == 3.0
    assert record.average_speed_kmh == 1.5
    assert record.total_distance_m is None
    assert record.truncated is True
    assert record.to_json()["truncated"] is True
    assert encode_treadmill_data(record) == bytes.fromhex("06002c019600")


def test_trailing_octets_are_ignored() -> None:
    record = decode_treadmill_data(bytes.fromhex("00002c01deadbeef"))
    assert record == TreadmillData(speed_kmh=3.0)
    assert record.truncated is False


def test_rfu_bits_are_kept_in_flags() -> None:
    record = decode_treadmill_data(bytes.fromhex("00c02c01"))
    assert record.flags == 0xC000
    assert encode_treadmill_data(record) == bytes.fromhex("00c02c01")


def test_flags_are_derived_from_the_fields_set() -> None:
    record = TreadmillData(speed_kmh=3.0, total_distance_m=10, step_count=5)
    assert record.flags == 0x2004
    assert TreadmillData(more_data=True, heart_rate_bpm=90).flags == 0x0101
    assert (
        TreadmillData(not_available=frozenset({"power_output_w"}), more_data=True).flags == 0x1001
    )


def test_expected_length_of_the_fullest_standard_record_is_34() -> None:
    assert expected_length(0x1FFE) == 34
    assert expected_length(0x3FFE) == 37


def test_too_short_for_flags_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="flags"):
        decode_treadmill_data(b"\x00")


@pytest.mark.parametrize(
    ("record", "message"),
    [
        (TreadmillData(speed_kmh=700.0), "outside"),
        (TreadmillData(speed_kmh=-0.01), "outside"),
        (TreadmillData(speed_kmh=float("nan")), "finite"),
        (TreadmillData(speed_kmh=1.0, inclination_pct=3276.7, ramp_angle_deg=0.0), "outside"),
        (TreadmillData(speed_kmh=1.0, more_data=True), "more_data"),
        (TreadmillData(), "speed_kmh is required"),
        (TreadmillData(speed_kmh=1.0, inclination_pct=1.0), "ramp_angle_deg"),
        (
            TreadmillData(speed_kmh=1.0, not_available=frozenset({"heart_rate_bpm"})),
            "no 'data not available'",
        ),
        (
            TreadmillData(
                speed_kmh=1.0,
                power_output_w=5,
                force_on_belt_n=1,
                not_available=frozenset({"power_output_w"}),
            ),
            "both set",
        ),
        (TreadmillData(speed_kmh=1.0, truncated=True), "truncated"),
        (TreadmillData(flags=0x0002, speed_kmh=1.0, total_distance_m=3), "flagged but missing"),
    ],
)
def test_encoding_refuses_what_the_wire_cannot_carry(record: TreadmillData, message: str) -> None:
    with pytest.raises(EncodeError, match=message):
        encode_treadmill_data(record)


@given(treadmill_records())
def test_round_trip(record: TreadmillData) -> None:
    assert decode_treadmill_data(encode_treadmill_data(record)) == record


@given(treadmill_records(), st.integers(23, 60))
def test_split_then_reassemble_gives_the_record_back(record: TreadmillData, mtu: int) -> None:
    frames = split_treadmill_data(record, att_mtu=mtu)
    assert all(len(frame) <= mtu - 3 for frame in frames)
    for frame in frames[:-1]:
        assert frame[0] & 1 == 1
        assert decode_treadmill_data(frame).speed_kmh is None
    assembler = RecordAssembler()
    results = [assembler.feed(frame) for frame in frames]
    if record.more_data:
        assert results == [None] * len(frames)
    else:
        assert results[:-1] == [None] * (len(frames) - 1)
        assert results[-1] == record


def test_record_that_fits_is_one_notification() -> None:
    record = TreadmillData(speed_kmh=3.0, elapsed_time_s=60)
    assert split_treadmill_data(record) == [encode_treadmill_data(record)]


def test_fullest_record_fits_one_notification_with_a_large_mtu() -> None:
    frame = bytes.fromhex("fe1f2003ee02881300ceffe3ff640032000101f40158020a8c55080758029cfffa00")
    record = decode_treadmill_data(frame)
    assert split_treadmill_data(record, att_mtu=37) == [frame]
    assert len(split_treadmill_data(record, att_mtu=36)) == 2


def test_split_refuses_mtu_below_the_le_minimum_and_truncated_records() -> None:
    with pytest.raises(EncodeError, match="minimum"):
        split_treadmill_data(TreadmillData(speed_kmh=1.0), att_mtu=22)
    short = decode_treadmill_data(bytes.fromhex("04002c0101"))
    with pytest.raises(EncodeError, match="truncated"):
        split_treadmill_data(short)


def test_assembler_discards_partial_record_on_reset() -> None:
    assembler = RecordAssembler()
    assert assembler.feed(bytes.fromhex("0300e803")) is None
    assert assembler.pending
    assembler.reset()
    assert not assembler.pending
    record = assembler.feed(bytes.fromhex("00002c01"))
    assert record == TreadmillData(speed_kmh=3.0)
    assert record.average_speed_kmh is None


def test_assembler_merges_fields_and_flags_across_notifications() -> None:
    assembler = RecordAssembler()
    assert assembler.feed(bytes.fromhex("0300e803")) is None
    assert assembler.feed(bytes.fromhex("01018c")) is None
    record = assembler.feed(bytes.fromhex("00042c013c00"))
    assert record == TreadmillData(
        speed_kmh=3.0, average_speed_kmh=10.0, heart_rate_bpm=140, elapsed_time_s=60
    )
    assert record.flags == 0x0502
    assert not assembler.pending


def test_assembler_discards_partial_record_when_a_notification_is_malformed() -> None:
    assembler = RecordAssembler()
    assembler.feed(bytes.fromhex("0300e803"))
    with pytest.raises(DecodeError):
        assembler.feed(b"\x01")
    assert not assembler.pending
    assert assembler.feed(bytes.fromhex("00002c01")) == TreadmillData(speed_kmh=3.0)


def test_assembler_marks_record_truncated_when_any_part_was() -> None:
    assembler = RecordAssembler()
    assembler.feed(bytes.fromhex("0500e803"))  # distance flagged but missing
    record = assembler.feed(bytes.fromhex("00002c01"))
    assert record is not None
    assert record.truncated is True
