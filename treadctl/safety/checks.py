"""Verification of the belt against what was commanded: pure, fed with (time, value) samples.

Each check answers "is something wrong, and since when?" from the numbers it is given; the
supervisor decides what to do. Times are the session loop's ``time()``; nothing here sleeps.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field

# Defaults chosen for walking speeds: a belt settles within a few seconds of a command.
RUNAWAY_TOLERANCE_KMH = 0.5
RUNAWAY_MOMENT_S = 2.0
FOLLOW_TOLERANCE_KMH = 0.6
FOLLOW_TOLERANCE_FRACTION = 0.15
FOLLOW_TIMEOUT_S = 10.0
# How long a higher command still excuses a faster belt (the belt decelerates, it doesn't jump).
SETTLE_WINDOW_S = 10.0
# After Stop the belt must make progress towards rest within this long.
STOP_STALL_S = 3.0
MOVING_KMH = 0.3  # measured speeds above this count as a moving belt
# With no data, the treadmill's "stopped" status counts as rest only this long after it arrived,
# and not before the belt could have coasted from its last known speed at COAST_KMH_PER_S.
STATUS_SETTLE_S = 2.0
COAST_KMH_PER_S = 1.0  # the slowest deceleration assumed of a belt coasting to rest (a gentle Stop)
# A reading this much below the previous one means the belt is slowing down, not running away.
SLOWING_KMH = 0.05


@dataclass
class Watchdog:
    """Stale telemetry: no Treadmill Data for ``timeout_s``."""

    timeout_s: float
    last_data_t: float | None = None
    fired: bool = False

    def feed(self, now: float) -> None:
        self.last_data_t = now
        self.fired = False

    def deadline(self) -> float | None:
        return None if self.last_data_t is None else self.last_data_t + self.timeout_s

    def check(self, now: float) -> bool:
        """True once per stale episode."""
        deadline = self.deadline()
        if deadline is None or self.fired or now < deadline:
            return False
        self.fired = True
        return True


@dataclass
class CommandHistory:
    """Recent speed commands, so a slowing belt is not mistaken for a runaway."""

    window_s: float = SETTLE_WINDOW_S
    _items: deque[tuple[float, float]] = field(default_factory=deque)

    def record(self, now: float, speed_kmh: float) -> None:
        self._items.append((now, speed_kmh))
        self._trim(now)

    def peak(self, now: float) -> float:
        """The highest speed commanded in the window (or the last command before it)."""
        self._trim(now)
        return max((s for _, s in self._items), default=0.0)

    def _trim(self, now: float) -> None:
        # Keep the newest command even when old: it is what the belt should be doing now.
        while len(self._items) > 1 and self._items[1][0] <= now - self.window_s:
            self._items.popleft()


@dataclass
class RunawayCheck:
    """Measured speed above the ceiling plus a tolerance for longer than a moment.

    A belt that is slowing down does not count: the ceiling may drop (a lower command, a turn)
    faster than any belt can decelerate, and that is not a runaway.
    """

    tolerance_kmh: float = RUNAWAY_TOLERANCE_KMH
    moment_s: float = RUNAWAY_MOMENT_S
    since_t: float | None = None
    last_kmh: float | None = None

    def observe(self, now: float, measured_kmh: float, ceiling_kmh: float) -> bool:
        slowing = self.last_kmh is not None and measured_kmh < self.last_kmh - SLOWING_KMH
        self.last_kmh = measured_kmh
        if slowing or measured_kmh <= ceiling_kmh + self.tolerance_kmh:
            self.since_t = None
            return False
        if self.since_t is None:
            self.since_t = now
        return now - self.since_t >= self.moment_s

    def reset(self) -> None:
        self.since_t = None
        self.last_kmh = None


@dataclass
class FollowCheck:
    """The belt does not follow commands: far from the last command for ``timeout_s`` after it."""

    timeout_s: float = FOLLOW_TIMEOUT_S
    tolerance_kmh: float = FOLLOW_TOLERANCE_KMH
    tolerance_fraction: float = FOLLOW_TOLERANCE_FRACTION
    since_t: float | None = None

    def observe(
        self, now: float, measured_kmh: float, commanded_kmh: float, commanded_t: float
    ) -> bool:
        tolerance = max(self.tolerance_kmh, commanded_kmh * self.tolerance_fraction)
        if abs(measured_kmh - commanded_kmh) <= tolerance:
            self.since_t = None
            return False
        # A new command does not restart the count: a belt that ignores a ramp's steps must
        # still be caught. The timeout is longer than any legitimate speed change takes.
        if self.since_t is None:
            self.since_t = max(now, commanded_t)
        start = self.since_t
        return now - start >= self.timeout_s

    def reset(self) -> None:
        self.since_t = None


@dataclass
class RestWatch:
    """After Stop the belt must come to rest, and something must say so.

    Started by the first Stop (a later Stop never restarts it, so escalation is not reset by
    more Stops). Two witnesses, each counted only from after the Stop: a reading at or below
    ``MOVING_KMH`` (``by_reading``), or the treadmill's status saying it stopped (``by_status``).
    While telemetry flows only a reading counts — a safety-key status arrives while the belt still
    coasts; the status alone counts only when there is no telemetry to judge by. ``overdue`` when
    the belt keeps moving without a new low for ``stall_s``, or nothing confirms rest that long.
    """

    since_t: float
    stall_s: float = STOP_STALL_S
    lowest_kmh: float | None = None
    progress_t: float | None = None
    by_reading: bool = False
    by_status: bool = False
    status_t: float = 0.0
    # The belt's last known speed and since when: the reading before Stop, then each one after.
    last_kmh: float | None = None
    last_t: float | None = None

    def observe(self, now: float, measured_kmh: float) -> None:
        self.by_status = False  # a reading supersedes what the treadmill said before it
        self.last_kmh, self.last_t = measured_kmh, now
        if measured_kmh <= MOVING_KMH:
            self.by_reading = True
            self.lowest_kmh = measured_kmh
            return
        self.by_reading = False
        if self.lowest_kmh is None or measured_kmh < self.lowest_kmh - SLOWING_KMH:
            self.lowest_kmh = measured_kmh
            self.progress_t = now

    def treadmill_stopped(self, now: float) -> None:
        """A status notification says the belt stopped (console stop, safety key, ...)."""
        if not self.by_status:
            self.by_status, self.status_t = True, now

    def confirmed(self, telemetry_fresh: bool, now: float | None = None) -> bool:
        """With data flowing, a reading; without, only the treadmill's own word (an old reading
        says nothing about now), and only ``STATUS_SETTLE_S`` after it: the treadmill reports a
        safety-key stop while its belt still coasts."""
        if telemetry_fresh:
            return self.by_reading
        settled = now is None or (
            now - self.status_t >= STATUS_SETTLE_S and now >= self.coasted_by() - 1e-6
        )
        return self.by_status and settled

    def coasted_by(self) -> float:
        """When a belt last known at ``last_kmh`` is at rest at the latest, coasting gently from
        the later of that reading and the Stop: a "stopped" status (the safety key pulled while
        it coasts after a Stop, say) does not stop the belt any sooner than that."""
        if self.last_kmh is None:
            return self.since_t
        start_t = self.since_t if self.last_t is None else max(self.last_t, self.since_t)
        return start_t + max(0.0, self.last_kmh) / COAST_KMH_PER_S

    def overdue(self, now: float, telemetry_fresh: bool) -> bool:
        if self.confirmed(telemetry_fresh) or (self.by_status and not telemetry_fresh):
            return False
        if not telemetry_fresh:
            return now - self.since_t >= self.stall_s
        start = self.progress_t if self.progress_t is not None else self.since_t
        return now - max(start, self.since_t) >= self.stall_s

    def describe(self, now: float, measured_kmh: float | None) -> str:
        if measured_kmh is None or self.lowest_kmh is None:
            return f"no data from the treadmill {now - self.since_t:.0f} s after Stop"
        return f"{measured_kmh:.1f} km/h measured {now - self.since_t:.0f} s after Stop"
