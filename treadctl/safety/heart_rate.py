"""Heart rate for the supervisor: how far a reading can be trusted, and a ceiling that only slows.

Pure: no asyncio, no bleak, no clock of its own (every call takes the time). Two parts:

* :class:`TrustTracker` turns raw readings into a trust state. A strap that lost skin contact
  often sends 0 bpm or clears its contact bit; one that lost contact on some models keeps sending
  its last value with no RR intervals (frozen); a link can go quiet (stale) or drop (link lost).
  Only ``good`` carries a number: the others show ``–`` and are never recorded as a value.
* :class:`CeilingPolicy` is the ceiling (safety rule 13: sensors may only slow or stop the belt).
  Above ``hr_ceiling_bpm`` it holds the speed (a speed limit at the belt's current speed), and
  while heart rate stays above it, lowers that limit a step at a time (the supervisor ramps down
  at its deceleration limit), waiting ``hold_s`` after each step for the heart to answer. Above
  the ceiling plus a margin for ``stop_after_s`` it asks for Stop (the walker re-arms with the
  key as after any stop). Within a bout the limit never rises; it is lifted only when a new bout
  starts with heart rate back under the ceiling, and then the plan's own target (never more)
  applies again. Heart rate never raises speed or incline: the policy has no way to say so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

# No reading for this long -> stale. The issue asks for 10-15 s: long enough that one missed
# notification (straps send about once a second) is not an alarm, short enough to matter.
STALE_AFTER_S = 12.0
# The same value and no RR interval for this long -> frozen. Straps that lose contact on some
# models repeat their last value; a real heart rate with beats detected always brings RR.
# Only for sources that have sent RR intervals at all (see ``TrustTracker.state``).
FROZEN_AFTER_S = 60.0
# The ceiling never lowers the speed limit below this: stopping is the Stop rule's job.
MIN_LIMIT_KMH = 1.0


class Trust(StrEnum):
    GOOD = "good"
    NO_CONTACT = "no_contact"
    STALE = "stale"
    FROZEN = "frozen"
    LINK_LOST = "link_lost"


TRUST_WORDS: dict[Trust, str] = {
    Trust.GOOD: "good",
    Trust.NO_CONTACT: "no skin contact",
    Trust.STALE: "no reading",
    Trust.FROZEN: "frozen reading",
    Trust.LINK_LOST: "strap lost",
}


@dataclass(frozen=True)
class TrustReading:
    """What the tracker says now: ``bpm`` is None unless ``trust`` is good."""

    trust: Trust
    bpm: int | None


class TrustTracker:
    """The trust state of one heart-rate source. Times are seconds on any steady clock."""

    def __init__(
        self,
        started_s: float,
        *,
        stale_after_s: float = STALE_AFTER_S,
        frozen_after_s: float = FROZEN_AFTER_S,
        has_link: bool = False,
    ) -> None:
        self.stale_after_s = stale_after_s
        self.frozen_after_s = frozen_after_s
        self._started_s = started_s
        self._link_up = not has_link  # a strap starts unconnected; the treadmill field has none
        self._last_s: float | None = None
        self._bpm: int | None = None
        self._contact: bool | None = None
        self._value_since_s = started_s
        self._last_rr_s: float | None = None

    @property
    def started_s(self) -> float:
        return self._started_s

    def link(self, up: bool) -> None:
        self._link_up = up

    def reading(
        self, now_s: float, bpm: int | None, *, contact: bool | None = None, rr_count: int = 0
    ) -> None:
        """One value from the source. ``bpm`` None or 0, or ``contact`` False: no contact."""
        if bpm != self._bpm:
            self._value_since_s = now_s
        self._bpm = bpm
        self._contact = contact
        self._last_s = now_s
        if rr_count > 0:
            self._last_rr_s = now_s

    def state(self, now_s: float) -> TrustReading:
        if not self._link_up:
            return TrustReading(Trust.LINK_LOST, None)
        if self._last_s is None or now_s - self._last_s > self.stale_after_s:
            return TrustReading(Trust.STALE, None)
        if self._contact is False or not self._bpm:
            return TrustReading(Trust.NO_CONTACT, None)
        # Frozen needs a source that sends RR intervals (a strap): one that stops sending them
        # and repeats its value is the classic lost-contact freeze. A source that never sends RR
        # (the treadmill's own field) cannot be told apart from a steady heart rate this way.
        if self._last_rr_s is not None:
            changed_s = max(self._value_since_s, self._last_rr_s)
            if now_s - changed_s >= self.frozen_after_s:
                return TrustReading(Trust.FROZEN, None)
        return TrustReading(Trust.GOOD, self._bpm)

    def in_grace(self, now_s: float) -> bool:
        """The first moments of the session, before a source can be expected to have spoken."""
        return now_s - self._started_s < self.stale_after_s


@dataclass(frozen=True)
class CeilingSettings:
    """The ceiling as the safety configuration (or a profile or program week) sets it."""

    ceiling_bpm: int
    margin_bpm: int = 10
    stop_after_s: float = 30.0
    hold_s: float = 20.0
    step_kmh: float = 0.3
    min_limit_kmh: float = MIN_LIMIT_KMH


@dataclass(frozen=True)
class CeilingDecision:
    """What the policy asks for now: ``limit_kmh`` (None: no limit) and whether to Stop."""

    limit_kmh: float | None
    stop: bool = False
    why: str = ""


class CeilingPolicy:
    """Hold, step down, stop. Feed it every trusted (or untrusted: ``bpm`` None) reading."""

    def __init__(self, settings: CeilingSettings) -> None:
        self.settings = settings
        self._limit_kmh: float | None = None
        self._above_since_s: float | None = None
        self._over_margin_since_s: float | None = None
        self._last_change_s: float | None = None

    @property
    def limit_kmh(self) -> float | None:
        return self._limit_kmh

    @property
    def above(self) -> bool:
        return self._above_since_s is not None

    def update(self, now_s: float, bpm: int | None, belt_kmh: float | None) -> CeilingDecision:
        s = self.settings
        if bpm is None:  # untrusted: change nothing, and start counting afresh when it is back
            self._above_since_s = None
            self._over_margin_since_s = None
            return CeilingDecision(self._limit_kmh)
        if bpm <= s.ceiling_bpm:
            self._above_since_s = None
            self._over_margin_since_s = None
            return CeilingDecision(self._limit_kmh)
        why = f"heart rate {bpm} bpm is above the ceiling of {s.ceiling_bpm} bpm"
        if self._above_since_s is None:
            self._above_since_s = now_s
        if self._limit_kmh is None:
            held = max(s.min_limit_kmh, _down_to_tenth(belt_kmh or 0.0))
            self._set(held, now_s)
            why += f": holding {held:g} km/h"
        elif self._last_change_s is not None and now_s - self._last_change_s >= s.hold_s:
            lowered = max(s.min_limit_kmh, round(self._limit_kmh - s.step_kmh, 2))
            if lowered < self._limit_kmh:
                self._set(lowered, now_s)
                why += f": slowing to {lowered:g} km/h"
        stop = False
        if bpm > s.ceiling_bpm + s.margin_bpm:
            if self._over_margin_since_s is None:
                self._over_margin_since_s = now_s
            if now_s - self._over_margin_since_s >= s.stop_after_s:
                stop = True
                why = (
                    f"heart rate {bpm} bpm has been above {s.ceiling_bpm + s.margin_bpm} bpm "
                    f"(ceiling + {s.margin_bpm}) for {s.stop_after_s:g} s"
                )
                self._over_margin_since_s = None  # ask again only after another full stretch
        else:
            self._over_margin_since_s = None
        return CeilingDecision(self._limit_kmh, stop, why)

    def new_bout(self, now_s: float) -> CeilingDecision:
        """A new bout: the limit is lifted unless heart rate is still above the ceiling."""
        if self._above_since_s is None:
            self._limit_kmh = None
            self._last_change_s = None
        return CeilingDecision(self._limit_kmh)

    def _set(self, limit_kmh: float, now_s: float) -> None:
        if self._limit_kmh is not None and limit_kmh > self._limit_kmh:  # pragma: no cover
            raise AssertionError("the heart-rate ceiling never raises a limit")
        self._limit_kmh = limit_kmh
        self._last_change_s = now_s


def _down_to_tenth(speed_kmh: float) -> float:
    """The largest tenth of a km/h not above ``speed_kmh`` (never above it, whatever floats do)."""
    tenth = round(math.floor(speed_kmh * 10) / 10, 1)
    up = round(tenth + 0.1, 1)
    return up if up <= speed_kmh else (tenth if tenth <= speed_kmh else round(tenth - 0.1, 1))


def tanaka_max_bpm(age_years: int) -> int:
    """Tanaka, Monahan and Seals (2001): predicted maximum heart rate 208 − 0.7 × age.

    A population average with a spread of about ±10–12 bpm for one person, and meaningless for
    anyone taking beta-blockers (they blunt the heart's response): a suggestion, never a rule.
    """
    return round(208 - 0.7 * age_years)
