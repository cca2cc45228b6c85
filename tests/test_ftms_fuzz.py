"""Malformed input never raises anything but DecodeError: random bytes, valid frames cut short."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_ftms_treadmill_data import treadmill_records
from treadctl import ftms
from treadctl.ftms.describe import decode_to_json

DECODERS: dict[str, Callable[[bytes], Any]] = {
    "treadmill_data": ftms.decode_treadmill_data,
    "machine_status": ftms.decode_machine_status,
    "request": ftms.decode_request,
    "response": ftms.decode_response,
    "control_point": ftms.decode_control_point,
    "feature": ftms.decode_feature,
    "training_status": ftms.decode_training_status,
    "speed_range": ftms.decode_speed_range,
    "incline_range": ftms.decode_incline_range,
}

VALID_FRAMES: dict[str, list[str]] = {
    "treadmill_data": ["fe1f2003ee02881300ceffe3ff640032000101f40158020a8c55080758029cfffa00"],
    "machine_status": ["056900", "0201", "06e2ff", "0d881300"],
    "request": ["02e803", "03ecff", "0801"],
    "response": ["800201", "801301e8031027"],
    "control_point": ["800704", "022c01"],
    "feature": ["0814000000000000"],
    "training_status": ["0101"],
    "speed_range": ["6400d0070a00"],
    "incline_range": ["e2ff96000500"],
}


def _decode_or_decode_error(decode: Callable[[bytes], Any], data: bytes) -> None:
    try:
        value = decode(data)
    except ftms.DecodeError:
        return
    value_json = value.to_json() if hasattr(value, "to_json") else None
    assert value_json is None or isinstance(value_json, dict)


@pytest.mark.parametrize("name", DECODERS)
@settings(max_examples=300)
@given(data=st.binary(max_size=40))
def test_random_bytes_raise_only_decode_error(name: str, data: bytes) -> None:
    _decode_or_decode_error(DECODERS[name], data)


@pytest.mark.parametrize("name", DECODERS)
def test_valid_frames_cut_short_raise_only_decode_error(name: str) -> None:
    for hex_frame in VALID_FRAMES[name]:
        frame = bytes.fromhex(hex_frame)
        DECODERS[name](frame)  # the whole frame is valid
        for cut in range(len(frame)):
            _decode_or_decode_error(DECODERS[name], frame[:cut])


@given(treadmill_records(), st.data())
def test_treadmill_frame_cut_short_decodes_a_truncated_prefix(
    record: ftms.TreadmillData, data: st.DataObject
) -> None:
    frame = ftms.encode_treadmill_data(record)
    cut = data.draw(st.integers(2, len(frame)))
    short = ftms.decode_treadmill_data(frame[:cut])
    assert short.truncated == (cut < len(frame))
    for name in ("speed_kmh", "total_distance_m", "heart_rate_bpm", "step_count"):
        assert getattr(short, name) in (None, getattr(record, name))
    assert ftms.decode_treadmill_data(ftms.encode_treadmill_data(short)) == short


@settings(max_examples=200)
@given(st.lists(st.binary(max_size=24), max_size=6))
def test_assembler_on_random_notifications_raises_only_decode_error(frames: list[bytes]) -> None:
    assembler = ftms.RecordAssembler()
    for frame in frames:
        try:
            assembler.feed(frame)
        except ftms.DecodeError:
            assert not assembler.pending


@settings(max_examples=200)
@given(
    kind=st.sampled_from(
        ["treadmill-data", "2ada", "control-point", "2acc", "2ad4", "2ad5", "2ad3"]
    ),
    args=st.lists(st.text(max_size=12), min_size=1, max_size=3),
)
def test_cli_decoder_raises_only_value_error_on_any_text(kind: str, args: list[str]) -> None:
    with contextlib.suppress(ValueError):
        decode_to_json(kind, args)
