"""The Heart Rate Service codec against the spec's layout and real straps' published captures."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treadctl import hrs
from treadctl.hrs import BodySensorLocation, HeartRateMeasurement


def _decode(hex_text: str) -> HeartRateMeasurement:
    return hrs.decode_measurement(bytes.fromhex(hex_text))


# --- the spec's layout -------------------------------------------------------------------------


def test_uint8_value_without_contact_support() -> None:
    m = _decode("0048")  # flags 0: uint8, no contact feature, no energy, no RR
    assert m.bpm == 72
    assert m.contact_supported is False
    assert m.contact_detected is None
    assert m.in_contact is None
    assert m.energy_expended_kj is None
    assert m.rr_intervals_s == ()


def test_uint16_value() -> None:
    m = _decode("012c01")  # flags bit 0: uint16, 0x012c = 300
    assert m.bpm == 300
    assert m.wide_value


def test_contact_supported_but_not_detected() -> None:
    m = _decode("0400")  # bit 2 supported, bit 1 clear: no skin contact, value 0
    assert m.contact_supported and m.contact_detected is False and m.in_contact is False
    assert m.bpm == 0


def test_detected_bit_without_supported_bit_means_nothing() -> None:
    m = _decode("0250")  # bit 1 set but bit 2 clear: the feature is not supported
    assert m.contact_supported is False and m.in_contact is None


def test_energy_expended_then_rr_intervals() -> None:
    # flags 0x1e: contact supported + detected, energy present, RR present.
    m = _decode("1e5a" + "3412" + "0004" + "0002")
    assert m.bpm == 90
    assert m.energy_expended_kj == 0x1234
    assert m.rr_intervals_s == (1.0, 0.5)  # 1024/1024 s and 512/1024 s


def test_uint16_value_with_energy_and_rr() -> None:
    m = _decode("195a00" + "0a00" + "cd03")  # 0x19: uint16, energy, RR; no contact feature
    assert (m.bpm, m.energy_expended_kj) == (90, 10)
    assert m.rr_intervals_s == pytest.approx((973 / 1024,))


def test_reserved_flag_bits_are_ignored() -> None:
    assert _decode("e650").bpm == 80  # bits 5-7 set; bits 1-2: contact detected


@pytest.mark.parametrize(
    "hex_text",
    ["", "01", "013c", "083c", "083c01", "103c01", "103c010203", "1e3c010002"],
)
def test_short_or_torn_frames_are_decode_errors(hex_text: str) -> None:
    with pytest.raises(hrs.DecodeError):
        _decode(hex_text)


# --- real straps' published captures ----------------------------------------------------------


def test_polar_h7_gatttool_capture() -> None:
    # Polar H7 notifications as printed by gatttool, from the README of cal-id/Polar-H7-Pi:
    # "value: 06 3c", "value: 16 3c 11 04", "value: 16 3c f5 03".
    first, second, third = _decode("063c"), _decode("163c1104"), _decode("163cf503")
    assert [m.bpm for m in (first, second, third)] == [60, 60, 60]
    assert all(m.in_contact is True for m in (first, second, third))
    assert first.rr_intervals_s == ()
    assert second.rr_intervals_s == pytest.approx((0x0411 / 1024,))  # 1.017 s
    assert third.rr_intervals_s == pytest.approx((0x03F5 / 1024,))  # 0.989 s


def test_actigraph_documented_payload() -> None:
    # actigraph/GT3X-File-Format, LogRecords/HeartRateBLE.md: "0x16 0x42 0x18 0x04 0x70 0x01",
    # HR 66 with two RR values, 1048 and 368 (units of 1/1024 s).
    m = _decode("164218047001")
    assert m.bpm == 66
    assert m.energy_expended_kj is None
    assert m.rr_intervals_s == pytest.approx((1048 / 1024, 368 / 1024))


def test_polar_h7_decimal_dump_from_a_qa_thread() -> None:
    # A Polar H7 dump quoted in a Q&A thread (e-learn.cn/qa/answer/1013198): [22, 77, 22, 3]
    # and [22, 78, 27, 3, 18, 3]; 22 = 0x16, RR 790/1024 s, then 795 and 786.
    first = hrs.decode_measurement(bytes([22, 77, 22, 3]))
    second = hrs.decode_measurement(bytes([22, 78, 27, 3, 18, 3]))
    assert (first.bpm, second.bpm) == (77, 78)
    assert first.rr_intervals_s == pytest.approx((790 / 1024,))
    assert second.rr_intervals_s == pytest.approx((795 / 1024, 786 / 1024))


# --- body sensor location and battery ------------------------------------------------------------


def test_body_sensor_location() -> None:
    assert hrs.decode_body_sensor_location(b"\x01") is BodySensorLocation.CHEST
    assert hrs.decode_body_sensor_location(b"\x02") is BodySensorLocation.WRIST
    assert hrs.decode_body_sensor_location(b"\x09") == 9  # reserved: kept as its number
    assert hrs.encode_body_sensor_location(BodySensorLocation.CHEST) == b"\x01"
    for bad in (b"", b"\x01\x02"):
        with pytest.raises(hrs.DecodeError):
            hrs.decode_body_sensor_location(bad)


def test_battery_level() -> None:
    assert hrs.decode_battery_level(b"\x0f") == 15
    assert hrs.encode_battery_level(100) == b"\x64"
    for bad in (b"", b"\x65", b"\x01\x02"):
        with pytest.raises(hrs.DecodeError):
            hrs.decode_battery_level(bad)
    with pytest.raises(hrs.EncodeError):
        hrs.encode_battery_level(101)


def test_encode_rejects_what_does_not_fit() -> None:
    for bad in (
        HeartRateMeasurement(bpm=70000),
        HeartRateMeasurement(bpm=70, energy_expended_kj=-1),
        HeartRateMeasurement(bpm=70, rr_intervals_s=(65.0,)),
    ):
        with pytest.raises(hrs.EncodeError):
            hrs.encode_measurement(bad)


# --- properties ----------------------------------------------------------------------------------

measurements = st.builds(
    lambda bpm, wide, supported, detected, energy, rr: HeartRateMeasurement(
        bpm=bpm,
        contact_supported=supported,
        contact_detected=detected if supported else None,
        energy_expended_kj=energy,
        rr_intervals_s=tuple(units / 1024 for units in rr),
        wide_value=wide or bpm > 255,
    ),
    st.integers(0, 0xFFFF),
    st.booleans(),
    st.booleans(),
    st.booleans(),
    st.none() | st.integers(0, 0xFFFF),
    st.lists(st.integers(0, 0xFFFF), max_size=8),
)


@settings(max_examples=300)
@given(measurements)
def test_encode_then_decode_is_identity(measurement: HeartRateMeasurement) -> None:
    assert hrs.decode_measurement(hrs.encode_measurement(measurement)) == measurement


@settings(max_examples=500)
@given(st.binary(max_size=40))
def test_random_bytes_raise_only_decode_error(data: bytes) -> None:
    for decode in (
        hrs.decode_measurement,
        hrs.decode_body_sensor_location,
        hrs.decode_battery_level,
    ):
        try:
            value = decode(data)
        except hrs.DecodeError:
            continue
        if isinstance(value, HeartRateMeasurement):
            assert isinstance(value.to_json(), dict)


@settings(max_examples=200)
@given(measurements, st.data())
def test_valid_frames_cut_short_raise_only_decode_error(
    measurement: HeartRateMeasurement, data: st.DataObject
) -> None:
    frame = hrs.encode_measurement(measurement)
    cut = data.draw(st.integers(0, len(frame)))
    with contextlib.suppress(hrs.DecodeError):
        hrs.decode_measurement(frame[:cut])


def test_rr_flag_with_no_intervals_is_tolerated() -> None:
    # "One or more" RR intervals, says the spec; a strap that sets the flag and sends none is
    # read as having sent none rather than dropping its heart rate.
    assert _decode("1e3c0100").rr_intervals_s == ()
