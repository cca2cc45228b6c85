"""The simulator over real ATT: a bumble peripheral and a bumble central on one LocalLink,
driven through the real bleak front end (``backend=BumbleBleakClient``)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import pytest

pytest.importorskip("bumble")

from bleak import BleakClient
from bleak.exc import BleakGATTProtocolError

from simulators import BeltMode, SimulatedTreadmill, parse_fault
from simulators.bumble_radio import BumbleAir, BumbleBleakClient, advertising_data
from treadctl import ftms
from treadctl.virtual_time import run_virtual

T = TypeVar("T")
ADDRESS = "F0:F0:F0:F0:F0:01"


def run_air(
    scenario: Callable[[SimulatedTreadmill, BleakClient, dict[str, list[bytes]]], Awaitable[T]],
    **kwargs: Any,
) -> T:
    async def main() -> T:
        tm = SimulatedTreadmill(faults=kwargs.pop("faults", ()))
        air = BumbleAir()
        await air.add(tm, address=ADDRESS)
        seen: dict[str, list[bytes]] = {"disconnects": []}
        client = BleakClient(
            ADDRESS,
            disconnected_callback=lambda _: seen["disconnects"].append(b""),
            backend=BumbleBleakClient,
            bumble_air=air,
            **kwargs,
        )
        await client.connect()
        try:
            return await scenario(tm, client, seen)
        finally:
            await client.disconnect()
            await air.close()
            tm.close()

    return run_virtual(main())


async def subscribe(client: BleakClient, seen: dict[str, list[bytes]]) -> asyncio.Queue[bytes]:
    indications: asyncio.Queue[bytes] = asyncio.Queue()
    seen["data"], seen["status"] = [], []
    await client.start_notify(ftms.TREADMILL_DATA_UUID, lambda _, d: seen["data"].append(bytes(d)))
    await client.start_notify(
        ftms.MACHINE_STATUS_UUID, lambda _, d: seen["status"].append(bytes(d))
    )
    await client.start_notify(
        ftms.CONTROL_POINT_UUID, lambda _, d: indications.put_nowait(bytes(d))
    )
    return indications


async def command(client: BleakClient, queue: asyncio.Queue[bytes], data: bytes) -> bytes:
    await client.write_gatt_char(ftms.CONTROL_POINT_UUID, data, response=True)
    return await asyncio.wait_for(queue.get(), 2.0)


def test_advertisement_carries_the_ftms_uuid_and_treadmill_service_data() -> None:
    adv = advertising_data("treadctl sim")
    assert bytes((0x03, 0x03, 0x26, 0x18)) in adv  # complete list of 16-bit UUIDs: 0x1826
    assert bytes((0x06, 0x16, 0x26, 0x18, 0x01, 0x01, 0x00)) in adv  # reference.md §1.1


def test_gatt_table_and_reads_over_real_att() -> None:
    async def scenario(tm: SimulatedTreadmill, client: BleakClient, seen: Any) -> None:
        cp = client.services.get_characteristic(ftms.CONTROL_POINT_UUID)
        assert cp is not None and sorted(cp.properties) == ["indicate", "write"]
        assert cp.get_descriptor(ftms.CCCD_UUID) is not None
        speed = ftms.decode_speed_range(await client.read_gatt_char(ftms.SPEED_RANGE_UUID))
        assert speed == ftms.SpeedRange(0.5, 16.0, 0.1)

    run_air(scenario)


def test_control_point_rules_over_real_att() -> None:
    async def scenario(tm: SimulatedTreadmill, client: BleakClient, seen: Any) -> None:
        with pytest.raises(BleakGATTProtocolError) as caught:
            await client.write_gatt_char(ftms.CONTROL_POINT_UUID, b"\x00", response=True)
        assert caught.value.code == 0xFD
        queue = await subscribe(client, seen)
        assert await command(client, queue, b"\x07") == b"\x80\x07\x05"
        assert await command(client, queue, b"\x00") == b"\x80\x00\x01"
        await client.write_gatt_char(ftms.CONTROL_POINT_UUID, b"\x07", response=True)
        with pytest.raises(BleakGATTProtocolError) as caught:
            await client.write_gatt_char(ftms.CONTROL_POINT_UUID, b"\x08\x01", response=True)
        assert caught.value.code == 0xFE
        assert await asyncio.wait_for(queue.get(), 2.0) == b"\x80\x07\x01"
        assert await command(client, queue, b"\x02\xa4\x06") == b"\x80\x02\x03"
        assert await command(client, queue, b"\x02\x2c\x01") == b"\x80\x02\x01"
        await asyncio.sleep(10)
        assert tm.belt_speed_kmh == pytest.approx(3.0)

    run_air(scenario)


@pytest.mark.parametrize(("att_mtu", "per_record"), [(None, 2), (247, 1)])
def test_treadmill_data_split_follows_the_negotiated_mtu(
    att_mtu: int | None, per_record: int
) -> None:
    async def scenario(tm: SimulatedTreadmill, client: BleakClient, seen: Any) -> list[bytes]:
        queue = await subscribe(client, seen)
        await command(client, queue, b"\x00")
        await command(client, queue, b"\x07")
        seen["data"].clear()
        await asyncio.sleep(5.01)
        return list(seen["data"])

    frames = run_air(scenario, att_mtu=att_mtu)
    assert len(frames) == 5 * per_record
    assembler = ftms.RecordAssembler()
    records = [r for r in (assembler.feed(f) for f in frames) if r is not None]
    assert len(records) == 5 and records[-1].speed_kmh == pytest.approx(0.5)


def test_disconnect_fault_reaches_the_bleak_disconnected_callback_over_att() -> None:
    async def scenario(tm: SimulatedTreadmill, client: BleakClient, seen: Any) -> None:
        queue = await subscribe(client, seen)
        await command(client, queue, b"\x00")
        await command(client, queue, b"\x07")
        await asyncio.sleep(6)
        assert seen["disconnects"] == [b""] and not client.is_connected
        await asyncio.sleep(3)
        assert tm.mode is BeltMode.STOPPED
        await client.connect()  # the treadmill advertises again after a moment
        assert client.is_connected

    run_air(scenario, faults=[parse_fault("disconnect@5")])
