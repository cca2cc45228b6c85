"""Which banner the session screen shows, and what it says: pure functions of the view."""

from __future__ import annotations

from treadctl.direction import Direction
from treadctl.events import EndStatus, PhaseName
from treadctl.tui import fmt
from treadctl.tui.widgets.banners import Alert
from treadctl.units import SpeedUnit, format_duration
from treadctl.view import SessionState, SessionView
from treadctl.voice.reasons import alarm_words
from treadctl.wording import REASONS
from treadctl.wording import reason_words as reason_words

# The supervisor's reasons in words live in treadctl.wording (one table for every screen).
NOT_STOPPING = "not_stopping"
WALKER_STOP = "walker_stop"
REARM_KEYS = "r = re-arm and carry on · q = quit"
MOVING_KMH = 0.3  # a measured speed above this is a belt still moving


def turn_title(to: Direction | None) -> str:
    if to is None:
        return "TURN AROUND"
    return f"TURN AROUND — {fmt.facing_hint(to)}"


def alarm_for(view: SessionView) -> Alert | None:
    """The alarm banner: up while an ``Alarm`` is active, while the belt kept moving after Stop,
    and at an end that could not confirm the belt at rest. Louder than any other banner."""
    if view.alarm_active:
        title, todo = alarm_words(view.alarm_reason or "", view.alarm_message or "")
        return Alert("alarm", title, f"{todo}  q = quit")
    if view.safety_reason == NOT_STOPPING and _moving(view):
        title, todo = alarm_words(NOT_STOPPING, "")
        return Alert("alarm", title, f"{todo}  q = quit")
    if view.state is SessionState.ENDED and view.belt_at_rest is False:
        title, todo = alarm_words(NOT_STOPPING, "")
        return Alert("alarm", title, f"{todo}  q = leave")
    return None


def alert_for(
    view: SessionView,
    now_s: float,
    unit: SpeedUnit,
    *,
    turn_to: Direction | None = None,
    phase_detail: str = "",
) -> Alert | None:
    """The banner for this moment, or None while the walker just walks."""
    if view.safety_reason == NOT_STOPPING and _moving(view):
        return Alert(
            "fault",
            "THE BELT DID NOT STOP",
            "Stop it on the console or pull the safety key NOW.\nq = quit",
        )
    if view.state is SessionState.ENDED:
        if view.end_status is EndStatus.COMPLETED:
            title = "SESSION COMPLETE — well walked"
        else:
            title = f"SESSION ENDED — {reason_words(view.end_reason) or 'stopped'}"
        if (view.measured_speed_kmh or 0.0) > MOVING_KMH:  # the last data before the end
            belt = "Stop was sent: let the belt come to a halt before you step off."
        else:
            belt = "The belt is stopped."
        return Alert("ended", title, f"{belt}\nq = leave")
    if view.link == "disconnected" or view.state is SessionState.RECONNECTING:
        return Alert(
            "link",
            "LINK LOST — the belt is stopping",
            "Reconnecting; the session clock is frozen.\nThen r = re-arm · q = quit",
        )
    if view.state is SessionState.FAULT:
        return _fault(view)
    if view.phase is PhaseName.TURN:
        left = view.phase_remaining_s(now_s)
        body = f"walk on in {format_duration(left)}" if left is not None else "turn when ready"
        if phase_detail and not phase_detail.startswith("turn to walk"):
            body += f" · {phase_detail}"  # e.g. "press a key when you have turned round"
        return Alert("turn", turn_title(turn_to), body)
    if view.phase is PhaseName.PAUSED:
        why = f" — {phase_detail}" if phase_detail and phase_detail != "paused" else ""
        return Alert("paused", f"PAUSED{why}", f"{_belt(view)}\nspace = resume · q = quit")
    if view.phase is PhaseName.STOPPING:
        return Alert("paused", "STOPPING THE BELT", "Hold the rails until it stops.")
    if view.phase is PhaseName.STARTING:
        return Alert(
            "info",
            "STARTING — taking control of the treadmill",
            "The belt starts slowly.  Esc or s stops it at any time.",
        )
    return None


def _moving(view: SessionView) -> bool:
    """Whether the last data says the belt still moves (unknown counts as moving)."""
    if view.measured_speed_kmh is None or view.link == "disconnected":
        return True
    return view.measured_speed_kmh > MOVING_KMH


def _belt(view: SessionView) -> str:
    """ "Stopped" only when fresh data says so: no data, or a lost link, is "stopping"."""
    if _moving(view):
        return "The belt is stopping — hold the rails."
    return "The belt is stopped."


def _fault(view: SessionView) -> Alert:
    """A latched stop: what happened, what to do, then the keys."""
    reason = view.safety_reason or ""
    if reason == WALKER_STOP:
        return Alert("paused", "STOPPED — you pressed stop", f"{_belt(view)}\n{REARM_KEYS}")
    if reason == "link_lost" and view.link == "reconnected":
        return Alert(
            "fault",
            "RECONNECTED — the link was lost, so treadctl sent Stop",
            f"Get ready to walk again.\n{REARM_KEYS}",
        )
    if reason in REASONS:
        words, todo = REASONS[reason]
    else:  # a reason this screen does not know yet: the supervisor's own words
        words, todo = reason_words(reason) or "safety stop", _sentence(view.safety_message or "")
    belt = _belt(view)
    body = f"{todo}  {belt}" if todo else belt
    title = "STOPPING THE BELT" if belt.startswith("The belt is stopping") else "BELT STOPPED"
    return Alert("fault", f"{title} — {words}", f"{body}\n{REARM_KEYS}")


def _sentence(text: str) -> str:
    text = text.strip()
    return text[:1].upper() + text[1:]
