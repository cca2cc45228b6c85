"""The supervisor: the only code that commands the belt.

Every source — the plan, keys, MQTT, reconnect recovery — asks it; it clamps, steps speed
increases at the allowed acceleration, verifies the belt against what it was told, and stops it
on every fault. A fault latches a *halt*: until the walker re-arms with a key, nothing but Stop
(and the Request Control the protocol needs before it) reaches the treadmill.

The decisions are pure (``caps``, ``checks``, ``rules``); this module only sequences them over
the ``TreadmillLink`` with one Control Point procedure at a time.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from treadctl.direction import Direction
from treadctl.events import (
    Clamped,
    CommandAnswered,
    CommandSent,
    EventBus,
    SafetyEvent,
)
from treadctl.limits import DeviceLimits
from treadctl.link import (
    CommandError,
    CommandRejected,
    CommandTimeout,
    LinkEvent,
    LinkLost,
    LinkState,
    MachineEvent,
    Op,
    StatusEvent,
    TelemetryEvent,
    TreadmillLink,
)
from treadctl.safety.caps import (
    Clamp,
    SafetyCaps,
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
    RunawayCheck,
    StopCheck,
    Watchdog,
)
from treadctl.safety.rules import MESSAGES, Action, Reason, decide_status

log = logging.getLogger(__name__)

COMMAND_TIMEOUT_S = 5.0  # bound on any one procedure, on top of the client's own timeout
STOP_TIMEOUT_S = 3.0  # graceful exits wait this long for Stop's answer
TIME_EPS_S = 1e-6  # float slack when comparing loop times (the virtual clock jumps exactly)
BELT_MOVING_OPS = frozenset({Op.START, Op.SET_SPEED, Op.SET_INCLINE})


@dataclass(frozen=True)
class Halt:
    """A latched fault: the belt was stopped and only a key re-arms the session."""

    reason: Reason
    message: str
    t_s: float


class Refused(Exception):
    """A belt-moving command was asked for while the session is halted or disarmed."""


class Supervisor:
    """Drives one treadmill for one session. Create it, ``attach()`` it to the link's events,
    then the engine calls ``start_belt``, ``set_target``, ``stop`` and ``rearm``."""

    def __init__(
        self,
        link: TreadmillLink,
        bus: EventBus,
        safety: SafetyCaps,
        limits: DeviceLimits,
        *,
        session_time: Callable[[], float],
        loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        self._link = link
        self._bus = bus
        self._safety = safety
        self.limits = limits
        self._session_time = session_time
        self._loop = loop or asyncio.get_running_loop()
        self._lock = asyncio.Lock()
        self.caps = caps_for(Direction.FORWARD, safety, limits)
        self.halt: Halt | None = None
        self.armed = False  # the belt was started by treadctl and may be driven
        self.target_speed_kmh: float | None = None
        self.target_incline_pct: float | None = None
        self.sent_speed_kmh: float | None = None
        self.sent_speed_t: float = 0.0
        self.sent_incline_pct: float | None = None
        self._accel_kmh_per_s: float | None = None
        self._source = "plan"
        self._bout_index: int | None = None
        self.measured_speed_kmh: float | None = None
        self.watchdog = Watchdog(safety.watchdog_s)
        self._history = CommandHistory()
        self._runaway = RunawayCheck()
        self._follow = FollowCheck()
        self._stop_check: StopCheck | None = None  # set by every Stop, Pause or Reset
        self._not_stopping_reported = False
        self._stop_retries = 0
        self.connected = True
        self._wake = asyncio.Event()
        self._tasks: set[asyncio.Task[Any]] = set()
        self._governor: asyncio.Task[None] | None = None
        self._watchdog_task: asyncio.Task[None] | None = None
        self._unsubscribe: Callable[[], None] | None = None
        self.on_halt: Callable[[Halt], None] = lambda halt: None
        self.on_target_reached: Callable[[], None] = lambda: None
        self.on_adopted: Callable[[float], None] = lambda speed_kmh: None
        self.on_machine_event: Callable[[MachineEvent], None] = lambda event: None
        self.on_error: Callable[[BaseException], None] = lambda error: None

    # --- life cycle -----------------------------------------------------------------------------

    def attach(self) -> None:
        """Listen to the machine and start the governor and the watchdog."""
        self._unsubscribe = self._link.add_listener(self.observe)
        self._governor = self._loop.create_task(self._govern(), name="supervisor-governor")
        self._watchdog_task = self._loop.create_task(self._watch(), name="supervisor-watchdog")
        for task in (self._governor, self._watchdog_task):
            task.add_done_callback(self._task_ended)

    async def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        for task in (self._governor, self._watchdog_task, *self._tasks):
            if task is not None and not task.done():
                task.cancel()
        for task in (self._governor, self._watchdog_task, *self._tasks):
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task

    def now(self) -> float:
        return self._session_time()

    # --- commands from the engine ----------------------------------------------------------------

    async def take_control(self, source: str = "plan") -> None:
        await self._send(Op.REQUEST_CONTROL, self._link.request_control, source=source)

    async def start_belt(self, start_speed_kmh: float, source: str = "plan") -> None:
        """Start the belt and command its start speed (never above the minimum of the caps).

        Raises ``Refused`` while halted and ``CommandError`` when the treadmill says no (the
        session is then halted).
        """
        if self.halt is not None:
            raise Refused(self.halt.reason)
        speed = clamp_speed(start_speed_kmh, self.caps).sent
        try:
            await self._send(Op.START, self._link.start, source=source, moving=True)
            self.armed = True
            self._stop_check = None
            if self.watchdog.last_data_t is None:
                # A belt that never sends data must not run unwatched: count from the Start.
                self.watchdog.feed(self._loop.time())
            await self._send_speed(speed, source=source)
        except (CommandRejected, CommandTimeout) as error:
            self.trip(Reason.COMMAND_FAILED, detail=str(error))
            raise

    def set_direction(self, direction: Direction, *, turning_from: Direction | None = None) -> None:
        caps = caps_for(direction, self._safety, self.limits)
        if turning_from is not None and turning_from is not direction:
            caps = strictest(caps_for(turning_from, self._safety, self.limits), caps)
        self.caps = caps

    def set_target(
        self,
        speed_kmh: float,
        incline_pct: float | None = None,
        *,
        acceleration_kmh_per_s: float | None = None,
        source: str = "plan",
        bout_index: int | None = None,
    ) -> Clamp:
        """Ask for a speed (and incline); the governor steps towards it. Returns the clamp."""
        self._bout_index = bout_index
        self._source = source
        clamp = clamp_speed(speed_kmh, self.caps)
        self._report_clamp("speed", clamp)
        self.target_speed_kmh = clamp.sent
        if incline_pct is not None and self.caps.supports_incline:
            inclamp = clamp_incline(incline_pct, self.caps)
            self._report_clamp("incline", inclamp)
            self.target_incline_pct = inclamp.sent
        self._accel_kmh_per_s = acceleration_kmh_per_s
        self._wake.set()
        return clamp

    def clear_target(self) -> None:
        self.target_speed_kmh = None
        self._wake.set()

    @property
    def at_target(self) -> bool:
        return (
            self.armed
            and self.target_speed_kmh is not None
            and self.sent_speed_kmh is not None
            and abs(self.sent_speed_kmh - self.target_speed_kmh) < 1e-6
        )

    async def stop(self, source: str = "plan", *, timeout_s: float = STOP_TIMEOUT_S) -> bool:
        """Disarm and send Stop; True when the treadmill confirmed (or was already stopped).

        Operation Failed is the spec's answer to Stop on a stopped belt (right after a reconnect,
        or after a console stop), so it counts as stopped here; the telemetry still has to show
        the belt slowing down (``StopCheck``), which catches a treadmill that refuses Stop.
        """
        return await self._halt_belt(Op.STOP, self._link.stop, source, timeout_s) in (
            "success",
            "operation_failed",
        )

    async def pause(self, source: str = "key") -> bool:
        """The walker's pause brings the belt to rest with Stop, not FTMS Pause.

        Pause keeps the treadmill's own target speed, so the Start that resumes would head
        straight back to the old speed until the ramp's first target arrives (a second or more on
        a slow treadmill). Stop clears that target: every restart begins at the belt's minimum
        speed and ramps (design rule 3). The session's own clock and totals do not depend on the
        treadmill's counters, so nothing is lost by it.
        """
        return await self.stop(source)

    async def _halt_belt(
        self, op: Op, call: Callable[[], Awaitable[Any]], source: str, timeout_s: float
    ) -> str:
        """Disarm and send one stopping procedure; returns the answer ("success", a result code,
        "timeout", "link_lost" or "error")."""
        self.armed = False
        self.target_speed_kmh = None
        self._wake.set()
        if not self._link_up():
            return "link_lost"
        self._stop_check = StopCheck(self._loop.time())
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
        return "success"

    async def _safety_stop(self) -> None:
        """Stop for a fault. When the answer does not confirm it and there is no telemetry to
        judge the belt by, tell the walker at once and escalate (Pause, then Reset)."""
        answer = await self._halt_belt(Op.STOP, self._link.stop, "safety", STOP_TIMEOUT_S)
        if answer in ("success", "link_lost") or not self._link_up():
            return
        if answer == "operation_failed" or not self.watchdog.fired:
            return  # the telemetry (StopCheck) judges whether the belt is really stopping
        self.report_not_stopping(f"no answer to Stop ({answer}) and no data from the treadmill")
        for op, call in ((Op.PAUSE, self._link.pause), (Op.RESET, self._link.reset)):
            if await self._halt_belt(op, call, "safety", STOP_TIMEOUT_S) == "success":
                return
            if not self._link_up():
                return

    def trip(self, reason: Reason, *, detail: str = "", send_stop: bool = True) -> Halt:
        """Latch a halt: disarm, stop the belt now (in the background), tell the engine.

        A fault during the walker's own stop replaces it: only a key may clear it then.
        """
        message = MESSAGES[reason] + (f" ({detail})" if detail else "")
        first = self.halt is None or (
            self.halt.reason is Reason.WALKER_STOP and reason is not Reason.WALKER_STOP
        )
        if first:
            self.halt = Halt(reason, message, self.now())
        self.armed = False
        self.target_speed_kmh = None
        self._wake.set()
        self._bus.publish(SafetyEvent(self.now(), str(reason), message, action="stop"))
        if send_stop and self._link_up():
            self._spawn(self._safety_stop())
        halt = self.halt
        assert halt is not None
        if first:
            self.on_halt(halt)
        return halt

    def rearm(self) -> None:
        """Clear the halt (the walker pressed the key); the engine restarts from a ramp."""
        self.halt = None
        self._runaway.reset()
        self._follow.reset()
        self._not_stopping_reported = False
        self._stop_retries = 0

    def refuse(self, reason: str, message: str) -> None:
        self._bus.publish(SafetyEvent(self.now(), reason, message, action="refuse"))

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

    def _on_telemetry(self, event: TelemetryEvent) -> None:
        now = self._loop.time()
        self.watchdog.feed(now)
        self._wake_watchdog()
        speed = getattr(event.data, "speed_kmh", None)
        if speed is None:
            return
        self.measured_speed_kmh = speed
        # While treadctl drives the belt it knows what it asked for: a belt well above that is
        # running away even below the cap (2 km/h backward must not become 4.5 km/h first).
        peak = self._history.peak(now)
        ceiling = peak if self.armed and peak > 0 else max(self.caps.max_speed_kmh, peak)
        if self._runaway.observe(now, speed, ceiling):
            self._runaway.reset()
            detail = f"{speed:.1f} km/h measured, {ceiling:.1f} km/h allowed"
            if self.halt is None:
                self.trip(Reason.RUNAWAY, detail=detail)
            else:
                self._spawn(self._safety_stop())
            return
        if self.armed and self.sent_speed_kmh is not None:
            if self._follow.observe(now, speed, self.sent_speed_kmh, self.sent_speed_t):
                self._follow.reset()
                detail = f"{speed:.1f} km/h measured, {self.sent_speed_kmh:.1f} km/h commanded"
                self.trip(Reason.IGNORE_COMMANDS, detail=detail)
            return
        self._follow.reset()
        self._check_stopped(now, speed)

    def _check_stopped(self, now: float, speed_kmh: float) -> None:
        """After Stop the belt must keep slowing down; if not, say so and send Stop again."""
        check = self._stop_check
        if check is None or not check.observe(now, speed_kmh):
            return
        self.report_not_stopping(f"{speed_kmh:.1f} km/h measured")
        # Escalate: Stop again, then Pause, then Reset (which sets the target speed to 0).
        self._stop_retries += 1
        attempt = self._stop_retries % 3
        if attempt == 2:
            self._spawn(self.pause("safety"))
        elif attempt == 0:
            self._spawn(self._reset_belt())
        else:
            self._spawn(self.stop("safety"))

    async def _reset_belt(self) -> None:
        await self._halt_belt(Op.RESET, self._link.reset, "safety", STOP_TIMEOUT_S)

    def belt_may_be_moving(self) -> bool:
        """Whether the last telemetry (or the lack of it) leaves the belt possibly moving."""
        speed = self.measured_speed_kmh
        return self.watchdog.fired or speed is None or speed > MOVING_KMH

    def report_not_stopping(self, detail: str) -> None:
        """Tell the walker, once per halt, that only the console or the safety key can help."""
        if self._not_stopping_reported:
            return
        self._not_stopping_reported = True
        message = f"{MESSAGES[Reason.NOT_STOPPING]} ({detail})"
        self._bus.publish(SafetyEvent(self.now(), str(Reason.NOT_STOPPING), message))

    def _on_status(self, event: StatusEvent) -> None:
        decision = decide_status(
            event.status,
            speed_cap_kmh=self.caps.max_speed_kmh,
            incline_cap_pct=self.caps.max_incline_pct,
            driving=self.armed,
        )
        if decision.action is Action.HALT and decision.reason is not None:
            detail = f"{decision.speed_kmh:g} km/h" if decision.speed_kmh is not None else ""
            self.trip(decision.reason, detail=detail)  # also while halted: the walker is told
        elif decision.action is Action.ADOPT and decision.reason is not None:
            self._adopt(decision.reason, decision.speed_kmh, decision.incline_pct)
        elif decision.action is Action.REPORT and decision.reason is not None:
            if decision.reason is Reason.CONSOLE_START:
                self._stop_check = None  # the walker started it at the console: don't fight it
            message = MESSAGES[decision.reason]
            self._bus.publish(SafetyEvent(self.now(), str(decision.reason), message, "report"))

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
            self._runaway.reset()
            self.trip(Reason.LINK_LOST, detail=event.reason, send_stop=False)
        else:
            self.connected = True

    # --- the governor: steps the belt towards the target ------------------------------------------

    async def _govern(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self._step_towards_target()
            except Refused:
                continue
            except (CommandRejected, CommandTimeout) as error:
                self.trip(Reason.COMMAND_FAILED, detail=str(error))
            except CommandError:
                continue  # link lost: the link event halts the session

    async def _step_towards_target(self) -> None:
        while self.armed and self.target_speed_kmh is not None:
            incline = self.target_incline_pct
            if incline is not None and incline != self.sent_incline_pct:
                await self._send_incline(incline, source=self._source)
                continue
            target = self.target_speed_kmh
            sent = self.sent_speed_kmh
            if sent is not None and abs(sent - target) < 1e-6:
                self.on_target_reached()
                return
            if sent is None or target < sent:
                await self._send_speed(target, source=self._source)
                continue
            step = ramp_step(self.caps, self._accel_kmh_per_s)
            due = self.sent_speed_t + step.interval_s
            if self._loop.time() < due - TIME_EPS_S:
                self._wake.clear()
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout_at(due):
                        await self._wake.wait()
                continue  # re-read everything: the target or the state may have changed
            await self._send_speed(next_ramp_speed(sent, target, step), source=self._source)

    # --- the one path to the Control Point --------------------------------------------------------

    async def _send_speed(self, speed_kmh: float, *, source: str) -> None:
        speed = clamp_speed(speed_kmh, self.caps).sent
        now = self._loop.time()
        self.sent_speed_kmh = speed
        self.sent_speed_t = now
        self._history.record(now, speed)
        await self._send(
            Op.SET_SPEED,
            lambda: self._link.set_speed(speed),
            source=source,
            moving=True,
            speed_kmh=speed,
        )

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
        async with self._lock:
            # Checked after the lock: a Stop that was queued meanwhile must win.
            if moving and (self.halt is not None or (op is not Op.START and not self.armed)):
                raise Refused(op)
            self._bus.publish(CommandSent(self.now(), str(op), speed_kmh, incline_pct, source))
            try:
                async with asyncio.timeout(COMMAND_TIMEOUT_S):
                    result = await call()
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

    def _report_clamp(self, field: str, clamp: Clamp) -> None:
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

    def _wake_watchdog(self) -> None:
        pass  # the watchdog task re-reads the deadline when it wakes

    async def _watch(self) -> None:
        """Stale telemetry → halt. Sleeps until the current deadline, then re-checks."""
        while True:
            deadline = self.watchdog.deadline()
            if deadline is None or self.watchdog.fired:
                await asyncio.sleep(self.watchdog.timeout_s)
                continue
            if self._loop.time() < deadline - TIME_EPS_S:
                await asyncio.sleep(deadline - self._loop.time())
                continue
            if self.watchdog.check(self._loop.time() + TIME_EPS_S) and self._link_up():
                if self.halt is None:
                    self.trip(Reason.WATCHDOG, detail=f"{self.watchdog.timeout_s:g} s without data")
                else:
                    self._spawn(self._safety_stop())
