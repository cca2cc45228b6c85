"""The session's safety state machine: explicit states, an explicit transition table, no I/O.

Modelled on h11's ``_state.py``: everything that decides *what may happen now* lives in this file,
as tables where it fits and as small pure functions where it does not. "What may happen in state
X, from source Y" is read off ``REQUEST_RULES``; "where does input Z lead from state X" is read
off ``TRANSITIONS``. The supervisor (``supervisor.py``) feeds it inputs and carries out what it
decides; the session engine only asks. Nothing here sleeps, awaits or touches the link.

States::

    IDLE ──COUNT_IN──► COUNTDOWN ──BELT_STARTED──► RUNNING ◄──TURN_END── TURNING
                          ▲                          │ ──TURN_BEGIN──►      │
                          │ REARM                    ▼                      ▼
                    PAUSED / HALTED ◄──────── WALKER_PAUSE / HALT ─────────┘
                          │  ▲
            REST_UNCONFIRMED  REST_CONFIRMED
                          ▼  │
                      NOT_STOPPING
    (any) ──LINK_LOST──► RECONNECTING ──RECONNECTED──► HALTED
    (any) ──QUIT──► ENDING ──END──► ENDED

A halt latches at its strongest reason (``Latch``): the walker's own stop is the weakest and can be
cleared by the walker (or by a remote start where the configuration allows one); every fault the
supervisor, the treadmill or the link reports is *key-only*, and a later, weaker reason never
weakens it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum, StrEnum

from treadctl.controls import (
    SOURCE_DISPLAY,
    SOURCE_MQTT,
    SOURCE_PLAN,
    SOURCE_PROGRAM,
    SOURCE_SIGNAL,
    RequestKind,
    is_key,
)


class SafetyState(StrEnum):
    IDLE = "idle"  # connecting, taking control; treadctl has not started the belt
    COUNTDOWN = "countdown"  # armed: the 3-2-1 before the belt moves (first start, re-arm)
    RUNNING = "running"  # treadctl drives the belt through a bout
    TURNING = "turning"  # a turn-around: slow down, hold, wait for the walker
    PAUSED = "paused"  # the walker paused: the belt was sent Stop; the walker resumes
    HALTED = "halted"  # a latched stop: only the re-arm key (or, for a walker stop, remote) clears
    NOT_STOPPING = "not_stopping"  # after Stop the belt is not confirmed at rest: alarm, escalate
    RECONNECTING = "reconnecting"  # the link is lost; the session clock is frozen
    ENDING = "ending"  # on the way out: Stop sent, waiting for the belt to be confirmed at rest
    ENDED = "ended"


class Trigger(StrEnum):
    """Inputs that move the machine."""

    COUNT_IN = "count_in"  # the engine begins the 3-2-1 before the belt moves
    BELT_STARTED = "belt_started"  # Start (and the first speed) were acknowledged
    TURN_BEGIN = "turn_begin"
    TURN_END = "turn_end"
    WALKER_PAUSE = "walker_pause"
    HALT = "halt"  # a fault or a stop request (carries a Reason; see Latch)
    REARM = "rearm"  # an accepted re-arm / resume
    REST_CONFIRMED = "rest_confirmed"  # telemetry or the treadmill's status: the belt is at rest
    REST_UNCONFIRMED = "rest_unconfirmed"  # after Stop the belt still moves, or nothing tells
    LINK_LOST = "link_lost"
    RECONNECTED = "reconnected"
    QUIT = "quit"
    END = "end"


S, T = SafetyState, Trigger
_ACTIVE = (S.IDLE, S.COUNTDOWN, S.RUNNING, S.TURNING, S.PAUSED, S.HALTED, S.NOT_STOPPING)

# TRANSITIONS[state][trigger] -> next state. A trigger missing from a state's row leaves the state
# as it is (it is still recorded: a HALT in HALTED strengthens the latch, a LINK_LOST while ending
# is the engine's to recover). Rows are complete for every state, so the table can be printed.
TRANSITIONS: dict[SafetyState, dict[Trigger, SafetyState]] = {
    S.IDLE: {
        T.COUNT_IN: S.COUNTDOWN,
        T.TURN_BEGIN: S.TURNING,  # a plan that starts backward turns the walker at rest first
        T.HALT: S.HALTED,
        T.WALKER_PAUSE: S.PAUSED,
        T.LINK_LOST: S.RECONNECTING,
        T.QUIT: S.ENDING,
    },
    S.COUNTDOWN: {
        T.BELT_STARTED: S.RUNNING,
        T.TURN_BEGIN: S.TURNING,  # re-armed during a turn: the turn begins again, at rest
        T.HALT: S.HALTED,
        T.WALKER_PAUSE: S.PAUSED,
        T.LINK_LOST: S.RECONNECTING,
        T.QUIT: S.ENDING,
    },
    S.RUNNING: {
        T.COUNT_IN: S.COUNTDOWN,  # the belt was stopped for a turn: count in before it restarts
        T.TURN_BEGIN: S.TURNING,
        T.WALKER_PAUSE: S.PAUSED,
        T.HALT: S.HALTED,
        T.LINK_LOST: S.RECONNECTING,
        T.QUIT: S.ENDING,
    },
    S.TURNING: {
        T.TURN_END: S.RUNNING,
        T.WALKER_PAUSE: S.PAUSED,
        T.HALT: S.HALTED,
        T.LINK_LOST: S.RECONNECTING,
        T.QUIT: S.ENDING,
    },
    S.PAUSED: {
        T.REARM: S.COUNTDOWN,
        T.HALT: S.HALTED,
        T.REST_UNCONFIRMED: S.NOT_STOPPING,
        T.LINK_LOST: S.RECONNECTING,
        T.QUIT: S.ENDING,
    },
    S.HALTED: {
        T.REARM: S.COUNTDOWN,
        T.REST_UNCONFIRMED: S.NOT_STOPPING,
        T.LINK_LOST: S.RECONNECTING,
        T.QUIT: S.ENDING,
    },
    S.NOT_STOPPING: {
        T.REST_CONFIRMED: S.HALTED,
        T.LINK_LOST: S.RECONNECTING,
        T.QUIT: S.ENDING,
    },
    S.RECONNECTING: {
        T.RECONNECTED: S.HALTED,
        T.QUIT: S.ENDING,
    },
    S.ENDING: {
        T.END: S.ENDED,
    },
    S.ENDED: {},
}

# States in which treadctl may command the belt to move (Start, a speed, an incline).
DRIVING_STATES = frozenset({S.COUNTDOWN, S.RUNNING, S.TURNING})
# States in which the belt has been sent Stop by treadctl (its rest still to be confirmed).
STOPPED_STATES = frozenset({S.PAUSED, S.HALTED, S.NOT_STOPPING, S.ENDING, S.ENDED})


class Latch(IntEnum):
    """How strong a halt is. It only ever grows until the walker re-arms."""

    NONE = 0
    WALKER = 1  # the walker's own stop: the walker may clear it (remote too, if allowed)
    KEY_ONLY = 2  # any fault: only the re-arm key on treadctl's own screen clears it


class SourceClass(StrEnum):
    KEY = "key"  # a key on treadctl's own screen
    REMOTE = "remote"  # MQTT
    DISPLAY = "display"  # the wall screen's Stop button
    PLAN = "plan"  # the engine walking the plan
    SENSOR = "sensor"  # heart rate, presence
    SIGNAL = "signal"  # signals, closed pipes
    PROGRAM = "program"  # treadctl's own bounded waits


def source_class(source: str) -> SourceClass:
    if is_key(source):
        return SourceClass.KEY
    if source == SOURCE_MQTT or source.startswith("mqtt"):
        return SourceClass.REMOTE
    if source == SOURCE_DISPLAY:
        return SourceClass.DISPLAY
    if source == SOURCE_PLAN:
        return SourceClass.PLAN
    if source.startswith("sensor"):
        return SourceClass.SENSOR
    if source == SOURCE_SIGNAL or source.startswith("signal"):
        return SourceClass.SIGNAL
    if source == SOURCE_PROGRAM:
        return SourceClass.PROGRAM
    return SourceClass.REMOTE  # anything unknown gets the least trust


class Rule(StrEnum):
    """How a request is judged in a state (before its source and the facts are looked at)."""

    ALLOW = "allow"
    RESUME = "resume"  # a re-arm: see ``_judge_resume``
    NAVIGATE = "navigate"  # skip/extend/nudge: the plan's business, only while driving a bout
    REFUSE = "refuse"


K, R = RequestKind, Rule
_BOUT = {K.SKIP: R.NAVIGATE, K.EXTEND: R.NAVIGATE, K.NUDGE_SPEED: R.NAVIGATE}
_BOUT |= {K.NUDGE_INCLINE: R.NAVIGATE, K.SENSOR_LIMIT: R.ALLOW, K.PAUSE: R.ALLOW}
_HELD = {K.RESUME: R.RESUME, K.REARM: R.RESUME, K.START: R.RESUME, K.SENSOR_LIMIT: R.ALLOW}
_HELD |= {K.EXTEND: R.NAVIGATE}

# REQUEST_RULES[state][kind]. STOP and QUIT are allowed everywhere, from every source (Stop is
# the easiest request to get through); a kind missing from a row is refused in that state.
REQUEST_RULES: dict[SafetyState, dict[RequestKind, Rule]] = {
    S.IDLE: {K.PAUSE: R.ALLOW, K.SENSOR_LIMIT: R.ALLOW},
    S.COUNTDOWN: {K.PAUSE: R.ALLOW, K.SENSOR_LIMIT: R.ALLOW},
    S.RUNNING: dict(_BOUT),
    # A turn is never shortened, skipped or sped up: no skip, no nudge, no extension.
    S.TURNING: {K.PAUSE: R.ALLOW, K.CONFIRM_TURN: R.ALLOW, K.SENSOR_LIMIT: R.ALLOW},
    S.PAUSED: dict(_HELD),
    S.HALTED: dict(_HELD),
    S.NOT_STOPPING: {K.SENSOR_LIMIT: R.ALLOW},
    S.RECONNECTING: {K.SENSOR_LIMIT: R.ALLOW},
    S.ENDING: {},
    S.ENDED: {},
}

# What each source class may ask for at all, whatever the state (sensors only slow or stop; the
# wall screen only stops; signals only stop and quit).
SOURCE_KINDS: dict[SourceClass, frozenset[RequestKind]] = {
    SourceClass.KEY: frozenset(RequestKind) - {K.SENSOR_LIMIT},
    SourceClass.REMOTE: frozenset(RequestKind) - {K.SENSOR_LIMIT, K.CONFIRM_TURN, K.QUIT},
    SourceClass.DISPLAY: frozenset({K.STOP}),
    SourceClass.PLAN: frozenset({K.PAUSE}),
    SourceClass.SENSOR: frozenset({K.STOP, K.SENSOR_LIMIT}),
    SourceClass.SIGNAL: frozenset({K.STOP, K.QUIT}),
    SourceClass.PROGRAM: frozenset({K.PAUSE, K.STOP, K.QUIT}),
}


@dataclass(frozen=True)
class Facts:
    """What the supervisor measured, for the guards of a request."""

    telemetry_fresh: bool  # Treadmill Data arrived within ``watchdog_s``
    at_rest: bool  # the last reading (or the treadmill's status) says the belt is at rest
    link_up: bool
    remote_start_allowed: bool = False
    awaiting_turn_confirmation: bool = False


@dataclass(frozen=True)
class Verdict:
    accepted: bool
    reason: str = ""
    rule: Rule = Rule.REFUSE


ACCEPT = Verdict(True, rule=Rule.ALLOW)

REMOTE_RESTART_REFUSED = "the belt can only be restarted with a key on the treadmill's computer"


@dataclass
class SafetyMachine:
    """The state, the latch and nothing else. ``fire`` moves it; ``judge`` answers requests."""

    state: SafetyState = SafetyState.IDLE
    latch: Latch = Latch.NONE
    halt_reason: str = ""

    @property
    def driving(self) -> bool:
        return self.state in DRIVING_STATES

    def fire(self, trigger: Trigger) -> SafetyState:
        """Apply ``trigger``; returns the new state (unchanged when the row has no entry)."""
        self.state = TRANSITIONS[self.state].get(trigger, self.state)
        if trigger is Trigger.REARM and self.state is SafetyState.COUNTDOWN:
            self.latch, self.halt_reason = Latch.NONE, ""
        return self.state

    def latch_halt(self, strength: Latch, reason: str) -> bool:
        """Record a halt's reason; True when it became stronger (or is the first)."""
        if strength > self.latch:
            self.latch, self.halt_reason = strength, reason
            return True
        return False

    def judge(self, kind: RequestKind, source: str, facts: Facts) -> Verdict:
        """May ``kind`` from ``source`` happen now? Pure: reads the tables and the facts."""
        cls = source_class(source)
        if kind not in SOURCE_KINDS[cls]:
            return Verdict(False, f"{kind} is not taken from {cls}")
        if self.state is SafetyState.ENDED:
            return Verdict(False, "the session has ended")
        if kind in (RequestKind.STOP, RequestKind.QUIT):
            return ACCEPT
        rule = REQUEST_RULES[self.state].get(kind, Rule.REFUSE)
        if rule is Rule.REFUSE:
            return Verdict(False, _refusal(self.state, kind))
        if rule is Rule.RESUME:
            return self._judge_resume(kind, cls, facts)
        if kind is RequestKind.CONFIRM_TURN and not facts.awaiting_turn_confirmation:
            return Verdict(False, "no turn is waiting for confirmation")
        return Verdict(True, rule=rule)

    def _judge_resume(self, kind: RequestKind, cls: SourceClass, facts: Facts) -> Verdict:
        """A re-arm: the walker's key (or a remote start for a walker's own stop or pause, where
        the configuration allows one), a live link, fresh telemetry and the belt at rest. After a
        halt only the explicit re-arm key counts: not the pause key, not skip, not a nudge."""
        if cls is SourceClass.KEY and self.state is SafetyState.HALTED and kind is not K.REARM:
            return Verdict(False, "press r to re-arm")
        if cls is SourceClass.REMOTE:
            if not facts.remote_start_allowed or self.latch is Latch.KEY_ONLY:
                return Verdict(False, REMOTE_RESTART_REFUSED)
        elif cls is not SourceClass.KEY:
            return Verdict(False, "only the walker can re-arm")
        if not facts.link_up:
            return Verdict(False, "the treadmill is not connected")
        if not facts.telemetry_fresh:
            return Verdict(False, "no recent data from the treadmill; cannot re-arm yet")
        if not facts.at_rest:
            return Verdict(False, "the belt is still moving; wait until it has stopped")
        return Verdict(True, rule=Rule.RESUME)


