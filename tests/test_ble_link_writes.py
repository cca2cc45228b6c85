"""Every Control Point write the client makes on its own account reaches its listeners as a
``LinkWrite`` with the treadmill's answer; a target outside the range is refused locally
(``OutOfRange``) with nothing written. All through the real BleakClient over the simulator's
bleak backend, with the simulator's own record of what it executed as the witness."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simulators.bleak_backend import SimAir
from simulators.faults import FaultKind
from simulators.treadmill import SimulatedTreadmill
from treadctl.ble.client import FtmsClient
from treadctl.ble.quirks import DeviceQuirks
from treadctl.link import ControlNotPermitted, LinkWrite, MachineEvent, OutOfRange
from treadctl.simulated_link import simulated_link
from treadctl.virtual_time import run_virtual


@pytest.fixture
def air() -> Iterator[SimAir]:
    sim_air = SimAir()
    yield sim_air
    sim_air.clear()


class Writes:
    """The client's own writes, and how many procedures the supervisor-side calls asked for."""

    def __init__(self, client: FtmsClient) -> None:
        self.events: list[MachineEvent] = []
        client.add_listener(self.events.append)

    @property
    def own(self) -> list[LinkWrite]:
        return [e for e in self.events if isinstance(e, LinkWrite)]


def executed(treadmill: SimulatedTreadmill) -> list[str]:
    return [h.what for h in treadmill.commands()]


