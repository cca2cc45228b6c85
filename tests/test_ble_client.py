"""FtmsClient through the real BleakClient front end over the simulator's bleak backend."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import replace
from typing import Any, ClassVar

import pytest
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import NotifyCallback

from simulators.bleak_backend import SimAir, SimBleakClient
from simulators.faults import FaultKind
from simulators.treadmill import BeltMode, SimulatedTreadmill
from treadctl.ble.client import FtmsClient
from treadctl.ble.errors import ControlLocked
from treadctl.ble.quirks import DeviceQuirks
from treadctl.errors import ControlRefused, DeviceNotFound
from treadctl.ftms import CONTROL_POINT_UUID, MACHINE_STATUS_UUID, MachineStatusEvent
from treadctl.ftms.control_point import ResultCode
from treadctl.limits import DeviceLimits
from treadctl.link import (
    CommandError,
    CommandTimeout,
    ControlNotPermitted,
    InvalidParameter,
    LinkEvent,
    LinkLost,
    LinkState,
    LinkWrite,
    MachineEvent,
    OperationFailed,
    OpNotSupported,
    OutOfRange,
    StatusEvent,
    TelemetryEvent,
    TrainingStatusEvent,
)
from treadctl.simulated_link import SIM_ADDRESS, SIM_NAME, simulated_link
from treadctl.virtual_time import run_virtual


@pytest.fixture
def air() -> Iterator[SimAir]:
    sim_air = SimAir()
    yield sim_air
    sim_air.clear()


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    run_virtual(test())


def commands(treadmill: SimulatedTreadmill) -> list[str]:
    return [h.what for h in treadmill.history if h.kind == "command"]


class Recorder:
    def __init__(self, client: FtmsClient) -> None:
        self.events: list[MachineEvent] = []
        client.add_listener(self.events.append)

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


# --- connecting -----------------------------------------------------------------------------


def test_connect_reads_ranges_and_emits_connected(air: SimAir) -> None:
    async def scenario() -> None:
        client, _ = simulated_link(sim_air=air)
        rec = Recorder(client)
        info = await client.connect()
        assert client.is_connected
        assert (info.name, info.address) == (SIM_NAME, SIM_ADDRESS)
        assert info.limits == DeviceLimits(0.5, 16.0, 0.1, 0.0, 15.0, 0.5, True)
        assert info.features is not None and "speed" in info.features.targets
        [link] = rec.of(LinkEvent)
        assert link.state is LinkState.CONNECTED and link.rssi_dbm == -58
        assert rec.of(TrainingStatusEvent)[0].status.name == "idle"
        await client.disconnect()
        assert not client.is_connected
        assert rec.of(LinkEvent)[-1].state is LinkState.DISCONNECTED

    run(scenario)


def test_connect_by_name(air: SimAir) -> None:
    async def scenario() -> None:
        simulated_link(sim_air=air, address="AA:BB:CC:DD:EE:01", name="RetroWalk 3000")
        from simulators.bleak_backend import SimBleakScanner

        client = FtmsClient(
            "retrowalk 3000",
            client_backend=SimBleakClient,
            scanner_backend=SimBleakScanner,
            backend_kwargs={"sim_air": air},
        )
        info = await client.connect()
        assert info.address == "AA:BB:CC:DD:EE:01"
        await client.disconnect()

    run(scenario)


def test_unknown_name_is_device_not_found_after_bounded_retries(air: SimAir) -> None:
    async def scenario() -> None:
        from simulators.bleak_backend import SimBleakScanner

        loop = asyncio.get_running_loop()
        client = FtmsClient(
            "no such treadmill",
            client_backend=SimBleakClient,
            scanner_backend=SimBleakScanner,
            backend_kwargs={"sim_air": air},
            connect_attempts=3,
            retry_backoff_s=1.0,
            scan_timeout_s=2.0,
        )
        start_s = loop.time()
        with pytest.raises(DeviceNotFound, match="no treadmill called 'no such treadmill'"):
            await client.connect()
        # three 2 s scans plus 1 s and 2 s of backoff
        assert loop.time() - start_s == pytest.approx(9.0, abs=0.1)
        assert client.record.attempts == 3

    run(scenario)


class OrderRecordingClient(SimBleakClient):
    """The simulator's backend, noting every GATT operation in order."""

    log: ClassVar[list[tuple[str, str]]] = []

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        self.log.append(("subscribe", characteristic.uuid))
        await super().start_notify(characteristic, callback, **kwargs)

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: Any, response: bool
    ) -> None:
        self.log.append(("write", characteristic.uuid))
        await super().write_gatt_char(characteristic, data, response)

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        self.log.append(("read", characteristic.uuid))
        return await super().read_gatt_char(characteristic, use_cached=use_cached, **kwargs)


