"""The key client scenarios again over real ATT/GATT: bleak's front end on a bumble central,
the simulated treadmill served by a bumble peripheral on an in-process link."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any

import pytest

pytest.importorskip("bumble")

from simulators.bumble_radio import BumbleAir, BumbleBleakClient
from simulators.faults import FaultKind
from simulators.personalities import personality
from simulators.treadmill import BeltMode, SimulatedTreadmill
from treadctl.ble.client import FtmsClient
from treadctl.ble.quirks import DeviceQuirks
from treadctl.ftms import CONTROL_POINT_UUID, MACHINE_STATUS_UUID, MachineStatusEvent
from treadctl.limits import DeviceLimits
from treadctl.link import (
    CommandError,
    CommandTimeout,
    ControlNotPermitted,
    InvalidParameter,
    LinkEvent,
    LinkLost,
    LinkState,
    MachineEvent,
    OperationFailed,
    OpNotSupported,
    StatusEvent,
    TelemetryEvent,
)
from treadctl.virtual_time import run_virtual

ADDRESS = "F0:F0:F0:F0:F0:01"
Scenario = Callable[[FtmsClient, SimulatedTreadmill, list[MachineEvent]], Coroutine[Any, Any, None]]


def over_bumble(
    scenario: Scenario, personality_name: str = "spec", quirks: DeviceQuirks | None = None
) -> None:
    async def main() -> None:
        air = BumbleAir()
        treadmill = SimulatedTreadmill(personality(personality_name))
        await air.add(treadmill, address=ADDRESS)
        client = FtmsClient(
            ADDRESS,
            quirks or DeviceQuirks(),
            client_backend=BumbleBleakClient,
            backend_kwargs={"bumble_air": air},
            scan_before_connect=False,  # the bumble radio has no scanner backend
        )
        events: list[MachineEvent] = []
        client.add_listener(events.append)
        try:
            await client.connect()
            await scenario(client, treadmill, events)
        finally:
            await client.disconnect()
            await air.close()

    run_virtual(main())


def commands(treadmill: SimulatedTreadmill) -> list[str]:
    return [h.what for h in treadmill.history if h.kind == "command"]


def test_connect_commands_and_reassembled_telemetry() -> None:
    async def scenario(
        client: FtmsClient, treadmill: SimulatedTreadmill, events: list[MachineEvent]
    ) -> None:
        assert client.info.limits == DeviceLimits(0.5, 16.0, 0.1, 0.0, 15.0, 0.5, True)
        assert await client.set_speed(2.04) == 2.0
        await client.start()
        await client.set_incline(1.0)
        await asyncio.sleep(6)
        await client.stop()
        # The Control Point only answers once its indications are on (else ATT 0xFD).
        assert commands(treadmill) == [
            "request control",
            "set target speed 2.00 km/h",
            "start",
            "set target incline 1.0 %",
            "stop",
        ]
        records = [e.data for e in events if isinstance(e, TelemetryEvent)]
        assert records and max(r.speed_kmh or 0 for r in records) == pytest.approx(2.0)
        assert all(r.heart_rate_bpm is not None and not r.more_data for r in records)

    over_bumble(scenario)


def test_result_codes() -> None:
    async def scenario(
        client: FtmsClient, treadmill: SimulatedTreadmill, events: list[MachineEvent]
    ) -> None:
        await client.start()
        with pytest.raises(OperationFailed):
            await client.start()
        client._info = replace(client.info, limits=DeviceLimits(speed_max_kmh=30.0))
        with pytest.raises(InvalidParameter):
            await client.set_speed(25.0)
        assert client._client is not None
        await client._client.stop_notify(MACHINE_STATUS_UUID)
        treadmill.inject(FaultKind.CONTROL_LOST)
        with pytest.raises(ControlNotPermitted):
            await client.stop()
        await client.stop()  # control requested again first
        assert treadmill.mode is BeltMode.STOPPED

    over_bumble(scenario)


def test_op_code_not_supported() -> None:
    async def scenario(
        client: FtmsClient, treadmill: SimulatedTreadmill, events: list[MachineEvent]
    ) -> None:
        assert not client.info.limits.supports_incline
        client._info = replace(client.info, limits=DeviceLimits())
        with pytest.raises(OpNotSupported):
            await client.set_incline(1.0)

    over_bumble(scenario, "no-incline")


def test_timeout_then_att_0xfe_then_0xfd() -> None:
    async def scenario(
        client: FtmsClient, treadmill: SimulatedTreadmill, events: list[MachineEvent]
    ) -> None:
        with pytest.raises(CommandTimeout):
            await client.request_control()
        with pytest.raises(CommandError, match="0xFE"):
            await client.request_control()
        await asyncio.sleep(1.0)
        assert client._client is not None
        await client._client.stop_notify(CONTROL_POINT_UUID)
        with pytest.raises(CommandError, match="0xFD"):
            await client.request_control()

    over_bumble(scenario, "slow-response", DeviceQuirks(response_timeout_s=0.3))


def test_control_lost_status_and_disconnect_mid_command() -> None:
    async def scenario(
        client: FtmsClient, treadmill: SimulatedTreadmill, events: list[MachineEvent]
    ) -> None:
        await client.start()
        treadmill.inject(FaultKind.CONTROL_LOST)
        await asyncio.sleep(0.2)
        statuses = [e.status.event for e in events if isinstance(e, StatusEvent)]
        assert statuses == [MachineStatusEvent.CONTROL_PERMISSION_LOST]
        assert not client.has_control
        command = asyncio.ensure_future(client.set_speed(3.0))
        await asyncio.sleep(0.01)
        treadmill.inject(FaultKind.DISCONNECT)
        with pytest.raises(LinkLost):
            await command
        await asyncio.sleep(0.1)
        assert [e.state for e in events if isinstance(e, LinkEvent)][-1] is LinkState.DISCONNECTED
        await client.connect()
        assert [e.state for e in events if isinstance(e, LinkEvent)][-1] is LinkState.RECONNECTED
        await client.stop()

    over_bumble(scenario, "keeps-running-on-disconnect")
