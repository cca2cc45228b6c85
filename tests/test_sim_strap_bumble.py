"""The simulated strap over real ATT (bumble), read by the real strap link through bleak."""

from __future__ import annotations

import asyncio

import pytest

pytest.importorskip("bumble")

from simulators.bumble_radio import BumbleAir, BumbleBleakClient
from simulators.bumble_strap import STRAP_BUMBLE_ADDRESS, add_bumble_strap
from simulators.strap import SimulatedStrap, parse_schedule, parse_strap_fault
from treadctl import hrs
from treadctl.ble.heart_rate import (
    HeartRateStrap,
    StrapBattery,
    StrapEvent,
    StrapLinkChanged,
    StrapMeasurement,
)
from treadctl.virtual_time import run_virtual


def test_the_strap_link_reads_the_bumble_strap() -> None:
    async def main() -> list[StrapEvent]:
        air = BumbleAir()
        strap = SimulatedStrap(parse_schedule("90,150@20"), (parse_strap_fault("battery-low@8"),))
        await add_bumble_strap(air, strap)
        link = HeartRateStrap(
            STRAP_BUMBLE_ADDRESS,
            client_backend=BumbleBleakClient,
            backend_kwargs={"bumble_air": air},
        )
        events: list[StrapEvent] = []
        link.add_listener(events.append)
        try:
            info = await link.connect()
            assert info.location is hrs.BodySensorLocation.CHEST
            assert info.battery_pct == 87
            await asyncio.sleep(12.5)
        finally:
            await link.close()
            await air.close()
        return events

    events = run_virtual(main())
    assert isinstance(events[0], StrapLinkChanged) and events[0].up
    readings = [e.measurement for e in events if isinstance(e, StrapMeasurement)]
    assert len(readings) >= 10
    assert readings[0].bpm < readings[-1].bpm <= 150
    assert all(m.in_contact and m.rr_intervals_s for m in readings)
    batteries = [e.percent for e in events if isinstance(e, StrapBattery)]
    assert batteries[0] == 87 and 9 in batteries  # read on connect, then notified


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["sim", "--sim-hr", "abc"], "bad --sim-hr"),
        (["sim", "--sim-hr-fault", "melt@3"], "unknown strap fault 'melt'"),
        (["sim", "--sim-hr", "90", "--transport", "usb:0"], "needs the virtual link"),
    ],
)
def test_sim_strap_bad_input_is_one_line_and_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from treadctl.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err and err.count("\n") == 1


def test_sim_serves_a_strap_beside_the_treadmill(capsys: pytest.CaptureFixture[str]) -> None:
    import socket

    from treadctl.cli import main

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    argv = ["sim", "--transport", f"tcp-server:127.0.0.1:{port}", "--duration", "0.5"]
    assert main([*argv, "--sim-hr", "90,120@60"]) == 0
    out = capsys.readouterr().out
    assert f"heart-rate strap {STRAP_BUMBLE_ADDRESS}" in out
