"""The simulator through the real bleak front end (``backend=SimBleakClient``): scanning,
discovery, the Control Point rules, status routing, telemetry, quirks and faults."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from typing import Any, TypeVar

import pytest
from bleak import BleakClient, BleakScanner
from bleak.exc import BleakDeviceNotFoundError, BleakGATTProtocolError

from simulators import BeltMode, FaultKind, SimConfig, SimulatedTreadmill, parse_fault, personality
from simulators.bleak_backend import SimAir, SimBleakClient, SimBleakScanner
from treadctl import ftms
from treadctl.virtual_time import run_virtual

T = TypeVar("T")
ADDRESS = "SIM-TREADMILL-1"


class Probe:
    """A bare FTMS client over bleak, recording everything the treadmill sends."""

    def __init__(self, air: SimAir, *, att_mtu: int | None = None) -> None:
        self.disconnects = 0
        self.client = BleakClient(
            ADDRESS,
            disconnected_callback=self._on_disconnect,
            backend=SimBleakClient,
            att_mtu=att_mtu,
        )
        self.indications: asyncio.Queue[bytes] = asyncio.Queue()
        self.status: list[bytes] = []
        self.frames: list[bytes] = []
        self.training: list[bytes] = []

    def _on_disconnect(self, _client: BleakClient) -> None:
        self.disconnects += 1

    async def open(self, *, indications: bool = True) -> Probe:
        await self.client.connect()
        c = self.client
        await c.start_notify(ftms.MACHINE_STATUS_UUID, lambda _, d: self.status.append(bytes(d)))
        await c.start_notify(ftms.TREADMILL_DATA_UUID, lambda _, d: self.frames.append(bytes(d)))
        await c.start_notify(ftms.TRAINING_STATUS_UUID, lambda _, d: self.training.append(bytes(d)))
        if indications:
            await c.start_notify(
                ftms.CONTROL_POINT_UUID, lambda _, d: self.indications.put_nowait(bytes(d))
            )
        return self

    async def write(self, data: bytes) -> None:
        await self.client.write_gatt_char(ftms.CONTROL_POINT_UUID, data, response=True)

    async def command(self, data: bytes) -> bytes:
        """Write and wait for the 0x80 indication (2 s, like pyftms)."""
        await self.write(data)
        return await asyncio.wait_for(self.indications.get(), 2.0)


def run_sim(
    scenario: Callable[[SimulatedTreadmill, SimAir], Awaitable[T]],
    config: SimConfig | None = None,
    **kwargs: Any,
) -> T:
    async def main() -> T:
        tm = SimulatedTreadmill(config, **kwargs)
        air = SimAir.default()  # what BleakClient(..., backend=SimBleakClient) looks in
        air.add(tm, address=ADDRESS, name="treadctl sim")
        try:
            return await scenario(tm, air)
        finally:
            air.clear()
            tm.close()

    return run_virtual(main())


def test_scanning_with_the_ftms_filter_finds_the_treadmill_and_its_service_data() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> None:
        found = await BleakScanner.discover(
            1.0,
            return_adv=True,
            service_uuids=[ftms.FTMS_SERVICE_UUID],
            backend=SimBleakScanner,
        )
        device, adv = found[ADDRESS]
        assert device.name == "treadctl sim"
        assert adv.service_data[ftms.FTMS_SERVICE_UUID] == bytes((0x01, 0x01, 0x00))
        other = await BleakScanner.discover(
            1.0, service_uuids=["0000180d-0000-1000-8000-00805f9b34fb"],
            backend=SimBleakScanner,
        )  # fmt: skip
        assert other == []

    run_sim(scenario)


def test_discovery_exposes_the_ftms_table_with_spec_properties() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> dict[str, list[str]]:
        private = SimAir()  # a registry of one's own, passed through bleak's extra keywords
        private.add(tm, address="SIM-PRIVATE")
        async with BleakClient("SIM-PRIVATE", backend=SimBleakClient, sim_air=private) as client:
            service = client.services.get_service(ftms.FTMS_SERVICE_UUID)
            assert service is not None
            cp = service.get_characteristic(ftms.CONTROL_POINT_UUID)
            assert cp is not None and cp.get_descriptor(ftms.CCCD_UUID) is not None
            return {c.uuid: list(c.properties) for c in service.characteristics}

    table = run_sim(scenario)
    assert table[ftms.CONTROL_POINT_UUID] == ["write", "indicate"]
    assert table[ftms.TREADMILL_DATA_UUID] == ["notify"]
    assert table[ftms.TRAINING_STATUS_UUID] == ["read", "notify"]
    assert table[ftms.MACHINE_STATUS_UUID] == ["notify"]
    assert table[ftms.FEATURE_UUID] == table[ftms.SPEED_RANGE_UUID] == ["read"]
    assert ftms.INCLINE_RANGE_UUID in table


def test_reads_feature_ranges_and_training_status() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> None:
        async with BleakClient(ADDRESS, backend=SimBleakClient) as client:
            features = ftms.decode_feature(await client.read_gatt_char(ftms.FEATURE_UUID))
            assert ftms.TargetSetting.SPEED in features.targets
            assert ftms.TargetSetting.INCLINATION in features.targets
            speed = ftms.decode_speed_range(await client.read_gatt_char(ftms.SPEED_RANGE_UUID))
            assert speed == ftms.SpeedRange(0.5, 16.0, 0.1)
            incline = ftms.decode_incline_range(
                await client.read_gatt_char(ftms.INCLINE_RANGE_UUID)
            )
            assert incline == ftms.InclineRange(0.0, 15.0, 0.5)
            status = await client.read_gatt_char(ftms.TRAINING_STATUS_UUID)
            assert bytes(status) == b"\x00\x01"  # no string, Idle

    run_sim(scenario)


def test_control_point_needs_indications_enabled_first() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> None:
        probe = await Probe(air).open(indications=False)
        with pytest.raises(BleakGATTProtocolError) as caught:
            await probe.write(b"\x00")
        assert caught.value.code == 0xFD
        assert tm.control_holder is None

    run_sim(scenario)


def test_control_point_results_follow_the_spec() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> None:
        probe = await Probe(air).open()
        assert await probe.command(b"\x07") == b"\x80\x07\x05"  # Start before Request Control
        assert await probe.command(b"\x00") == b"\x80\x00\x01"
        assert await probe.command(b"\x02\x40\x06") == b"\x80\x02\x01"  # 16.00: the maximum
        assert await probe.command(b"\x02\xa4\x06") == b"\x80\x02\x03"  # 17.00 km/h: too fast
        assert await probe.command(b"\x03\x9a\x00") == b"\x80\x03\x03"  # 15.4 %: too steep
        assert await probe.command(b"\x07") == b"\x80\x07\x01"
        assert await probe.command(b"\x07") == b"\x80\x07\x04"  # already running
        assert await probe.command(b"\x81") == b"\x80\x81\x02"  # RFU op code
        assert await probe.command(b"\x06\x8c") == b"\x80\x06\x02"  # HR target: not supported
        assert await probe.command(b"\x08\x03") == b"\x80\x08\x03"  # bad control value
        assert await probe.command(b"\x08\x01") == b"\x80\x08\x01"
        assert await probe.command(b"\x08\x01") == b"\x80\x08\x04"  # already stopped
        assert await probe.command(b"\x01") == b"\x80\x01\x01"  # Reset revokes control
        assert await probe.command(b"\x07") == b"\x80\x07\x05"

    run_sim(scenario)


def test_one_procedure_at_a_time_and_the_first_indication_still_arrives() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> None:
        probe = await Probe(air).open()
        await probe.write(b"\x00")
        with pytest.raises(BleakGATTProtocolError) as caught:
            await probe.write(b"\x07")
        assert caught.value.code == 0xFE
        assert await asyncio.wait_for(probe.indications.get(), 2.0) == b"\x80\x00\x01"
        assert probe.indications.empty()
        assert await probe.command(b"\x07") == b"\x80\x07\x01"

    run_sim(scenario)


def test_slow_response_personality_answers_after_about_a_second() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> float:
        probe = await Probe(air).open()
        loop = asyncio.get_running_loop()
        start_s = loop.time()
        assert await probe.command(b"\x00") == b"\x80\x00\x01"
        return loop.time() - start_s

    assert run_sim(scenario, personality("slow-response")) == pytest.approx(1.0, abs=0.05)


def test_speed_commands_move_the_belt_gradually_as_seen_in_treadmill_data() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> list[float]:
        probe = await Probe(air).open()
        for command in (b"\x00", b"\x07", b"\x02\x58\x02"):  # 6.00 km/h
            assert (await probe.command(command))[2] == 1
        await asyncio.sleep(12)
        assembler = ftms.RecordAssembler()
        speeds = []
        for frame in probe.frames:
            record = assembler.feed(frame)
            if record is not None and record.speed_kmh is not None:
                speeds.append(record.speed_kmh)
        return speeds

    speeds = run_sim(scenario)
    assert speeds[-1] == 6.0
    assert all(b - a <= 0.8 + 0.1 + 1e-9 for a, b in itertools.pairwise(speeds))
    assert len(set(speeds)) > 5  # it ramped through many speeds, no instant jump


@pytest.mark.parametrize(("att_mtu", "notifications"), [(23, 2), (247, 1)])
def test_treadmill_data_is_split_to_fit_the_mtu(att_mtu: int, notifications: int) -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> list[bytes]:
        probe = await Probe(air, att_mtu=att_mtu).open()
        await probe.command(b"\x00")
        await probe.command(b"\x07")
        probe.frames.clear()
        await asyncio.sleep(10.01)
        return probe.frames

    frames = run_sim(scenario)
    assert len(frames) == 10 * notifications
    assert all(len(f) <= att_mtu - 3 for f in frames)
    decoded = [ftms.decode_treadmill_data(f) for f in frames[-notifications:]]
    assert [d.more_data for d in decoded] == [True] * (notifications - 1) + [False]
    last = decoded[-1]
    assert last.speed_kmh == pytest.approx(0.5)
    merged = {k: v for d in decoded for k, v in vars_of(d).items() if v is not None}
    assert merged["elapsed_time_s"] >= 9
    assert merged["total_distance_m"] >= 1
    assert merged["heart_rate_bpm"] > 70
    assert "inclination_pct" in merged and "total_energy_kcal" in merged


def vars_of(record: ftms.TreadmillData) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__dataclass_fields__}


def test_status_goes_to_other_clients_console_actions_to_all_control_lost_to_holder() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> None:
        a = await Probe(air).open()
        b = await Probe(air).open()
        await a.command(b"\x00")
        await a.command(b"\x07")
        await a.command(b"\x02\x2c\x01")  # 3.00 km/h
        await asyncio.sleep(0.1)
        assert b"\x05\x2c\x01" in b.status and b"\x05\x2c\x01" not in a.status
        assert b"\x04" in b.status and b"\x04" not in a.status
        a.status.clear()
        b.status.clear()
        tm.inject(FaultKind.CONSOLE_SPEED_UP)
        await asyncio.sleep(0.1)
        assert a.status == b.status == [b"\x05\xf4\x01"]  # 5.00 km/h
        await b.command(b"\x00")  # b takes control: a is told it lost it
        await asyncio.sleep(0.1)
        assert a.status[-1] == b"\xff" and b"\xff" not in b.status
        assert await a.command(b"\x08\x01") == b"\x80\x08\x05"

    run_sim(scenario)


def test_training_status_is_notified_on_start_and_stop() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> list[bytes]:
        probe = await Probe(air).open()
        for command in (b"\x00", b"\x07", b"\x08\x01"):
            await probe.command(command)
        await asyncio.sleep(0.1)
        return probe.training

    assert run_sim(scenario) == [b"\x00\x0d", b"\x00\x0f"]


def test_disconnect_fault_reaches_disconnected_callback_and_reconnect_works_later() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> None:
        probe = await Probe(air).open()
        await probe.command(b"\x00")
        await probe.command(b"\x07")
        await probe.command(b"\x02\x90\x01")  # 4.00 km/h
        await asyncio.sleep(30.5)
        assert probe.disconnects == 1 and not probe.client.is_connected
        assert tm.control_holder is None
        with pytest.raises(BleakDeviceNotFoundError):
            await probe.client.connect()
        await asyncio.sleep(2.5)
        assert tm.mode is BeltMode.STOPPED  # spec default: stops 2 s after the link drops
        await Probe(air).open()
        assert await BleakScanner.find_device_by_address(ADDRESS, 1.0, backend=SimBleakScanner)

    run_sim(scenario, faults=[parse_fault("disconnect@30")])


def test_keeps_running_on_disconnect_personality_over_bleak() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> None:
        probe = await Probe(air).open()
        await probe.command(b"\x00")
        await probe.command(b"\x07")
        await asyncio.sleep(40)
        assert probe.disconnects == 1
        assert tm.mode is BeltMode.RUNNING and tm.belt_speed_kmh == pytest.approx(0.5)

    run_sim(
        scenario, personality("keeps-running-on-disconnect"), faults=[parse_fault("disconnect@10")]
    )


def test_stale_fault_stops_data_but_not_the_link() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> None:
        probe = await Probe(air).open()
        await probe.command(b"\x00")
        await probe.command(b"\x07")
        await asyncio.sleep(10.5)
        probe.frames.clear()
        await asyncio.sleep(10)
        assert probe.frames == [] and probe.client.is_connected
        assert await probe.command(b"\x08\x01") == b"\x80\x08\x01"
        await asyncio.sleep(10)
        assert probe.frames != []  # the stale spell lasted 15 s

    run_sim(scenario, faults=[parse_fault("stale@10+15")])


def test_ignore_and_reject_commands_faults() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> None:
        probe = await Probe(air).open()
        await probe.command(b"\x00")
        await probe.command(b"\x07")
        await asyncio.sleep(11)
        assert await probe.command(b"\x02\x58\x02") == b"\x80\x02\x01"
        assert tm.target_speed_kmh == 0.5  # ignored
        await asyncio.sleep(10)
        assert await probe.command(b"\x08\x01") == b"\x80\x08\x04"  # rejected
        assert tm.mode is BeltMode.RUNNING

    run_sim(
        scenario,
        faults=[parse_fault("ignore-commands@10+5"), parse_fault("reject-commands@20")],
    )


def test_padded_status_personality() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> list[bytes]:
        probe = await Probe(air).open()
        tm.inject(FaultKind.CONSOLE_STOP)
        tm.start(None)
        await asyncio.sleep(0.1)
        return probe.status

    assert run_sim(scenario, personality("padded-status")) == [b"\x02\x01\x00", b"\x04\x00\x00"]


def test_mph_range_and_half_kmh_and_no_incline_personalities() -> None:
    async def read(tm: SimulatedTreadmill, air: SimAir) -> tuple[bytes, bytes, list[str]]:
        async with BleakClient(ADDRESS, backend=SimBleakClient) as client:
            uuids = [c.uuid for c in client.services.characteristics.values()]
            return (
                bytes(await client.read_gatt_char(ftms.FEATURE_UUID)),
                bytes(await client.read_gatt_char(ftms.SPEED_RANGE_UUID)),
                uuids,
            )

    _, mph, _ = run_sim(read, personality("mph-range"))
    assert ftms.decode_speed_range(mph) == ftms.SpeedRange(0.6, 3.8, 0.1)
    _, half, _ = run_sim(read, personality("half-kmh-steps"))
    assert ftms.decode_speed_range(half).increment_kmh == 0.5
    feature, _, uuids = run_sim(read, personality("no-incline"))
    assert ftms.INCLINE_RANGE_UUID not in uuids
    features = ftms.decode_feature(feature)
    assert ftms.TargetSetting.INCLINATION not in features.targets
    assert ftms.MachineFeature.INCLINATION not in features.machine


def test_no_incline_rejects_incline_and_needs_start_ignores_speed_over_bleak() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> None:
        probe = await Probe(air).open()
        await probe.command(b"\x00")
        assert await probe.command(b"\x03\x0a\x00") == b"\x80\x03\x02"
        assert await probe.command(b"\x02\x2c\x01") == b"\x80\x02\x01"
        assert tm.target_speed_kmh == 0.0  # needs Start first

    config = replace(personality("no-incline"), needs_start_before_speed=True)
    run_sim(scenario, config)


def test_a_sixty_minute_run_with_1hz_data_takes_under_a_second() -> None:
    async def scenario(tm: SimulatedTreadmill, air: SimAir) -> tuple[int, float]:
        probe = await Probe(air).open()
        await probe.command(b"\x00")
        await probe.command(b"\x07")
        await probe.command(b"\x02\xf4\x01")  # 5.00 km/h
        await asyncio.sleep(3600)
        await probe.command(b"\x08\x01")
        return len(probe.frames), tm.distance_m

    started = time.perf_counter()
    frames, distance_m = run_sim(scenario)
    wall_s = time.perf_counter() - started
    assert frames == pytest.approx(2 * 3600, abs=4)  # two notifications per record at MTU 23
    assert distance_m == pytest.approx(5000, rel=0.01)
    assert wall_s < 1.0
