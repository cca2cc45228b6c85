"""The safety contract, proven by random interleavings (issue: the safety core).

A hypothesis ``RuleBasedStateMachine`` drives the real engine, supervisor, ``FtmsClient``, bleak
front end and simulator on the virtual clock: random profiles, configurations, personalities,
keys at awkward moments, remote requests, the wall screen's Stop, sensor limits and faults
(also two at once: a treadmill that ignores commands while its data goes stale). Every event is
checked the moment it is published, against the simulator's own belt, and every step ends with
the state-wide checks. CI runs a bounded number of examples; ``make soak`` runs thousands
(``TREADCTL_SOAK_EXAMPLES``) and prints how many ran and what failed.
"""

from __future__ import annotations

import asyncio
import os
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    rule,
)

from simulators.bleak_backend import SimAir
from simulators.faults import FaultKind
from tests.session_support import bouts_of
from treadctl.controls import SOURCE_DISPLAY, Request, RequestKind, key_source
from treadctl.direction import Direction
from treadctl.events import (
    Alarm,
    BoutStarted,
    CommandSent,
    EventBus,
    RequestDecided,
    SafetyEvent,
    SafetyStateChanged,
    SessionEnded,
    SessionEvent,
    Telemetry,
)
from treadctl.plan import build_plan
from treadctl.safety.state import DRIVING_STATES, SafetyState
from treadctl.safety_config import SafetyConfig
from treadctl.session.engine import Session, SessionOptions
from treadctl.simulated_link import simulated_link
from treadctl.virtual_time import VirtualTimeLoop

MOVING_OPS = frozenset({"start", "set_speed", "set_incline"})
AT_REST_KMH = 0.35  # the simulator's own belt, against the supervisor's 0.3 km/h threshold
PERSONALITIES = ["spec", "slow-response", "stop-sends-pause", "no-incline", "mph-range"]
SOAK = int(os.environ.get("TREADCTL_SOAK_EXAMPLES", "0"))
RUNS = {"examples": 0, "steps_s": 0.0}  # what ran, for ``make soak``'s summary
FAULTS = [
    FaultKind.SAFETY_KEY,
    FaultKind.STALE,
    FaultKind.DISCONNECT,
    FaultKind.CONSOLE_STOP,
    FaultKind.CONSOLE_SPEED_UP,
    FaultKind.RUNAWAY,
    FaultKind.IGNORE_COMMANDS,
    FaultKind.REJECT_COMMANDS,
    FaultKind.CONTROL_LOST,
]
KEYS: list[tuple[RequestKind, str, float | None]] = [
    (RequestKind.TOGGLE_PAUSE, "space", None),
    (RequestKind.STOP, "s", None),
    (RequestKind.REARM, "r", None),
    (RequestKind.SKIP, "n", None),
    (RequestKind.NUDGE_SPEED, "plus", 0.1),
    (RequestKind.NUDGE_SPEED, "minus", -0.1),
    (RequestKind.CONFIRM_TURN, "enter", None),
    (RequestKind.EXTEND, "e", 30.0),
]
REMOTE: list[tuple[RequestKind, float | None]] = [
    (RequestKind.STOP, None),
    (RequestKind.PAUSE, None),
    (RequestKind.RESUME, None),
    (RequestKind.START, None),
    (RequestKind.REARM, None),
    (RequestKind.SKIP, None),
    (RequestKind.NUDGE_SPEED, 0.5),
]


def _known_personalities() -> list[str]:
    from simulators.personalities import PERSONALITIES as known

    return [name for name in PERSONALITIES if name in known]


@st.composite
def safety_configs(draw: st.DrawFn) -> SafetyConfig:
    forward = draw(st.sampled_from([4.0, 6.0, 8.0]))
    backward = draw(st.sampled_from([1.0, 2.0, 3.0, 4.0]))
    incline = draw(st.sampled_from([0.0, 5.0, 10.0]))
    return SafetyConfig(
        max_speed_kmh=forward,
        max_backward_speed_kmh=min(backward, forward),
        max_incline_pct=incline,
        max_backward_incline_pct=min(incline, draw(st.sampled_from([0.0, 2.0, 5.0]))),
        turn_speed_kmh=min(draw(st.sampled_from([0.0, 0.8, 1.0])), backward),
        turn_hold_s=draw(st.sampled_from([0.0, 3.0, 5.0])),
        confirm_turns=draw(st.booleans()),
        watchdog_s=draw(st.sampled_from([2.0, 3.0])),
    )


