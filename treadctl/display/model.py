"""What the big screen shows, as JSON: a pure function of the session's view.

The page renders this and nothing else; the bout's countdown is sent as seconds left and whether
its clock runs, so the page can tick it down between updates (re-anchored on each one).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from treadctl.direction import Direction
from treadctl.events import EndStatus, PhaseName
from treadctl.safety.checks import MOVING_KMH
from treadctl.units import SpeedUnit, from_kmh, speed_label
from treadctl.view import SessionState, SessionView
from treadctl.voice.reasons import alarm_words, reason_todo, reason_words, sentence

STALE_S = 3.0  # measured values older than this are not shown as "now"
FACING = {
    Direction.BACKWARD: "face away from the console",
    Direction.FORWARD: "face the console",
}
COUNT_CAPTION = {"start": "starting in", "restart": "restarting in", "turn": "turn around in"}


def display_state(
    view: SessionView,
    now_s: float,
    unit: SpeedUnit,
    bouts: Sequence[Any] = (),
    *,
    profile_name: str = "",
) -> dict[str, Any]:
    """The page's whole state. ``bouts`` are the plan's bouts (``direction``, ``speed_kmh``,
    ``duration_s``, ``label``), for the next one."""
    turning = view.phase is PhaseName.TURN
    upcoming = _next_bout(view, bouts)
    direction = view.direction
    if turning and upcoming is not None:
        direction = upcoming.direction
    live = _live(view, now_s)
    return {
        "t": round(now_s, 2),
        "profile": profile_name,
        "state": str(view.state),
        "phase": str(view.phase),
        "direction": str(direction) if direction is not None else None,
        "facing": FACING[direction] if direction is not None else "get ready",
        "countdown": _countdown(view, now_s),
        "clock": _clock(view, now_s),
        "bout": _bout(view),
        "unit": speed_label(unit),
        "speed": {
            "target": _speed(view.target_speed_kmh, unit),
            "now": _speed(view.measured_speed_kmh if live else None, unit),
        },
        "incline": {
            "target": _one(view.target_incline_pct),
            "now": _one(view.measured_incline_pct if live else None),
        },
        "heart_rate": view.heart_rate_bpm if live or view.heart_rate_trust else None,
        "next": _next(upcoming, unit) if not turning else _next(upcoming, unit, after_turn=True),
        "alarm": _alarm(view),
        "banner": _banner(view),
        "ended": view.state is SessionState.ENDED,
    }


def _live(view: SessionView, now_s: float) -> bool:
    if view.state is SessionState.ENDED or view.link == "disconnected":
        return False
    age = view.telemetry_age_s(now_s)
    return age is not None and age <= STALE_S


def _speed(speed_kmh: float | None, unit: SpeedUnit) -> str | None:
    return None if speed_kmh is None else f"{from_kmh(speed_kmh, unit):.1f}"


def _one(value: float | None) -> str | None:
    return None if value is None else f"{value:.1f}"


def _next_bout(view: SessionView, bouts: Sequence[Any]) -> Any:
    index = 0 if view.bout_index is None else view.bout_index + 1
    return bouts[index] if 0 <= index < len(bouts) else None


def _countdown(view: SessionView, now_s: float) -> dict[str, str] | None:
    shown = view.countdown_shown(now_s)
    if shown is None:
        return None
    return {"text": shown, "caption": COUNT_CAPTION.get(view.countdown_purpose, "get ready")}


def _clock(view: SessionView, now_s: float) -> dict[str, Any]:
    """The big time: the turn's hold while turning, else the bout's time left."""
    if view.phase is PhaseName.TURN:
        left = view.phase_remaining_s(now_s)
        if left is not None:
            return {"left_s": round(left, 1), "running": True, "caption": "turn — walk on in"}
    if view.bout_index is None:
        return {"left_s": None, "running": False, "caption": ""}
    running = view.bout_clock_running and view.state is SessionState.RUNNING
    return {
        "left_s": round(view.bout_remaining_s(now_s), 1),
        "running": running,
        "caption": f"left in bout {view.bout_index + 1}/{view.bout_count}",
    }


def _bout(view: SessionView) -> dict[str, Any] | None:
    if view.bout_index is None:
        return None
    return {
        "index": view.bout_index,
        "count": view.bout_count,
        "label": view.bout_label,
        "cue": view.bout_cue,
    }


def _next(upcoming: Any, unit: SpeedUnit, *, after_turn: bool = False) -> dict[str, Any] | None:
    if upcoming is None:
        return None
    return {
        "direction": str(upcoming.direction),
        "speed": _speed(upcoming.speed_kmh, unit),
        "duration_s": upcoming.duration_s,
        "label": upcoming.label,
        "after_turn": after_turn,
    }


def _alarm(view: SessionView) -> dict[str, str] | None:
    moving = view.measured_speed_kmh is None or view.measured_speed_kmh > 0.3
    kept_moving = view.safety_reason == "not_stopping" and moving
    unconfirmed_end = view.state is SessionState.ENDED and view.belt_at_rest is False
    if view.alarm_active:
        title, todo = alarm_words(view.alarm_reason or "", view.alarm_message or "")
    elif kept_moving or unconfirmed_end:
        title, todo = alarm_words("not_stopping", "")
    else:
        return None
    return {"title": title, "message": todo}


def _banner(view: SessionView) -> dict[str, str] | None:
    """The line above everything else: turn, pause, a stop and why, the link, the end."""
    if view.state is SessionState.ENDED:
        if view.end_status is EndStatus.COMPLETED:
            return {"level": "ended", "title": "SESSION COMPLETE", "body": "Well walked."}
        words = reason_words(view.end_reason) or "stopped"
        return {"level": "ended", "title": "SESSION ENDED", "body": sentence(words)}
    if view.link == "disconnected" or view.state is SessionState.RECONNECTING:
        return {
            "level": "fault",
            "title": "LINK LOST",
            "body": "The belt is stopping. Reconnecting to the treadmill.",
        }
    if view.state is SessionState.FAULT:
        if view.safety_reason == "walker_stop":
            return {"level": "paused", "title": "STOPPED", "body": "Re-arm on treadctl to go on."}
        words = reason_words(view.safety_reason) or "safety stop"
        todo = reason_todo(view.safety_reason)
        speed = view.measured_speed_kmh
        at_rest = view.link != "disconnected" and speed is not None and speed <= MOVING_KMH
        title = "BELT STOPPED" if at_rest else "STOPPING THE BELT"
        return {"level": "fault", "title": title, "body": sentence(f"{words}. {todo}")}
    shown = view.countdown_shown(view.t_s)
    starting = shown not in (None, "GO") and view.countdown_purpose != "turn"
    if starting:
        return {"level": "info", "title": "GET READY", "body": "The belt is about to move."}
    if view.phase is PhaseName.TURN:
        return {"level": "turn", "title": "TURN AROUND", "body": ""}
    if view.state is SessionState.PAUSED:
        return {"level": "paused", "title": "PAUSED", "body": "The belt is stopped."}
    if view.phase is PhaseName.STARTING:
        return {"level": "info", "title": "STARTING", "body": "The belt starts slowly."}
    return None