def test_connect_sequence_reads_then_subscribes_with_indications_before_first_write(
    air: SimAir,
) -> None:
    async def scenario() -> None:
        from treadctl import ftms

        OrderRecordingClient.log = []
        simulated_link(sim_air=air)
        from simulators.bleak_backend import SimBleakScanner

        client = FtmsClient(
            SIM_ADDRESS,
            client_backend=OrderRecordingClient,
            scanner_backend=SimBleakScanner,
            backend_kwargs={"sim_air": air},
        )
        await client.connect()
        await client.request_control()
        log = OrderRecordingClient.log
        # Device Information first (manufacturer, model, serial, hardware, firmware), then FTMS.
        dis = [u for op, u in log[:5]]
        assert dis == [
            ftms.uuid16(0x2A29),
            ftms.uuid16(0x2A24),
            ftms.uuid16(0x2A25),
            ftms.uuid16(0x2A27),
            ftms.uuid16(0x2A26),
        ]
        log = log[5:]
        assert [op for op, _ in log[:4]] == ["read"] * 4
        assert {u for _, u in log[:4]} == {
            ftms.FEATURE_UUID,
            ftms.SPEED_RANGE_UUID,
            ftms.INCLINE_RANGE_UUID,
            ftms.TRAINING_STATUS_UUID,
        }
        assert log[4:] == [
            ("subscribe", ftms.TRAINING_STATUS_UUID),
            ("subscribe", ftms.MACHINE_STATUS_UUID),
            ("subscribe", ftms.CONTROL_POINT_UUID),
            ("subscribe", ftms.TREADMILL_DATA_UUID),
            ("write", ftms.CONTROL_POINT_UUID),
        ]
        await client.disconnect()

    run(scenario)


# --- commands and result codes --------------------------------------------------------------


def test_first_command_requests_control_then_drives_the_belt(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air)
        await client.connect()
        assert await client.set_speed(1.23) == 1.2
        await client.start()
        await asyncio.sleep(5)
        assert treadmill.belt_speed_kmh == pytest.approx(1.2)
        assert await client.set_incline(2.3) == 2.5
        await client.pause()
        await client.start()
        await client.stop()
        assert commands(treadmill) == [
            "request control",
            "set target speed 1.20 km/h",
            "start",
            "set target incline 2.5 %",
            "pause",
            "resume",
            "stop",
        ]
        await client.disconnect()

    run(scenario)


def test_targets_outside_the_range_are_refused_without_a_write(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air)
        await client.connect()
        rec = Recorder(client)
        with pytest.raises(OutOfRange, match=r"outside the treadmill's range 0\.5-16") as caught:
            await client.set_speed(16.5)
        assert not isinstance(caught.value, InvalidParameter)  # not the treadmill's answer
        with pytest.raises(OutOfRange):
            await client.set_speed(float("nan"))
        with pytest.raises(OutOfRange):
            await client.set_incline(-1)
        assert commands(treadmill) == []
        assert rec.of(LinkWrite) == []
        assert await client.set_speed(15.97) == 16.0
        await client.disconnect()

    run(scenario)


def test_operation_failed_from_the_device(air: SimAir) -> None:
    async def scenario() -> None:
        client, _ = simulated_link(sim_air=air)
        await client.connect()
        await client.start()
        with pytest.raises(OperationFailed, match="refused start: operation failed"):
            await client.start()  # already running: 80 07 04
        await client.disconnect()

    run(scenario)


def test_reject_commands_fault_is_operation_failed(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air)
        await client.connect()
        await client.request_control()
        treadmill.inject(FaultKind.REJECT_COMMANDS, 10.0)
        with pytest.raises(OperationFailed) as caught:
            await client.set_speed(3.0)
        assert caught.value.op == "set_speed" and caught.value.result == "operation_failed"
        await client.disconnect()

    run(scenario)


def test_invalid_parameter_from_the_device(air: SimAir) -> None:
    async def scenario() -> None:
        client, _ = simulated_link("half-kmh-steps", sim_air=air)
        await client.connect()
        # Pretend the device published a wider range than it accepts: it must answer 80 02 03.
        client._info = replace(client.info, limits=DeviceLimits(speed_max_kmh=12.0))
        with pytest.raises(InvalidParameter, match="invalid parameter"):
            await client.set_speed(10.0)
        await client.disconnect()

    run(scenario)


