"""The session engine: walks the plan on the injected clock and answers the walker's requests.

It owns time (``loop.time()``; the virtual loop makes ``--fast`` and the tests instant) and the
order of things: bout, ramp, steady, turn-around, pause, reconnect, end. Every command goes
through the ``Supervisor``; every decision comes up as a typed event on the ``EventBus``.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from treadctl.controls import Request, RequestKind, RequestResult
from treadctl.direction import Direction
from treadctl.errors import TreadctlError
from treadctl.events import (
    BoutStarted,
    Clamped,
    EndStatus,
    EventBus,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    SessionEnded,
    StatusReceived,
    Telemetry,
)
from treadctl.limits import DeviceLimits
from treadctl.link import (
    CommandError,
    LinkEvent,
    LinkState,
    MachineEvent,
    StatusEvent,
    TelemetryEvent,
    TreadmillLink,
)
from treadctl.plan import Plan, PlannedBout, TurnAround
from treadctl.safety.caps import SafetyCaps
from treadctl.safety.rules import MESSAGES, RECONNECTED_MESSAGE, Reason
from treadctl.safety.supervisor import STOP_TIMEOUT_S, TIME_EPS_S, Halt, Refused, Supervisor
from treadctl.session.clock import BoutTimer, SessionClock
from treadctl.session.summary import Totals

log = logging.getLogger(__name__)

SLOWDOWN_WAIT_S = 30.0  # a turn waits at most this long for the belt to slow down
CONFIRM_WAIT_S = 60.0  # a moving belt waits at most this long for "I have turned", then rests
REST_KMH = 0.1  # a belt at or below this is at rest: the session may end
REST_WAIT_S = 15.0  # after the final Stop, wait at most this long for the belt to come to rest
SLOWDOWN_STALL_S = 3.0  # ... and stops it if it makes no progress towards the turn speed this long
SLOWING_KMH = 0.05  # progress: a reading this much below the lowest so far
SETTLED_KMH = 0.3  # "slowed to the turn speed" tolerance
DISCONNECT_TIMEOUT_S = 3.0
# Halts that only a key may clear: the treadmill's own word, lost links, verification faults.
KEY_ONLY = frozenset(Reason) - {Reason.WALKER_STOP}


@dataclass(frozen=True)
class SessionOptions:
    """How this session behaves where the walker cannot be asked.

    ``rearm_timeout_s``: after a fault, end with a safety stop if nobody re-arms within this time
    (None: wait for the key forever; the headless runner uses a bound because it has no keys).
    ``auto_confirm_turns``: treat turn confirmations as given (headless: there is no key).
    """

    body_mass_kg: float = 70.0
    rearm_timeout_s: float | None = None
    auto_confirm_turns: bool = False
    reconnect_timeout_s: float = 60.0
    reconnect_backoff_s: tuple[float, ...] = (0.5, 1.0, 2.0, 4.0, 8.0)
    allow_remote_start: bool = False
    connect: bool = True  # connect the link first (False: it is already connected)


class _Over(Exception):
    def __init__(self, status: EndStatus, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


class Session:
    """One run of one plan on one treadmill. ``request()`` is the ``SessionControls`` method."""

    def __init__(
        self,
        plan: Plan,
        link: TreadmillLink,
        bus: EventBus,
        safety: SafetyCaps,
        options: SessionOptions | None = None,
        *,
        plan_for_limits: Callable[[DeviceLimits], Plan] | None = None,
    ) -> None:
        self.plan = plan
        self._plan_for_limits = plan_for_limits
        self.link = link
        self.bus = bus
        self.safety = safety
        self.options = options or SessionOptions()
        self.totals = Totals(
            plan.profile_name, len(plan.bouts), body_mass_kg=self.options.body_mass_kg
        )
        self.ended: SessionEnded | None = None
        self.error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._clock: SessionClock | None = None
        self._sup: Supervisor | None = None
        self._wake = asyncio.Event()
        self._phase: PhaseName = PhaseName.STARTING
        self._bout: PlannedBout | None = None
        self._timer: BoutTimer | None = None
        self._direction: Direction | None = None
        self._nudge_kmh = 0.0
        self._nudge_pct = 0.0
        self._paused = False
        self._rearm = False
        self._quit: str | None = None
        self._fatal: str | None = None  # an unexpected error in a callback: end with a safety stop
        self._skip = False
        self._confirm = False
        self._waiting_confirm = False
        self._connected = False
        self._started = False

    # --- the public face ---------------------------------------------------------------------

    @property
    def supervisor(self) -> Supervisor | None:
        return self._sup

    def now(self) -> float:
        return self._clock.now() if self._clock is not None else 0.0

    def request(self, request: Request) -> RequestResult:
        """Answer at once; what happens to the belt follows on the event stream."""
        sup = self._sup
        if sup is None or self.ended is not None:
            return RequestResult(False, "the session is not running")
        kind = request.kind
        if kind is RequestKind.TOGGLE_PAUSE:
            held = self._paused or sup.halt is not None
            kind = RequestKind.RESUME if held else RequestKind.PAUSE
        if kind is RequestKind.QUIT:
            self._quit = "quit" if request.source != "signal" else "signal"
            self._spawn(sup.stop("exit"))
            return self._woken(RequestResult(True))
        if kind is RequestKind.STOP:
            sup.trip(Reason.WALKER_STOP, detail=f"by {request.source}")
            return self._woken(RequestResult(True))
        if kind is RequestKind.PAUSE:
            if self._paused or sup.halt is not None:
                return RequestResult(False, "already paused")
            self._paused = True
            self._spawn(sup.pause(request.source))
            return self._woken(RequestResult(True))
        if kind in (RequestKind.RESUME, RequestKind.REARM, RequestKind.START):
            return self._resume(request)
        if kind is RequestKind.CONFIRM_TURN:
            if not self._waiting_confirm:
                return RequestResult(False, "no turn is waiting for confirmation")
            self._confirm = True
            return self._woken(RequestResult(True))
        if kind is RequestKind.SKIP:
            self._skip = True
            return self._woken(RequestResult(True))
        if kind is RequestKind.EXTEND:
            if self._timer is None or self._bout is None:
                return RequestResult(False, "no bout to extend")
            self._timer.extend(request.value if request.value is not None else 60.0)
            self._announce_phase(self._phase)
            return self._woken(RequestResult(True))
        if kind in (RequestKind.NUDGE_SPEED, RequestKind.NUDGE_INCLINE):
            return self._nudge(request)
        return RequestResult(False, f"unknown request {request.kind}")

    def _resume(self, request: Request) -> RequestResult:
        sup = self._sup
        assert sup is not None
        if sup.halt is None and not self._paused:
            return RequestResult(False, "already running")
        remote = request.source not in ("key", "program")
        if remote and (
            not self.options.allow_remote_start or (sup.halt and sup.halt.reason in KEY_ONLY)
        ):
            message = "the belt can only be restarted with a key on the treadmill's computer"
            sup.refuse("remote_start", message)
            return RequestResult(False, message)
        if not self._connected:
            return RequestResult(False, "the treadmill is not connected yet")
        self._rearm = True
        return self._woken(RequestResult(True))

    def _nudge(self, request: Request) -> RequestResult:
        sup, bout = self._sup, self._bout
        if sup is None or bout is None or not sup.armed or self._phase is PhaseName.TURN:
            return RequestResult(False, "nudges work only while a bout is running")
        delta = request.value if request.value is not None else 0.1
        if request.kind is RequestKind.NUDGE_SPEED:
            self._nudge_kmh = round(self._nudge_kmh + delta, 2)
        else:
            self._nudge_pct = round(self._nudge_pct + delta, 2)
        clamp = self._drive_target(bout, source=request.source)
        self._announce_phase(PhaseName.STEADY if sup.at_target else PhaseName.RAMP)
        if clamp.reason is not None and clamp.reason != "rounded to the increment":
            self._nudge_kmh = round(clamp.sent - bout.speed_kmh, 2)
            return RequestResult(True, f"limited to {clamp.sent:g} km/h ({clamp.reason})")
        return RequestResult(True)

    def _woken(self, result: RequestResult) -> RequestResult:
        self._wake.set()
        return result

    # --- running -------------------------------------------------------------------------------

    async def run(self) -> SessionEnded:
        """Walk the plan to its end; always stops the belt and publishes ``SessionEnded``."""
        loop = asyncio.get_running_loop()
        self._loop = loop
        self._clock = SessionClock(loop)
        self._sup = sup = Supervisor(
            self.link,
            self.bus,
            self.safety,
            self.plan.limits,
            session_time=self.now,
            loop=loop,
        )
        sup.on_halt = self._on_halt
        sup.on_target_reached = self._on_target_reached
        sup.on_adopted = self._on_adopted
        sup.on_machine_event = self._on_machine_event
        sup.on_error = self._on_error
        status, reason = EndStatus.COMPLETED, "completed"
        try:
            sup.attach()
            self._publish_phase(PhaseName.STARTING)
            if self.options.connect and not self.link.is_connected:
                await self.link.connect()
            elif self.link.is_connected:
                self._on_link_up(LinkState.CONNECTED, "already connected")
            if self._plan_for_limits is not None:
                # The device's own ranges are known now: plan (and clamp) for them.
                self.plan = self._plan_for_limits(self.link.info.limits)
                sup.limits = self.plan.limits
                self.totals.bouts_total = len(self.plan.bouts)
            self._report_plan_clamps()
            await sup.take_control()
            self._started = True
            for item in self.plan.items:
                if isinstance(item, TurnAround):
                    await self._turn(item)
                else:
                    await self._run_bout(item)
        except _Over as over:
            status, reason = over.status, over.reason
        except TreadctlError as error:  # bad input or no treadmill: nothing has moved the belt
            await self._finish(EndStatus.SAFETY_STOP, str(error))
            raise
        except asyncio.CancelledError:
            status, reason = EndStatus.INTERRUPTED, "cancelled"
            await self._finish(status, reason)
            raise
        except Exception as error:  # an unexpected error: the belt stops first, then we report
            log.exception("session failed")
            self.error = error
            status, reason = EndStatus.SAFETY_STOP, f"{Reason.INTERNAL_ERROR}: {error}"
            if isinstance(error, CommandError) and sup.halt is not None:
                reason = str(sup.halt.reason)
        return await self._finish(status, reason)

    async def _finish(self, status: EndStatus, reason: str) -> SessionEnded:
        if self.ended is not None:
            return self.ended
        sup = self._sup
        assert sup is not None
        self._publish_phase(PhaseName.STOPPING)
        if self._bout is not None and self._timer is not None:
            self._close_bout(completed=False)
        if self.link.is_connected:
            with contextlib.suppress(Exception):
                stopped = await sup.stop("exit", timeout_s=STOP_TIMEOUT_S)
                if not stopped and sup.belt_may_be_moving():
                    sup.report_not_stopping("no answer to Stop before disconnecting")
                await self._wait_at_rest()
        if self._clock is not None:
            self._clock.thaw()
        summary = self.totals.summary(self.now())
        self._publish_phase(PhaseName.ENDED)
        self.ended = SessionEnded(self.now(), status, reason, summary)
        self.bus.publish(self.ended)
        await sup.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(DISCONNECT_TIMEOUT_S):
                await self.link.disconnect()
        return self.ended

    def _report_plan_clamps(self) -> None:
        """Clamps the plan made, before anything moves (safety rule 2)."""
        for clamp in self.plan.clamps:
            self.bus.publish(
                Clamped(
                    self.now(), clamp.field, clamp.asked, clamp.sent, clamp.reason, clamp.bout_index
                )
            )

    # --- bouts ------------------------------------------------------------------------------------

    async def _run_bout(self, bout: PlannedBout) -> None:
        sup = self._sup
        assert sup is not None
        self._check_over()
        self._bout = bout
        self._timer = timer = BoutTimer(bout.duration_s)
        self._nudge_kmh = self._nudge_pct = 0.0
        self._skip = False
        sup.set_direction(bout.direction)
        self._direction = bout.direction
        self.bus.publish(
            BoutStarted(
                self.now(),
                bout.index,
                len(self.plan.bouts),
                bout.label,
                bout.direction,
                bout.duration_s,
                bout.speed_kmh,
                bout.incline_pct,
                bout.cue,
            )
        )
        await self._drive(bout)
        while True:
            self._check_over()
            if self._held():
                await self._hold()
                await self._drive(bout)
                continue
            if self._skip:
                self._skip = False
                timer.finish(self._time())
                break
            remaining = timer.remaining_s(self._time())
            if remaining <= TIME_EPS_S:
                break
            await self._sleep_until(self._time() + remaining)
        self._close_bout(completed=True)

    async def _drive(self, bout: PlannedBout) -> None:
        """Make the belt do this bout: start it if it is stopped, then ramp to the target."""
        sup = self._sup
        assert sup is not None and self._timer is not None
        if self._held():
            return
        if not sup.armed:
            try:
                await sup.start_belt(self.plan.start_speed_kmh)
            except (Refused, CommandError):
                return  # halted: the bout loop waits for a re-arm
        self._drive_target(bout, source="plan")
        self._timer.run(self._time())
        self._announce_phase(PhaseName.STEADY if sup.at_target else PhaseName.RAMP)

    def _drive_target(self, bout: PlannedBout, *, source: str) -> Any:
        sup = self._sup
        assert sup is not None
        return sup.set_target(
            bout.speed_kmh + self._nudge_kmh,
            bout.incline_pct + self._nudge_pct,
            acceleration_kmh_per_s=bout.acceleration_kmh_per_s,
            source=source,
            bout_index=bout.index,
        )

    def _close_bout(self, *, completed: bool) -> None:
        bout, timer = self._bout, self._timer
        if bout is None or timer is None:
            return
        now = self._time()
        timer.hold(now)
        self.totals.add_bout_time(bout.direction, timer.elapsed_s(now))
        if completed:
            self.totals.bouts_completed += 1
        self._bout = None
        self._timer = None

    # --- turn-arounds -----------------------------------------------------------------------------

    async def _turn(self, turn: TurnAround) -> None:
        sup = self._sup
        assert sup is not None
        self._check_over()
        sup.set_direction(turn.to_direction, turning_from=turn.from_direction)
        self._direction = turn.to_direction
        self._skip = False
        detail = f"turn to walk {turn.to_direction}"
        if sup.armed:
            if turn.turn_speed_kmh <= 0:
                await sup.stop("plan")
            else:
                # The strictest caps apply from here: the incline comes down with the speed.
                sup.set_target(turn.turn_speed_kmh, sup.target_incline_pct, source="plan")
            await self._wait_slow(turn.turn_speed_kmh)
        if self._held():
            # Never announce a turn before the belt has slowed: halted first, then the turn
            # happens on the stopped belt and the next bout starts from a ramp.
            await self._hold()
        self._publish_phase(PhaseName.TURN, duration_s=turn.hold_s, detail=detail)
        timer = BoutTimer(turn.hold_s)
        timer.run(self._time())
        while True:
            self._check_over()
            if self._held():
                timer.hold(self._time())
                await self._hold()
                break  # the walker re-armed: the next bout starts from a ramp
            if self._skip:
                self._skip = False
                break
            remaining = timer.remaining_s(self._time())
            if remaining <= TIME_EPS_S:
                break
            await self._sleep_until(self._time() + remaining)
        if turn.confirm and not self.options.auto_confirm_turns:
            await self._wait_confirm()

    async def _wait_slow(self, speed_kmh: float) -> None:
        """Wait for the belt to slow to the turn speed; a belt that stops slowing (or takes far
        too long) does not follow commands: halt before the walker is told to turn."""
        sup = self._sup
        assert sup is not None
        deadline = self._time() + SLOWDOWN_WAIT_S
        lowest: float | None = None
        progress_t = self._time()
        while not self._held() and self._quit is None and self._fatal is None:
            measured = sup.measured_speed_kmh
            if measured is None or measured <= speed_kmh + SETTLED_KMH:
                return
            now = self._time()
            if lowest is None or measured < lowest - SLOWING_KMH:
                lowest, progress_t = measured, now
            if now - progress_t >= SLOWDOWN_STALL_S or now >= deadline:
                detail = f"still {measured:.1f} km/h, asked for {speed_kmh:g} km/h for the turn"
                sup.trip(Reason.IGNORE_COMMANDS, detail=detail)
                return
            await self._sleep_until(min(deadline, now + 0.25))

    async def _wait_at_rest(self) -> None:
        """After the final Stop, wait (bounded) until the belt has coasted to rest.

        Acknowledging Stop is not the same as standing still: the walker is still being carried
        for a few seconds, so the session, its screen and the link last until the telemetry says
        the belt is at rest (or ``REST_WAIT_S`` has passed, or there is no telemetry to tell).
        """
        sup = self._sup
        assert sup is not None
        deadline = self._time() + REST_WAIT_S
        while self.link.is_connected:
            measured = sup.measured_speed_kmh
            now = self._time()
            if measured is None or measured <= REST_KMH or now >= deadline:
                return
            await self._sleep_until(min(deadline, now + 0.25))

    async def _wait_confirm(self) -> None:
        """Wait for "I have turned". The belt runs at the turn speed meanwhile, but not for ever:
        with no key after ``CONFIRM_WAIT_S`` nobody is known to be walking, so it comes to rest
        like a walker pause and the next bout starts from a ramp once the walker resumes."""
        self._confirm = False
        self._waiting_confirm = True
        self._publish_phase(PhaseName.TURN, detail="press a key when you have turned round")
        deadline = self._time() + CONFIRM_WAIT_S
        try:
            while not self._confirm and not self._skip:
                self._check_over()
                if self._held():
                    await self._hold()
                    return
                if self._time() >= deadline - TIME_EPS_S:
                    self.request(Request(RequestKind.PAUSE, source="program"))
                    continue
                await self._sleep_until(deadline)
        finally:
            self._waiting_confirm = False
            self._skip = False

    # --- pauses, faults, reconnects ---------------------------------------------------------------

    def _held(self) -> bool:
        sup = self._sup
        return self._paused or (sup is not None and sup.halt is not None)

    async def _hold(self) -> None:
        """Paused by the walker or halted by a fault: wait (reconnecting if needed) for a re-arm."""
        sup = self._sup
        assert sup is not None
        if self._timer is not None:
            self._timer.hold(self._time())
        self._rearm = False
        while True:
            self._check_over()
            if not self._connected or not self.link.is_connected:
                await self._reconnect()
                continue
            halt = sup.halt
            detail = halt.message if halt is not None else "paused"
            if halt is not None and halt.reason is Reason.LINK_LOST:
                detail = RECONNECTED_MESSAGE  # the link is back; the halt stands until re-armed
            if self._phase is not PhaseName.PAUSED:
                self._publish_phase(PhaseName.PAUSED, detail=detail)
            deadline = None
            if halt is not None and self.options.rearm_timeout_s is not None:
                deadline = self._time() + self.options.rearm_timeout_s
            while not self._rearm:
                self._check_over()
                if not self.link.is_connected or not self._connected:
                    break
                if deadline is not None and self._time() >= deadline:
                    reason = sup.halt.reason if sup.halt is not None else Reason.NOT_REARMED
                    raise _Over(EndStatus.SAFETY_STOP, str(reason))
                await self._sleep_until(deadline)
            if self._rearm and self.link.is_connected and self._connected:
                break
        self._rearm = False
        self._paused = False
        sup.rearm()

    async def _reconnect(self) -> None:
        """Link lost: freeze the clock, reconnect with backoff, then Stop before anything else."""
        sup, clock = self._sup, self._clock
        assert sup is not None and clock is not None
        clock.freeze()
        self._publish_phase(PhaseName.RECONNECTING, detail=MESSAGES[Reason.LINK_LOST])
        deadline = self._time() + self.options.reconnect_timeout_s
        backoff = list(self.options.reconnect_backoff_s) or [1.0]
        attempt = 0
        while not self.link.is_connected:
            self._check_over()
            if self._time() >= deadline:
                raise _Over(EndStatus.SAFETY_STOP, str(Reason.LINK_NOT_RECOVERED))
            delay = backoff[min(attempt, len(backoff) - 1)]
            attempt += 1
            await self._sleep_until(min(deadline, self._time() + delay))
            if self._quit is not None:
                continue
            try:
                async with asyncio.timeout(max(0.1, deadline - self._time())):
                    await self.link.connect()
            except Exception as error:
                log.info("reconnect attempt %d failed: %s", attempt, error)
        clock.thaw()
        self._connected = True
        sup.connected = True
        # The first command after a reconnect is Stop (with the control it needs); never the old
        # target. The walker must re-arm.
        with contextlib.suppress(CommandError):
            await sup.take_control("recovery")
        await sup.stop("recovery")
        self._phase = PhaseName.RECONNECTING
        self._paused = False
        self._rearm = False

    def _check_over(self) -> None:
        if self._fatal is not None:
            raise _Over(EndStatus.SAFETY_STOP, self._fatal)
        if self._quit is not None:
            raise _Over(EndStatus.INTERRUPTED, self._quit)

    async def _sleep_until(self, deadline: float | None) -> None:
        """Sleep until ``deadline`` (loop time) or until something wakes the engine."""
        if self._wake.is_set():
            self._wake.clear()
            return
        if deadline is None:
            await self._wake.wait()
        else:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout_at(deadline):
                    await self._wake.wait()
        self._wake.clear()

    # --- supervisor and machine callbacks ------------------------------------------------------

    def _on_halt(self, halt: Halt) -> None:
        if self._timer is not None:
            self._timer.hold(self._time())
        self._wake.set()

    def _on_error(self, error: BaseException) -> None:
        """An unexpected error in the supervisor's tasks or callbacks (it has sent Stop)."""
        if self._fatal is None:
            self.error = error
            self._fatal = f"{Reason.INTERNAL_ERROR}: {error}"
        self._wake.set()

    def _on_target_reached(self) -> None:
        if self._phase is PhaseName.RAMP and self._bout is not None:
            self._announce_phase(PhaseName.STEADY)

    def _on_adopted(self, speed_kmh: float) -> None:
        bout = self._bout
        if bout is not None:
            self._nudge_kmh = round(speed_kmh - bout.speed_kmh, 2)

    def _on_machine_event(self, event: MachineEvent) -> None:
        now = self.now()
        if isinstance(event, TelemetryEvent):
            data = event.data
            speed = getattr(data, "speed_kmh", None)
            incline = getattr(data, "inclination_pct", None)
            self.totals.add_sample(
                self._time(),
                self._direction,
                speed,
                incline,
                getattr(data, "total_distance_m", None),
            )
            self.bus.publish(
                Telemetry(
                    now,
                    speed,
                    incline,
                    round(self.totals.distance_m, 1),
                    round(self.totals.energy_kcal, 2),
                    getattr(data, "heart_rate_bpm", None),
                    getattr(data, "elapsed_time_s", None),
                )
            )
        elif isinstance(event, StatusEvent):
            to_json = getattr(event.status, "to_json", None)
            body = to_json() if callable(to_json) else _plain(event.status)
            self.bus.publish(StatusReceived(now, body))
        elif isinstance(event, LinkEvent):
            if event.state is LinkState.DISCONNECTED:
                self._connected = False
                if self._clock is not None and self._started:
                    self._clock.freeze()
                self.bus.publish(LinkChanged(self.now(), "disconnected", None, event.reason))
            else:
                self._on_link_up(event.state, event.reason, event.rssi_dbm)
            self._wake.set()

    def _on_link_up(self, state: LinkState, reason: str, rssi_dbm: int | None = None) -> None:
        self._connected = True
        if self._sup is not None:
            self._sup.connected = True
        self.bus.publish(LinkChanged(self.now(), str(state), rssi_dbm, reason))

    # --- helpers ----------------------------------------------------------------------------------

    def _time(self) -> float:
        assert self._loop is not None
        return self._loop.time()

    def _announce_phase(self, name: PhaseName) -> None:
        """Ramp/steady phases carry the bout's remaining time, so displays can count down."""
        remaining = None
        if self._timer is not None and name in (PhaseName.RAMP, PhaseName.STEADY):
            remaining = round(self._timer.remaining_s(self._time()), 3)
        bout_index = self._bout.index if self._bout is not None else None
        self._phase = name
        self.bus.publish(PhaseChanged(self.now(), name, bout_index, remaining))

    def _publish_phase(
        self, name: PhaseName, *, duration_s: float | None = None, detail: str = ""
    ) -> None:
        self._phase = name
        bout_index = self._bout.index if self._bout is not None else None
        self.bus.publish(PhaseChanged(self.now(), name, bout_index, duration_s, detail))

    def _spawn(self, coro: Any) -> None:
        assert self._loop is not None
        task = self._loop.create_task(coro)
        _BACKGROUND.add(task)
        task.add_done_callback(_BACKGROUND.discard)


_BACKGROUND: set[asyncio.Task[Any]] = set()


def _plain(value: Any) -> dict[str, Any]:
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {k: v for k, v in dataclasses.asdict(value).items() if not isinstance(v, bytes)}
    return {"value": repr(value)}