@st.composite
def plans(draw: st.DrawFn) -> list[tuple[str, float, float, float]]:
    count = draw(st.integers(1, 4))
    return [
        (
            draw(st.sampled_from(["forward", "backward"])),
            draw(st.sampled_from([20.0, 45.0, 90.0])),
            draw(st.sampled_from([1.0, 1.3, 2.5, 4.0, 7.0])),
            draw(st.sampled_from([0.0, 2.0, 8.0])),
        )
        for _ in range(count)
    ]


class SafetyContract(RuleBasedStateMachine):
    """One session per example; rules are what the walker, the world and the treadmill do."""

    def __init__(self) -> None:
        super().__init__()
        self.loop: VirtualTimeLoop | None = None
        self.violations: list[str] = []

    # --- set-up and tear-down ------------------------------------------------------------------

    @initialize(
        specs=plans(),
        safety=safety_configs(),
        personality=st.sampled_from(_known_personalities()),
        remote_start=st.booleans(),
    )
    def start(
        self,
        specs: list[tuple[str, float, float, float]],
        safety: SafetyConfig,
        personality: str,
        remote_start: bool,
    ) -> None:
        self.loop = VirtualTimeLoop()
        asyncio.set_event_loop(self.loop)
        self.safety = safety
        self.remote_start = remote_start
        link, self.sim = simulated_link(personality, sim_air=SimAir())
        bouts = bouts_of(*specs)
        plan = build_plan("stateful", bouts, safety, None)
        self.bus = EventBus()
        options = SessionOptions(
            rearm_timeout_s=None,
            auto_confirm_turns=False,
            allow_remote_start=remote_start,
            reconnect_timeout_s=30.0,
        )
        self.session = Session(
            plan,
            link,
            self.bus,
            safety,
            options,
            plan_for_limits=lambda limits: build_plan("stateful", bouts, safety, limits),
        )
        self.state = SafetyState.IDLE
        self.key_only = False
        self.backward = False
        self.speed_before_turn: float | None = None
        self.last_speed: float | None = None
        self.last_stop_t: float | None = None  # loop time of the last Stop we sent
        self.alarm = False
        self.ended: SessionEnded | None = None
        self.events: list[SessionEvent] = []
        self.bus.subscribe(self._check_event)
        self.task = self.loop.create_task(self.session.run())
        self._run_for(8.0)  # connected, counted in, the belt moving

    def teardown(self) -> None:
        if self.loop is None:
            return
        RUNS["examples"] += 1
        RUNS["steps_s"] += self.loop.time()
        try:
            if not self.task.done():
                self.session.request(Request(RequestKind.QUIT, source=key_source("q")))
                self._run_for(120.0)
            if not self.task.done():
                self.violations.append("the session did not end within 120 s of quit")
            else:
                self._check_end()
            if self.violations and os.environ.get("TREADCTL_STATEFUL_DUMP"):
                with open(os.environ["TREADCTL_STATEFUL_DUMP"], "w", encoding="utf-8") as out:
                    out.writelines(f"{event}\n" for event in self.events)
            assert not self.violations, "\n".join(self.violations)
        finally:
            self.task.cancel()
            self.sim.close()
            # Whatever is still pending (a simulated procedure mid-answer) ends before the loop.
            pending = asyncio.all_tasks(self.loop)
            for task in pending:
                task.cancel()
            self.loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            self.loop.close()
            asyncio.set_event_loop(None)

    def _run_for(self, seconds: float) -> None:
        assert self.loop is not None

        async def wait() -> None:
            with __import__("contextlib").suppress(TimeoutError):
                async with asyncio.timeout(seconds):
                    await asyncio.shield(self.task)

        self.loop.run_until_complete(wait())

    # --- rules -----------------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([0.2, 1.0, 3.0, 7.0, 20.0, 45.0, 90.0]))
    def wait(self, seconds: float) -> None:
        self._run_for(seconds)

    @rule(seconds=st.sampled_from([4.0, 12.0, 30.0]))
    def walk_on(self, seconds: float) -> None:
        """The walker re-arms (and confirms a waiting turn) whenever they can: time moves on."""
        for _ in range(3):
            self.session.request(Request(RequestKind.REARM, source=key_source("r")))
            self.session.request(Request(RequestKind.CONFIRM_TURN, source=key_source("enter")))
            self._run_for(seconds / 3)

    @rule(key=st.sampled_from(KEYS))
    def press(self, key: tuple[RequestKind, str, float | None]) -> None:
        kind, name, value = key
        self.session.request(Request(kind, value, source=key_source(name)))
        self._run_for(0.05)

    @rule(request=st.sampled_from(REMOTE))
    def remote(self, request: tuple[RequestKind, float | None]) -> None:
        kind, value = request
        self.session.request(Request(kind, value, source="mqtt"))
        self._run_for(0.05)

    @rule()
    def wall_screen_stop(self) -> None:
        self.session.request(Request(RequestKind.STOP, source=SOURCE_DISPLAY))
        self._run_for(0.05)

    @rule(limit=st.sampled_from([None, 0.5, 1.0, 2.0, 9.0]))
    def sensor(self, limit: float | None) -> None:
        self.session.request(Request(RequestKind.SENSOR_LIMIT, limit, source="sensor:hr"))
        self._run_for(0.05)

    @rule(kind=st.sampled_from(FAULTS), duration=st.sampled_from([None, 4.0, 15.0]))
    def fault(self, kind: FaultKind, duration: float | None) -> None:
        self.sim.inject(kind, duration)
        self._run_for(0.05)

    @rule(duration=st.sampled_from([5.0, 20.0]))
    def double_fault(self, duration: float) -> None:
        """A treadmill that ignores Stop while its data goes stale: nothing can confirm rest."""
        self.sim.inject(FaultKind.IGNORE_COMMANDS, duration)
        self.sim.inject(FaultKind.STALE, duration)
        self._run_for(0.05)

    # --- the checks, at the moment each event is published --------------------------------------

    def _violation(self, text: str) -> None:
        sup = self.session.supervisor
        seen = "" if sup is None else f" (measured {sup.measured_speed_kmh}, state {sup.state})"
        self.violations.append(f"[{self.session.now():.2f}] {text}{seen}")

    def _check_event(self, event: SessionEvent) -> None:
        self.events.append(event)
        sup = self.session.supervisor
        belt = self.sim.belt_speed_kmh
        if isinstance(event, SafetyStateChanged):
            before, self.state = self.state, SafetyState(event.state)
            if self.state is SafetyState.TURNING and before is not SafetyState.TURNING:
                self.speed_before_turn = self.last_speed
            if self.state is SafetyState.COUNTDOWN and before in (
                SafetyState.PAUSED,
                SafetyState.HALTED,
            ):
                self.key_only = False
        elif isinstance(event, BoutStarted):
            self.backward = event.direction is Direction.BACKWARD
        elif isinstance(event, SafetyEvent):
            if event.action == "stop" and event.reason not in ("walker_stop",):
                self.key_only = True
            if event.reason == "at_rest" and belt > AT_REST_KMH:
                self._violation(f"said the belt is at rest at {belt:.2f} km/h")
        elif isinstance(event, Alarm):
            self.alarm = event.active
        elif isinstance(event, Telemetry):
            if event.heart_rate_bpm == 0:
                self._violation("heart rate 0 published (0 means no contact)")
        elif isinstance(event, RequestDecided):
            self._check_request(event, belt)
        elif isinstance(event, CommandSent):
            self._check_command(event, sup)
        elif isinstance(event, SessionEnded):
            self.ended = event
            if belt > AT_REST_KMH and event.belt_at_rest:
                self._violation(f"ended 'at rest' with the belt at {belt:.2f} km/h")

    def _check_request(self, event: RequestDecided, belt_kmh: float) -> None:
        rearm = event.request in ("rearm", "resume", "start")
        if event.accepted and rearm:
            if event.source == "mqtt" and (self.key_only or not self.remote_start):
                self._violation(f"a remote {event.request} was accepted (key-only or not allowed)")
            if event.source not in ("mqtt",) and not event.source.startswith("key"):
                self._violation(f"{event.request} accepted from {event.source}")
            if belt_kmh > AT_REST_KMH:
                self._violation(f"re-armed with the belt at {belt_kmh:.2f} km/h")
        if event.accepted and event.request == "skip" and self.state is SafetyState.TURNING:
            self._violation("skip accepted during a turn-around")
        if event.accepted and event.source == "display" and event.request != "stop":
            self._violation(f"the wall screen did {event.request}")
        sensor = event.accepted and event.source.startswith("sensor")
        if sensor and event.request not in ("stop", "sensor_limit"):
            self._violation(f"a sensor did {event.request}")

    def _check_command(self, event: CommandSent, sup: Any) -> None:
        assert self.loop is not None
        stopping = event.op in ("stop", "reset") and not event.source.startswith("link")
        if stopping and self.last_stop_t is None:
            self.last_stop_t = self.loop.time()
        if event.op == "pause" and not event.source.startswith("link"):
            self._violation("FTMS Pause was sent (it keeps the treadmill's target)")
        if event.op not in MOVING_OPS or event.source.startswith("link"):
            return
        self.last_stop_t = None
        if self.state not in DRIVING_STATES:
            self._violation(f"{event.op} sent in state {self.state}")
        if sup is not None and not sup.telemetry_fresh():
            self._violation(f"{event.op} sent with stale telemetry")
        if event.op == "set_speed" and event.speed_kmh is not None:
            cap = self.safety.max_speed_kmh
            if self.backward or self.state is SafetyState.TURNING:
                cap = min(cap, self.safety.max_backward_speed_kmh)
            device_min = sup.caps.min_speed_kmh if sup is not None else 0.0
            if event.speed_kmh > max(cap, device_min) + 1e-6:
                self._violation(f"set_speed {event.speed_kmh} above the cap {cap}")
            before = self.speed_before_turn
            if (
                self.state is SafetyState.TURNING
                and before is not None
                and event.speed_kmh > before + 1e-6
            ):
                self._violation(f"a turn raised the speed {before} -> {event.speed_kmh}")
            self.last_speed = event.speed_kmh
        if event.op == "start":
            self.last_speed = None

    # --- the checks that hold in every state ---------------------------------------------------

    @invariant()
    def no_violation_so_far(self) -> None:
        assert not self.violations, "\n".join(self.violations)

    @invariant()
    def a_moving_belt_after_stop_raises_the_alarm(self) -> None:
        if self.loop is None or self.last_stop_t is None or self.task.done():
            return
        since = self.loop.time() - self.last_stop_t
        moving = self.sim.belt_speed_kmh > 0.5
        lost = self.state is SafetyState.RECONNECTING
        if since > 12.0 and moving and not self.alarm and not lost:
            self._violation(
                f"the belt still runs at {self.sim.belt_speed_kmh:.2f} km/h {since:.0f} s after "
                "Stop and no alarm is up"
            )
            self.last_stop_t = None  # reported once

    def _check_end(self) -> None:
        ended = self.ended
        if ended is None:
            self.violations.append("no SessionEnded was published")
            return
        if ended.status == "completed" and not ended.belt_at_rest:
            self.violations.append("'completed' without the belt confirmed at rest")
        belt = self.sim.belt_speed_kmh
        if belt > AT_REST_KMH and ended.belt_at_rest:
            self.violations.append(f"belt at {belt:.2f} km/h after an 'at rest' end")


SafetyContract.TestCase.settings = settings(
    max_examples=SOAK or 60,
    stateful_step_count=40,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    derandomize=not SOAK,
    # TREADCTL_NO_SHRINK=1: report the first failure as found (quicker while debugging).
    phases=[Phase.explicit, Phase.reuse, Phase.generate]
    if os.environ.get("TREADCTL_NO_SHRINK")
    else list(Phase),
)
TestSafetyContract = SafetyContract.TestCase


def teardown_module() -> None:
    if SOAK:
        print(
            f"\nsoak: {RUNS['examples']} sessions run ({RUNS['steps_s'] / 3600:.1f} h of virtual "
            "session time); any violation is listed above with the steps that found it"
        )
