"""Fitness Machine Status (0x2ADA): what the machine did, whoever caused it.

Two enums are the one vocabulary for it, used by the client, the supervisor's rules and the
simulator alike, so a renamed status is a type error rather than a string nobody matches:
:class:`MachineStatusOp` is the op code on the wire, :class:`MachineStatusEvent` what a
notification means (op 0x02 splits into a stop and a pause by its control octet).

Real devices pad these notifications with zeros (CITYSPORTS sends ``04 00 00``), so decoding reads
the parameter the op code defines and ignores whatever follows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any

from treadctl.ftms._scalar import pack, to_raw
from treadctl.ftms.errors import DecodeError, EncodeError


class MachineStatusOp(IntEnum):
    """Status op codes (FTMS Table 4.26). 0x00 and 0x16-0xFE are reserved."""

    RESET = 0x01
    STOPPED_OR_PAUSED_BY_USER = 0x02
    STOPPED_BY_SAFETY_KEY = 0x03
    STARTED_OR_RESUMED_BY_USER = 0x04
    TARGET_SPEED_CHANGED = 0x05
    TARGET_INCLINE_CHANGED = 0x06
    TARGET_RESISTANCE_CHANGED = 0x07
    TARGET_POWER_CHANGED = 0x08
    TARGET_HEART_RATE_CHANGED = 0x09
    TARGETED_EXPENDED_ENERGY_CHANGED = 0x0A
    TARGETED_STEPS_CHANGED = 0x0B
    TARGETED_STRIDES_CHANGED = 0x0C
    TARGETED_DISTANCE_CHANGED = 0x0D
    TARGETED_TRAINING_TIME_CHANGED = 0x0E
    TARGETED_TIME_IN_TWO_HEART_RATE_ZONES_CHANGED = 0x0F
    TARGETED_TIME_IN_THREE_HEART_RATE_ZONES_CHANGED = 0x10
    TARGETED_TIME_IN_FIVE_HEART_RATE_ZONES_CHANGED = 0x11
    INDOOR_BIKE_SIMULATION_CHANGED = 0x12
    WHEEL_CIRCUMFERENCE_CHANGED = 0x13
    SPIN_DOWN_STATUS = 0x14
    TARGETED_CADENCE_CHANGED = 0x15
    CONTROL_PERMISSION_LOST = 0xFF


class MachineStatusEvent(StrEnum):
    """What a notification says. The value is its name in JSON (audit log, MQTT)."""

    RESET = "reset"
    STOPPED_BY_USER = "stopped_by_user"
    PAUSED_BY_USER = "paused_by_user"
    # Op 0x02 with a control octet other than stop/pause, or none (a sloppy device): a stop.
    STOPPED_OR_PAUSED_BY_USER = "stopped_or_paused_by_user"
    STOPPED_BY_SAFETY_KEY = "stopped_by_safety_key"
    STARTED_OR_RESUMED_BY_USER = "started_or_resumed_by_user"
    TARGET_SPEED_CHANGED = "target_speed_changed"
    TARGET_INCLINE_CHANGED = "target_incline_changed"
    TARGET_RESISTANCE_CHANGED = "target_resistance_changed"
    TARGET_POWER_CHANGED = "target_power_changed"
    TARGET_HEART_RATE_CHANGED = "target_heart_rate_changed"
    TARGETED_EXPENDED_ENERGY_CHANGED = "targeted_expended_energy_changed"
    TARGETED_STEPS_CHANGED = "targeted_steps_changed"
    TARGETED_STRIDES_CHANGED = "targeted_strides_changed"
    TARGETED_DISTANCE_CHANGED = "targeted_distance_changed"
    TARGETED_TRAINING_TIME_CHANGED = "targeted_training_time_changed"
    TARGETED_TIME_IN_TWO_HEART_RATE_ZONES_CHANGED = "targeted_time_in_two_heart_rate_zones_changed"
    TARGETED_TIME_IN_THREE_HEART_RATE_ZONES_CHANGED = (
        "targeted_time_in_three_heart_rate_zones_changed"
    )
    TARGETED_TIME_IN_FIVE_HEART_RATE_ZONES_CHANGED = (
        "targeted_time_in_five_heart_rate_zones_changed"
    )
    INDOOR_BIKE_SIMULATION_CHANGED = "indoor_bike_simulation_changed"
    WHEEL_CIRCUMFERENCE_CHANGED = "wheel_circumference_changed"
    SPIN_DOWN_STATUS = "spin_down_status"
    TARGETED_CADENCE_CHANGED = "targeted_cadence_changed"
    CONTROL_PERMISSION_LOST = "control_permission_lost"
    RESERVED = "reserved"  # an op code FTMS reserves, kept in ``MachineStatus.reserved_op_code``


_Op, _Event = MachineStatusOp, MachineStatusEvent

# op code -> (its event, parameter size in octets). Op 0x02's event is refined by _USER_STOPS.
_OPS: dict[MachineStatusOp, tuple[MachineStatusEvent, int]] = {
    _Op.RESET: (_Event.RESET, 0),
    _Op.STOPPED_OR_PAUSED_BY_USER: (_Event.STOPPED_OR_PAUSED_BY_USER, 1),
    _Op.STOPPED_BY_SAFETY_KEY: (_Event.STOPPED_BY_SAFETY_KEY, 0),
    _Op.STARTED_OR_RESUMED_BY_USER: (_Event.STARTED_OR_RESUMED_BY_USER, 0),
    _Op.TARGET_SPEED_CHANGED: (_Event.TARGET_SPEED_CHANGED, 2),
    _Op.TARGET_INCLINE_CHANGED: (_Event.TARGET_INCLINE_CHANGED, 2),
    _Op.TARGET_RESISTANCE_CHANGED: (_Event.TARGET_RESISTANCE_CHANGED, 2),
    _Op.TARGET_POWER_CHANGED: (_Event.TARGET_POWER_CHANGED, 2),
    _Op.TARGET_HEART_RATE_CHANGED: (_Event.TARGET_HEART_RATE_CHANGED, 1),
    _Op.TARGETED_EXPENDED_ENERGY_CHANGED: (_Event.TARGETED_EXPENDED_ENERGY_CHANGED, 2),
    _Op.TARGETED_STEPS_CHANGED: (_Event.TARGETED_STEPS_CHANGED, 2),
    _Op.TARGETED_STRIDES_CHANGED: (_Event.TARGETED_STRIDES_CHANGED, 2),
    _Op.TARGETED_DISTANCE_CHANGED: (_Event.TARGETED_DISTANCE_CHANGED, 3),
    _Op.TARGETED_TRAINING_TIME_CHANGED: (_Event.TARGETED_TRAINING_TIME_CHANGED, 2),
    _Op.TARGETED_TIME_IN_TWO_HEART_RATE_ZONES_CHANGED: (
        _Event.TARGETED_TIME_IN_TWO_HEART_RATE_ZONES_CHANGED,
        4,
    ),
    _Op.TARGETED_TIME_IN_THREE_HEART_RATE_ZONES_CHANGED: (
        _Event.TARGETED_TIME_IN_THREE_HEART_RATE_ZONES_CHANGED,
        6,
    ),
    _Op.TARGETED_TIME_IN_FIVE_HEART_RATE_ZONES_CHANGED: (
        _Event.TARGETED_TIME_IN_FIVE_HEART_RATE_ZONES_CHANGED,
        10,
    ),
    _Op.INDOOR_BIKE_SIMULATION_CHANGED: (_Event.INDOOR_BIKE_SIMULATION_CHANGED, 6),
    _Op.WHEEL_CIRCUMFERENCE_CHANGED: (_Event.WHEEL_CIRCUMFERENCE_CHANGED, 2),
    _Op.SPIN_DOWN_STATUS: (_Event.SPIN_DOWN_STATUS, 1),
    _Op.TARGETED_CADENCE_CHANGED: (_Event.TARGETED_CADENCE_CHANGED, 2),
    _Op.CONTROL_PERMISSION_LOST: (_Event.CONTROL_PERMISSION_LOST, 0),
}
# Op 0x02's control octet -> the event it makes.
_USER_STOPS: dict[int, MachineStatusEvent] = {
    0x01: _Event.STOPPED_BY_USER,
    0x02: _Event.PAUSED_BY_USER,
}
_CONTROL_OF = {event: control for control, event in _USER_STOPS.items()}
_KNOWN_OP_CODES = frozenset(int(op) for op in MachineStatusOp)
_OP_OF: dict[MachineStatusEvent, MachineStatusOp] = {
    **{event: op for op, (event, _size) in _OPS.items()},
    **dict.fromkeys(_USER_STOPS.values(), _Op.STOPPED_OR_PAUSED_BY_USER),
}


@dataclass(frozen=True, slots=True)
class MachineStatus:
    """One status notification. ``parameter`` holds the raw parameter of ops not decoded further;
    ``reserved_op_code`` the op code of a ``RESERVED`` event (0x00 and 0x16-0xFE)."""

    event: MachineStatusEvent
    target_speed_kmh: float | None = None
    target_incline_pct: float | None = None
    parameter: bytes = b""
    reserved_op_code: int = 0

    @property
    def op(self) -> MachineStatusOp | None:
        """The op code, None for a reserved one."""
        return _OP_OF.get(self.event)

    @property
    def op_code(self) -> int:
        op = self.op
        return self.reserved_op_code if op is None else int(op)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op_code": self.op_code, "event": self.event.value}
        if self.target_speed_kmh is not None:
            out["target_speed_kmh"] = self.target_speed_kmh
        if self.target_incline_pct is not None:
            out["target_incline_pct"] = self.target_incline_pct
        if self.parameter:
            out["parameter"] = self.parameter.hex()
        return out

    @classmethod
    def target_speed_changed(cls, speed_kmh: float) -> MachineStatus:
        return cls(_Event.TARGET_SPEED_CHANGED, target_speed_kmh=speed_kmh)

    @classmethod
    def target_incline_changed(cls, incline_pct: float) -> MachineStatus:
        return cls(_Event.TARGET_INCLINE_CHANGED, target_incline_pct=incline_pct)


def decode_machine_status(data: bytes | bytearray | memoryview) -> MachineStatus:
    data = bytes(data)
    if not data:
        raise DecodeError("fitness machine status needs at least 1 octet (the op code)")
    rest = data[1:]
    try:
        op = MachineStatusOp(data[0])
    except ValueError:
        return MachineStatus(_Event.RESERVED, parameter=rest, reserved_op_code=data[0])
    event, size = _OPS[op]
    if op is _Op.STOPPED_OR_PAUSED_BY_USER:
        user_stop = _USER_STOPS.get(rest[0]) if rest else None
        if user_stop is not None:
            return MachineStatus(user_stop)
        return MachineStatus(event, parameter=rest[:1])
    if len(rest) < size:
        raise DecodeError(
            f"status {event} (op {op:#04x}) needs a {size}-octet parameter, got {len(rest)}"
        )
    param = rest[:size]
    if op is _Op.TARGET_SPEED_CHANGED:
        return MachineStatus.target_speed_changed(int.from_bytes(param, "little") / 100)
    if op is _Op.TARGET_INCLINE_CHANGED:
        raw = int.from_bytes(param, "little", signed=True)
        return MachineStatus.target_incline_changed(raw / 10)
    return MachineStatus(event, parameter=param)


def _parameter(status: MachineStatus) -> bytes:
    """The octets after the op code, refusing a status that no device could have sent."""
    event, op = status.event, status.op
    if op is None:
        code = status.reserved_op_code
        if not 0 <= code <= 0xFF or code in _KNOWN_OP_CODES:
            raise EncodeError(f"status op code {code:#04x} is not a reserved one")
    elif status.reserved_op_code:
        raise EncodeError(f"{event} is op {op:#04x}; only a reserved event has reserved_op_code")
    typed = event in (_Event.TARGET_SPEED_CHANGED, _Event.TARGET_INCLINE_CHANGED)
    if not typed and (status.target_speed_kmh is not None or status.target_incline_pct is not None):
        raise EncodeError(f"status {event} carries no target value")
    if event in _CONTROL_OF:
        if status.parameter:
            raise EncodeError(f"{event} takes no extra parameter")
        return bytes((_CONTROL_OF[event],))
    if event is _Event.STOPPED_OR_PAUSED_BY_USER:
        if len(status.parameter) > 1 or status.parameter[:1] in (b"\x01", b"\x02"):
            raise EncodeError(f"{event} takes one control octet other than 1 or 2")
        return status.parameter
    if event is _Event.TARGET_SPEED_CHANGED:
        if status.target_speed_kmh is None or status.parameter:
            raise EncodeError(f"{event} needs target_speed_kmh and no parameter")
        return pack(to_raw("target_speed_kmh", status.target_speed_kmh, 100, 2, False), 2, False)
    if event is _Event.TARGET_INCLINE_CHANGED:
        if status.target_incline_pct is None or status.parameter:
            raise EncodeError(f"{event} needs target_incline_pct and no parameter")
        return pack(to_raw("target_incline_pct", status.target_incline_pct, 10, 2, True), 2, True)
    if op is not None and len(status.parameter) != _OPS[op][1]:
        raise EncodeError(f"{event} takes a {_OPS[op][1]}-octet parameter")
    return status.parameter


def encode_machine_status(status: MachineStatus, pad_to: int = 0) -> bytes:
    """Encode; ``pad_to`` appends zeros up to that length, as some real devices do."""
    parameter = _parameter(status)
    frame = bytes((status.op_code,)) + parameter
    return frame + bytes(max(0, pad_to - len(frame)))
