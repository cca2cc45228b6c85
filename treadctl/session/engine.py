"""The session engine: walks the plan on the injected clock and asks the supervisor.

It owns time (``loop.time()``; the virtual loop makes ``--fast`` and the tests instant) and the
order of the plan: count-in, bout, ramp, steady, turn-around, end. It holds no safety policy:
every request from outside goes to ``Supervisor.request`` (the one door), every belt command is
asked of the supervisor, and the engine only waits on the supervisor's state to see whether it
may go on. Navigation that the door accepted (skip, extend, nudge, "I have turned") comes back
to ``_navigate``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from treadctl.controls import (
    SOURCE_EXIT,
    SOURCE_PROGRAM,
    SOURCE_RECOVERY,
    Request,
    RequestKind,
    RequestResult,
)
from treadctl.direction import Direction
from treadctl.errors import TreadctlError
from treadctl.events import (
    Alarm,
    BoutStarted,
    Clamped,
    Countdown,
    EndStatus,
    EventBus,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    PlanAdjusted,
    SafetyEvent,
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
from treadctl.safety.caps import SafetyCaps, TargetClamp, bounded_nudge
from treadctl.safety.rules import MESSAGES, RECONNECTED_MESSAGE, Reason
from treadctl.safety.state import SafetyState
from treadctl.safety.supervisor import TIME_EPS_S, Refused, Supervisor
from treadctl.session.clock import BoutTimer, SessionClock
from treadctl.session.summary import Totals

log = logging.getLogger(__name__)

COUNTDOWN_S = 3  # 3-2-1 before the belt moves
FIRST_DATA_WAIT_S = 10.0  # the treadmill must send data this soon, or nothing can watch the belt
SLOWDOWN_WAIT_S = 30.0  # a turn waits at most this long for the belt to slow down
CONFIRM_WAIT_S = 60.0  # a moving belt waits at most this long for "I have turned", then rests
REST_WAIT_S = 20.0  # on the way out, wait at most this long for the belt to be confirmed at rest
EXIT_RECONNECT_S = 15.0  # quitting while the link is lost: keep trying this long to send Stop
SLOWDOWN_STALL_S = 3.0  # ... and stops it if it makes no progress towards the turn speed this long
SLOWING_KMH = 0.05  # progress: a reading this much below the lowest so far
SETTLED_KMH = 0.3  # "slowed to the turn speed" tolerance
DISCONNECT_TIMEOUT_S = 3.0


@dataclass(frozen=True)
class SessionOptions:
    """How this session behaves where the walker cannot be asked.

    ``rearm_timeout_s``: after a fault, end with a safety stop if nobody re-arms within this time
    (None: wait for the key forever; the headless runner uses a bound because it has no keys).
    ``pause_timeout_s``: the same bound for a pause (headless: a remote pause does not wait for
    ever). ``alarm_timeout_s``: how long a session whose belt is not confirmed at rest keeps
    alarming and escalating before it ends with exit 4 (None: until the walker quits).
    ``auto_confirm_turns``: treat turn confirmations as given (headless: there is no key).
    """

    body_mass_kg: float = 70.0
    rearm_timeout_s: float | None = None
    pause_timeout_s: float | None = None
    alarm_timeout_s: float | None = 120.0
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


class _Restart(Exception):
    """The walker re-armed during a turn: begin the turn again (turns are never skipped)."""


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
        self._last_nudge_t = -1e9
        self._fatal: str | None = None  # an unexpected error in a callback: end with a safety stop
        self._quit_reason: str | None = None
        self._skip = False
        self._confirm = False

    # --- the public face ---------------------------------------------------------------------

    @property
    def supervisor(self) -> Supervisor | None:
        return self._sup

    def now(self) -> float:
        return self._clock.now() if self._clock is not None else 0.0

    def request(self, request: Request) -> RequestResult:
        """The one door (the supervisor's); answers at once, the belt follows on the bus."""
        sup = self._sup
        if sup is None or self.ended is not None:
            return RequestResult(False, "the session is not running")
        if request.kind is RequestKind.QUIT and self._quit_reason is None:
            self._quit_reason = _quit_reason(request.source)
        result = sup.request(request)
        self._wake.set()
        return result

    def _navigate(self, request: Request) -> RequestResult:
        """What the door accepted that concerns the plan, not the belt's safety."""
        kind = request.kind
        if kind is RequestKind.CONFIRM_TURN:
            self._confirm = True
        elif kind is RequestKind.SKIP:
            if self._bout is None:
                return RequestResult(False, "no bout to skip")
            self._skip = True
        elif kind is RequestKind.EXTEND:
            if self._timer is None or self._bout is None:
                return RequestResult(False, "no bout to extend")
            self._timer.extend(request.value if request.value is not None else 60.0)
            self._announce_phase(self._phase)
        elif kind in (RequestKind.NUDGE_SPEED, RequestKind.NUDGE_INCLINE):
            return self._nudge(request)
        self._wake.set()
        return RequestResult(True)

    def _nudge(self, request: Request) -> RequestResult:
        """Nudges stay within ``max_nudge_*`` of the bout's target in total, one a second."""
        sup, bout = self._sup, self._bout
        if sup is None or bout is None or not sup.armed:
            return RequestResult(False, "nudges work only while a bout is running")
        now = self._time()
        if now - self._last_nudge_t < self.safety.nudge_interval_s - TIME_EPS_S:
            return RequestResult(False, "one nudge at a time; wait a moment")
        self._last_nudge_t = now
        delta = request.value if request.value is not None else 0.1
        if request.kind is RequestKind.NUDGE_SPEED:
            self._nudge_kmh = bounded_nudge(self._nudge_kmh, delta, self.safety.max_nudge_kmh)
        else:
            limit = self.safety.max_nudge_incline_pct
            self._nudge_pct = bounded_nudge(self._nudge_pct, delta, limit)
        clamp = self._drive_target(bout, source=request.source)
        self._announce_phase(PhaseName.STEADY if sup.at_target else PhaseName.RAMP)
        if clamp.reason is not None and clamp.reason != "rounded to the increment":
            self._nudge_kmh = round(clamp.sent - bout.speed_kmh, 2)
            return RequestResult(True, f"limited to {clamp.sent:g} km/h ({clamp.reason})")
        return RequestResult(True)

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
            remote_start_allowed=self.options.allow_remote_start,
        )
        sup.navigate = self._navigate
        sup.on_change = self._wake.set
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
                # The device's own ranges are known now: plan (and clamp) for them, once.
                self.plan = self._plan_for_limits(self.link.info.limits)
                sup.limits = self.plan.limits
                sup.set_direction(Direction.FORWARD)
                self.totals.bouts_total = len(self.plan.bouts)
                targets = tuple((b.index, b.speed_kmh, b.incline_pct) for b in self.plan.bouts)
                self.bus.publish(PlanAdjusted(self.now(), targets))
            self._report_plan_clamps()
            await sup.take_control()
            await self._wait_for_data()
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

    async def _wait_for_data(self) -> None:
        """Nothing moves before the treadmill's data can be watched."""
        sup = self._sup
        assert sup is not None
        deadline = self._time() + FIRST_DATA_WAIT_S
        while not sup.telemetry_fresh():
            self._check_over()
            if self._time() >= deadline:
                sup.refuse(str(Reason.NO_DATA), MESSAGES[Reason.NO_DATA])
                raise _Over(EndStatus.SAFETY_STOP, str(Reason.NO_DATA))
            await self._sleep_until(min(deadline, self._time() + 0.25))

    async def _finish(self, status: EndStatus, reason: str) -> SessionEnded:
        """Every way out: Stop (reconnecting to deliver it if need be), wait until the belt is
        confirmed at rest (bounded), and say honestly whether it was."""
        if self.ended is not None:
            return self.ended
        sup = self._sup
        assert sup is not None
        self._publish_phase(PhaseName.STOPPING)
        if self._bout is not None and self._timer is not None:
            self._close_bout(completed=False)
        if sup.state is not SafetyState.ENDING:
            sup.quit(SOURCE_EXIT)
        await sup.wait_for_stops()  # the Stop is written (and answered) before anything else
        with contextlib.suppress(Exception):
            for _attempt in range(2):  # the link may drop again while waiting for rest
                if not self.link.is_connected:
                    await self._reconnect_to_stop()
                await self._wait_at_rest()
                if self.link.is_connected or sup.at_rest():
                    break
        at_rest = sup.belt_confirmed_at_rest()
        if not at_rest:
            message = (
                f"{MESSAGES[Reason.NOT_STOPPING]} treadctl could not confirm that the belt "
                "stopped before it disconnected."
            )
            if not sup.alarm_up:
                self.bus.publish(Alarm(self.now(), str(Reason.NOT_STOPPING), message, True))
            self.bus.publish(SafetyEvent(self.now(), str(Reason.NOT_STOPPING), message, "stop"))
            if status is EndStatus.COMPLETED:  # never "completed" with the belt unconfirmed
                status, reason = EndStatus.SAFETY_STOP, str(Reason.NOT_STOPPING)
        sup.end()
        if self._clock is not None:
            self._clock.thaw()
        summary = self.totals.summary(self.now())
        self._publish_phase(PhaseName.ENDED)
        self.ended = SessionEnded(self.now(), status, reason, summary, belt_at_rest=at_rest)
        self.bus.publish(self.ended)
        await sup.close()
        with contextlib.suppress(Exception):
            async with asyncio.timeout(DISCONNECT_TIMEOUT_S):
                await self.link.disconnect()
        return self.ended

    async def _reconnect_to_stop(self) -> None:
        """Quitting with the link lost: keep trying (bounded) to reach the treadmill to Stop."""
        sup = self._sup
        assert sup is not None
        deadline = self._time() + EXIT_RECONNECT_S
        while not self.link.is_connected and self._time() < deadline:
            try:
                async with asyncio.timeout(max(0.1, deadline - self._time())):
                    await self.link.connect()
            except Exception as error:
                log.info("reconnect to stop failed: %s", error)
                await self._sleep_until(min(deadline, self._time() + 1.0))
        if self.link.is_connected:
            sup.connected = True
            with contextlib.suppress(CommandError):
                await sup.take_control(SOURCE_RECOVERY)
            await sup.stop(SOURCE_EXIT)

    async def _wait_at_rest(self) -> None:
        """Acknowledging Stop is not standing still: wait (bounded) until telemetry or the
        treadmill's status confirms rest. The supervisor escalates meanwhile."""
        sup = self._sup
        assert sup is not None
        deadline = self._time() + REST_WAIT_S
        while self.link.is_connected and self._time() < deadline:
            if sup.at_rest() and not sup.alarm_up:
                return
            await self._sleep_until(min(deadline, self._time() + 0.25))

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
        completed = True
        while True:
            self._check_over()
            if sup.held:
                timer.hold(self._time())
                await self._hold()
                continue
            if not timer.running:
                await self._drive(bout)
                continue
            if self._skip:
                self._skip = False
                completed = False
                break
            remaining = timer.remaining_s(self._time())
            if remaining <= TIME_EPS_S:
                break
            await self._sleep_until(self._time() + remaining)
        self._close_bout(completed=completed)

    async def _drive(self, bout: PlannedBout) -> None:
        """Make the belt do this bout: count in and start it if it is stopped, then ramp."""
        sup = self._sup
        assert sup is not None and self._timer is not None
        if not sup.armed:
            if not await self._count_in("restart" if sup.ever_started else "start"):
                await self._sleep_until(self._time() + 0.25)  # held: the bout loop waits
                return
            try:
                await sup.start_belt(self.plan.start_speed_kmh)
            except (Refused, CommandError):
                return  # halted: the bout loop waits for a re-arm
        if not sup.armed:
            return
        self._drive_target(bout, source="plan")
        self._timer.run(self._time())
        self._announce_phase(PhaseName.STEADY if sup.at_target else PhaseName.RAMP)

    async def _count_in(self, purpose: str) -> bool:
        """3-2-1 (shown and spoken) before the belt moves; False if something interrupted it."""
        sup = self._sup
        assert sup is not None
        if not sup.count_in():
            return False
        self._publish_phase(PhaseName.STARTING, detail="the belt starts in 3 seconds")
        for seconds_left in range(COUNTDOWN_S, 0, -1):
            self.bus.publish(Countdown(self.now(), seconds_left, purpose))
            deadline = self._time() + 1.0
            while self._time() < deadline - TIME_EPS_S:
                self._check_over()
                if sup.state is not SafetyState.COUNTDOWN:
                    return False
                await self._sleep_until(deadline)
        if sup.state is not SafetyState.COUNTDOWN:
            return False
        self.bus.publish(Countdown(self.now(), 0, purpose))
        return True

    def _drive_target(self, bout: PlannedBout, *, source: str) -> TargetClamp:
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
        """A turn is inviolable: slow (speed first, then incline), hold with a count-in, wait
        for the walker if asked. A pause or a fault during it begins it again, at rest."""
        sup = self._sup
        assert sup is not None
        self._direction = turn.to_direction
        while True:
            self._check_over()
            if sup.held:
                await self._hold()
                continue
            sup.begin_turn(turn.to_direction, turn.from_direction)
            try:
                await self._turn_once(turn)
            except _Restart:
                continue
            sup.end_turn()
            return

    async def _turn_once(self, turn: TurnAround) -> None:
        sup = self._sup
        assert sup is not None
        detail = f"turn to walk {turn.to_direction}"
        if sup.armed:
            # Speed first, then the incline to the caps of both directions, then (for a turn at
            # rest) Stop: the belt never turns the walker on a slope steeper than backward allows.
            speed_kmh = self._turn_speed(turn)
            slow_kmh = max(speed_kmh, sup.caps.min_speed_kmh)
            sup.set_target(slow_kmh, sup.target_incline_pct, source="plan")
            await self._wait_slow(slow_kmh)
            if speed_kmh <= 0:
                await sup.stop("plan")
                await self._wait_turn_rest()
        self._restart_if_held()
        self._publish_phase(PhaseName.TURN, duration_s=turn.hold_s, detail=detail)
        hold_end = self._time() + turn.hold_s
        counted = COUNTDOWN_S + 1
        while self._time() < hold_end - TIME_EPS_S:
            self._restart_if_held()
            left = hold_end - self._time()
            if left <= COUNTDOWN_S + TIME_EPS_S and int(left + 0.999) < counted:
                counted = int(left + 0.999)
                self.bus.publish(Countdown(self.now(), counted, "turn"))
            await self._sleep_until(min(hold_end, self._time() + max(0.0, left - counted + 1)))
        self._restart_if_held()
        self.bus.publish(Countdown(self.now(), 0, "turn"))
        if turn.confirm and not self.options.auto_confirm_turns:
            await self._wait_confirm()

    def _turn_speed(self, turn: TurnAround) -> float:
        """Never faster than the turn speed, the speed before it, or the next bout's speed."""
        sup = self._sup
        assert sup is not None
        speeds = [turn.turn_speed_kmh]
        if sup.sent_speed_kmh is not None:
            speeds.append(sup.sent_speed_kmh)
        following = [b for b in self.plan.bouts if b.index == turn.before_bout]
        if following:
            speeds.append(following[0].speed_kmh)
        speed = min(speeds)
        if turn.turn_speed_kmh <= 0 or speed < sup.caps.min_speed_kmh - 1e-6:
            return 0.0
        return speed

    def _restart_if_held(self) -> None:
        self._check_over()
        sup = self._sup
        assert sup is not None
        if sup.held:
            raise _Restart

    async def _wait_slow(self, speed_kmh: float) -> None:
        """Wait for the belt to slow to the turn speed and the incline to come within the caps;
        a belt that stops making progress (counted from the command's acknowledgement) or takes
        far too long does not follow commands: halt before the walker is told to turn."""
        sup = self._sup
        assert sup is not None
        start = self._time()
        deadline = start + SLOWDOWN_WAIT_S
        lowest: float | None = None
        progress_t = start
        while True:
            self._restart_if_held()
            measured = sup.measured_speed_kmh
            slow = measured is not None and measured <= speed_kmh + SETTLED_KMH
            level = sup.incline_within(sup.caps.max_incline_pct)
            if slow and level:
                return
            now = self._time()
            acked = max(progress_t, sup.sent_speed_t)
            if measured is not None and (lowest is None or measured < lowest - SLOWING_KMH):
                lowest, progress_t = measured, now
            stalled = not slow and now - acked >= SLOWDOWN_STALL_S
            if stalled or now >= deadline:
                what = (
                    f"still {measured:.1f} km/h, asked for {speed_kmh:g} km/h for the turn"
                    if not slow
                    else f"incline still {sup.measured_incline_pct:g} %"
                )
                sup.trip(Reason.IGNORE_COMMANDS, detail=what)
                raise _Restart
            await self._sleep_until(min(deadline, now + 0.25))

    async def _wait_turn_rest(self) -> None:
        """A turn at rest begins once the belt is measured at rest (the supervisor's rest watch
        raises the alarm, and so halts the session, if it does not come to rest)."""
        sup = self._sup
        assert sup is not None
        deadline = self._time() + SLOWDOWN_WAIT_S
        while not sup.at_rest() and self._time() < deadline:
            self._restart_if_held()
            await self._sleep_until(min(deadline, self._time() + 0.25))
        self._restart_if_held()

    async def _wait_confirm(self) -> None:
        """Wait for "I have turned". The belt runs at the turn speed meanwhile, but not for ever:
        with no key after ``CONFIRM_WAIT_S`` nobody is known to be walking, so it comes to rest
        like a walker pause and the turn begins again once the walker resumes."""
        sup = self._sup
        assert sup is not None
        self._confirm = False
        sup.awaiting_turn_confirmation = True
        self._publish_phase(PhaseName.TURN, detail="press a key when you have turned round")
        deadline = self._time() + CONFIRM_WAIT_S
        try:
            while not self._confirm:
                self._restart_if_held()
                if self._time() >= deadline - TIME_EPS_S:
                    self.request(Request(RequestKind.PAUSE, source=SOURCE_PROGRAM))
                    continue
                await self._sleep_until(deadline)
        finally:
            sup.awaiting_turn_confirmation = False

    # --- pauses, faults, reconnects ---------------------------------------------------------------

    async def _hold(self) -> None:
        """Paused, halted, alarming or reconnecting: wait until the door accepts a re-arm."""
        sup = self._sup
        assert sup is not None
        if self._timer is not None:
            self._timer.hold(self._time())
        shown: tuple[SafetyState, str] | None = None
        deadline: float | None = None
        alarm_deadline: float | None = None
        while sup.held:
            self._check_over()
            state = sup.state
            if state is SafetyState.RECONNECTING:
                await self._reconnect()
                shown, deadline = None, None
                continue
            halt = sup.halt
            detail = halt.message if halt is not None else "paused"
            if halt is not None and halt.reason is Reason.LINK_LOST:
                detail = RECONNECTED_MESSAGE  # the link is back; the halt stands until re-armed
            if shown != (state, detail):
                shown = (state, detail)
                self._publish_phase(PhaseName.PAUSED, detail=detail)
            if state is SafetyState.NOT_STOPPING:
                # The belt may still move: stay connected, alarming and escalating while the
                # treadmill is reachable (on screen until the walker quits; headless for
                # ``alarm_timeout_s``, then the session ends with exit 4).
                if alarm_deadline is None and self.options.alarm_timeout_s is not None:
                    alarm_deadline = self._time() + self.options.alarm_timeout_s
                deadline = alarm_deadline
            elif deadline is None or deadline == alarm_deadline:
                bound = (
                    self.options.pause_timeout_s
                    if state is SafetyState.PAUSED
                    else self.options.rearm_timeout_s
                )
                deadline = None if bound is None else self._time() + bound
            if deadline is not None and self._time() >= deadline:
                reason = str(sup.halt.reason) if sup.halt is not None else str(Reason.NOT_REARMED)
                raise _Over(EndStatus.SAFETY_STOP, reason)
            await self._sleep_until(deadline)

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
            self._check_over()
            try:
                async with asyncio.timeout(max(0.1, deadline - self._time())):
                    await self.link.connect()
            except Exception as error:
                log.info("reconnect attempt %d failed: %s", attempt, error)
        clock.thaw()
        sup.reconnected()
        # The first command after a reconnect is Stop (with the control it needs); never the old
        # target. The walker must re-arm.
        with contextlib.suppress(CommandError):
            await sup.take_control(SOURCE_RECOVERY)
        await sup.stop(SOURCE_RECOVERY)

    def _check_over(self) -> None:
        sup = self._sup
        if self._fatal is not None:
            raise _Over(EndStatus.SAFETY_STOP, self._fatal)
        if sup is not None and sup.state in (SafetyState.ENDING, SafetyState.ENDED):
            raise _Over(EndStatus.INTERRUPTED, self._quit_reason or "quit")

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
            speed, incline = data.speed_kmh, data.inclination_pct
            self.totals.add_sample(
                self._time(), self._direction, speed, incline, data.total_distance_m
            )
            heart_rate = data.heart_rate_bpm or None  # 0 means no contact: never a reading
            self.bus.publish(
                Telemetry(
                    now,
                    speed,
                    incline,
                    round(self.totals.distance_m, 1),
                    round(self.totals.energy_kcal, 2),
                    heart_rate,
                    data.elapsed_time_s,
                )
            )
        elif isinstance(event, StatusEvent):
            self.bus.publish(StatusReceived(now, event.status.to_json()))
        elif isinstance(event, LinkEvent):
            if event.state is LinkState.DISCONNECTED:
                if self._clock is not None:
                    self._clock.freeze()
                self.bus.publish(LinkChanged(self.now(), "disconnected", None, event.reason))
            else:
                self._on_link_up(event.state, event.reason, event.rssi_dbm)
            self._wake.set()

    def _on_link_up(self, state: LinkState, reason: str, rssi_dbm: int | None = None) -> None:
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
        self.bus.publish(PhaseChanged(self.now(), name, bout_index, remaining_s=remaining))

    def _publish_phase(
        self, name: PhaseName, *, duration_s: float | None = None, detail: str = ""
    ) -> None:
        self._phase = name
        bout_index = self._bout.index if self._bout is not None else None
        self.bus.publish(
            PhaseChanged(
                self.now(), name, bout_index, duration_s, detail=detail, remaining_s=duration_s
            )
        )


def _quit_reason(source: str) -> str:
    """``quit`` for a key, ``signal SIGTERM`` for a signal source ``signal:SIGTERM``."""
    if source.startswith("signal"):
        name = source.partition(":")[2]
        return f"signal {name}".strip() if name else "signal"
    return "quit"
