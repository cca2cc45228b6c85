"""GATT UUIDs of the Fitness Machine Service and the characteristics a treadmill client uses."""

from __future__ import annotations

_BASE_SUFFIX = "-0000-1000-8000-00805f9b34fb"


def uuid16(short: int) -> str:
    """Expand a 16-bit SIG-assigned UUID to the full lowercase 128-bit form bleak reports."""
    if not 0 <= short <= 0xFFFF:
        raise ValueError(f"a 16-bit UUID must be 0..0xffff, got {short:#x}")
    return f"0000{short:04x}{_BASE_SUFFIX}"


FTMS_SERVICE_UUID = uuid16(0x1826)
FEATURE_UUID = uuid16(0x2ACC)
TREADMILL_DATA_UUID = uuid16(0x2ACD)
TRAINING_STATUS_UUID = uuid16(0x2AD3)
SPEED_RANGE_UUID = uuid16(0x2AD4)
INCLINE_RANGE_UUID = uuid16(0x2AD5)
CONTROL_POINT_UUID = uuid16(0x2AD9)
MACHINE_STATUS_UUID = uuid16(0x2ADA)
CCCD_UUID = uuid16(0x2902)
