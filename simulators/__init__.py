"""A software FTMS treadmill: belt physics, the Control Point rules, quirks and faults.

Every test and every dry run drives this instead of a real treadmill. It runs on the event loop's
clock, so on :class:`treadctl.virtual_time.VirtualTimeLoop` an hour of belt time takes well under a
second.

Using it from bleak-based code (no Bluetooth hardware needed)::

    from bleak import BleakClient, BleakScanner
    from simulators import SimulatedTreadmill, personality, parse_fault
    from simulators.bleak_backend import SimAir, SimBleakClient, SimBleakScanner

    async def main() -> None:          # run with treadctl.virtual_time.run_virtual(main())
        tm = SimulatedTreadmill(
            personality("spec"),                   # or "slow-response", "mph-range", ...
            faults=[parse_fault("console-stop@300")],  # seconds after the belt's first Start
        )
        air = SimAir.default()                     # the registry the backends look in
        air.add(tm, address="SIM-TREADMILL-1", name="treadctl sim")
        device = await BleakScanner.find_device_by_address(
            "SIM-TREADMILL-1", backend=SimBleakScanner
        )
        async with BleakClient(device, disconnected_callback=..., backend=SimBleakClient) as c:
            ...                                    # the real FTMS client code path
        air.remove("SIM-TREADMILL-1")              # or air.clear(); tm.close()

* Create the treadmill inside the running loop (it binds to it and reads ``loop.time()``).
* A private registry instead of the default: ``air = SimAir()`` and pass ``sim_air=air`` to
  ``BleakScanner(...)`` / ``BleakClient(...)`` (bleak forwards extra keywords to the backend).
  ``att_mtu=247`` on ``BleakClient`` sets the negotiated MTU (default 23, so a full Treadmill
  Data record arrives as two notifications, as on many real treadmills).
* The advertisement carries service UUID 0x1826 and FTMS service data ``01 01 00`` (available,
  treadmill); ``BleakScanner(service_uuids=[FTMS_SERVICE_UUID])`` finds it.
* What the belt really did: ``tm.belt_speed_kmh``, ``tm.target_speed_kmh``, ``tm.incline_pct``,
  ``tm.mode`` (stopped/running/paused), ``tm.distance_m``, ``tm.elapsed_s``, ``tm.energy_kcal``,
  ``tm.control_holder``, ``tm.history`` / ``tm.commands()``, ``tm.faults_fired``.
* Faults at a chosen moment: ``tm.schedule_fault(parse_fault("disconnect@60"))``, or right now:
  ``tm.inject(FaultKind.SAFETY_KEY)``. ``fault_clock="power-on"`` counts from creation instead
  of from the first Start.
* Personalities: ``PERSONALITIES`` / ``describe_personalities()``; tweak one with
  ``dataclasses.replace(personality("spec"), response_delay_s=0.5)``.
* Real ATT over bumble: :mod:`simulators.bumble_radio` (optional dependency ``bumble``).
"""

from __future__ import annotations

import importlib

TYPE_CHECKING = False  # not typing's: `treadctl --help` does not load typing (mypy reads both)
if TYPE_CHECKING:
    from simulators.faults import Fault, FaultKind, FaultSpecError, parse_fault
    from simulators.personalities import (
        PERSONALITIES,
        SimConfig,
        UnknownPersonality,
        describe_personalities,
        personality,
    )
    from simulators.treadmill import BeltMode, SimulatedTreadmill

# Name -> the module that defines it. Loaded on first use, so ``treadctl sim --help`` (which
# imports ``simulators.cli``) does not pay for asyncio and the belt model.
_HOMES = {
    "Fault": "simulators.faults",
    "FaultKind": "simulators.faults",
    "FaultSpecError": "simulators.faults",
    "parse_fault": "simulators.faults",
    "PERSONALITIES": "simulators.personalities",
    "SimConfig": "simulators.personalities",
    "UnknownPersonality": "simulators.personalities",
    "describe_personalities": "simulators.personalities",
    "personality": "simulators.personalities",
    "BeltMode": "simulators.treadmill",
    "SimulatedTreadmill": "simulators.treadmill",
}

__all__ = [
    "PERSONALITIES",
    "BeltMode",
    "Fault",
    "FaultKind",
    "FaultSpecError",
    "SimConfig",
    "SimulatedTreadmill",
    "UnknownPersonality",
    "describe_personalities",
    "parse_fault",
    "personality",
]


def __getattr__(name: str) -> object:
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'simulators' has no attribute {name!r}")
    value = vars(importlib.import_module(home))[name]
    globals()[name] = value
    return value
