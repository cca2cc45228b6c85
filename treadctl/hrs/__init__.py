"""The Heart Rate Service (0x180D), sans-I/O: bytes in, typed values out, and back.

Like ``treadctl.ftms``: no asyncio, no bleak. The strap link (``treadctl.ble.heart_rate``) and the
simulated strap (``simulators.strap``) both speak through these functions, so the bytes a real
strap sends and the bytes the simulator sends are decoded by the same code.
"""

from __future__ import annotations

from treadctl.hrs.codec import (
    RR_UNITS_PER_S,
    BodySensorLocation,
    DecodeError,
    EncodeError,
    HeartRateMeasurement,
    decode_battery_level,
    decode_body_sensor_location,
    decode_measurement,
    encode_battery_level,
    encode_body_sensor_location,
    encode_measurement,
)
from treadctl.hrs.uuids import (
    BATTERY_LEVEL_UUID,
    BATTERY_SERVICE_UUID,
    BODY_SENSOR_LOCATION_UUID,
    HEART_RATE_CONTROL_POINT_UUID,
    HEART_RATE_MEASUREMENT_UUID,
    HEART_RATE_SERVICE_UUID,
)

__all__ = [
    "BATTERY_LEVEL_UUID",
    "BATTERY_SERVICE_UUID",
    "BODY_SENSOR_LOCATION_UUID",
    "HEART_RATE_CONTROL_POINT_UUID",
    "HEART_RATE_MEASUREMENT_UUID",
    "HEART_RATE_SERVICE_UUID",
    "RR_UNITS_PER_S",
    "BodySensorLocation",
    "DecodeError",
    "EncodeError",
    "HeartRateMeasurement",
    "decode_battery_level",
    "decode_body_sensor_location",
    "decode_measurement",
    "encode_battery_level",
    "encode_body_sensor_location",
    "encode_measurement",
]
