"""Fitness Machine Status (0x2ADA): what the machine did, whoever caused it.

Real devices pad these notifications with zeros (CITYSPORTS sends ``04 00 00``), so decoding reads
the parameter the op code defines and ignores whatever follows it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from treadctl.ftms._scalar import pack, to_raw
from treadctl.ftms.errors import DecodeError, EncodeError

STOPPED_OR_PAUSED_BY_USER = 0x02
TARGET_SPEED_CHANGED = 0x05
TARGET_INCLINE_CHANGED = 0x06
_STOP, _PAUSE = 0x01, 0x02

# op code -> (event name, parameter size). Op 0x02 is handled on its own (stop or pause).
_EVENTS: dict[int, tuple[str, int]] = {
    0x01: ("reset", 0),
    0x02: ("stopped_or_paused_by_user", 1),
    0x03: ("stopped_by_safety_key", 0),
    0x04: ("started_or_resumed_by_user", 0),
    0x05: ("target_speed_changed", 2),
    0x06: ("target_incline_changed", 2),
    0x07: ("target_resistance_changed", 2),
    0x08: ("target_power_changed", 2),
    0x09: ("target_heart_rate_changed", 1),
    0x0A: ("targeted_expended_energy_changed", 2),
    0x0B: ("targeted_steps_changed", 2),
    0x0C: ("targeted_strides_changed", 2),
    0x0D: ("targeted_distance_changed", 3),
    0x0E: ("targeted_training_time_changed", 2),
    0x0F: ("targeted_time_in_two_heart_rate_zones_changed", 4),
    0x10: ("targeted_time_in_three_heart_rate_zones_changed", 6),
    0x11: ("targeted_time_in_five_heart_rate_zones_changed", 10),
    0x12: ("indoor_bike_simulation_changed", 6),
    0x13: ("wheel_circumference_changed", 2),
    0x14: ("spin_down_status", 1),
    0x15: ("targeted_cadence_changed", 2),
    0xFF: ("control_permission_lost", 0),
}
RESERVED_EVENT = "reserved"
_STOP_EVENTS = {_STOP: "stopped_by_user", _PAUSE: "paused_by_user"}


@dataclass(frozen=True, slots=True)
class MachineStatus:
    """One status notification. ``parameter`` holds the raw parameter of ops not decoded further.

    Op 0x02 with a control value other than stop/pause (or none at all, as a sloppy device might
    send) is reported as ``stopped_or_paused_by_user``; treat it as a stop.
    """

    op_code: int
    event: str
    target_speed_kmh: float | None = None
    target_incline_pct: float | None = None
    parameter: bytes = b""

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"op_code": self.op_code, "event": self.event}
        if self.target_speed_kmh is not None:
            out["target_speed_kmh"] = self.target_speed_kmh
        if self.target_incline_pct is not None:
            out["target_incline_pct"] = self.target_incline_pct
        if self.parameter:
            out["parameter"] = self.parameter.hex()
        return out

    @classmethod
    def reset(cls) -> MachineStatus:
        return cls(0x01, "reset")

    @classmethod
    def stopped_by_user(cls) -> MachineStatus:
        return cls(STOPPED_OR_PAUSED_BY_USER, "stopped_by_user")

    @classmethod
    def paused_by_user(cls) -> MachineStatus:
        return cls(STOPPED_OR_PAUSED_BY_USER, "paused_by_user")

    @classmethod
    def stopped_by_safety_key(cls) -> MachineStatus:
        return cls(0x03, "stopped_by_safety_key")

    @classmethod
    def started_or_resumed_by_user(cls) -> MachineStatus:
        return cls(0x04, "started_or_resumed_by_user")

    @classmethod
    def target_speed_changed(cls, speed_kmh: float) -> MachineStatus:
        return cls(TARGET_SPEED_CHANGED, "target_speed_changed", target_speed_kmh=speed_kmh)

    @classmethod
    def target_incline_changed(cls, incline_pct: float) -> MachineStatus:
        return cls(TARGET_INCLINE_CHANGED, "target_incline_changed", target_incline_pct=incline_pct)

    @classmethod
    def control_permission_lost(cls) -> MachineStatus:
        return cls(0xFF, "control_permission_lost")


def decode_machine_status(data: bytes | bytearray | memoryview) -> MachineStatus:
    data = bytes(data)
    if not data:
        raise DecodeError("fitness machine status needs at least 1 octet (the op code)")
    op = data[0]
    rest = data[1:]
    known = _EVENTS.get(op)
    if known is None:
        return MachineStatus(op, RESERVED_EVENT, parameter=rest)
    event, size = known
    if op == STOPPED_OR_PAUSED_BY_USER:
        if rest and rest[0] in _STOP_EVENTS:
            return MachineStatus(op, _STOP_EVENTS[rest[0]])
        return MachineStatus(op, event, parameter=rest[:1])
    if len(rest) < size:
        raise DecodeError(
            f"status {event} (op {op:#04x}) needs a {size}-octet parameter, got {len(rest)}"
        )
    param = rest[:size]
    if op == TARGET_SPEED_CHANGED:
        return MachineStatus(op, event, target_speed_kmh=int.from_bytes(param, "little") / 100)
    if op == TARGET_INCLINE_CHANGED:
        raw = int.from_bytes(param, "little", signed=True)
        return MachineStatus(op, event, target_incline_pct=raw / 10)
    return MachineStatus(op, event, parameter=param)


def _parameter(status: MachineStatus) -> bytes:
    op = status.op_code
    known = _EVENTS.get(op)
    expected = RESERVED_EVENT if known is None else known[0]
    typed = op in (TARGET_SPEED_CHANGED, TARGET_INCLINE_CHANGED)
    if not typed and (status.target_speed_kmh is not None or status.target_incline_pct is not None):
        raise EncodeError(f"status op {op:#04x} carries no target value")
    if op == STOPPED_OR_PAUSED_BY_USER:
        for code, name in _STOP_EVENTS.items():
            if status.event == name:
                if status.parameter:
                    raise EncodeError(f"{name} takes no extra parameter")
                return bytes((code,))
        if len(status.parameter) > 1 or status.parameter[:1] in (b"\x01", b"\x02"):
            raise EncodeError("stopped_or_paused_by_user takes one control octet other than 1 or 2")
        expected = known[0] if known else expected
    if status.event != expected:
        raise EncodeError(f"status op {op:#04x} is {expected!r}, not {status.event!r}")
    if op == TARGET_SPEED_CHANGED:
        if status.target_speed_kmh is None or status.parameter:
            raise EncodeError("target_speed_changed needs target_speed_kmh and no parameter")
        return pack(to_raw("target_speed_kmh", status.target_speed_kmh, 100, 2, False), 2, False)
    if op == TARGET_INCLINE_CHANGED:
        if status.target_incline_pct is None or status.parameter:
            raise EncodeError("target_incline_changed needs target_incline_pct and no parameter")
        return pack(to_raw("target_incline_pct", status.target_incline_pct, 10, 2, True), 2, True)
    if known is not None and op != STOPPED_OR_PAUSED_BY_USER and len(status.parameter) != known[1]:
        raise EncodeError(f"{expected} takes a {known[1]}-octet parameter")
    return status.parameter


def encode_machine_status(status: MachineStatus, pad_to: int = 0) -> bytes:
    """Encode; ``pad_to`` appends zeros up to that length, as some real devices do."""
    if not 0 <= status.op_code <= 0xFF:
        raise EncodeError(f"status op code {status.op_code} is outside 0..255")
    frame = bytes((status.op_code,)) + _parameter(status)
    return frame + bytes(max(0, pad_to - len(frame)))
