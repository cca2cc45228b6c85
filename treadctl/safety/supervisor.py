"""The supervisor: the one door to the belt, and the thin async layer over the safety machine.

Every request — the plan, keys, MQTT, the wall screen, sensors, signals, reconnect recovery —
arrives here with its source. The pure ``SafetyMachine`` (``state.py``) says whether it may happen
now; the pure checks (``checks.py``) and caps (``caps.py``) say what the belt is doing and what it
may do; this module carries the answers out, one Control Point procedure at a time, and writes
every request, decision, command, answer and state change onto the event bus (the audit log).

The session engine walks the plan and asks (``count_in``, ``start_belt``, ``set_target``,
``begin_turn`` ...); it holds no safety policy and writes none of this module's state.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from treadctl.controls import (
    SOURCE_SAFETY,
    Request,
    RequestKind,
    RequestResult,
)
from treadctl.direction import Direction
from treadctl.events import (
    Alarm,
    Clamped,
    CommandAnswered,
    CommandSent,
    EventBus,
    RequestDecided,
    SafetyEvent,
    SafetyStateChanged,
)
from treadctl.limits import DeviceLimits
from treadctl.link import (
    CommandError,
    CommandRejected,
    CommandTimeout,
    LinkEvent,
    LinkLost,
    LinkState,
    LinkWrite,
    MachineEvent,
    Op,
    OutOfRange,
    StatusEvent,
    TelemetryEvent,
    TreadmillLink,
)
from treadctl.safety.caps import (
    Caps,
    SafetyCaps,
    TargetClamp,
    caps_for,
    clamp_incline,
    clamp_speed,
    next_ramp_speed,
    ramp_step,
    strictest,
)
from treadctl.safety.checks import (
    MOVING_KMH,
    CommandHistory,
    FollowCheck,
    RestWatch,
    RunawayCheck,
    Watchdog,
)
from treadctl.safety.rules import (
    AT_REST_MESSAGE,
    MESSAGES,
    TREADMILL_STOPPED_MESSAGE,
    Action,
    Reason,
    decide_status,
)
from treadctl.safety.state import (
    Facts,
    Latch,
    Rule,
    SafetyMachine,
    SafetyState,
    SourceClass,
    Trigger,
    source_class,
)

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 5.0  # bound on any one procedure, on top of the client's own timeout
STOP_TIMEOUT_S = 3.0  # a Stop waits this long for its answer
TIME_EPS_S = 1e-6  # float slack when comparing loop times (the virtual clock jumps exactly)
GUARD_TICK_S = 0.25  # the guard's grid (each tick while a Stop is watched, else the deadline's)
ESCALATE_EVERY_S = 3.0  # while the belt is not confirmed at rest: Stop, Reset, Stop, ... this often
INCLINE_TOLERANCE_PCT = 0.5  # measured incline this far above a cap still counts as within it
_STOPPED_BY_US = frozenset({SafetyState.PAUSED, SafetyState.HALTED, SafetyState.NOT_STOPPING})
# A Stop request's reason by who asked: a sensor's or a suspend's Stop is key-only to clear.
_STOP_REASONS = {SourceClass.SENSOR: Reason.SENSOR_STOP, SourceClass.SIGNAL: Reason.SUSPENDED}
# The walker's own stop is the weakest halt; everything else is key-only.
WALKER_REASONS = frozenset({Reason.WALKER_STOP})


@dataclass(frozen=True)
class Halt:
    """A latched stop: the reason is the strongest one seen since the last re-arm."""

    reason: Reason
    message: str
    t_s: float


class Refused(Exception):
    """A belt-moving command was asked for in a state that does not allow it."""


class Supervisor:
    """Drives one treadmill for one session. ``attach()`` it to the link, then the engine calls
    ``count_in``, ``start_belt``, ``set_target``, ``begin_turn`` ... and everyone else calls
    ``request``."""

    def __init__(
        self,
        link: TreadmillLink,
        bus: EventBus,
        safety: SafetyCaps,
        limits: DeviceLimits,
        *,
        session_time: Callable[[], float],
        loop: asyncio.AbstractEventLoop | None = None,
        remote_start_allowed: bool = False,
    ) -> None:
        self._link = link
        self._bus = bus
        self._safety = safety
        self.limits = limits
        self._session_time = session_time
        self._loop = loop or asyncio.get_running_loop()
        self.remote_start_allowed = remote_start_allowed
        self.machine = SafetyMachine()
        self.halt: Halt | None = None
        self.caps: Caps = caps_for(Direction.FORWARD, safety, limits)
        self.direction = Direction.FORWARD
        # What treadctl asked for and sent.
        self.target_speed_kmh: float | None = None
        self.target_incline_pct: float | None = None
        self.sensor_limit_kmh: float | None = None
        self.sent_speed_kmh: float | None = None
        self.sent_speed_t: float = 0.0  # when the last speed was acknowledged
        self.sent_incline_pct: float | None = None
        self.belt_started = False  # treadctl started the belt and has not sent Stop since
        self.ever_started = False
        self._accel_kmh_per_s: float | None = None
        self._source = "plan"
        self._bout_index: int | None = None
        # What the belt is doing.
        self.measured_speed_kmh: float | None = None
        self.measured_incline_pct: float | None = None
        self.ever_moved = False  # any reading above MOVING_KMH this session
        self.watchdog = Watchdog(safety.watchdog_s)
        self.rest: RestWatch | None = None  # from the first Stop until the belt is started again
        self._alarm_up = False
        self._escalation = 0
        self._next_escalation_t = math.inf
        self._history = CommandHistory()
        self._runaway = RunawayCheck()
        self._follow = FollowCheck()
        self.connected = False
        # One procedure at a time; a Stop waiting for its turn makes every moving command yield.
        self._lock = asyncio.Lock()
        self._stops_waiting = 0
        self._wake = asyncio.Event()
        self.on_change: Callable[[], None] = lambda: None  # every state change wakes the engine
        self._tasks: set[asyncio.Task[Any]] = set()
        self._governor: asyncio.Task[None] | None = None
        self._guard: asyncio.Handle | None = None  # the guard's next tick (timer or ready call)
        self._guard_last_t = 0.0  # when the guard last ticked: its grid
        self._unsubscribe: Callable[[], None] | None = None
        self.awaiting_turn_confirmation = False
        self.navigate: Callable[[Request], RequestResult] = lambda request: RequestResult(
            False, "no bout to act on"
        )
        self.on_target_reached: Callable[[], None] = lambda: None
        self.on_adopted: Callable[[float], None] = lambda speed_kmh: None
        self.on_machine_event: Callable[[MachineEvent], None] = lambda event: None
        self.on_error: Callable[[BaseException], None] = lambda error: None

    # --- life cycle -----------------------------------------------------------------------------

    def attach(self) -> None:
        """Listen to the machine and start the governor and the guard."""
        self._unsubscribe = self._link.add_listener(self.observe)
        self._governor = self._loop.create_task(self._govern(), name="supervisor-governor")
        self._governor.add_done_callback(self._task_ended)
        self._guard = self._loop.call_soon(self._guard_sleep)

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None
        tasks = [t for t in (self._governor, *self._tasks) if t is not None]
        for task in tasks:
            if not task.done():
                task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task

    def now(self) -> float:
        return self._session_time()

    @property
    def state(self) -> SafetyState:
        return self.machine.state

    @property
    def armed(self) -> bool:
        """treadctl is driving the belt: it started it and the state allows driving."""
        return self.belt_started and self.machine.driving

    @property
    def held(self) -> bool:
        """The plan waits: paused, halted, alarming, reconnecting or on the way out."""
        return not self.machine.driving and self.state is not SafetyState.IDLE

    @property
    def alarm_up(self) -> bool:
        return self._alarm_up

    def telemetry_fresh(self) -> bool:
        last = self.watchdog.last_data_t
        return last is not None and self._loop.time() - last <= self.watchdog.timeout_s + 1e-6

    def at_rest(self) -> bool:
        """Measured at rest. After a Stop, only what came after it counts (a reading at or below
        ``MOVING_KMH``, or the treadmill's own word with no reading against it); otherwise fresh
        telemetry at or below ``MOVING_KMH``."""
        if self.rest is not None:
            return self.rest.confirmed(self.telemetry_fresh(), self._loop.time())
        if self.belt_started:
            return False  # started by treadctl and not stopped since: moving, whatever was read
        speed = self.measured_speed_kmh
        return self.telemetry_fresh() and speed is not None and speed <= MOVING_KMH

    def belt_confirmed_at_rest(self) -> bool:
        """For the end record: at rest by measurement, or never moved by anyone this session."""
        if self.at_rest():
            return True
        return not self.ever_moved and not self.ever_started and self.rest is None

    def facts(self) -> Facts:
        return Facts(
            telemetry_fresh=self.telemetry_fresh(),
            at_rest=self.at_rest(),
            link_up=self._link_up(),
            remote_start_allowed=self.remote_start_allowed,
            awaiting_turn_confirmation=self.awaiting_turn_confirmation,
        )

    # --- the door -------------------------------------------------------------------------------

    def request(self, request: Request) -> RequestResult:
        """Every request from outside the engine: judged by the machine, logged with its source,
        then carried out. Answers at once; what happens to the belt follows on the bus."""
        kind = request.kind
        if kind is RequestKind.TOGGLE_PAUSE:
            kind = RequestKind.RESUME if self.state is SafetyState.PAUSED else RequestKind.PAUSE
            if self.state is SafetyState.HALTED:
                return self._decided(request, kind, False, "press r to re-arm")
        try:
            verdict = self.machine.judge(kind, request.source, self.facts())
        except Exception as error:  # a bug in the table must stop the belt, not run on
            self._internal_error(error)
            return RequestResult(False, "internal error; the belt is being stopped")
        if not verdict.accepted:
            if kind in (RequestKind.RESUME, RequestKind.REARM, RequestKind.START):
                self._bus.publish(
                    SafetyEvent(self.now(), "rearm_refused", verdict.reason, action="refuse")
                )
            return self._decided(request, kind, False, verdict.reason)
        if verdict.rule is Rule.NAVIGATE or kind is RequestKind.CONFIRM_TURN:
            result = self.navigate(Request(kind, request.value, request.source))
            return self._decided(request, kind, result.accepted, result.reason, result)
        result = self._carry_out(kind, request)
        return self._decided(request, kind, result.accepted, result.reason, result)

    def _carry_out(self, kind: RequestKind, request: Request) -> RequestResult:
        if kind is RequestKind.STOP:
            self.trip(
                _STOP_REASONS.get(source_class(request.source), Reason.WALKER_STOP),
                detail=f"by {request.source}",
            )
            return RequestResult(True)
        if kind is RequestKind.QUIT:
            self.quit(request.source)
            return RequestResult(True)
        if kind is RequestKind.PAUSE:
            self._fire(Trigger.WALKER_PAUSE, f"pause by {request.source}")
            self._begin_rest_watch()
            self._spawn(self.stop(request.source))
            return RequestResult(True)
        if kind in (RequestKind.RESUME, RequestKind.REARM, RequestKind.START):
            self._rearm(request.source)
            return RequestResult(True)
        if kind is RequestKind.SENSOR_LIMIT:
            self._sensor_limit(request.value, request.source)
            return RequestResult(True)
        return RequestResult(False, f"unknown request {kind}")

    def _decided(
        self,
        request: Request,
        kind: RequestKind,
        accepted: bool,
        reason: str,
        result: RequestResult | None = None,
    ) -> RequestResult:
        self._bus.publish(
            RequestDecided(self.now(), str(kind), request.source, accepted, reason, request.value)
        )
        return result if result is not None else RequestResult(accepted, reason)

    def plan_request(self, what: str, *, accepted: bool = True, reason: str = "") -> None:
        """Log one of the engine's own requests (start, target, turn) with source ``plan``."""
        self._bus.publish(RequestDecided(self.now(), what, "plan", accepted, reason))

    # --- state ----------------------------------------------------------------------------------

    def _fire(self, trigger: Trigger, cause: str) -> SafetyState:
        before = self.machine.state
        after = self.machine.fire(trigger)
        if after is not before:
            self._bus.publish(SafetyStateChanged(self.now(), str(after), str(before), cause))
            self.on_change()
            self._wake.set()
        return after

    def _rearm(self, source: str) -> None:
        self.halt = None
        self._runaway.reset()
        self._follow.reset()
        self._fire(Trigger.REARM, f"re-armed by {source}")

    def quit(self, source: str) -> None:
        """On the way out: Stop now, whatever the state; the engine then waits for rest."""
        self._fire(Trigger.QUIT, f"quit by {source}")
        self.target_speed_kmh = None
        self._begin_rest_watch()
        if self._link_up():
            self._spawn(self.stop("exit"))

    def end(self) -> None:
        self._fire(Trigger.END, "session over")

    def trip(self, reason: Reason, *, detail: str = "", send_stop: bool = True) -> Halt:
        """Latch a halt at its strongest reason and stop the belt (in the background)."""
        message = MESSAGES[reason] + (f" ({detail})" if detail else "")
        strength = Latch.WALKER if reason in WALKER_REASONS else Latch.KEY_ONLY
        stronger = self.machine.latch_halt(strength, str(reason))
        if stronger or self.halt is None:
            self.halt = Halt(reason, message, self.now())
        self.target_speed_kmh = None
        if send_stop:
            self._begin_rest_watch()
        self._bus.publish(SafetyEvent(self.now(), str(reason), message, action="stop"))
        self._fire(Trigger.HALT, str(reason))
        self._wake.set()
        self.on_change()
        if send_stop and self._link_up():
            self._spawn(self.stop(SOURCE_SAFETY))
        assert self.halt is not None
        return self.halt

    def refuse(self, reason: str, message: str) -> None:
        self._bus.publish(SafetyEvent(self.now(), reason, message, action="refuse"))

    # --- what the engine asks -------------------------------------------------------------------

    def count_in(self) -> bool:
        """Enter the 3-2-1 before the belt moves; False when the state does not allow it."""
        if self.state is SafetyState.COUNTDOWN:
            return True
        return self._fire(Trigger.COUNT_IN, "count-in") is SafetyState.COUNTDOWN

    async def take_control(self, source: str = "plan") -> None:
        await self._send(Op.REQUEST_CONTROL, self._link.request_control, source=source)

    async def start_belt(self, start_speed_kmh: float, source: str = "plan") -> None:
        """Start the belt at its start speed (within the caps). Only in the count-in state, with
        fresh telemetry; raises ``Refused`` otherwise and ``CommandError`` when the treadmill
        says no (the session is then halted)."""
        if self.state is not SafetyState.COUNTDOWN:
            raise Refused(f"not counting in ({self.state})")
        if not self.telemetry_fresh():
            self.plan_request(
                "start_belt", accepted=False, reason="no recent data from the treadmill"
            )
            self.trip(Reason.WATCHDOG, detail="no recent data before the start")
            raise Refused("stale telemetry")
        speed = clamp_speed(start_speed_kmh, self.caps).sent
        self.plan_request("start_belt")
        try:
            await self._send(Op.START, self._link.start, source=source, moving=True)
            self.belt_started = self.ever_started = True
            self.rest = None
            self._clear_alarm_quietly()
            self.watchdog.feed(self._loop.time())  # armed from every Start
            await self._send_speed(speed, source=source)
        except (CommandRejected, CommandTimeout) as error:
            self.trip(Reason.COMMAND_FAILED, detail=str(error))
            raise
        if self.state is SafetyState.COUNTDOWN:
            self._fire(Trigger.BELT_STARTED, "belt started")

    def set_direction(self, direction: Direction, *, turning_from: Direction | None = None) -> None:
        caps = caps_for(direction, self._safety, self.limits)
        if turning_from is not None and turning_from is not direction:
            caps = strictest(caps_for(turning_from, self._safety, self.limits), caps)
        self.caps = caps
        self.direction = direction

    def begin_turn(self, to_direction: Direction, from_direction: Direction) -> None:
        """A turn-around: the strictest caps of both directions apply from here."""
        self.set_direction(to_direction, turning_from=from_direction)
        self.sensor_limit_kmh = None
        self.plan_request("turn")
        self._fire(Trigger.TURN_BEGIN, f"turn to walk {to_direction}")

    def end_turn(self) -> None:
        self._fire(Trigger.TURN_END, "turned")

    def set_target(
        self,
        speed_kmh: float,
        incline_pct: float | None = None,
        *,
        acceleration_kmh_per_s: float | None = None,
        source: str = "plan",
        bout_index: int | None = None,
    ) -> TargetClamp:
        """Ask for a speed (and incline); the governor steps towards it. Returns the clamp."""
        if source == "plan" and bout_index != self._bout_index:
            self.sensor_limit_kmh = None  # a sensor's cap lasts for the rest of its bout
        self._bout_index = bout_index
        self._source = source
        clamp = clamp_speed(speed_kmh, self.caps)
        if source == "plan":
            self._bus.publish(
                RequestDecided(
                    self.now(), "set_target", source, True, clamp.reason or "", speed_kmh
                )
            )
        self._report_clamp("speed", clamp)
        self.target_speed_kmh = clamp.sent
        if incline_pct is not None and self.caps.supports_incline:
            inclamp = clamp_incline(incline_pct, self.caps)
            self._report_clamp("incline", inclamp)
            self.target_incline_pct = inclamp.sent
        self._accel_kmh_per_s = acceleration_kmh_per_s
        self._wake.set()
        return clamp

    def _sensor_limit(self, value: float | None, source: str) -> None:
        """A sensor's cap for the rest of the bout: it can only lower the target."""
        if value is None or not math.isfinite(value):
            self.sensor_limit_kmh = None
        else:
            self.sensor_limit_kmh = max(0.0, value)
        self._wake.set()

    def effective_target_kmh(self) -> float | None:
        target = self.target_speed_kmh
        if target is None or self.sensor_limit_kmh is None:
            return target
        return clamp_speed(min(target, self.sensor_limit_kmh), self.caps).sent

    @property
    def at_target(self) -> bool:
        target = self.effective_target_kmh()
        return (
            self.armed
            and target is not None
            and self.sent_speed_kmh is not None
            and abs(self.sent_speed_kmh - target) < 1e-6
        )

    async def stop(self, source: str = "plan", *, timeout_s: float = STOP_TIMEOUT_S) -> str:
        """Send Stop; returns the answer (success, a result code, timeout, link_lost, error).

        Stop disarms first, so no queued moving command follows it. The answer is not proof of
        rest: the ``RestWatch`` that the first Stop starts waits for telemetry (or the
        treadmill's status) to confirm it, and escalates when it does not come.
        """
        return await self._halt_belt(Op.STOP, self._link.stop, source, timeout_s)

    def _begin_rest_watch(self) -> None:
        """From the first Stop (asked for, even before it is written) the belt counts as moving
        until a reading after it says otherwise; a later Stop never restarts the watch."""
        self.belt_started = False
        if self.rest is None:
            now = self._loop.time()
            self.rest = RestWatch(now, last_kmh=self.measured_speed_kmh)
            self._next_escalation_t = now + ESCALATE_EVERY_S
            self._guard_every_tick()

    async def wait_for_stops(self, timeout_s: float = STOP_TIMEOUT_S) -> None:
        """Until no Stop is waiting for its turn or its answer (bounded): before a suspend."""
        deadline = self._loop.time() + timeout_s
        await asyncio.sleep(0)
        while self._stops_waiting > 0 or any(not t.done() for t in self._tasks):
            if self._loop.time() >= deadline:
                return
            await asyncio.sleep(0.05)

    async def _halt_belt(
        self, op: Op, call: Callable[[], Awaitable[Any]], source: str, timeout_s: float
    ) -> str:
        self._begin_rest_watch()
        self.target_speed_kmh = None
        self.sent_speed_kmh = None
        self._wake.set()
        if not self._link_up():
            return "link_lost"
        self._stops_waiting += 1
        try:
            async with asyncio.timeout(timeout_s):
                await self._send(op, call, source=source)
        except CommandRejected as error:
            return error.result
        except (CommandTimeout, TimeoutError):
            return "timeout"
        except LinkLost:
            return "link_lost"
        except CommandError:
            return "error"
        finally:
            self._stops_waiting -= 1
        return "success"

    # --- events from the machine ------------------------------------------------------------------

    def observe(self, event: MachineEvent) -> None:
        """The link's listener. Safety first, then the engine hears about it."""
        try:
            if isinstance(event, TelemetryEvent):
                self._on_telemetry(event)
            elif isinstance(event, StatusEvent):
                self._on_status(event)
            elif isinstance(event, LinkEvent):
                self._on_link(event)
            elif isinstance(event, LinkWrite):
                self._on_link_write(event)
        except Exception as error:  # a bug here must not silently switch the checks off
            self._internal_error(error)
        try:
            self.on_machine_event(event)
        except Exception as error:
            self._internal_error(error)

    def _internal_error(self, error: BaseException) -> None:
        """An unexpected exception in the safety path: stop the belt and end the session."""
        log.error("supervisor failed", exc_info=error)
        with contextlib.suppress(Exception):
            self.trip(Reason.INTERNAL_ERROR, detail=f"{type(error).__name__}: {error}")
        self.on_error(error)

    def _task_ended(self, task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            self._internal_error(task.exception() or RuntimeError("task ended"))

    def _on_link_write(self, event: LinkWrite) -> None:
        """The client's own Control Point writes go into the audit log like ours."""
        source = f"link: {event.why}" if event.why else "link"
        self._bus.publish(
            CommandSent(self.now(), event.op, event.speed_kmh, event.incline_pct, source)
        )
        if event.result:
            self._bus.publish(CommandAnswered(self.now(), event.op, event.result))

    def _on_telemetry(self, event: TelemetryEvent) -> None:
        now = self._loop.time()
        self.watchdog.feed(now)
        data = event.data
        if data.inclination_pct is not None:
            self.measured_incline_pct = data.inclination_pct
        speed = data.speed_kmh
        if speed is None:
            return
        self.measured_speed_kmh = speed
        if speed > MOVING_KMH:
            self.ever_moved = True
        if self.rest is not None:
            self.rest.observe(now, speed)
            if self.rest.confirmed(telemetry_fresh=True):
                self._rest_confirmed()
        # Overspeed: the ceiling is the cap that applies now (the backward cap in backward bouts
        # and in turns into or out of them), tightened to what treadctl asked for while it drives.
        cap = self.caps.max_speed_kmh
        peak = self._history.peak(now)
        ceiling = min(cap, peak) if self.armed and peak > 0 else cap
        if self._runaway.observe(now, speed, ceiling):
            self._runaway.reset()
            self.trip(Reason.RUNAWAY, detail=f"{speed:.1f} km/h measured, {ceiling:.1f} allowed")
            return
        if self.armed and self.sent_speed_kmh is not None:
            if self._follow.observe(now, speed, self.sent_speed_kmh, self.sent_speed_t):
                self._follow.reset()
                detail = f"{speed:.1f} km/h measured, {self.sent_speed_kmh:.1f} km/h commanded"
                self.trip(Reason.IGNORE_COMMANDS, detail=detail)
            return
        self._follow.reset()

    def _rest_confirmed(self, *, by_status: bool = False) -> None:
        """Rest is confirmed: a reading says so (``at_rest``), or, with no data to read, the
        treadmill's own status does — then the walker is told whose word it is."""
        if self._alarm_up:
            self._alarm_up = False
            reason, message = (
                ("treadmill_stopped", TREADMILL_STOPPED_MESSAGE)
                if by_status
                else ("at_rest", AT_REST_MESSAGE)
            )
            self._bus.publish(Alarm(self.now(), str(Reason.NOT_STOPPING), message, False))
            self._bus.publish(SafetyEvent(self.now(), reason, message, action="report"))
            self._fire(Trigger.REST_CONFIRMED, reason.replace("_", " "))
        self._next_escalation_t = math.inf
        self._escalation = 0
        self.on_change()

    def _clear_alarm_quietly(self) -> None:
        self._alarm_up = False
        self._escalation = 0
        self._next_escalation_t = math.inf

    def _on_status(self, event: StatusEvent) -> None:
        driving = self.state is SafetyState.RUNNING and self.armed
        decision = decide_status(
            event.status,
            speed_cap_kmh=self.caps.max_speed_kmh,
            incline_cap_pct=self.caps.max_incline_pct,
            driving=driving,
        )
        reason = decision.reason
        if reason is None:
            return
        if decision.stopped and self.rest is not None:
            self.rest.treadmill_stopped(self._loop.time())  # the guard confirms once settled
        if decision.action is Action.HALT:
            detail = f"{decision.speed_kmh:g} km/h" if decision.speed_kmh is not None else ""
            self.trip(reason, detail=detail)  # also while halted: the latch keeps the strongest
        elif decision.action is Action.ADOPT:
            self._adopt(reason, decision.speed_kmh, decision.incline_pct)
        elif decision.action is Action.REPORT:
            if reason is Reason.CONSOLE_START:
                # The walker started the belt at the console: don't fight it, but nothing moves it
                # from here until the walker re-arms with the belt at rest.
                self.rest = None
                self._clear_alarm_quietly()
                self.machine.latch_halt(Latch.KEY_ONLY, str(reason))
                self.ever_moved = True
            elif self.machine.state is SafetyState.TURNING and decision.speed_kmh is not None:
                self.sent_speed_kmh = None  # a console change during a turn is undone, not kept
                self._wake.set()
            self._bus.publish(SafetyEvent(self.now(), str(reason), MESSAGES[reason], "report"))

    def _adopt(self, reason: Reason, speed_kmh: float | None, incline_pct: float | None) -> None:
        now = self._loop.time()
        if speed_kmh is not None:
            self.sent_speed_kmh = speed_kmh
            self.sent_speed_t = now
            self.target_speed_kmh = speed_kmh
            self._history.record(now, speed_kmh)
            self.on_adopted(speed_kmh)
            message = f"speed changed at the console to {speed_kmh:g} km/h; keeping it."
        else:
            self.sent_incline_pct = incline_pct
            self.target_incline_pct = incline_pct
            message = f"incline changed at the console to {incline_pct:g} %; keeping it."
        self._bus.publish(SafetyEvent(self.now(), str(reason), message, action="adopt"))

    def _on_link(self, event: LinkEvent) -> None:
        if event.state is LinkState.DISCONNECTED:
            self.connected = False
            self.watchdog.last_data_t = None
            self.measured_speed_kmh = None  # unknown until the treadmill speaks again
            self.measured_incline_pct = None
            self.belt_started = False
            self._runaway.reset()
            was = self.state
            if was is not SafetyState.ENDING and was is not SafetyState.ENDED:
                self.trip(Reason.LINK_LOST, detail=event.reason, send_stop=False)
            self._fire(Trigger.LINK_LOST, event.reason or "link lost")
        else:
            self.connected = True
            self.on_change()

    def reconnected(self) -> None:
        """The engine reconnected; the Stop it sends next is the first command."""
        self.connected = True
        self._fire(Trigger.RECONNECTED, "reconnected")

    # --- the guard: watchdog and rest, on the loop clock ------------------------------------------

    # The guard ticks on plain loop callbacks, not a task awaiting asyncio.sleep: the same hops
    # through the loop (timer, then a ready call, then the check), without a future and a task
    # step per tick. Its ticks lie on one grid, GUARD_TICK_S apart from the last tick. While no
    # Stop is being watched the only thing a tick can find is a stale watchdog, and data only
    # moves its deadline later, so the guard sleeps through the ticks before that deadline and
    # wakes on the same grid tick the watchdog would have tripped on anyway. A Stop wakes it back
    # to every tick (``_guard_every_tick``).

    def _guard_sleep(self) -> None:
        now = self._loop.time()
        self._guard_last_t = now
        ticks = 1 if self.rest is not None else self._ticks_to_watchdog(now)
        self._guard = self._loop.call_at(now + ticks * GUARD_TICK_S, self._guard_woken)

    def _ticks_to_watchdog(self, now: float) -> int:
        """Grid ticks from ``now`` to the first one that could find the watchdog stale."""
        deadline = self.watchdog.deadline()
        if deadline is None or self.watchdog.fired:
            # Only a reading re-arms it, and its deadline then lies timeout_s after the reading.
            return max(1, math.floor(self.watchdog.timeout_s / GUARD_TICK_S + 1e-9))
        return max(1, math.ceil((deadline - TIME_EPS_S - now) / GUARD_TICK_S - 1e-9))

    def _guard_every_tick(self) -> None:
        """A Stop is being watched: the guard must not sleep past the next grid tick."""
        guard = self._guard
        if not isinstance(guard, asyncio.TimerHandle):
            return  # closed, or its check is already queued
        elapsed_ticks = (self._loop.time() - self._guard_last_t) / GUARD_TICK_S
        next_t = self._guard_last_t + max(1, math.ceil(elapsed_ticks - 1e-9)) * GUARD_TICK_S
        if guard.when() > next_t + TIME_EPS_S:
            guard.cancel()
            self._guard = self._loop.call_at(next_t, self._guard_woken)

    def _guard_woken(self) -> None:
        self._guard = self._loop.call_soon(self._guard_tick)

    def _guard_tick(self) -> None:
        try:
            self._check_guard(self._loop.time())
        except Exception as error:  # as a crashed guard task was: an internal error, no more ticks
            self._guard = None
            self._internal_error(error)
            return
        self._guard_sleep()

    def _check_guard(self, now: float) -> None:
        if self._link_up() and self.watchdog.check(now + TIME_EPS_S):
            detail = f"{self.watchdog.timeout_s:g} s without data"
            if self.machine.driving or self.belt_started or self.state in _STOPPED_BY_US:
                # Driving: stop. Already stopped: logged, and the halt becomes key-only.
                self.trip(Reason.WATCHDOG, detail=detail)
            else:
                self._bus.publish(
                    SafetyEvent(self.now(), str(Reason.WATCHDOG), detail, action="report")
                )
        rest = self.rest
        if rest is None:
            return
        fresh = self.telemetry_fresh()
        if rest.confirmed(fresh, now):
            if self._alarm_up:
                self._rest_confirmed(by_status=not fresh)
            return
        if not self._alarm_up and rest.overdue(now, self.telemetry_fresh()):
            self._raise_alarm(rest.describe(now, self.measured_speed_kmh))
        if self._alarm_up and now >= self._next_escalation_t - TIME_EPS_S and self._link_up():
            self._next_escalation_t = now + ESCALATE_EVERY_S
            self._escalation += 1
            if self._escalation % 2 == 0:
                self._spawn(self._halt_belt(Op.RESET, self._link.reset, SOURCE_SAFETY, 3.0))
            else:
                self._spawn(self.stop(SOURCE_SAFETY))

    def _raise_alarm(self, detail: str) -> None:
        """The belt is not confirmed at rest after Stop: say so loudly, everywhere, until it is."""
        self._alarm_up = True
        message = f"{MESSAGES[Reason.NOT_STOPPING]} ({detail})"
        self._next_escalation_t = self._loop.time()
        if self.state not in (SafetyState.ENDING, SafetyState.ENDED):
            self.trip(Reason.NOT_STOPPING, detail=detail, send_stop=False)
        self._bus.publish(Alarm(self.now(), str(Reason.NOT_STOPPING), message, True))
        self._fire(Trigger.REST_UNCONFIRMED, "belt not confirmed at rest")

    # --- the governor: steps the belt towards the target ------------------------------------------

    async def _govern(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._step_towards_target()
            except Refused:
                continue
            except OutOfRange as error:
                self.refuse("out_of_range", f"not sent: {error}")
            except (CommandRejected, CommandTimeout) as error:
                self.trip(Reason.COMMAND_FAILED, detail=str(error))
            except CommandError:
                continue  # link lost: the link event halts the session

    async def _step_towards_target(self) -> None:
        while self.armed and self.target_speed_kmh is not None:
            target = self.effective_target_kmh()
            assert target is not None
            sent = self.sent_speed_kmh
            incline = self.target_incline_pct
            incline_due = incline is not None and incline != self.sent_incline_pct
            slowing = sent is None or target < sent - 1e-6
            # Slowing down: speed before incline. Speeding up: incline first, then the ramp.
            if slowing:
                await self._send_speed(target, source=self._source)
                continue
            if incline_due and incline is not None:
                await self._send_incline(incline, source=self._source)
                continue
            if sent is not None and abs(sent - target) < 1e-6:
                self.on_target_reached()
                return
            step = ramp_step(self.caps, self._accel_kmh_per_s)
            due = self.sent_speed_t + step.interval_s
            if self._loop.time() < due - TIME_EPS_S:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout_at(due):
                        await self._wake.wait()
                continue  # re-read everything: the target or the state may have changed
            next_kmh = next_ramp_speed(sent or target, target, step)
            await self._send_speed(next_kmh, source=self._source)

    # --- the one path to the Control Point --------------------------------------------------------

    async def _send_speed(self, speed_kmh: float, *, source: str) -> None:
        speed = clamp_speed(speed_kmh, self.caps).sent
        self.sent_speed_kmh = speed
        self._history.record(self._loop.time(), speed)
        await self._send(
            Op.SET_SPEED,
            lambda: self._link.set_speed(speed),
            source=source,
            moving=True,
            speed_kmh=speed,
        )
        self.sent_speed_t = self._loop.time()  # checks count from the acknowledgement

    async def _send_incline(self, incline_pct: float, *, source: str) -> None:
        incline = clamp_incline(incline_pct, self.caps).sent
        self.sent_incline_pct = incline
        await self._send(
            Op.SET_INCLINE,
            lambda: self._link.set_incline(incline),
            source=source,
            moving=True,
            incline_pct=incline,
        )

    def _may_move(self, op: Op) -> bool:
        if self._stops_waiting > 0 or not self.telemetry_fresh():
            return False
        if op is Op.START:
            return self.state is SafetyState.COUNTDOWN
        return self.armed

    async def _send(
        self,
        op: Op,
        call: Callable[[], Awaitable[Any]],
        *,
        source: str,
        moving: bool = False,
        speed_kmh: float | None = None,
        incline_pct: float | None = None,
    ) -> Any:
        if moving and not self._may_move(op):
            raise Refused(op)
        async with self._lock:
            # Checked again after the lock: a Stop that was queued meanwhile must win.
            if moving and not self._may_move(op):
                raise Refused(op)
            self._bus.publish(CommandSent(self.now(), str(op), speed_kmh, incline_pct, source))
            try:
                async with asyncio.timeout(COMMAND_TIMEOUT_S):
                    result = await call()
            except OutOfRange as error:
                self._bus.publish(
                    RequestDecided(self.now(), str(op), source, False, f"not sent: {error}")
                )
                raise
            except CommandRejected as error:
                self._bus.publish(CommandAnswered(self.now(), str(op), error.result))
                raise
            except (CommandTimeout, TimeoutError):
                self._bus.publish(CommandAnswered(self.now(), str(op), "timeout"))
                raise CommandTimeout(str(op), f"no answer to {op}") from None
            except LinkLost:
                self._bus.publish(CommandAnswered(self.now(), str(op), "link_lost"))
                raise
            except CommandError as error:
                self._bus.publish(CommandAnswered(self.now(), str(op), "error"))
                log.debug("command %s failed: %s", op, error)
                raise
            self._bus.publish(CommandAnswered(self.now(), str(op), "success"))
            return result

    # --- helpers ---------------------------------------------------------------------------------

    def incline_within(self, cap_pct: float) -> bool:
        """The measured incline is within ``cap_pct`` (or the treadmill reports none)."""
        measured = self.measured_incline_pct
        return measured is None or measured <= cap_pct + INCLINE_TOLERANCE_PCT

    def _report_clamp(self, field: str, clamp: TargetClamp) -> None:
        if clamp.reason is None or clamp.reason == "rounded to the increment":
            return
        self._bus.publish(
            Clamped(self.now(), field, clamp.asked, clamp.sent, clamp.reason, self._bout_index)
        )

    def _link_up(self) -> bool:
        return self.connected and self._link.is_connected

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task: asyncio.Task[Any] = self._loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


__all__ = ["Halt", "Refused", "Supervisor"]
