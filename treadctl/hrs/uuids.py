"""GATT UUIDs of the Heart Rate Service and the Battery Service a strap usually has too."""

from __future__ import annotations

from treadctl.ftms.uuids import uuid16

HEART_RATE_SERVICE_UUID = uuid16(0x180D)
HEART_RATE_MEASUREMENT_UUID = uuid16(0x2A37)
BODY_SENSOR_LOCATION_UUID = uuid16(0x2A38)
HEART_RATE_CONTROL_POINT_UUID = uuid16(0x2A39)
BATTERY_SERVICE_UUID = uuid16(0x180F)
BATTERY_LEVEL_UUID = uuid16(0x2A19)
