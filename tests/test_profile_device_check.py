"""`profile check --device` reads the treadmill's real ranges over BLE without taking control."""

from __future__ import annotations

import pytest

from simulators import SimulatedTreadmill, personality
from simulators.bleak_backend import SimAir, SimBleakClient, SimBleakScanner
from treadctl.ble.client import read_device_info
from treadctl.link import DeviceInfo
from treadctl.virtual_time import run_virtual


def test_device_ranges_come_from_the_treadmill_and_nothing_is_written() -> None:
    async def scenario() -> tuple[DeviceInfo, list[object]]:
        treadmill = SimulatedTreadmill(personality("half-kmh-steps"))
        air = SimAir.default()
        air.add(treadmill, address="SIM-CHECK-1", name="check sim")
        try:
            info = await read_device_info(
                "SIM-CHECK-1", client_backend=SimBleakClient, scanner_backend=SimBleakScanner
            )
            return info, list(treadmill.commands())
        finally:
            air.clear()
            treadmill.close()

    info, commands = run_virtual(scenario())
    assert info.limits.speed_increment_kmh == pytest.approx(0.5)
    assert info.limits.speed_min_kmh < info.limits.speed_max_kmh
    assert commands == []  # the pre-flight check never touches the Control Point
