"""Heart rate in ``treadctl run``: which source, which ceiling, and the agent on the bus.

``prepare_heart_rate`` (at prepare time: bad input exits 2 before anything connects) decides the
strap and the ceiling; ``attach_heart_rate`` (with the loop running) starts the strap's own link
and attaches the agent, the headless heart-rate lines, and the closers.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from treadctl.errors import UsageError

log = logging.getLogger(__name__)


@dataclass
class HeartRatePlan:
    strap: Any = None  # treadctl.ble.heart_rate.HeartRateStrap
    sim_strap: Any = None  # simulators.strap.SimulatedStrap with --sim-hr
    ceiling: Any = None  # treadctl.hr.ceiling.Ceiling
    agent: Any = None  # treadctl.hr.agent.HeartRateAgent once attached


def prepare_heart_rate(wired: Any, profile: Any) -> None:
    from treadctl.hr.ceiling import effective_ceiling, program_week_ceiling

    options, config = wired.options, wired.config
    plan = HeartRatePlan()
    simulated_strap = bool(options.sim_hr or options.sim_hr_faults)
    if simulated_strap and not options.simulate:
        raise UsageError("--sim-hr and --sim-hr-fault only work with --simulate")
    if simulated_strap:
        plan.strap, plan.sim_strap = _simulated_strap(options)
    else:
        device = options.hr_device or (None if options.simulate else config.heart_rate.device)
        if device:
            if options.fast:
                raise UsageError("--fast cannot run with a real heart-rate strap; use --sim-hr")
            from treadctl.ble.heart_rate import HeartRateStrap

            plan.strap = HeartRateStrap(device)
    # The week the walker is in, from the walked (not simulated) history: a dry run of this
    # week's session gets this week's ceiling too.
    week_bpm, week_label = program_week_ceiling(wired.profile_name, config.checkins)
    plan.ceiling = effective_ceiling(
        config.safety.hr_ceiling_bpm, getattr(profile, "hr_ceiling_bpm", None), week_bpm, week_label
    )
    wired.heart_rate = plan


def _simulated_strap(options: Any) -> tuple[Any, Any]:
    from simulators.bleak_backend import SimBleakClient, SimBleakScanner
    from simulators.strap import STRAP_ADDRESS, StrapSpecError, add_simulated_strap
    from treadctl.ble.heart_rate import HeartRateStrap

    try:
        sim = add_simulated_strap(options.sim_hr, list(options.sim_hr_faults))
    except StrapSpecError as error:
        raise UsageError(str(error)) from None
    strap = HeartRateStrap(
        options.hr_device or STRAP_ADDRESS,
        client_backend=SimBleakClient,
        scanner_backend=SimBleakScanner,
    )
    return strap, sim


def attach_heart_rate(wired: Any) -> None:
    from treadctl.hr.agent import AgentSettings, HeartRateAgent
    from treadctl.hr.ceiling import ceiling_settings

    plan: HeartRatePlan | None = getattr(wired, "heart_rate", None)
    if plan is None:
        return
    loop = asyncio.get_running_loop()
    safety = wired.config.safety
    settings = AgentSettings(
        ceiling=ceiling_settings(safety, plan.ceiling.bpm if plan.ceiling else None),
        require_hr=safety.require_hr,
        strap=plan.strap is not None,
    )
    agent = HeartRateAgent(
        wired.bus, wired.session, settings, clock=loop.time, session_time=wired.session.now
    ).attach()
    plan.agent = agent
    wired.closers.append(agent.close)
    if plan.ceiling is not None and plan.ceiling.bpm is not None:
        log.info("heart-rate ceiling %s bpm (from %s)", plan.ceiling.bpm, plan.ceiling.source)
    if wired.options.headless:
        from treadctl.hr.lines import HeartRateLines

        wired.closers.append(HeartRateLines(plan.ceiling).attach(wired.bus).close)
    if plan.strap is not None:
        _start_strap(wired, plan, agent, loop)


def _start_strap(wired: Any, plan: HeartRatePlan, agent: Any, loop: Any) -> None:
    from treadctl.ble.heart_rate import StrapBattery, StrapLinkChanged, StrapMeasurement
    from treadctl.events import SessionEnded

    strap = plan.strap

    def on_strap(event: Any) -> None:
        if isinstance(event, StrapMeasurement):
            m = event.measurement
            agent.strap_reading(m.bpm, m.in_contact, len(m.rr_intervals_s))
        elif isinstance(event, StrapLinkChanged):
            agent.strap_link(event.up, event.reason)
        elif isinstance(event, StrapBattery):
            agent.strap_battery(event.percent)

    unsubscribe = strap.add_listener(on_strap)
    strap.start()
    closing: list[Any] = []

    def close() -> None:
        unsubscribe()
        if not closing:
            closing.append(loop.create_task(strap.close()))

    def on_event(event: Any) -> None:
        # Disconnect the strap as the session ends, while the treadmill's link closes too, so
        # the disconnect has time to complete before the loop stops.
        if isinstance(event, SessionEnded):
            close()

    wired.closers.append(wired.bus.subscribe(on_event))
    wired.closers.append(close)
