"""Control Point requests and 0x80 responses: encoding limits, strict decoding, round trips."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl import ftms
from treadctl.ftms import (
    ControlResponse,
    DecodeError,
    EncodeError,
    ResultCode,
    SetTargetInclination,
    SetTargetSpeed,
    StopOrPause,
    UnknownRequest,
)


def test_result_codes_and_response_op_code_match_the_spec() -> None:
    assert ftms.OpCode.RESPONSE == 0x80
    assert [int(code) for code in ResultCode] == [1, 2, 3, 4, 5]
    assert ResultCode.INVALID_PARAMETER.json_name == "invalid_parameter"


@pytest.mark.parametrize(
    ("request_", "hex_"),
    [
        (SetTargetSpeed(12.3), "02ce04"),
        (SetTargetSpeed(0.0), "020000"),
        (SetTargetSpeed(655.35), "02ffff"),
        (SetTargetInclination(12.0), "037800"),
        (SetTargetInclination(-3276.8), "030080"),
        (StopOrPause(pause=True), "0802"),
        (UnknownRequest(0x06, b"\x8c"), "068c"),
    ],
)
def test_encode_request(request_: ftms.ControlRequest, hex_: str) -> None:
    assert ftms.encode_request(request_).hex() == hex_


def test_speed_is_rounded_to_the_field_resolution() -> None:
    assert ftms.encode_request(SetTargetSpeed(3.456)) == bytes.fromhex("025a01")


@pytest.mark.parametrize(
    ("speed_kmh", "hex_"),
    [(8.0, "02f101"), (1.609344, "026400"), (0.0, "020000"), (16.0, "02e203")],
)
def test_a_device_that_reads_mph_gets_mph_on_the_wire(speed_kmh: float, hex_: str) -> None:
    """The request stays km/h; only the encoder, told the device's unit, writes mph."""
    request = SetTargetSpeed(speed_kmh=speed_kmh)
    assert ftms.encode_request(request, speed_unit="mph").hex() == hex_
    assert request.speed_kmh == speed_kmh
    assert ftms.request_to_json(request)["speed_kmh"] == speed_kmh


def test_mph_out_of_range_names_the_wire_unit() -> None:
    with pytest.raises(EncodeError, match="speed_mph"):
        ftms.encode_request(SetTargetSpeed(speed_kmh=1100.0), speed_unit="mph")


@pytest.mark.parametrize(
    "request_",
    [
        SetTargetSpeed(-0.01),
        SetTargetSpeed(655.36),
        SetTargetSpeed(float("inf")),
        SetTargetInclination(3276.8),
        SetTargetInclination(-3276.9),
        UnknownRequest(0x02, b"\x00\x00"),
        UnknownRequest(0x100),
        UnknownRequest(0x09, bytes(19)),
    ],
)
def test_encode_request_refuses_out_of_range(request_: ftms.ControlRequest) -> None:
    with pytest.raises(EncodeError):
        ftms.encode_request(request_)


@pytest.mark.parametrize(
    ("hex_", "message"),
    [
        ("", "at least 1 octet"),
        ("02e8", "2-octet parameter"),
        ("02e80300", "2-octet parameter"),
        ("0803", "neither 1 nor 2"),
        ("08", "1-octet parameter"),
        ("0001", "0-octet parameter"),
    ],
)
def test_decode_request_refuses_malformed_parameters(hex_: str, message: str) -> None:
    with pytest.raises(DecodeError, match=message):
        ftms.decode_request(bytes.fromhex(hex_))


def test_unmodelled_and_rfu_op_codes_decode_to_unknown_request() -> None:
    assert ftms.decode_request(bytes.fromhex("0c881300")) == UnknownRequest(0x0C, b"\x88\x13\x00")
    assert ftms.request_to_json(UnknownRequest(0x81)) == {"op_code": 0x81, "request": "unknown"}


def test_response_with_reserved_result_code_is_a_decode_error() -> None:
    with pytest.raises(DecodeError, match="reserved"):
        ftms.decode_response(bytes.fromhex("800206"))
    with pytest.raises(DecodeError, match="0x80"):
        ftms.decode_response(bytes.fromhex("810201"))


def test_response_keeps_its_parameter_and_reports_ok() -> None:
    response = ftms.decode_response(bytes.fromhex("801301e8031027"))
    assert response == ControlResponse(0x13, ResultCode.SUCCESS, bytes.fromhex("e8031027"))
    assert response.ok
    assert response.to_json()["parameter"] == "e8031027"
    assert not ftms.decode_response(bytes.fromhex("800705")).ok


def test_control_point_decoder_tells_requests_from_responses() -> None:
    assert ftms.decode_control_point(bytes.fromhex("0801")) == StopOrPause(pause=False)
    assert isinstance(ftms.decode_control_point(bytes.fromhex("800801")), ControlResponse)


requests = st.one_of(
    st.just(ftms.RequestControl()),
    st.just(ftms.Reset()),
    st.just(ftms.StartOrResume()),
    st.builds(StopOrPause, st.booleans()),
    st.builds(SetTargetSpeed, st.integers(0, 0xFFFF).map(lambda raw: raw / 100)),
    st.builds(SetTargetInclination, st.integers(-0x8000, 0x7FFF).map(lambda raw: raw / 10)),
    st.builds(
        UnknownRequest,
        st.integers(0, 0xFF).filter(lambda op: op not in {0, 1, 2, 3, 7, 8}),
        st.binary(max_size=18),
    ),
)


@given(requests)
def test_request_round_trip(request_: ftms.ControlRequest) -> None:
    assert ftms.decode_request(ftms.encode_request(request_)) == request_


@given(st.integers(0, 0xFF), st.sampled_from(ResultCode), st.binary(max_size=17))
def test_response_round_trip(op: int, result: ResultCode, parameter: bytes) -> None:
    response = ControlResponse(op, result, parameter)
    assert ftms.decode_response(ftms.encode_response(response)) == response