def test_op_code_not_supported_from_the_device(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link("no-incline", sim_air=air)
        info = await client.connect()
        assert not info.limits.supports_incline
        with pytest.raises(OpNotSupported, match="no incline control"):
            await client.set_incline(2.0)
        assert commands(treadmill) == []  # refused locally
        client._info = replace(client.info, limits=DeviceLimits())
        with pytest.raises(OpNotSupported, match="op code not supported"):
            await client.set_incline(2.0)
        await client.disconnect()

    run(scenario)


def test_control_not_permitted_then_control_is_requested_again(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air)
        await client.connect()
        await client.request_control()
        # The client misses the 0xFF status (status notifications switched off), so the
        # device's 0x05 answer is the first it hears of losing control.
        assert client._client is not None
        await client._client.stop_notify(MACHINE_STATUS_UUID)
        treadmill.inject(FaultKind.CONTROL_LOST)
        with pytest.raises(ControlNotPermitted):
            await client.start()
        assert not client.has_control
        await client.start()
        assert commands(treadmill) == [
            "request control",
            "start_or_resume without control",
            "request control",
            "start",
        ]
        await client.disconnect()

    run(scenario)


def test_request_control_refused_is_control_locked(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air)

        def refuse(origin: str) -> ResultCode:
            return treadmill.record_command(
                "request control", origin, ResultCode.CONTROL_NOT_PERMITTED
            )

        treadmill.request_control = refuse  # type: ignore[method-assign]
        await client.connect()
        with pytest.raises(ControlLocked) as caught:
            await client.request_control()
        # Both the engine's and the command line's view of the same failure.
        assert isinstance(caught.value, ControlNotPermitted)
        assert isinstance(caught.value, ControlRefused)
        assert "vendor's app" in str(caught.value)
        with pytest.raises(ControlLocked):
            await client.start()  # the automatic request is refused the same way
        assert treadmill.mode is BeltMode.STOPPED
        await client.disconnect()

    run(scenario)


def test_control_lost_status_then_reacquired_before_next_command(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air)
        rec = Recorder(client)
        await client.connect()
        await client.start()
        treadmill.inject(FaultKind.CONTROL_LOST)
        await asyncio.sleep(0.1)
        assert [e.status.event for e in rec.of(StatusEvent)] == [
            MachineStatusEvent.CONTROL_PERMISSION_LOST
        ]
        assert not client.has_control
        await client.set_speed(2.0)
        assert commands(treadmill)[-2:] == ["request control", "set target speed 2.00 km/h"]
        await client.disconnect()

    run(scenario)


def test_reset_revokes_control(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air)
        await client.connect()
        await client.start()
        await client.reset()
        assert not client.has_control
        await client.set_speed(1.0)
        assert commands(treadmill) == [
            "request control",
            "start",
            "reset",
            "request control",
            "set target speed 1.00 km/h",
        ]
        await client.disconnect()

    run(scenario)


def test_timeout_when_no_indication_comes(air: SimAir) -> None:
    async def scenario() -> None:
        quirks = DeviceQuirks(response_timeout_s=0.3)
        client, _ = simulated_link("slow-response", quirks=quirks, sim_air=air)
        await client.connect()
        loop = asyncio.get_running_loop()
        start_s = loop.time()
        with pytest.raises(CommandTimeout, match=r"did not answer request_control within 0\.3 s"):
            await client.request_control()
        assert loop.time() - start_s == pytest.approx(0.3)
        # The device is still busy with that procedure: ATT 0xFE "procedure already in progress".
        with pytest.raises(CommandError, match="0xFE"):
            await client.request_control()
        await asyncio.sleep(1.0)  # the late indication arrives and is ignored
        assert client.is_connected and not client.has_control
        await client.disconnect()

    run(scenario)


def test_slow_response_personality_works_with_its_quirks(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link("slow-response", sim_air=air)
        await client.connect()
        await client.start()
        assert treadmill.mode is BeltMode.RUNNING
        await client.disconnect()

    run(scenario)


def test_indications_disabled_is_att_0xfd(air: SimAir) -> None:
    async def scenario() -> None:
        client, _ = simulated_link(sim_air=air)
        await client.connect()
        assert client._client is not None
        await client._client.stop_notify(CONTROL_POINT_UUID)
        with pytest.raises(CommandError, match=r"indications are not enabled \(ATT 0xFD"):
            await client.request_control()
        await client.disconnect()

    run(scenario)


def test_one_procedure_at_a_time(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air)
        await client.connect()
        await client.request_control()
        # Concurrent callers are serialised by the client; the device never sees 0xFE.
        await asyncio.gather(client.set_speed(2.0), client.start(), client.set_incline(1.0))
        assert commands(treadmill)[1:] == [
            "set target speed 2.00 km/h",
            "start",
            "set target incline 1.0 %",
        ]
        await client.disconnect()

    run(scenario)


# --- link loss ------------------------------------------------------------------------------


def test_disconnect_in_the_middle_of_a_command_then_reconnect(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link("keeps-running-on-disconnect", sim_air=air)
        rec = Recorder(client)
        await client.connect()
        await client.start()
        command = asyncio.ensure_future(client.set_speed(3.0))
        await asyncio.sleep(0.02)  # written, indication not yet sent
        treadmill.inject(FaultKind.DISCONNECT)
        with pytest.raises(LinkLost, match="link dropped during set_speed"):
            await command
        assert not client.is_connected
        assert rec.of(LinkEvent)[-1] == LinkEvent(
            LinkState.DISCONNECTED, reason="the treadmill disconnected"
        )
        with pytest.raises(LinkLost, match="not connected"):
            await client.stop()
        await client.connect()  # the treadmill accepts connections again after ~2 s
        assert [e.state for e in rec.of(LinkEvent)] == [
            LinkState.CONNECTED,
            LinkState.DISCONNECTED,
            LinkState.RECONNECTED,
        ]
        assert not client.has_control
        await client.stop()
        assert commands(treadmill)[-2:] == ["request control", "stop"]
        await client.disconnect()

    run(scenario)


def test_split_records_are_reassembled(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air, att_mtu=23)
        rec = Recorder(client)
        await client.connect()
        await client.set_speed(3.0)
        await client.start()
        await asyncio.sleep(10.5)
        records = [e.data for e in rec.of(TelemetryEvent)]
        peripheral = air.find(SIM_ADDRESS)
        assert peripheral is not None
        server = peripheral.server
        assert server.frames_sent > server.data_records_sent  # every record came in pieces
        assert len(records) == server.data_records_sent
        last = records[-1]
        assert not last.more_data
        assert last.speed_kmh == pytest.approx(3.0)
        assert last.total_distance_m is not None and last.elapsed_time_s is not None
        assert last.heart_rate_bpm is not None
        assert treadmill.mode is BeltMode.RUNNING
        await client.disconnect()

    run(scenario)


def test_partial_record_is_discarded_on_link_loss(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air)
        rec = Recorder(client)
        await client.connect()
        # First half of a record (More Data set: no speed), then the link drops.
        client._on_treadmill_data(None, bytearray(b"\x05\x00\x64\x00\x10\x27\x00"))  # type: ignore[arg-type]
        treadmill.inject(FaultKind.DISCONNECT)
        await asyncio.sleep(0.1)
        await client.connect()
        # The second half alone must not complete the old record.
        client._on_treadmill_data(None, bytearray(b"\x00\x00\x2c\x01"))  # type: ignore[arg-type]
        [record] = [e.data for e in rec.of(TelemetryEvent)][-1:]
        assert record.speed_kmh == 3.0 and record.average_speed_kmh is None
        await client.disconnect()

    run(scenario)


# --- quirks ---------------------------------------------------------------------------------


def test_needs_start_before_speed_holds_the_target_until_start(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link("needs-start-before-speed", sim_air=air)
        await client.connect()
        assert await client.set_speed(2.0) == 2.0
        assert treadmill.mode is BeltMode.STOPPED  # a target never starts the belt
        assert commands(treadmill) == []
        await client.start()
        assert treadmill.target_speed_kmh == pytest.approx(2.0)
        assert commands(treadmill) == ["request control", "start", "set target speed 2.00 km/h"]
        await client.set_speed(2.5)  # running: sent at once
        assert treadmill.target_speed_kmh == pytest.approx(2.5)
        await client.stop()
        await client.disconnect()

    run(scenario)


def test_without_the_quirk_that_device_ignores_the_speed(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(
            "needs-start-before-speed", quirks=DeviceQuirks(), sim_air=air
        )
        await client.connect()
        await client.set_speed(2.0)
        await client.start()
        assert treadmill.target_speed_kmh != pytest.approx(2.0)
        await client.disconnect()

    run(scenario)


def test_half_kmh_steps_round_to_the_device_increment(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link("half-kmh-steps", sim_air=air)
        info = await client.connect()
        assert (info.limits.speed_min_kmh, info.limits.speed_increment_kmh) == (1.0, 0.5)
        assert await client.set_speed(2.3) == 2.5
        assert await client.set_speed(5.9) == 6.0
        with pytest.raises(OutOfRange):
            await client.set_speed(0.8)
        assert commands(treadmill)[1:] == [
            "set target speed 2.50 km/h",
            "set target speed 6.00 km/h",
        ]
        await client.disconnect()

    run(scenario)


def test_mph_range_is_converted_to_kmh(air: SimAir) -> None:
    async def scenario() -> None:
        client, _ = simulated_link("mph-range", sim_air=air)
        info = await client.connect()
        assert info.limits.speed_min_kmh == pytest.approx(0.97)
        assert info.limits.speed_max_kmh == pytest.approx(6.12)
        assert "range_in_mph" in info.quirks
        await client.start()
        assert await client.set_speed(5.0) == pytest.approx(5.0, abs=0.1)
        await client.stop()
        await client.disconnect()

    run(scenario)


def test_mph_range_without_the_quirk_would_cap_far_too_low(air: SimAir) -> None:
    async def scenario() -> None:
        client, _ = simulated_link("mph-range", quirks=DeviceQuirks(), sim_air=air)
        info = await client.connect()
        assert info.limits.speed_max_kmh == pytest.approx(3.8)
        await client.disconnect()

    run(scenario)


def test_padded_status_frames_are_decoded(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link("padded-status", sim_air=air)
        rec = Recorder(client)
        await client.connect()
        await client.start()
        treadmill.inject(FaultKind.CONSOLE_SPEED_UP)
        treadmill.inject(FaultKind.CONSOLE_STOP)
        treadmill.inject(FaultKind.SAFETY_KEY)
        await asyncio.sleep(0.1)
        assert [e.status.event for e in rec.of(StatusEvent)] == [
            MachineStatusEvent.TARGET_SPEED_CHANGED,
            MachineStatusEvent.STOPPED_BY_USER,
            MachineStatusEvent.STOPPED_BY_SAFETY_KEY,
        ]
        assert rec.of(StatusEvent)[0].status.target_speed_kmh == pytest.approx(2.5)
        await client.disconnect()

    run(scenario)


@pytest.mark.parametrize(
    ("personality", "belt_after_s"),
    [("keeps-running-on-disconnect", BeltMode.RUNNING), ("stops-on-disconnect", BeltMode.STOPPED)],
)
def test_link_loss_personalities_report_disconnect(
    air: SimAir, personality: str, belt_after_s: BeltMode
) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(personality, sim_air=air)
        rec = Recorder(client)
        await client.connect()
        await client.start()
        treadmill.inject(FaultKind.DISCONNECT)
        await asyncio.sleep(0.1)
        assert rec.of(LinkEvent)[-1].state is LinkState.DISCONNECTED
        assert treadmill.mode is belt_after_s
        await client.connect()
        assert rec.of(LinkEvent)[-1].state is LinkState.RECONNECTED
        await client.stop() if treadmill.mode is BeltMode.RUNNING else None
        await client.disconnect()

    run(scenario)


def test_request_control_twice_quirk(air: SimAir) -> None:
    async def scenario() -> None:
        quirks = DeviceQuirks(request_control_twice=True)
        client, treadmill = simulated_link(quirks=quirks, sim_air=air)
        await client.connect()
        loop = asyncio.get_running_loop()
        start_s = loop.time()
        await client.request_control()
        assert commands(treadmill) == ["request control", "request control"]
        assert loop.time() - start_s >= 0.5
        await client.disconnect()

    run(scenario)


def test_control_preamble_before_each_target_while_running(air: SimAir) -> None:
    async def scenario() -> None:
        quirks = DeviceQuirks(control_preamble_before_targets=True)
        client, treadmill = simulated_link(quirks=quirks, sim_air=air)
        await client.connect()
        await client.set_speed(2.0)  # belt stopped: held, never starts the belt by itself
        assert commands(treadmill) == []
        await client.start()
        await client.set_incline(1.0)
        assert commands(treadmill) == [
            "request control",
            "start",
            "request control",
            "start",  # 80 07 04 (already running) is expected and ignored
            "set target speed 2.00 km/h",
            "request control",
            "start",
            "set target incline 1.0 %",
        ]
        assert treadmill.target_speed_kmh == pytest.approx(2.0)
        await client.disconnect()

    run(scenario)


def test_a_failing_listener_does_not_break_the_link(air: SimAir) -> None:
    async def scenario() -> None:
        client, _ = simulated_link(sim_air=air)

        def broken(event: MachineEvent) -> None:
            raise RuntimeError("consumer bug")

        client.add_listener(broken)
        rec = Recorder(client)
        unsubscribe = client.add_listener(lambda e: None)
        unsubscribe()
        await client.connect()
        await asyncio.sleep(1.5)
        assert rec.of(TelemetryEvent)
        await client.disconnect()

    run(scenario)
