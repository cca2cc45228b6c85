"""The heart-rate sensor agent: readings in, ``HeartRate`` events and sensor requests out.

It listens to the session's event bus (the treadmill's own heart-rate field comes in
``Telemetry``; each Telemetry record, about once a second, is also its tick) and to a strap
(``strap_reading``/``strap_link``/``strap_battery``). A strap, when one is configured, wins
over the treadmill's field: the treadmill's is then ignored.

It acts only through ``SessionControls.request``: ``SENSOR_LIMIT`` (the highest speed the
ceiling allows, or None to lift it; the supervisor takes the lower of that and the plan's
target) and ``STOP`` (the walker re-arms with the key as after any stop). It can never ask for
more speed or incline: those requests are not in its vocabulary.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass

from treadctl.controls import Request, RequestKind, SessionControls
from treadctl.events import (
    BoutStarted,
    EventBus,
    HeartRate,
    SafetyEvent,
    SessionEnded,
    SessionEvent,
    Telemetry,
)
from treadctl.safety.heart_rate import (
    FROZEN_AFTER_S,
    STALE_AFTER_S,
    TRUST_WORDS,
    CeilingPolicy,
    CeilingSettings,
    Trust,
    TrustTracker,
)

log = logging.getLogger(__name__)

SOURCE_HR = "sensor:hr"
# With require_hr, the belt counts as moving above this measured speed.
MOVING_KMH = 0.2
# With require_hr, ask for Stop again at most this often while the belt still moves.
REQUIRE_RETRY_S = 5.0
BATTERY_LOW_PCT = 15

REASON_UNTRUSTED = "hr_untrusted"
REASON_TRUSTED = "hr_trusted"
REASON_CEILING = "hr_ceiling"
REASON_REQUIRED = "hr_required"
REASON_BATTERY = "hr_battery_low"
REASON_LIMIT_REFUSED = "hr_limit_refused"


@dataclass(frozen=True)
class AgentSettings:
    ceiling: CeilingSettings | None = None
    require_hr: bool = False
    strap: bool = False  # a strap is configured: it is the source, the treadmill's field is not
    stale_after_s: float = STALE_AFTER_S
    frozen_after_s: float = FROZEN_AFTER_S


class HeartRateAgent:
    """One session's heart rate. ``clock`` is a steady clock (the loop's time); ``session_time``
    is the session clock the events carry (it freezes while the treadmill is lost)."""

    def __init__(
        self,
        bus: EventBus,
        controls: SessionControls,
        settings: AgentSettings,
        *,
        clock: Callable[[], float],
        session_time: Callable[[], float],
    ) -> None:
        self.bus = bus
        self.controls = controls
        self.settings = settings
        self._clock = clock
        self._session_time = session_time
        self._tracker = TrustTracker(
            clock(),
            stale_after_s=settings.stale_after_s,
            frozen_after_s=settings.frozen_after_s,
            has_link=settings.strap,
        )
        self._policy = CeilingPolicy(settings.ceiling) if settings.ceiling else None
        # With require_hr, "no source at all" is an untrusted heart rate like any other.
        self._source_seen = settings.strap or settings.require_hr
        self._belt_kmh: float | None = None
        self._trust: Trust | None = None
        self._banner_up = False
        self._sent_limit: float | None = None
        self._last_required_stop_s: float | None = None
        self._battery_warned = False
        self._ever_good = False
        self._ended = False
        self._unsubscribe: Callable[[], None] | None = None

    @property
    def source(self) -> str:
        return "strap" if self.settings.strap else "treadmill"

    def attach(self) -> HeartRateAgent:
        self._unsubscribe = self.bus.subscribe(self._on_event)
        return self

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    # --- inputs ----------------------------------------------------------------------------------

    def strap_reading(self, bpm: int, contact: bool | None, rr_count: int) -> None:
        if self._ended:
            return
        self._tracker.reading(self._clock(), bpm, contact=contact, rr_count=rr_count)

    def strap_link(self, up: bool, reason: str = "") -> None:
        if self._ended:
            return
        self._tracker.link(up)
        self._tick()

    def strap_battery(self, percent: int) -> None:
        if self._ended:
            return
        if percent <= BATTERY_LOW_PCT and not self._battery_warned:
            self._battery_warned = True
            self._report(
                REASON_BATTERY,
                f"the heart-rate strap's battery is at {percent} %: replace it soon, "
                "before it stops sending",
            )
        elif percent > BATTERY_LOW_PCT:
            self._battery_warned = False

    def _on_event(self, event: SessionEvent) -> None:
        if self._ended:
            return
        if isinstance(event, Telemetry):
            self._belt_kmh = event.speed_kmh
            if not self.settings.strap and event.heart_rate_bpm is not None:
                self._source_seen = True
                self._tracker.reading(self._clock(), event.heart_rate_bpm)
            self._tick()
        elif isinstance(event, BoutStarted):
            if self._policy is not None:
                limit = self._policy.new_bout(self._clock()).limit_kmh
                if limit is not None:
                    # Still above the ceiling: say the limit again for the new bout, whether or
                    # not the supervisor keeps a sensor's limit across bouts.
                    self._sent_limit = None
                self._send_limit(limit)
        elif isinstance(event, SessionEnded):
            self._ended = True

    # --- the tick --------------------------------------------------------------------------------

    def _tick(self) -> None:
        if not self._source_seen:
            return  # no heart-rate source at all: nothing to show, nothing to publish
        now = self._clock()
        reading = self._tracker.state(now)
        self.bus.publish(HeartRate(self._session_time(), reading.bpm, reading.trust, self.source))
        changed = reading.trust is not self._trust
        self._trust = reading.trust
        # The first seconds, before the source has ever been good: nothing to warn about yet.
        grace = self._tracker.in_grace(now) and not self._ever_good
        if reading.trust is Trust.GOOD:
            self._ever_good = True
            if changed and self._banner_up:
                self._banner_up = False
                what = "the heart-rate ceiling is active again" if self._policy else "trusted"
                self._report(REASON_TRUSTED, f"heart rate is back ({reading.bpm} bpm): {what}")
        elif not grace:
            self._untrusted(reading.trust, now)
        if self._policy is not None:
            decision = self._policy.update(now, reading.bpm, self._belt_kmh)
            if decision.limit_kmh != self._sent_limit and decision.limit_kmh is not None:
                self._publish_safety(REASON_CEILING, decision.why, "limit")
            self._send_limit(decision.limit_kmh)
            if decision.stop:
                self._report(REASON_CEILING, decision.why + ": stopping the belt")
                self._request(Request(RequestKind.STOP, source=SOURCE_HR))

    def _untrusted(self, trust: Trust, now: float) -> None:
        words = TRUST_WORDS[trust]
        if self.settings.require_hr:
            moving = (self._belt_kmh or 0.0) > MOVING_KMH
            last = self._last_required_stop_s
            if moving and (last is None or now - last >= REQUIRE_RETRY_S):
                self._last_required_stop_s = now
                self._publish_safety(
                    REASON_REQUIRED,
                    f"heart rate not trusted ({words}) and require_hr is on: stopping the belt. "
                    "Check the strap, then re-arm.",
                    "report",
                )
                self._request(Request(RequestKind.STOP, source=SOURCE_HR))
            return
        if self._banner_up or (self._policy is None):
            return
        self._banner_up = True
        self._report(
            REASON_UNTRUSTED,
            f"heart rate not trusted ({words}): the heart-rate ceiling is not active",
        )

    # --- outputs ---------------------------------------------------------------------------------

    def _send_limit(self, limit_kmh: float | None) -> None:
        if limit_kmh == self._sent_limit:
            return
        self._sent_limit = limit_kmh
        self._request(Request(RequestKind.SENSOR_LIMIT, value=limit_kmh, source=SOURCE_HR))

    def _request(self, request: Request) -> None:
        """Ask the session, after the current event has been handled (never from inside the
        supervisor's own publish); directly when no loop runs (the pure tests)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            self._ask(request)
            return
        loop.call_soon(self._ask, request)

    def _ask(self, request: Request) -> None:
        if self._ended:
            return
        result = self.controls.request(request)
        if not result.accepted and request.kind is RequestKind.SENSOR_LIMIT:
            self._report(
                REASON_LIMIT_REFUSED,
                f"the heart-rate ceiling could not limit the speed: {result.reason}",
            )

    def _report(self, reason: str, message: str) -> None:
        self._publish_safety(reason, message, "report")

    def _publish_safety(self, reason: str, message: str, action: str) -> None:
        self.bus.publish(SafetyEvent(self._session_time(), reason, message, action))
