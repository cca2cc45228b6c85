"""Which banner the session screen shows, and what it says: pure functions of the view."""

from __future__ import annotations

from treadctl.direction import Direction
from treadctl.events import EndStatus, PhaseName
from treadctl.tui import fmt
from treadctl.tui.widgets.banners import Alert
from treadctl.units import SpeedUnit, format_duration
from treadctl.view import SessionState, SessionView

REASON_WORDS = {
    "watchdog": "no data from the treadmill",
    "link_lost": "the Bluetooth link was lost",
    "safety_key": "the safety key was pulled",
    "console_stop": "stopped on the console",
    "control_lost": "the treadmill took back control",
    "runaway": "the belt ran faster than allowed",
    "key": "you pressed stop",
}


def turn_title(to: Direction | None) -> str:
    if to is None:
        return "TURN AROUND"
    return f"TURN AROUND — {fmt.facing_hint(to)}"


def alert_for(
    view: SessionView,
    now_s: float,
    unit: SpeedUnit,
    *,
    turn_to: Direction | None = None,
    phase_detail: str = "",
) -> Alert | None:
    """The banner for this moment, or None while the walker just walks."""
    if view.state is SessionState.ENDED:
        if view.end_status is EndStatus.COMPLETED:
            title = "SESSION COMPLETE — well walked"
        else:
            title = f"SESSION ENDED — {view.end_reason or 'stopped'}"
        return Alert("ended", title, "The belt is stopped.  q = leave")
    if view.link == "disconnected" or view.state is SessionState.RECONNECTING:
        return Alert(
            "link",
            "LINK LOST — the belt is stopping",
            "reconnecting · session clock frozen · then r = re-arm · q = quit",
        )
    if view.state is SessionState.FAULT:
        reason = REASON_WORDS.get(view.safety_reason or "", view.safety_reason or "safety stop")
        message = view.safety_message or ""
        return Alert(
            "fault",
            f"BELT STOPPED — {reason}",
            f"{message}  r = re-arm when ready · q = quit".strip(),
        )
    if view.phase is PhaseName.TURN:
        left = view.phase_remaining_s(now_s)
        body = f"walk on in {format_duration(left)}" if left is not None else "turn when ready"
        if phase_detail:
            body += f" · {phase_detail}"
        return Alert("turn", turn_title(turn_to), body)
    if view.phase is PhaseName.PAUSED:
        why = f" — {phase_detail}" if phase_detail else ""
        return Alert("paused", f"PAUSED{why}", "The belt is stopped.  space = resume · q = quit")
    if view.phase is PhaseName.STOPPING:
        return Alert("paused", "STOPPING THE BELT", "Hold the rails until it stops.")
    if view.phase is PhaseName.STARTING:
        return Alert(
            "info",
            "STARTING — taking control of the treadmill",
            "The belt starts slowly.  Esc or s stops it at any time.",
        )
    return None
