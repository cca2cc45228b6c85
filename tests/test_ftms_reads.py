"""The read-once characteristics: Feature, Training Status, speed and incline ranges; UUIDs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl import ftms
from treadctl.ftms import (
    DecodeError,
    EncodeError,
    InclineRange,
    MachineFeature,
    MachineFeatures,
    SpeedRange,
    TargetSetting,
    TrainingStatus,
)


def test_uuids_are_full_lowercase_sig_uuids() -> None:
    assert ftms.FTMS_SERVICE_UUID == "00001826-0000-1000-8000-00805f9b34fb"
    assert ftms.TREADMILL_DATA_UUID == "00002acd-0000-1000-8000-00805f9b34fb"
    assert ftms.uuid16(0x2AD9) == ftms.CONTROL_POINT_UUID
    assert ftms.CCCD_UUID.startswith("00002902-")
    with pytest.raises(ValueError):
        ftms.uuid16(0x10000)


def test_feature_bits_map_to_named_flags_in_both_fields() -> None:
    value = ftms.decode_feature(bytes.fromhex("0d90010003000000"))
    assert value.machine == {
        MachineFeature.AVERAGE_SPEED,
        MachineFeature.TOTAL_DISTANCE,
        MachineFeature.INCLINATION,
        MachineFeature.ELAPSED_TIME,
        MachineFeature.FORCE_ON_BELT_AND_POWER_OUTPUT,
        MachineFeature.USER_DATA_RETENTION,
    }
    assert value.targets == {TargetSetting.SPEED, TargetSetting.INCLINATION}
    assert value.to_json()["target_settings"] == ["speed", "inclination"]


def test_feature_ignores_rfu_bits_and_refuses_short_values() -> None:
    assert ftms.decode_feature(bytes.fromhex("00000efe00000efe")) == MachineFeatures()
    with pytest.raises(DecodeError, match="8 octets"):
        ftms.decode_feature(bytes(7))


@given(
    st.frozensets(st.sampled_from(MachineFeature)), st.frozensets(st.sampled_from(TargetSetting))
)
def test_feature_round_trip(
    machine: frozenset[MachineFeature], targets: frozenset[TargetSetting]
) -> None:
    value = MachineFeatures(machine, targets)
    assert ftms.decode_feature(ftms.encode_feature(value)) == value


def test_training_status_with_string_and_empty_string() -> None:
    status = ftms.decode_training_status(b"\x01\x0dQuick Start")
    assert status == TrainingStatus(0x0D, "manual_mode", "Quick Start")
    assert status.to_json() == {"status": "manual_mode", "status_code": 13, "text": "Quick Start"}
    assert ftms.decode_training_status(bytes.fromhex("0101")).text == ""
    assert ftms.decode_training_status(bytes.fromhex("0001")).text is None
    assert ftms.decode_training_status(bytes.fromhex("0040")).name == "reserved"
    with pytest.raises(DecodeError):
        ftms.decode_training_status(b"\x00")


def test_training_status_encode_checks_code_and_name() -> None:
    with pytest.raises(EncodeError):
        ftms.encode_training_status(TrainingStatus(256))
    with pytest.raises(EncodeError):
        ftms.encode_training_status(TrainingStatus(1, "warming_up"))


@given(st.integers(0, 255), st.none() | st.text(max_size=10), st.booleans())
def test_training_status_round_trip(code: int, text: str | None, extended: bool) -> None:
    status = TrainingStatus(code, text=text, extended_string=extended)
    assert ftms.decode_training_status(ftms.encode_training_status(status)) == status


def test_range_encoders_refuse_out_of_range_values() -> None:
    with pytest.raises(EncodeError, match="maximum_kmh"):
        ftms.encode_speed_range(SpeedRange(1.0, 700.0, 0.1))
    with pytest.raises(EncodeError, match="increment_pct"):
        ftms.encode_incline_range(InclineRange(-3.0, 15.0, -0.5))
    with pytest.raises(DecodeError, match="6 octets"):
        ftms.decode_incline_range(bytes(5))


u16 = st.integers(0, 0xFFFF)
s16 = st.integers(-0x8000, 0x7FFF)


@given(u16, u16, u16)
def test_speed_range_round_trip(low: int, high: int, step: int) -> None:
    value = SpeedRange(low / 100, high / 100, step / 100)
    assert ftms.decode_speed_range(ftms.encode_speed_range(value)) == value


@given(s16, s16, u16)
def test_incline_range_round_trip(low: int, high: int, step: int) -> None:
    value = InclineRange(low / 10, high / 10, step / 10)
    assert ftms.decode_incline_range(ftms.encode_incline_range(value)) == value
