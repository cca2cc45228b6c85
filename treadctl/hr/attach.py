"""Heart rate in ``treadctl run``: which source, which ceiling, and the agent on the bus.

``prepare_heart_rate`` (at prepare time: bad input exits 2 before anything connects) decides the
strap and the ceiling; ``attach_heart_rate`` (with the loop running) starts the strap's own link
and attaches the agent, the headless heart-rate lines, and the closers. The composition root
(``treadctl.wiring``) hands both what they need; a simulated strap comes from it too, so this
package never imports the simulator.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from treadctl.errors import UsageError

if TYPE_CHECKING:
    from treadctl.ble.heart_rate import HeartRateStrap, StrapEvent
    from treadctl.checkins.config import CheckinConfig
    from treadctl.controls import SessionControls
    from treadctl.events import EventBus, SessionEvent
    from treadctl.hr.agent import HeartRateAgent
    from treadctl.hr.ceiling import Ceiling
    from treadctl.safety_config import SafetyConfig

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class HeartRateSources:
    """What the command line and the configuration say about heart rate."""

    simulate: bool
    fast: bool
    hr_device: str | None  # --hr ADDRESS
    configured_device: str | None  # [heart_rate] device
    simulated_strap: bool  # --sim-hr or --sim-hr-fault given


@dataclass
class HeartRatePlan:
    strap: HeartRateStrap | None = None
    sim_strap: object | None = None  # the simulated strap kept alive beside its link
    ceiling: Ceiling | None = None
    agent: HeartRateAgent | None = None  # once attached


def prepare_heart_rate(
    sources: HeartRateSources,
    *,
    safety_bpm: int | None,
    profile_bpm: int | None,
    profile_name: str,
    checkins: CheckinConfig,
    make_simulated_strap: Callable[[], tuple[HeartRateStrap, object]],
) -> HeartRatePlan:
    from treadctl.hr.ceiling import effective_ceiling, program_week_ceiling

    plan = HeartRatePlan()
    if sources.simulated_strap and not sources.simulate:
        raise UsageError("--sim-hr and --sim-hr-fault only work with --simulate")
    if sources.simulated_strap:
        plan.strap, plan.sim_strap = make_simulated_strap()
    else:
        device = sources.hr_device or (None if sources.simulate else sources.configured_device)
        if device:
            if sources.fast:
                raise UsageError("--fast cannot run with a real heart-rate strap; use --sim-hr")
            from treadctl.ble.heart_rate import HeartRateStrap

            plan.strap = HeartRateStrap(device)
    # The week the walker is in, from the walked (not simulated) history: a dry run of this
    # week's session gets this week's ceiling too.
    week_bpm, week_label = program_week_ceiling(profile_name, checkins)
    plan.ceiling = effective_ceiling(safety_bpm, profile_bpm, week_bpm, week_label)
    return plan


def attach_heart_rate(
    plan: HeartRatePlan,
    *,
    bus: EventBus,
    session: SessionControls,
    session_time: Callable[[], float],
    safety: SafetyConfig,
    say: Callable[[str], None] | None,
    headless: bool,
    closers: list[Callable[[], object]],
) -> None:
    """``say``: the headless printer's line queue (None: straight to stdout)."""
    from treadctl.hr.agent import AgentSettings, HeartRateAgent
    from treadctl.hr.ceiling import ceiling_settings

    loop = asyncio.get_running_loop()
    ceiling_bpm = plan.ceiling.bpm if plan.ceiling is not None else None
    settings = AgentSettings(
        ceiling=ceiling_settings(safety, ceiling_bpm),
        require_hr=safety.require_hr,
        strap=plan.strap is not None,
    )
    agent = HeartRateAgent(
        bus, session, settings, clock=loop.time, session_time=session_time
    ).attach()
    plan.agent = agent
    closers.append(agent.close)
    if plan.ceiling is not None and ceiling_bpm is not None:
        log.info("heart-rate ceiling %s bpm (from %s)", ceiling_bpm, plan.ceiling.source)
    if headless:
        from treadctl.hr.lines import HeartRateLines

        closers.append(HeartRateLines(plan.ceiling, emit=say).attach(bus).close)
    if plan.strap is not None:
        _start_strap(plan.strap, agent, bus, loop, closers)


def _start_strap(
    strap: HeartRateStrap,
    agent: HeartRateAgent,
    bus: EventBus,
    loop: asyncio.AbstractEventLoop,
    closers: list[Callable[[], object]],
) -> None:
    from treadctl.ble.heart_rate import StrapBattery, StrapLinkChanged, StrapMeasurement
    from treadctl.events import SessionEnded

    def on_strap(event: StrapEvent) -> None:
        if isinstance(event, StrapMeasurement):
            m = event.measurement
            agent.strap_reading(m.bpm, m.in_contact, len(m.rr_intervals_s))
        elif isinstance(event, StrapLinkChanged):
            agent.strap_link(event.up, event.reason)
        elif isinstance(event, StrapBattery):
            agent.strap_battery(event.percent)

    unsubscribe = strap.add_listener(on_strap)
    strap.start()
    closing: list[asyncio.Task[None]] = []

    def close() -> None:
        unsubscribe()
        if not closing:
            closing.append(loop.create_task(strap.close()))

    def on_event(event: SessionEvent) -> None:
        # Disconnect the strap as the session ends, while the treadmill's link closes too, so
        # the disconnect has time to complete before the loop stops.
        if isinstance(event, SessionEnded):
            close()

    closers.append(bus.subscribe(on_event))
    closers.append(close)
