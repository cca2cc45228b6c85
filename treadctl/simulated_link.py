"""A client wired to the simulator: the real bleak front end over ``simulators.bleak_backend``.

``run --simulate``, ``scan --simulate``, ``probe --simulate`` and the tests build their link here,
so the simulated path runs exactly the code a real treadmill gets. The quirks a simulator
personality needs are the ones a user would configure for the real device it imitates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from treadctl.ble.client import FtmsClient
from treadctl.ble.quirks import PRESETS, DeviceQuirks

if TYPE_CHECKING:
    from simulators.bleak_backend import SimAir
    from simulators.faults import Fault
    from simulators.strap import SimulatedStrap
    from simulators.treadmill import SimulatedTreadmill
    from treadctl.ble.device_config import DeviceSettings
    from treadctl.ble.heart_rate import HeartRateStrap

SIM_ADDRESS = "SIM-TREADMILL-1"
SIM_NAME = "treadctl sim"

# Simulator personality -> the quirk preset its real counterpart needs (others: spec).
PERSONALITY_QUIRKS: dict[str, str] = {
    "needs-start-before-speed": "start-before-speed",
    "mph-range": "mph-range",
    "slow-response": "slow-response",
    "very-slow-response": "slow-response",
}


def quirks_for_personality(personality: str) -> DeviceQuirks:
    return PRESETS[PERSONALITY_QUIRKS.get(personality, "spec")]


def _personality_quirks(personality: str) -> DeviceQuirks | None:
    """The preset a personality's real counterpart needs (None: the spec behaviour)."""
    preset = PERSONALITY_QUIRKS.get(personality)
    return PRESETS[preset] if preset is not None else None


def add_simulated_treadmill(
    personality: str = "spec",
    faults: Sequence[str | Fault] = (),
    *,
    address: str = SIM_ADDRESS,
    name: str = SIM_NAME,
    rssi_dbm: int = -58,
    sim_air: SimAir | None = None,
) -> SimulatedTreadmill:
    """Put a simulated treadmill on the (default) simulated air; raises ValueError on bad input."""
    from simulators.bleak_backend import SimAir
    from simulators.faults import Fault, parse_fault
    from simulators.personalities import personality as preset
    from simulators.treadmill import SimulatedTreadmill

    parsed = [f if isinstance(f, Fault) else parse_fault(f) for f in faults]
    treadmill = SimulatedTreadmill(preset(personality), faults=parsed)
    (sim_air or SimAir.default()).add(treadmill, address=address, name=name, rssi_dbm=rssi_dbm)
    return treadmill


def simulated_link(
    personality: str = "spec",
    faults: Sequence[str | Fault] = (),
    *,
    address: str = SIM_ADDRESS,
    name: str = SIM_NAME,
    quirks: DeviceQuirks | None = None,
    sim_air: SimAir | None = None,
    att_mtu: int | None = None,
    connect_attempts: int = 3,
    device_settings: Mapping[str, DeviceSettings] | None = None,
) -> tuple[FtmsClient, SimulatedTreadmill]:
    """A simulated treadmill on the air and an ``FtmsClient`` for it (not yet connected).

    ``personality`` and ``faults`` use the simulator's names (``treadctl sim --help``); the
    client gets the quirks that personality calls for unless ``quirks`` (``--quirks``) or a
    ``device_settings`` table (``[devices]``) says otherwise, as for a real treadmill whose
    quirks are known.
    """
    from simulators.bleak_backend import SimBleakClient, SimBleakScanner

    treadmill = add_simulated_treadmill(
        personality, faults, address=address, name=name, sim_air=sim_air
    )
    backend_kwargs: dict[str, object] = {}
    if sim_air is not None:
        backend_kwargs["sim_air"] = sim_air
    if att_mtu is not None:
        backend_kwargs["att_mtu"] = att_mtu
    client = FtmsClient(
        address,
        quirks,
        device_settings=device_settings,
        default_quirks=_personality_quirks(personality),
        default_quirks_source=f"simulator personality {personality}",
        client_backend=SimBleakClient,
        scanner_backend=SimBleakScanner,
        backend_kwargs=backend_kwargs,
        connect_attempts=connect_attempts,
        scan_timeout_s=3.0,
    )
    return client, treadmill


def simulated_strap(
    schedule: str | None, faults: Sequence[str], address: str | None = None
) -> tuple[HeartRateStrap, SimulatedStrap]:
    """``--sim-hr``: a simulated strap on the simulated air, and the real strap client over it.
    A bad schedule or fault is a UsageError (exit 2)."""
    from simulators.bleak_backend import SimBleakClient, SimBleakScanner
    from simulators.strap import STRAP_ADDRESS, StrapSpecError, add_simulated_strap
    from treadctl.ble.heart_rate import HeartRateStrap
    from treadctl.errors import UsageError

    try:
        sim = add_simulated_strap(schedule, list(faults))
    except StrapSpecError as error:
        raise UsageError(str(error)) from None
    strap = HeartRateStrap(
        address or STRAP_ADDRESS, client_backend=SimBleakClient, scanner_backend=SimBleakScanner
    )
    return strap, sim
