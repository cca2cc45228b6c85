"""The session's event stream: typed, immutable events and the bus that fans them out.

Commands go down through the supervisor; measurements and decisions come up here. The TUI, the
recorder, MQTT and the audit log subscribe to the bus; none of them commands the belt. Each event
knows its audit-log form (``to_json``): one JSON object with ``t`` (seconds of session time) and
``kind``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, fields
from enum import StrEnum
from typing import Any, ClassVar

from treadctl.direction import Direction

log = logging.getLogger(__name__)


class PhaseName(StrEnum):
    """What the belt and the walker are doing now."""

    STARTING = "starting"  # connecting, taking control, starting the belt
    RAMP = "ramp"  # speed stepping towards the bout's target
    STEADY = "steady"  # at the bout's target
    TURN = "turn"  # slowed or stopped while the walker turns around
    PAUSED = "paused"  # paused by the walker, the console or a fault; needs resume/re-arm
    RECONNECTING = "reconnecting"  # link lost; session clock frozen
    STOPPING = "stopping"
    ENDED = "ended"


class EndStatus(StrEnum):
    COMPLETED = "completed"
    SAFETY_STOP = "safety_stop"
    INTERRUPTED = "interrupted"


@dataclass(frozen=True)
class SessionEvent:
    """Base: ``t_s`` is seconds of session time (frozen while the link is lost)."""

    kind: ClassVar[str] = "event"
    t_s: float

    def to_json(self) -> dict[str, Any]:
        # Fast path for the common case (every field a plain scalar or a StrEnum): the same dict
        # as the general form below, without asdict's deep copy. Anything else (a nested
        # dataclass, a dict, an unexpected type) takes the general form, so the output is the same.
        out: dict[str, Any] = {"t": round(self.t_s, 3), "kind": self.kind}
        for name in body_field_names(type(self)):
            value = getattr(self, name)
            kind = type(value)
            if kind is float:
                out[name] = round(value, 3)
            elif kind in _AS_IS:
                out[name] = value
            elif isinstance(value, StrEnum):
                out[name] = str(value)
            else:
                return self._to_json_general()
        return out

    def _to_json_general(self) -> dict[str, Any]:
        body = {k: _plain(v) for k, v in asdict(self).items() if k != "t_s"}
        return {"t": round(self.t_s, 3), "kind": self.kind, **body}


@dataclass(frozen=True)
class CommandSent(SessionEvent):
    """The supervisor wrote a Control Point procedure (``op`` is a ``treadctl.link.Op`` value)."""

    kind: ClassVar[str] = "command"
    op: str
    speed_kmh: float | None = None
    incline_pct: float | None = None
    source: str = "plan"  # plan, key, mqtt, recovery, exit


@dataclass(frozen=True)
class CommandAnswered(SessionEvent):
    kind: ClassVar[str] = "response"
    op: str
    result: str  # success, invalid_parameter, operation_failed, control_not_permitted, timeout, ...


@dataclass(frozen=True)
class StatusReceived(SessionEvent):
    """A Fitness Machine Status notification, decoded (``status`` is the codec's JSON form)."""

    kind: ClassVar[str] = "status"
    status: dict[str, Any]


@dataclass(frozen=True)
class LinkChanged(SessionEvent):
    kind: ClassVar[str] = "link"
    event: str  # connected, disconnected, reconnected
    rssi_dbm: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class Telemetry(SessionEvent):
    """One Treadmill Data record as the session uses it. ``energy_kcal`` is treadctl's own
    estimate for the session so far (the energy model), not the treadmill's figure."""

    kind: ClassVar[str] = "data"
    speed_kmh: float | None
    incline_pct: float | None = None
    distance_m: float | None = None
    energy_kcal: float | None = None
    heart_rate_bpm: int | None = None
    machine_elapsed_s: int | None = None


@dataclass(frozen=True)
class BoutStarted(SessionEvent):
    kind: ClassVar[str] = "bout"
    index: int
    count: int
    label: str
    direction: Direction
    duration_s: float
    speed_kmh: float
    incline_pct: float
    cue: str | None = None


@dataclass(frozen=True)
class PhaseChanged(SessionEvent):
    kind: ClassVar[str] = "phase"
    name: PhaseName
    bout_index: int | None = None
    duration_s: float | None = None  # the phase's whole known length (a turn's hold), else None
    detail: str = ""
    # Time left when this was published: a ramp's or steady's bout remainder (extensions and
    # pauses included), a turn's hold; None when unknown. A display counts down from it.
    remaining_s: float | None = None


@dataclass(frozen=True)
class Clamped(SessionEvent):
    """A target was limited before it reached the belt."""

    kind: ClassVar[str] = "clamp"
    field: str  # speed or incline
    asked: float
    sent: float
    reason: str
    bout_index: int | None = None


@dataclass(frozen=True)
class SafetyEvent(SessionEvent):
    """The supervisor stopped or paused the belt, or refused a request, for the walker's safety."""

    kind: ClassVar[str] = "safety"
    reason: str  # watchdog, link_lost, safety_key, console_stop, control_lost, runaway, ...
    message: str  # what happened and what the walker can do, in words
    action: str = "stop"  # stop, pause, refuse, adopt


@dataclass(frozen=True)
class PlanAdjusted(SessionEvent):
    """The plan as it will be driven, once the device's own ranges are known (one clamp, one
    rounding): displays show these targets, not the ones planned before connecting.
    ``targets`` is one ``(bout index, speed_kmh, incline_pct)`` per bout."""

    kind: ClassVar[str] = "plan"
    targets: tuple[tuple[int, float, float], ...]


@dataclass(frozen=True)
class SafetyStateChanged(SessionEvent):
    """The safety state machine moved (``treadctl.safety.state.SafetyState`` values)."""

    kind: ClassVar[str] = "state"
    state: str
    previous: str
    cause: str  # the input that moved it, in words


@dataclass(frozen=True)
class RequestDecided(SessionEvent):
    """A request reached the supervisor's door: who asked, and what it decided (and why)."""

    kind: ClassVar[str] = "request"
    request: str  # a ``treadctl.controls.RequestKind`` value
    source: str  # plan, key:<name>, mqtt, display, signal, recovery, safety, sensor, program
    accepted: bool
    reason: str = ""
    value: float | None = None


@dataclass(frozen=True)
class Countdown(SessionEvent):
    """A spoken and shown count before the belt moves: 3, 2, 1, then 0 for "go".

    ``purpose``: ``start`` (the first start), ``restart`` (after a re-arm) or ``turn`` (the
    count-in of a turn-around)."""

    kind: ClassVar[str] = "countdown"
    seconds_left: int
    purpose: str


@dataclass(frozen=True)
class Alarm(SessionEvent):
    """A persistent alarm the walker must act on (``active`` False once it is resolved).

    ``not_stopping``: the belt may still be moving after Stop — use the console stop or pull the
    safety key. It stays up until telemetry or the treadmill's status confirms rest."""

    kind: ClassVar[str] = "alarm"
    reason: str
    message: str
    active: bool = True


@dataclass(frozen=True)
class VoiceNotice(SessionEvent):
    """Said once at the start: why no cue will be heard (the screen shows it as a notice)."""

    kind: ClassVar[str] = "voice"
    message: str


@dataclass(frozen=True)
class DisplayNotice(SessionEvent):
    """The big screen's address, for the session screen to show once at the start. The audit
    log keeps the address without its token."""

    kind: ClassVar[str] = "display"
    message: str
    qr: str = ""
    token: str = ""

    def to_json(self) -> dict[str, Any]:
        message = self.message.replace(self.token, "…") if self.token else self.message
        return {"t": round(self.t_s, 3), "kind": self.kind, "message": message}


@dataclass(frozen=True)
class HeartRate(SessionEvent):
    """One heart-rate reading as the session uses it. ``bpm`` is None unless ``trust`` is
    ``good`` (no contact, stale, frozen or a lost strap never show or record a number)."""

    kind: ClassVar[str] = "hr"
    bpm: int | None
    trust: str  # good, no_contact, stale, frozen, link_lost
    source: str = "treadmill"  # treadmill or strap


@dataclass(frozen=True)
class Cue(SessionEvent):
    """A spoken cue (also written to the audit log, spoken or not)."""

    kind: ClassVar[str] = "cue"
    text: str
    category: str  # countdown, bout, time_left, turn, pause, fault, alarm, end
    spoken: bool = False


@dataclass(frozen=True)
class SessionSummary:
    profile_name: str
    duration_s: float
    backward_s: float
    forward_s: float
    distance_m: float
    energy_kcal: float
    bouts_completed: int
    bouts_total: int


@dataclass(frozen=True)
class SessionEnded(SessionEvent):
    """The end. ``belt_at_rest`` is True only when telemetry or the treadmill's status confirmed
    the belt at rest before the link closed; False means it may still be moving (exit 4)."""

    kind: ClassVar[str] = "end"
    status: EndStatus
    reason: str
    summary: SessionSummary | None = None
    belt_at_rest: bool = True


_AS_IS: frozenset[type] = frozenset({str, int, bool, type(None)})
_BODY_FIELDS: dict[type, tuple[str, ...]] = {}


def body_field_names(cls: type) -> tuple[str, ...]:
    """The fields ``to_json`` writes after ``t`` and ``kind``, in declaration order (cached)."""
    names = _BODY_FIELDS.get(cls)
    if names is None:
        names = tuple(f.name for f in fields(cls) if f.name != "t_s")
        _BODY_FIELDS[cls] = names
    return names


def _plain(value: Any) -> Any:
    if isinstance(value, StrEnum):
        return str(value)
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, float):
        return round(value, 3)
    return value


Listener = Callable[[SessionEvent], None]


@dataclass
class EventBus:
    """Synchronous fan-out. Listeners must be quick and must not raise; one that raises is logged
    and kept, because a broken display must never stop the supervisor from stopping the belt."""

    _listeners: list[Listener] = field(default_factory=list)

    def subscribe(self, listener: Listener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    def publish(self, event: SessionEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("event listener %r failed on %s", listener, event.kind)