def test_request_control_twice_second_write_is_the_clients_own(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(
            sim_air=air, quirks=DeviceQuirks(request_control_twice=True)
        )
        await client.connect()
        writes = Writes(client)
        await client.request_control()  # the caller's write, then the quirk's
        assert executed(treadmill) == ["request control", "request control"]
        [own] = writes.own
        assert own.op == "request_control" and "request-control-twice" in own.why
        assert own.result == "success"
        await client.disconnect()

    run_virtual(scenario())


def test_automatic_request_control_after_control_lost_and_after_reset(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air)
        await client.connect()
        writes = Writes(client)
        await client.start()  # first command: control is asked for automatically
        [first] = writes.own
        assert (first.op, first.result) == ("request_control", "success")
        assert "before start" in first.why and "new" in first.why

        treadmill.inject(FaultKind.CONTROL_LOST)  # status 0xFF to us
        await _settle()
        await client.stop()
        second = writes.own[1]
        assert second.op == "request_control" and "0xFF" in second.why

        await client.reset()
        await client.start()
        third = writes.own[2]
        assert third.op == "request_control" and "Reset" in third.why
        assert executed(treadmill) == [
            "request control",
            "start",
            "request control",
            "stop",
            "reset",
            "request control",
            "start",
        ]
        await client.disconnect()

    run_virtual(scenario())


def test_automatic_request_control_after_a_control_not_permitted_answer(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(sim_air=air)
        await client.connect()
        await client.start()
        writes = Writes(client)
        treadmill.control_holder = "someone else"  # taken without a 0xFF reaching us
        with pytest.raises(ControlNotPermitted):
            await client.stop()
        await client.stop()
        [own] = writes.own
        assert own.op == "request_control" and "0x05" in own.why and own.result == "success"
        assert executed(treadmill)[-3:] == ["stop without control", "request control", "stop"]
        await client.disconnect()

    run_virtual(scenario())


def test_control_preamble_writes_are_the_clients_own(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link(
            sim_air=air, quirks=DeviceQuirks(control_preamble_before_targets=True)
        )
        await client.connect()
        await client.start()
        writes = Writes(client)
        await client.set_speed(3.0)
        ops = [(w.op, w.result) for w in writes.own]
        assert ops == [("request_control", "success"), ("start", "operation_failed")]
        assert all("control-preamble" in w.why for w in writes.own)
        assert executed(treadmill)[-3:] == [
            "request control",
            "start",
            "set target speed 3.00 km/h",
        ]
        await client.disconnect()

    run_virtual(scenario())


def test_held_target_sent_after_start_is_the_clients_own(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link("needs-start-before-speed", sim_air=air)
        await client.connect()
        writes = Writes(client)
        assert await client.set_speed(2.0) == 2.0  # held: the belt is stopped
        assert executed(treadmill) == []
        await client.start()
        held = [w for w in writes.own if w.op == "set_speed"]
        assert len(held) == 1 and held[0].speed_kmh == 2.0 and held[0].result == "success"
        assert "held back" in held[0].why
        assert executed(treadmill)[-1] == "set target speed 2.00 km/h"
        await client.disconnect()

    run_virtual(scenario())


def test_out_of_range_is_local_and_writes_nothing(air: SimAir) -> None:
    async def scenario() -> None:
        client, treadmill = simulated_link("half-kmh-steps", sim_air=air)
        await client.connect()
        writes = Writes(client)
        for speed in (0.9, 6.2, float("inf")):
            with pytest.raises(OutOfRange) as caught:
                await client.set_speed(speed)
            assert caught.value.op == "set_speed" and "nothing was sent" in str(caught.value)
        assert executed(treadmill) == [] and writes.own == []
        await client.disconnect()

    run_virtual(scenario())


OPS = st.lists(
    st.sampled_from(["start", "stop", "speed", "incline", "reset", "lose", "take"]),
    min_size=1,
    max_size=12,
)
QUIRKS = st.builds(
    DeviceQuirks,
    control_preamble_before_targets=st.booleans(),
    start_before_speed=st.booleans(),
    request_control_twice=st.booleans(),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(ops=OPS, quirks=QUIRKS)
def test_every_write_is_a_call_or_a_link_write(ops: list[str], quirks: DeviceQuirks) -> None:
    """Whatever the order of calls and the quirks: what the treadmill executed is exactly the
    writes the calls made directly plus the client's own (``LinkWrite``) ones."""

    async def scenario() -> None:
        sim_air = SimAir()
        client, treadmill = simulated_link(sim_air=sim_air, quirks=quirks)
        await client.connect()
        writes = Writes(client)
        direct = 0
        for op in ops:
            before_own, before = len(writes.own), len(treadmill.commands())
            try:
                await _call(client, treadmill, op)
            except Exception as error:  # the treadmill's refusals are part of the sequence
                assert type(error).__name__ != "AssertionError"
            await _settle()
            made = len(treadmill.commands()) - before
            own = len(writes.own) - before_own
            assert 0 <= made - own <= 1  # at most one write per call is the caller's
            direct += made - own
        assert len(treadmill.commands()) == direct + len(writes.own)
        await client.disconnect()
        sim_air.clear()

    run_virtual(scenario())


def test_an_mph_device_gets_mph_on_the_wire_and_everyone_else_hears_kmh(air: SimAir) -> None:
    """The simulator reads the speed field as km/h, so its record shows the mph number written;
    the caller's answer and the client's own LinkWrite (a held target) stay in km/h."""

    async def scenario() -> None:
        quirks = DeviceQuirks(speed_commands_in_mph=True, start_before_speed=True)
        client, treadmill = simulated_link(quirks=quirks, sim_air=air)
        writes = Writes(client)
        await client.connect()
        assert await client.set_speed(8.0) == 8.0  # held: the belt is stopped
        await client.start()
        assert await client.set_speed(4.0) == 4.0
        assert executed(treadmill)[-3:] == [
            "start",
            "set target speed 4.97 km/h",  # 8 km/h = 4.97 mph
            "set target speed 2.49 km/h",  # 4 km/h = 2.49 mph
        ]
        [held] = [w for w in writes.own if w.op == "set_speed"]
        assert held.speed_kmh == 8.0 and held.result == "success"
        await client.disconnect()

    run_virtual(scenario())


async def _call(client: FtmsClient, treadmill: SimulatedTreadmill, op: str) -> Any:
    if op == "start":
        return await client.start()
    if op == "stop":
        return await client.stop()
    if op == "speed":
        return await client.set_speed(2.5)
    if op == "incline":
        return await client.set_incline(1.0)
    if op == "reset":
        return await client.reset()
    if op == "lose":
        return treadmill.inject(FaultKind.CONTROL_LOST)
    treadmill.control_holder = "someone else"
    return None


async def _settle() -> None:
    import asyncio

    await asyncio.sleep(0.2)
