"""The belt: a treadmill's physics and console, on the event loop's clock, with no radio or bytes.

State is integrated lazily and exactly: every read or change first advances the model from the
last update to ``loop.time()``. Speed and incline move towards their goals at constant rates, so
distance, elapsed time and energy are piecewise exact however rarely anyone looks, and a
60-minute session on the virtual clock costs only what the observers ask for.

The Control Point's *permission* rules live in :mod:`simulators.gatt_server`; this module decides
what each accepted procedure does to the belt and which status changes it announces.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum, StrEnum
from typing import Any, Literal, Protocol

from simulators.faults import Fault, FaultKind
from simulators.personalities import SimConfig
from treadctl.ftms.control_point import ResultCode
from treadctl.ftms.machine_status import MachineStatus, MachineStatusEvent

_E = MachineStatusEvent

_EPS = 1e-9


class BeltMode(StrEnum):
    STOPPED = "stopped"
    RUNNING = "running"
    PAUSED = "paused"


class TrainingPhase(IntEnum):
    """The Training Status values this treadmill uses."""

    IDLE = 0x01
    MANUAL_MODE = 0x0D
    POST_WORKOUT = 0x0F


Audience = Literal["all", "others", "holder"]


@dataclass(frozen=True)
class StatusNote:
    """A status change to notify. ``audience``: "all" (console actions), "others" (every client
    but ``origin``, after a Control Point procedure), "holder" (only ``origin``: control lost)."""

    status: MachineStatus
    audience: Audience
    origin: str | None = None


@dataclass(frozen=True)
class HistoryEntry:
    """One thing that happened, for tests and logs. ``t_s`` is loop time."""

    t_s: float
    kind: Literal["command", "fault", "belt", "link"]
    what: str
    origin: str | None = None
    result: ResultCode | None = None


@dataclass(frozen=True)
class BeltSnapshot:
    """What the console would display now; telemetry frames are built from this."""

    t_s: float
    mode: BeltMode
    speed_kmh: float
    average_speed_kmh: float
    target_speed_kmh: float
    incline_pct: float
    target_incline_pct: float
    distance_m: float
    elapsed_s: float
    energy_kcal: float
    energy_per_hour_kcal: float
    energy_per_minute_kcal: float
    heart_rate_bpm: int


class TreadmillListener(Protocol):
    """What the GATT layer hears from the belt."""

    def on_status(self, note: StatusNote) -> None: ...

    def on_training_status(self, phase: TrainingPhase) -> None: ...

    def on_drop_links(self, reason: str) -> None: ...


@dataclass
class _FaultState:
    stale_until_s: float = -math.inf
    ignore_until_s: float = -math.inf
    reject_until_s: float = -math.inf
    key_out_until_s: float = -math.inf
    runaway_until_s: float = -math.inf
    offline_until_s: float = -math.inf


@dataclass
class _Physics:
    t_s: float = 0.0
    speed_kmh: float = 0.0
    incline_pct: float = 0.0
    distance_m: float = 0.0
    elapsed_s: float = 0.0
    energy_kcal: float = 0.0
    moving_s: float = 0.0
    safety_stop: bool = False


class SimulatedTreadmill:
    """An FTMS treadmill's belt and console. Create it inside the loop that will run it (or call
    :meth:`bind` later); all timing reads that loop's clock."""

    def __init__(
        self,
        config: SimConfig | None = None,
        *,
        faults: tuple[Fault, ...] | list[Fault] = (),
        fault_clock: Literal["session", "power-on"] = "session",
    ) -> None:
        self.config = config or SimConfig()
        self.mode = BeltMode.STOPPED
        self.target_speed_kmh = 0.0
        self.target_incline_pct = self._default_incline_pct()
        self.training_phase = TrainingPhase.IDLE
        self.control_holder: str | None = None
        self.history: list[HistoryEntry] = []
        self.faults_fired: list[Fault] = []
        self._pending_faults: list[Fault] = list(faults)
        self._fault_clock = fault_clock
        self._faults = _FaultState()
        self._phys = _Physics()
        self._listeners: list[TreadmillListener] = []
        self._loop: asyncio.AbstractEventLoop | None = None
        self._session_start_s: float | None = None
        self._timers: list[asyncio.TimerHandle] = []
        self._link_stop_timer: asyncio.TimerHandle | None = None
        # Told of every Control Point procedure as it runs (``treadctl sim --show-commands``).
        self.on_command: Callable[[HistoryEntry], None] | None = None
        self._phys.incline_pct = self.target_incline_pct
        with contextlib.suppress(RuntimeError):  # no running loop yet: bind on first use
            self.bind(asyncio.get_running_loop())

    # --- clock and listeners --------------------------------------------------------------------

    def bind(self, loop: asyncio.AbstractEventLoop) -> None:
        """Attach to ``loop`` (power on). Faults on the power-on clock are scheduled now."""
        if self._loop is loop:
            return
        self._loop = loop
        self._phys.t_s = loop.time()
        self.power_on_s = loop.time()
        if self._fault_clock == "power-on":
            self._arm_faults(self.power_on_s)

    @property
    def loop(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self.bind(asyncio.get_running_loop())
        assert self._loop is not None
        return self._loop

    def now_s(self) -> float:
        return self.loop.time()

    def add_listener(self, listener: TreadmillListener) -> None:
        self._listeners.append(listener)

    def remove_listener(self, listener: TreadmillListener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def close(self) -> None:
        """Cancel every timer (faults, stop-after-disconnect)."""
        for timer in self._timers:
            timer.cancel()
        self._timers.clear()
        if self._link_stop_timer is not None:
            self._link_stop_timer.cancel()

    # --- observable state -----------------------------------------------------------------------

    @property
    def belt_speed_kmh(self) -> float:
        """The belt's true speed now (not quantized)."""
        self._advance()
        return self._phys.speed_kmh

    @property
    def incline_pct(self) -> float:
        self._advance()
        return self._phys.incline_pct

    @property
    def distance_m(self) -> float:
        self._advance()
        return self._phys.distance_m

    @property
    def elapsed_s(self) -> float:
        self._advance()
        return self._phys.elapsed_s

    @property
    def energy_kcal(self) -> float:
        self._advance()
        return self._phys.energy_kcal

    @property
    def running(self) -> bool:
        return self.mode is BeltMode.RUNNING

    @property
    def stale(self) -> bool:
        """True while the 'stale' fault holds back data notifications."""
        return self.now_s() < self._faults.stale_until_s

    @property
    def ignoring_commands(self) -> bool:
        return self.now_s() < self._faults.ignore_until_s

    @property
    def rejecting_commands(self) -> bool:
        return self.now_s() < self._faults.reject_until_s

    @property
    def runaway(self) -> bool:
        return self.now_s() < self._faults.runaway_until_s

    @property
    def safety_key_out(self) -> bool:
        return self.now_s() < self._faults.key_out_until_s

    @property
    def accepts_connections(self) -> bool:
        """False for a moment after the 'disconnect' fault."""
        return self.now_s() >= self._faults.offline_until_s

    def snapshot(self) -> BeltSnapshot:
        return BeltSnapshot(*self.snapshot_values())

    def snapshot_values(self) -> tuple[Any, ...]:
        """:meth:`snapshot`'s values, in :class:`BeltSnapshot` field order, without the object:
        the data tick reads them once a second and only needs a few."""
        self._advance()
        p = self._phys
        cfg = self.config
        energy_per_hour = _energy_rate_kcal_per_s(cfg, p.speed_kmh, p.incline_pct) * 3600.0
        average_kmh = p.distance_m / p.moving_s * 3.6 if p.moving_s > 0 else 0.0
        return (
            p.t_s,
            self.mode,
            # What the belt does, at the fields' resolution (0.01 km/h, 0.1 %): a belt ramping
            # through 0.68 km/h reports 0.68, not the target grid's 0.5.
            round(p.speed_kmh, 2),
            round(average_kmh, 2),
            self.target_speed_kmh,
            round(p.incline_pct, 1),
            self.target_incline_pct,
            p.distance_m,
            p.elapsed_s,
            p.energy_kcal,
            energy_per_hour,
            energy_per_hour / 60.0,
            _heart_rate_bpm(cfg, p.speed_kmh, p.incline_pct),
        )

    def commands(self) -> list[HistoryEntry]:
        """The Control Point procedures executed so far, with their results."""
        return [h for h in self.history if h.kind == "command"]

    # --- Control Point procedures (permission already checked) ----------------------------------

    def request_control(self, origin: str) -> ResultCode:
        previous = self.control_holder
        self.control_holder = origin
        if self._link_stop_timer is not None:
            self._link_stop_timer.cancel()
            self._link_stop_timer = None
        if previous is not None and previous != origin:
            self._emit(
                StatusNote(MachineStatus(_E.CONTROL_PERMISSION_LOST), "holder", origin=previous)
            )
        return self.record_command("request control", origin, ResultCode.SUCCESS)

    def reset(self, origin: str | None) -> ResultCode:
        self._advance()
        self.mode = BeltMode.STOPPED
        self.target_speed_kmh = 0.0
        self.target_incline_pct = self._default_incline_pct()
        self._faults.runaway_until_s = -math.inf
        self._phys.elapsed_s = 0.0
        self._phys.distance_m = 0.0
        self._phys.energy_kcal = 0.0
        self._phys.moving_s = 0.0
        self.control_holder = None
        self._set_phase(TrainingPhase.IDLE)
        self._emit(StatusNote(MachineStatus(_E.RESET), "others", origin=origin))
        return self.record_command("reset", origin, ResultCode.SUCCESS)

    def set_target_speed(self, speed_kmh: float, origin: str | None) -> ResultCode:
        cfg = self.config
        what = f"set target speed {speed_kmh:.2f} km/h"
        if not cfg.speed_min_kmh - _EPS <= speed_kmh <= cfg.speed_max_kmh + _EPS:
            return self.record_command(what, origin, ResultCode.INVALID_PARAMETER)
        if cfg.needs_start_before_speed and self.mode is not BeltMode.RUNNING:
            return self.record_command(
                what + " (ignored: belt not running)", origin, ResultCode.SUCCESS
            )
        self._advance()
        self.target_speed_kmh = self._quantize_speed(speed_kmh)
        self._emit(
            StatusNote(
                MachineStatus.target_speed_changed(self.target_speed_kmh), "others", origin=origin
            )
        )
        return self.record_command(what, origin, ResultCode.SUCCESS)

    def set_target_incline(self, incline_pct: float, origin: str | None) -> ResultCode:
        cfg = self.config
        what = f"set target incline {incline_pct:.1f} %"
        if not cfg.supports_incline:
            return self.record_command(what, origin, ResultCode.OP_CODE_NOT_SUPPORTED)
        if not cfg.incline_min_pct - _EPS <= incline_pct <= cfg.incline_max_pct + _EPS:
            return self.record_command(what, origin, ResultCode.INVALID_PARAMETER)
        self._advance()
        self.target_incline_pct = _quantize(
            incline_pct, cfg.incline_min_pct, cfg.incline_increment_pct
        )
        self._emit(
            StatusNote(
                MachineStatus.target_incline_changed(self.target_incline_pct),
                "others",
                origin=origin,
            )
        )
        return self.record_command(what, origin, ResultCode.SUCCESS)

    def start(self, origin: str | None) -> ResultCode:
        if self.mode is BeltMode.RUNNING or self.safety_key_out:
            return self.record_command("start", origin, ResultCode.OPERATION_FAILED)
        self._advance()
        resumed = self.mode is BeltMode.PAUSED
        self.mode = BeltMode.RUNNING
        self._phys.safety_stop = False
        if self.target_speed_kmh <= 0:
            self.target_speed_kmh = self._quantize_speed(self.config.speed_min_kmh)
        self._set_phase(TrainingPhase.MANUAL_MODE)
        self._emit(
            StatusNote(MachineStatus(_E.STARTED_OR_RESUMED_BY_USER), "others", origin=origin)
        )
        if self._session_start_s is None:
            self._session_start_s = self.now_s()
            if self._fault_clock == "session":
                self._arm_faults(self._session_start_s)
        return self.record_command("resume" if resumed else "start", origin, ResultCode.SUCCESS)

    def stop(self, origin: str | None, *, pause: bool = False) -> ResultCode:
        what = "pause" if pause else "stop"
        if self.mode is BeltMode.STOPPED or (pause and self.mode is BeltMode.PAUSED):
            return self.record_command(what, origin, ResultCode.OPERATION_FAILED)
        self._halt(pause=pause)
        self._emit(
            StatusNote(
                MachineStatus(_E.PAUSED_BY_USER if pause else _E.STOPPED_BY_USER),
                "others",
                origin=origin,
            )
        )
        return self.record_command(what, origin, ResultCode.SUCCESS)

    # --- links (told by the GATT layer) ---------------------------------------------------------

    def link_lost(self, origin: str) -> None:
        """A client's link dropped: it loses control; the belt may stop (personality)."""
        self._log("link", f"link lost: {origin}", origin)
        if self.control_holder != origin:
            return
        self.control_holder = None
        delay_s = self.config.stop_after_disconnect_s
        if delay_s is None or self.mode is not BeltMode.RUNNING:
            return
        if delay_s <= 0:
            self._stop_for_link_loss()
        else:
            self._link_stop_timer = self.loop.call_later(delay_s, self._stop_for_link_loss)

    def link_up(self, origin: str) -> None:
        self._log("link", f"link up: {origin}", origin)

    def _stop_for_link_loss(self) -> None:
        self._link_stop_timer = None
        if self.control_holder is None and self.mode is BeltMode.RUNNING:
            self._halt(pause=False)
            self._log("belt", "belt stopped: controlling client gone")

    # --- faults ---------------------------------------------------------------------------------

    def schedule_fault(self, fault: Fault) -> None:
        """Add a fault; it fires ``fault.at_s`` after the session (or power-on) clock origin."""
        origin_s = self._fault_origin_s()
        if origin_s is None:
            self._pending_faults.append(fault)
        else:
            self._arm_fault(fault, origin_s)

    def inject(self, kind: FaultKind, duration_s: float | None = None) -> None:
        """Make ``kind`` happen now."""
        now = self.now_s()
        self._advance()
        origin_s = self._fault_origin_s()
        fault = Fault(kind, now - (now if origin_s is None else origin_s), duration_s)
        self.faults_fired.append(fault)
        self._log("fault", str(fault))
        until_s = math.inf if duration_s is None else now + duration_s
        f = self._faults
        if kind is FaultKind.STALE:
            f.stale_until_s = until_s
        elif kind is FaultKind.IGNORE_COMMANDS:
            f.ignore_until_s = until_s
        elif kind is FaultKind.REJECT_COMMANDS:
            f.reject_until_s = until_s
        elif kind is FaultKind.RUNAWAY:
            f.runaway_until_s = until_s
            if duration_s is not None:
                self._timers.append(self.loop.call_at(until_s, self._advance))
        elif kind is FaultKind.SAFETY_KEY:
            f.key_out_until_s = now + (duration_s or 0.0)
            if self.mode is not BeltMode.STOPPED:
                self._halt(pause=False, safety=True)
            self._emit(StatusNote(MachineStatus(_E.STOPPED_BY_SAFETY_KEY), "all"))
        elif kind is FaultKind.CONSOLE_STOP:
            if self.mode is not BeltMode.STOPPED:
                self._halt(pause=False)
            self._emit(StatusNote(MachineStatus(_E.STOPPED_BY_USER), "all"))
        elif kind is FaultKind.CONSOLE_SPEED_UP:
            raised = min(
                self.target_speed_kmh + self.config.console_speed_step_kmh,
                self.config.speed_max_kmh,
            )
            self.target_speed_kmh = self._quantize_speed(raised)
            self._emit(StatusNote(MachineStatus.target_speed_changed(self.target_speed_kmh), "all"))
        elif kind is FaultKind.CONTROL_LOST:
            holder, self.control_holder = self.control_holder, None
            if holder is not None:
                self._emit(
                    StatusNote(MachineStatus(_E.CONTROL_PERMISSION_LOST), "holder", origin=holder)
                )
        elif kind is FaultKind.DISCONNECT:
            f.offline_until_s = now + (
                self.config.reconnect_delay_s if duration_s is None else duration_s
            )
            for listener in list(self._listeners):
                listener.on_drop_links("the treadmill dropped the link")

    def _fault_origin_s(self) -> float | None:
        if self._fault_clock == "power-on":
            return self.power_on_s if self._loop is not None else None
        return self._session_start_s

    def _arm_faults(self, origin_s: float) -> None:
        pending, self._pending_faults = self._pending_faults, []
        for fault in pending:
            self._arm_fault(fault, origin_s)

    def _arm_fault(self, fault: Fault, origin_s: float) -> None:
        when_s = max(origin_s + fault.at_s, self.now_s())
        self._timers.append(self.loop.call_at(when_s, self.inject, fault.kind, fault.duration_s))

    # --- internals ------------------------------------------------------------------------------

    def _default_incline_pct(self) -> float:
        return min(max(0.0, self.config.incline_min_pct), self.config.incline_max_pct)

    def _quantize_speed(self, speed_kmh: float) -> float:
        cfg = self.config
        value = _quantize(speed_kmh, cfg.speed_min_kmh, cfg.speed_increment_kmh)
        return min(max(value, cfg.speed_min_kmh), cfg.speed_max_kmh)

    def _halt(self, *, pause: bool, safety: bool = False) -> None:
        self._advance()
        self.mode = BeltMode.PAUSED if pause else BeltMode.STOPPED
        self._faults.runaway_until_s = -math.inf
        self._phys.safety_stop = safety
        if not pause:
            self.target_speed_kmh = 0.0
        self._set_phase(TrainingPhase.POST_WORKOUT)

    def _set_phase(self, phase: TrainingPhase) -> None:
        if phase is self.training_phase:
            return
        self.training_phase = phase
        for listener in list(self._listeners):
            listener.on_training_status(phase)

    def _emit(self, note: StatusNote) -> None:
        for listener in list(self._listeners):
            listener.on_status(note)

    def record_command(self, what: str, origin: str | None, result: ResultCode) -> ResultCode:
        entry = HistoryEntry(self.now_s(), "command", what, origin, result)
        self.history.append(entry)
        if self.on_command is not None:
            self.on_command(entry)
        return result

    def _log(
        self, kind: Literal["fault", "belt", "link"], what: str, origin: str | None = None
    ) -> None:
        self.history.append(HistoryEntry(self.now_s(), kind, what, origin))

    def _goal_speed_kmh(self) -> float:
        if self.mode is not BeltMode.RUNNING:
            return 0.0
        if self.runaway:
            return self.config.speed_max_kmh
        return max(self.target_speed_kmh, self.config.speed_min_kmh)

    def _advance(self) -> None:
        """Integrate the belt from the last update to now (exact for piecewise-linear motion).

        The runaway fault ends at a timer, which calls this, so goals only change at updates."""
        now = self.now_s()
        p = self._phys
        dt = now - p.t_s
        if dt <= 0:
            return
        cfg = self.config
        goal = self._goal_speed_kmh()
        if goal >= p.speed_kmh:
            rate = cfg.acceleration_kmh_per_s
        elif p.safety_stop:
            rate = cfg.safety_deceleration_kmh_per_s
        else:
            rate = cfg.deceleration_kmh_per_s
        speed1, distance_km_s = _ramp(p.speed_kmh, goal, rate, dt)
        incline0 = p.incline_pct
        incline1, incline_area = _ramp(
            incline0, self.target_incline_pct, cfg.incline_rate_pct_per_s, dt
        )
        distance_m = distance_km_s / 3.6
        if distance_m > 0:
            mean_speed_kmh = distance_km_s / dt
            mean_incline = incline_area / dt
            p.energy_kcal += _energy_rate_kcal_per_s(cfg, mean_speed_kmh, mean_incline) * dt
            p.moving_s += dt
        p.distance_m += distance_m
        if self.mode is BeltMode.RUNNING:
            p.elapsed_s += dt
        p.speed_kmh = speed1
        p.incline_pct = incline1
        if speed1 == 0.0:
            p.safety_stop = False
        p.t_s = now


def _ramp(value: float, goal: float, rate_per_s: float, dt: float) -> tuple[float, float]:
    """Move ``value`` towards ``goal`` at ``rate_per_s`` for ``dt`` s; return (new value, the
    integral of the value over the interval)."""
    gap = goal - value
    if gap == 0 or rate_per_s <= 0:
        return value, value * dt
    reach_s = abs(gap) / rate_per_s
    if dt >= reach_s:
        return goal, (value + goal) / 2 * reach_s + goal * (dt - reach_s)
    end = value + math.copysign(rate_per_s * dt, gap)
    return end, (value + end) / 2 * dt


def _quantize(value: float, origin: float, step: float) -> float:
    if step <= 0:
        return round(value, 2)
    return round(origin + round((value - origin) / step) * step, 2)


def _energy_rate_kcal_per_s(cfg: SimConfig, speed_kmh: float, incline_pct: float) -> float:
    """Walking energy (ACSM walking equation, about 5 kcal per litre of oxygen)."""
    if speed_kmh <= 0:
        return 0.0
    speed_m_per_min = speed_kmh * 1000.0 / 60.0
    grade = max(incline_pct, 0.0) / 100.0
    vo2_ml_per_kg_min = 3.5 + 0.1 * speed_m_per_min + 1.8 * speed_m_per_min * grade
    return vo2_ml_per_kg_min * cfg.walker_mass_kg / 1000.0 * 5.0 / 60.0


def _heart_rate_bpm(cfg: SimConfig, speed_kmh: float, incline_pct: float) -> int:
    return round(cfg.resting_heart_rate_bpm + 8.0 * speed_kmh + 2.0 * max(incline_pct, 0.0))
