"""Shared harness for the session tests: a real session against the simulator, on virtual time.

The session runs through the real ``FtmsClient`` and bleak front end over the simulator's
backend (each run on its own simulated air). The outcome keeps the event objects (exact times),
the simulator's own belt state at the end, and checks for the supervisor's invariants.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from simulators.bleak_backend import SimAir
from treadctl.direction import Direction
from treadctl.events import (
    BoutStarted,
    CommandSent,
    EventBus,
    LinkChanged,
    SafetyEvent,
    SessionEnded,
    SessionEvent,
)
from treadctl.plan import build_plan
from treadctl.profile.bout import BoutSpec
from treadctl.safety.caps import caps_for
from treadctl.safety_config import SafetyConfig
from treadctl.session.engine import Session, SessionOptions
from treadctl.simulated_link import simulated_link

MOVING_OPS = {"start", "set_speed", "set_incline"}


def bouts_of(*specs: tuple[str, float, float, float]) -> list[BoutSpec]:
    """(direction, duration_s, speed_kmh, incline_pct) tuples → BoutSpecs."""
    return [
        BoutSpec(i, f"b{i}", Direction(d), duration, speed, incline)
        for i, (d, duration, speed, incline) in enumerate(specs)
    ]


SIMPLE = bouts_of(("forward", 120, 4.0, 1.0), ("backward", 120, 2.0, 2.0), ("forward", 60, 3, 0))


@dataclass
class Outcome:
    ended: SessionEnded
    events: list[SessionEvent]
    session: Session
    sim: Any
    safety: SafetyConfig
    running_at_end: bool
    speed_after_kmh: float  # the simulator's belt speed some seconds after the end
    rearm_times: list[float] = field(default_factory=list)
    speed_at_end_kmh: float = 0.0  # the simulator's belt speed when SessionEnded was published

    def of(self, kind: type[Any]) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def commands(self, *ops: str) -> list[CommandSent]:
        return [e for e in self.of(CommandSent) if not ops or e.op in ops]

    def kinds(self) -> set[str]:
        return {e.kind for e in self.events}


async def run_session(
    bouts: Sequence[BoutSpec] = SIMPLE,
    *,
    safety: SafetyConfig | None = None,
    personality: str = "spec",
    faults: Sequence[str] = (),
    options: SessionOptions | None = None,
    actions: Callable[[Session, EventBus, SessionEvent], None] | None = None,
    settle_s: float = 12.0,
    wrap_link: Callable[[Any], Any] | None = None,
) -> Outcome:
    """``wrap_link`` puts a test double in front of the real client (e.g. a Stop that never
    gets its indication); everything else still runs through the real stack."""
    safety = safety or SafetyConfig()
    link, sim = simulated_link(personality, list(faults), sim_air=SimAir())
    if wrap_link is not None:
        link = wrap_link(link)
    plan = build_plan("test", bouts, safety, None)
    bus = EventBus()
    events: list[SessionEvent] = []
    options = options or SessionOptions(rearm_timeout_s=30.0, auto_confirm_turns=True)
    session = Session(
        plan,
        link,
        bus,
        safety,
        options,
        plan_for_limits=lambda limits: build_plan("test", bouts, safety, limits),
    )
    state: dict[str, Any] = {}

    def listen(event: SessionEvent) -> None:
        events.append(event)
        if isinstance(event, SessionEnded):
            state["running"] = sim.running
            state["speed_at_end_kmh"] = sim.belt_speed_kmh
        if actions is not None:
            actions(session, bus, event)

    bus.subscribe(listen)
    ended = await session.run()
    await asyncio.sleep(settle_s)
    speed_after = sim.belt_speed_kmh
    sim.close()
    return Outcome(
        ended,
        events,
        session,
        sim,
        safety,
        state["running"],
        speed_after,
        speed_at_end_kmh=state["speed_at_end_kmh"],
    )


def check_invariants(out: Outcome, *, rearm_times: Sequence[float] = ()) -> None:
    """The supervisor's contract, checked on what was actually sent."""
    limits = out.session.plan.limits
    safety = out.safety
    direction = Direction.FORWARD
    last: tuple[float, float] | None = None  # (t, speed) of the last speed command in this run
    halted_since: float | None = None
    started = False
    for event in out.events:
        if isinstance(event, BoutStarted):
            direction = event.direction
        if isinstance(event, LinkChanged) and event.event == "disconnected":
            halted_since = event.t_s
        if isinstance(event, SafetyEvent) and event.action == "stop":
            halted_since = event.t_s if halted_since is None else halted_since
        if halted_since is not None and any(halted_since <= t <= event.t_s for t in rearm_times):
            halted_since = None
        if not isinstance(event, CommandSent):
            continue
        caps = caps_for(direction, safety, limits)
        if event.op in MOVING_OPS:
            assert halted_since is None, f"{event} after a halt at {halted_since} without re-arm"
        if event.op in ("stop", "pause", "reset"):
            last, started = None, False
        if event.op == "start":
            started = True
        if event.op == "set_speed":
            assert event.speed_kmh is not None
            assert started, f"speed command {event} before Start"
            assert event.speed_kmh <= caps.max_speed_kmh + 1e-6, f"{event} above {caps}"
            if last is None:
                assert event.speed_kmh <= limits.speed_min_kmh + 1e-6, f"{event} not a slow start"
            elif event.speed_kmh > last[1]:
                allowed = caps.acceleration_kmh_per_s * (event.t_s - last[0])
                rise = event.speed_kmh - last[1]
                assert rise <= allowed + limits.speed_increment_kmh + 1e-6, (
                    f"{event}: +{rise:.2f} km/h in {event.t_s - last[0]:.2f} s"
                )
            last = (event.t_s, event.speed_kmh)
