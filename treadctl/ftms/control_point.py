"""Fitness Machine Control Point (0x2AD9): the requests a treadmill client writes, the 0x80 answers.

Requests are decoded strictly (the simulator answers Invalid Parameter to a malformed one); op codes
this project does not model decode to :class:`UnknownRequest` so the server can say "not supported".
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from treadctl.ftms._scalar import pack, to_raw
from treadctl.ftms.errors import DecodeError, EncodeError
from treadctl.units import SpeedUnit, kmh_to_mph


class OpCode(IntEnum):
    REQUEST_CONTROL = 0x00
    RESET = 0x01
    SET_TARGET_SPEED = 0x02
    SET_TARGET_INCLINATION = 0x03
    SET_TARGET_RESISTANCE_LEVEL = 0x04
    SET_TARGET_POWER = 0x05
    SET_TARGET_HEART_RATE = 0x06
    START_OR_RESUME = 0x07
    STOP_OR_PAUSE = 0x08
    SET_TARGETED_EXPENDED_ENERGY = 0x09
    SET_TARGETED_NUMBER_OF_STEPS = 0x0A
    SET_TARGETED_NUMBER_OF_STRIDES = 0x0B
    SET_TARGETED_DISTANCE = 0x0C
    SET_TARGETED_TRAINING_TIME = 0x0D
    SET_TARGETED_TIME_IN_TWO_HEART_RATE_ZONES = 0x0E
    SET_TARGETED_TIME_IN_THREE_HEART_RATE_ZONES = 0x0F
    SET_TARGETED_TIME_IN_FIVE_HEART_RATE_ZONES = 0x10
    SET_INDOOR_BIKE_SIMULATION_PARAMETERS = 0x11
    SET_WHEEL_CIRCUMFERENCE = 0x12
    SPIN_DOWN_CONTROL = 0x13
    SET_TARGETED_CADENCE = 0x14
    RESPONSE = 0x80


class ResultCode(IntEnum):
    SUCCESS = 0x01
    OP_CODE_NOT_SUPPORTED = 0x02
    INVALID_PARAMETER = 0x03
    OPERATION_FAILED = 0x04
    CONTROL_NOT_PERMITTED = 0x05

    @property
    def json_name(self) -> str:
        return self.name.lower()


def op_code_name(op_code: int) -> str:
    """snake_case name of an op code, or ``unknown`` for RFU values."""
    try:
        return OpCode(op_code).name.lower()
    except ValueError:
        return "unknown"


STOP = 0x01
PAUSE = 0x02


@dataclass(frozen=True, slots=True)
class RequestControl:
    op_code = OpCode.REQUEST_CONTROL


@dataclass(frozen=True, slots=True)
class Reset:
    op_code = OpCode.RESET


@dataclass(frozen=True, slots=True)
class SetTargetSpeed:
    """Always km/h, whatever the device reads on the wire (see ``encode_request``)."""

    speed_kmh: float
    op_code = OpCode.SET_TARGET_SPEED


@dataclass(frozen=True, slots=True)
class SetTargetInclination:
    incline_pct: float
    op_code = OpCode.SET_TARGET_INCLINATION


@dataclass(frozen=True, slots=True)
class StartOrResume:
    op_code = OpCode.START_OR_RESUME


@dataclass(frozen=True, slots=True)
class StopOrPause:
    pause: bool = False
    op_code = OpCode.STOP_OR_PAUSE


@dataclass(frozen=True, slots=True)
class UnknownRequest:
    """An op code this project does not model (including RFU ones); the parameter is kept raw."""

    op_code: int
    parameter: bytes = b""


ControlRequest = (
    RequestControl
    | Reset
    | SetTargetSpeed
    | SetTargetInclination
    | StartOrResume
    | StopOrPause
    | UnknownRequest
)
_MODELLED = frozenset(
    {
        OpCode.REQUEST_CONTROL,
        OpCode.RESET,
        OpCode.SET_TARGET_SPEED,
        OpCode.SET_TARGET_INCLINATION,
        OpCode.START_OR_RESUME,
        OpCode.STOP_OR_PAUSE,
    }
)


def encode_request(request: ControlRequest, *, speed_unit: SpeedUnit = "kmh") -> bytes:
    """The bytes to write to the Control Point. Values are rounded to the field's resolution.

    ``speed_unit`` is the unit the device reads the speed field in: FTMS says km/h, some
    treadmills read mph (reference.md §10). The request itself always holds km/h.
    """
    match request:
        case SetTargetSpeed(speed_kmh=speed_kmh):
            wire_speed = speed_kmh if speed_unit == "kmh" else round(kmh_to_mph(speed_kmh), 2)
            raw = to_raw(f"speed_{speed_unit}", wire_speed, 100, 2, False)
            return bytes((OpCode.SET_TARGET_SPEED,)) + pack(raw, 2, False)
        case SetTargetInclination(incline_pct=incline):
            raw = to_raw("incline_pct", incline, 10, 2, True)
            return bytes((OpCode.SET_TARGET_INCLINATION,)) + pack(raw, 2, True)
        case StopOrPause(pause=pause):
            return bytes((OpCode.STOP_OR_PAUSE, PAUSE if pause else STOP))
        case UnknownRequest(op_code=op, parameter=parameter):
            if not 0 <= op <= 0xFF:
                raise EncodeError(f"op code {op} is outside 0..255")
            if op in _MODELLED:
                raise EncodeError(f"op code {op:#04x} has its own request type")
            if len(parameter) > 18:
                raise EncodeError("a Control Point parameter is at most 18 octets")
            return bytes((op,)) + bytes(parameter)
        case RequestControl() | Reset() | StartOrResume():
            return bytes((request.op_code,))
    raise EncodeError(f"not a Control Point request: {request!r}")


def _expect(data: bytes, size: int, what: str) -> bytes:
    if len(data) != 1 + size:
        raise DecodeError(f"{what} takes a {size}-octet parameter, got {len(data) - 1}")
    return data[1:]


def decode_request(data: bytes | bytearray | memoryview) -> ControlRequest:
    """Decode a Control Point write. A malformed parameter of a modelled op raises DecodeError."""
    data = bytes(data)
    if not data:
        raise DecodeError("a Control Point request needs at least 1 octet (the op code)")
    op = data[0]
    if op == OpCode.SET_TARGET_SPEED:
        param = _expect(data, 2, "set_target_speed")
        return SetTargetSpeed(int.from_bytes(param, "little") / 100)
    if op == OpCode.SET_TARGET_INCLINATION:
        param = _expect(data, 2, "set_target_inclination")
        return SetTargetInclination(int.from_bytes(param, "little", signed=True) / 10)
    if op == OpCode.STOP_OR_PAUSE:
        control = _expect(data, 1, "stop_or_pause")[0]
        if control not in (STOP, PAUSE):
            raise DecodeError(f"stop_or_pause control value {control:#04x} is neither 1 nor 2")
        return StopOrPause(pause=control == PAUSE)
    if op == OpCode.REQUEST_CONTROL:
        _expect(data, 0, "request_control")
        return RequestControl()
    if op == OpCode.RESET:
        _expect(data, 0, "reset")
        return Reset()
    if op == OpCode.START_OR_RESUME:
        _expect(data, 0, "start_or_resume")
        return StartOrResume()
    return UnknownRequest(op, data[1:])


def request_name(request: ControlRequest) -> str:
    """snake_case name used in JSON and logs (``stop`` and ``pause`` for op 0x08)."""
    if isinstance(request, StopOrPause):
        return "pause" if request.pause else "stop"
    if isinstance(request, UnknownRequest):
        return op_code_name(request.op_code)
    return OpCode(request.op_code).name.lower()


def request_to_json(request: ControlRequest) -> dict[str, int | float | str]:
    out: dict[str, int | float | str] = {
        "op_code": int(request.op_code),
        "request": request_name(request),
    }
    if isinstance(request, SetTargetSpeed):
        out["speed_kmh"] = request.speed_kmh
    elif isinstance(request, SetTargetInclination):
        out["incline_pct"] = request.incline_pct
    elif isinstance(request, UnknownRequest) and request.parameter:
        out["parameter"] = request.parameter.hex()
    return out


@dataclass(frozen=True, slots=True)
class ControlResponse:
    """The 0x80 indication that completes a Control Point procedure."""

    request_op_code: int
    result: ResultCode
    parameter: bytes = b""

    @property
    def ok(self) -> bool:
        return self.result is ResultCode.SUCCESS

    def to_json(self) -> dict[str, int | str]:
        out: dict[str, int | str] = {
            "op_code": int(OpCode.RESPONSE),
            "request_op_code": self.request_op_code,
            "response_to": op_code_name(self.request_op_code),
            "result": self.result.json_name,
            "result_code": int(self.result),
        }
        if self.parameter:
            out["parameter"] = self.parameter.hex()
        return out


def encode_response(response: ControlResponse) -> bytes:
    if not 0 <= response.request_op_code <= 0xFF:
        raise EncodeError(f"request op code {response.request_op_code} is outside 0..255")
    try:
        result = ResultCode(response.result)
    except ValueError:
        raise EncodeError(f"result code {response.result!r} is not defined by FTMS") from None
    if len(response.parameter) > 17:
        raise EncodeError("a response parameter is at most 17 octets")
    return bytes((OpCode.RESPONSE, response.request_op_code, result)) + bytes(response.parameter)


def decode_response(data: bytes | bytearray | memoryview) -> ControlResponse:
    data = bytes(data)
    if len(data) < 3:
        raise DecodeError(f"a Control Point response needs at least 3 octets, got {len(data)}")
    if data[0] != OpCode.RESPONSE:
        raise DecodeError(f"a Control Point response starts with 0x80, not {data[0]:#04x}")
    try:
        result = ResultCode(data[2])
    except ValueError:
        raise DecodeError(f"result code {data[2]:#04x} is reserved in FTMS") from None
    return ControlResponse(data[1], result, data[3:])


def decode_control_point(data: bytes | bytearray | memoryview) -> ControlRequest | ControlResponse:
    """Either side of the Control Point: a 0x80 response indication or a written request."""
    data = bytes(data)
    if data[:1] == bytes((OpCode.RESPONSE,)):
        return decode_response(data)
    return decode_request(data)