def _refusal(state: SafetyState, kind: RequestKind) -> str:
    if state is SafetyState.TURNING:
        return f"not during a turn-around ({kind})"
    if state in (SafetyState.PAUSED, SafetyState.HALTED):
        return (
            "the belt is stopped; re-arm first"
            if kind is not RequestKind.PAUSE
            else ("already stopped")
        )
    if state is SafetyState.RUNNING and kind in (RequestKind.RESUME, RequestKind.REARM):
        return "already running"
    if state is SafetyState.NOT_STOPPING:
        return "the belt may not have stopped: use the console stop"
    if state is SafetyState.RECONNECTING:
        return "the treadmill is not connected"
    return f"{kind} is not possible while {state.value.replace('_', ' ')}"


def describe_tables() -> str:
    """The two tables in words (for ``docs/safety.md`` and reviewers)."""
    lines = ["state | trigger -> next state"]
    for state, row in TRANSITIONS.items():
        for trigger, target in row.items():
            lines.append(f"{state} | {trigger} -> {target}")
    lines.append("")
    lines.append("state | requests allowed (besides stop and quit)")
    for state, rules in REQUEST_RULES.items():
        allowed = ", ".join(f"{kind}({rule})" for kind, rule in rules.items()) or "-"
        lines.append(f"{state} | {allowed}")
    return "\n".join(lines)


__all__ = [
    "ACCEPT",
    "DRIVING_STATES",
    "REQUEST_RULES",
    "SOURCE_KINDS",
    "STOPPED_STATES",
    "TRANSITIONS",
    "Facts",
    "Latch",
    "Rule",
    "SafetyMachine",
    "SafetyState",
    "SourceClass",
    "Trigger",
    "Verdict",
    "describe_tables",
    "source_class",
]
