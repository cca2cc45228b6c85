"""Fitness Machine Status: every op code, real devices' zero padding, encoding rules."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl.ftms import (
    DecodeError,
    EncodeError,
    MachineStatus,
    MachineStatusEvent,
    MachineStatusOp,
)
from treadctl.ftms import decode_machine_status as decode
from treadctl.ftms import encode_machine_status as encode


@pytest.mark.parametrize(
    ("hex_", "event"),
    [
        ("01", "reset"),
        ("0201", "stopped_by_user"),
        ("0202", "paused_by_user"),
        ("03", "stopped_by_safety_key"),
        ("04", "started_or_resumed_by_user"),
        ("076400", "target_resistance_changed"),
        ("08c800", "target_power_changed"),
        ("098c", "target_heart_rate_changed"),
        ("0a2c01", "targeted_expended_energy_changed"),
        ("0b1027", "targeted_steps_changed"),
        ("0c1027", "targeted_strides_changed"),
        ("0d881300", "targeted_distance_changed"),
        ("0e0807", "targeted_training_time_changed"),
        ("0f" + "00" * 4, "targeted_time_in_two_heart_rate_zones_changed"),
        ("10" + "00" * 6, "targeted_time_in_three_heart_rate_zones_changed"),
        ("11" + "00" * 10, "targeted_time_in_five_heart_rate_zones_changed"),
        ("12" + "00" * 6, "indoor_bike_simulation_changed"),
        ("13" + "00" * 2, "wheel_circumference_changed"),
        ("1401", "spin_down_status"),
        ("15" + "00" * 2, "targeted_cadence_changed"),
        ("ff", "control_permission_lost"),
        ("16abcd", "reserved"),
        ("00", "reserved"),
    ],
)
def test_every_op_code_has_its_event(hex_: str, event: str) -> None:
    status = decode(bytes.fromhex(hex_))
    assert status.event is MachineStatusEvent(event)
    assert status.to_json()["event"] == event
    assert status.to_json()["op_code"] == int(hex_[:2], 16)
    assert encode(status) == bytes.fromhex(hex_)


def test_every_op_code_has_an_event_and_every_event_but_reserved_an_op_code() -> None:
    for op in MachineStatusOp:
        assert decode(bytes((op,)) + bytes(10)).op is op
    for event in MachineStatusEvent:
        status = MachineStatus(event)
        assert (status.op is None) == (event is MachineStatusEvent.RESERVED)


@pytest.mark.parametrize("op_code", [0x00, 0x16, 0x80, 0xFE])
def test_reserved_op_codes_decode_and_keep_their_code(op_code: int) -> None:
    status = decode(bytes((op_code, 0xAB)))
    assert (status.event, status.op, status.op_code) == (MachineStatusEvent.RESERVED, None, op_code)
    assert status.to_json() == {"op_code": op_code, "event": "reserved", "parameter": "ab"}


def test_parameter_of_other_ops_is_kept_raw() -> None:
    assert decode(bytes.fromhex("0d881300")).parameter == bytes.fromhex("881300")


@pytest.mark.parametrize(
    ("hex_", "expected"),
    [
        ("040000", MachineStatus(MachineStatusEvent.STARTED_OR_RESUMED_BY_USER)),
        ("020100", MachineStatus(MachineStatusEvent.STOPPED_BY_USER)),
        ("05960000", MachineStatus.target_speed_changed(1.5)),
        ("ff00", MachineStatus(MachineStatusEvent.CONTROL_PERMISSION_LOST)),
    ],
)
def test_trailing_zero_padding_is_tolerated(hex_: str, expected: MachineStatus) -> None:
    assert decode(bytes.fromhex(hex_)) == expected


def test_pad_to_appends_zeros_as_real_devices_do() -> None:
    assert encode(MachineStatus(MachineStatusEvent.PAUSED_BY_USER), pad_to=3) == bytes.fromhex(
        "020200"
    )


def test_stop_or_pause_without_known_control_value_is_still_a_user_stop_event() -> None:
    sloppy = MachineStatusEvent.STOPPED_OR_PAUSED_BY_USER
    assert decode(b"\x02").event is sloppy
    status = decode(bytes.fromhex("0203"))
    assert (status.event, status.parameter) == (sloppy, b"\x03")


@pytest.mark.parametrize("hex_", ["", "05", "0696", "0d8813"])
def test_short_parameters_are_decode_errors(hex_: str) -> None:
    with pytest.raises(DecodeError):
        decode(bytes.fromhex(hex_))


@pytest.mark.parametrize(
    "status",
    [
        MachineStatus(MachineStatusEvent.TARGET_SPEED_CHANGED),
        MachineStatus.target_speed_changed(700.0),
        MachineStatus(MachineStatusEvent.RESET, reserved_op_code=0x03),
        MachineStatus(MachineStatusEvent.RESET, target_speed_kmh=1.0),
        MachineStatus(MachineStatusEvent.STOPPED_BY_USER, parameter=b"\x01"),
        MachineStatus(MachineStatusEvent.STOPPED_OR_PAUSED_BY_USER, parameter=b"\x02"),
        MachineStatus(MachineStatusEvent.TARGETED_DISTANCE_CHANGED, parameter=b"\x01"),
        MachineStatus(MachineStatusEvent.RESERVED, reserved_op_code=0x100),
        MachineStatus(MachineStatusEvent.RESERVED, reserved_op_code=0x05),
    ],
)
def test_encode_refuses_inconsistent_status(status: MachineStatus) -> None:
    with pytest.raises(EncodeError):
        encode(status)


statuses = st.one_of(
    st.builds(MachineStatus.target_speed_changed, st.integers(0, 0xFFFF).map(lambda r: r / 100)),
    st.builds(
        MachineStatus.target_incline_changed, st.integers(-0x8000, 0x7FFF).map(lambda r: r / 10)
    ),
    st.sampled_from(
        [
            MachineStatus(MachineStatusEvent.RESET),
            MachineStatus(MachineStatusEvent.STOPPED_BY_USER),
            MachineStatus(MachineStatusEvent.PAUSED_BY_USER),
            MachineStatus(MachineStatusEvent.STOPPED_BY_SAFETY_KEY),
            MachineStatus(MachineStatusEvent.STARTED_OR_RESUMED_BY_USER),
            MachineStatus(MachineStatusEvent.CONTROL_PERMISSION_LOST),
        ]
    ),
    st.builds(
        lambda op, p: MachineStatus(MachineStatusEvent.RESERVED, parameter=p, reserved_op_code=op),
        st.integers(0x16, 0xFE),
        st.binary(max_size=8),
    ),
)


@given(statuses, st.integers(0, 6))
def test_round_trip_with_any_padding(status: MachineStatus, pad_to: int) -> None:
    frame = encode(status, pad_to=pad_to)
    if status.event is not MachineStatusEvent.RESERVED:
        assert decode(frame) == status
    else:
        assert decode(encode(status)) == status
