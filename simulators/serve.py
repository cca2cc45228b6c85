"""Run a simulated treadmill as its own process over bumble (``treadctl sim``, ``python -m
simulators``): on a virtual link that a bumble host in another terminal joins over TCP, or on a
Bluetooth adapter bumble can drive, as a real advertising BLE treadmill."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Sequence
from typing import Any

from simulators.faults import Fault
from simulators.personalities import SimConfig
from simulators.treadmill import HistoryEntry, SimulatedTreadmill

STATUS_EVERY_S = 10.0


def _print_command(entry: HistoryEntry) -> None:
    result = entry.result.name.lower() if entry.result is not None else "?"
    print(f"command {entry.origin or '-'}: {entry.what} -> {result}", flush=True)


class TransportUnavailable(Exception):
    """The bumble transport could not be opened (no dongle, port taken, bad spec)."""

    def __init__(self, transport: str, error: BaseException) -> None:
        detail = str(error) or type(error).__name__
        if transport.startswith("usb"):
            detail = f"no usable USB Bluetooth dongle ({detail})"
        super().__init__(
            f"cannot open transport {transport!r}: {detail}; for a virtual link use "
            "--transport tcp-server:127.0.0.1:9100"
        )


async def serve(
    config: SimConfig,
    faults: Sequence[Fault],
    *,
    transport: str,
    name: str,
    address: str,
    duration_s: float | None = None,
    show_commands: bool = False,
    strap: Any = None,
) -> None:
    """Serve until ``duration_s`` (or forever), printing the belt's state now and then."""
    from bumble.controller import Controller
    from bumble.transport import open_transport

    from simulators.bumble_radio import BumbleAir, BumbleTreadmill

    treadmill = SimulatedTreadmill(config, faults=list(faults))
    if show_commands:
        treadmill.on_command = _print_command
    try:
        opened = await open_transport(transport)
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except BaseException as error:  # bumble, libusb and pyserial raise their own types
        raise TransportUnavailable(transport, error) from error
    async with opened as (source, sink):
        if transport.startswith(("tcp-server", "ws-server", "pty")):
            # A virtual controller for the remote host, on the same link as the treadmill.
            air = BumbleAir()
            await air.add(treadmill, address=address, name=name)
            Controller("remote", host_source=source, host_sink=sink, link=air.link)
            where = f"virtual link; connect a bumble host to the other end of {transport}"
            if strap is not None:  # a simulated heart-rate strap beside the treadmill
                from simulators.bumble_strap import STRAP_BUMBLE_ADDRESS, add_bumble_strap

                await add_bumble_strap(air, strap)
                print(f"treadctl sim: heart-rate strap {STRAP_BUMBLE_ADDRESS}", flush=True)
        else:
            peripheral = BumbleTreadmill.on_transport(treadmill, name, address, source, sink)
            await peripheral.start()
            where = f"advertising on {transport}"
        print(f"treadctl sim: {name!r} ({config.name}) {address}: {where}", flush=True)
        for fault in faults:
            print(f"treadctl sim: fault {fault} (seconds after the first Start)", flush=True)
        loop = asyncio.get_running_loop()
        end_s = None if duration_s is None else loop.time() + duration_s
        while end_s is None or loop.time() < end_s:
            await asyncio.sleep(
                STATUS_EVERY_S if end_s is None else min(STATUS_EVERY_S, end_s - loop.time())
            )
            snap = treadmill.snapshot()
            print(
                f"belt {snap.mode.value:8} {snap.speed_kmh:5.1f} km/h (target "
                f"{snap.target_speed_kmh:4.1f}) incline {snap.incline_pct:4.1f} % "
                f"{snap.distance_m:7.0f} m  control: {treadmill.control_holder or '-'}",
                file=sys.stdout,
                flush=True,
            )
        treadmill.close()
