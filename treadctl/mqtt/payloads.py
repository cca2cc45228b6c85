"""JSON payloads built from the session view and events (pure; no I/O).

Every payload names its units in its keys, like the rest of treadctl, so a dashboard never
guesses whether ``speed`` is km/h or mph.
"""

from __future__ import annotations

import json
import math
from typing import Any

from treadctl.events import (
    BoutStarted,
    Clamped,
    LinkChanged,
    PhaseChanged,
    SafetyEvent,
    SessionEnded,
    SessionEvent,
)
from treadctl.view import SessionView

AVAILABLE = b"online"
UNAVAILABLE = b"offline"

# Events a remote viewer cares about; telemetry, commands and raw statuses stay local.
PUBLISHED_EVENTS: tuple[type[SessionEvent], ...] = (
    BoutStarted,
    PhaseChanged,
    SafetyEvent,
    LinkChanged,
    Clamped,
    SessionEnded,
)


def encode(payload: dict[str, Any]) -> bytes:
    """Compact JSON; NaN/inf become null so every consumer can parse it."""
    return json.dumps(_finite(payload), separators=(",", ":"), ensure_ascii=False).encode()


def _finite(value: Any) -> Any:
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: _finite(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_finite(v) for v in value]
    return value


def _r(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


def _bout_number(view: SessionView) -> int | None:
    """Bouts are counted from 1 for people (the engine's index is 0-based)."""
    return None if view.bout_index is None else view.bout_index + 1


def state_payload(view: SessionView) -> dict[str, Any]:
    """The retained state: what a dashboard shows when it (re)connects.

    No session time in it, so it changes (and is re-published) only when the state does.
    """
    return {
        "state": str(view.state),
        "phase": str(view.phase),
        "bout": _bout_number(view),
        "bout_count": view.bout_count,
        "bout_label": view.bout_label,
        "direction": None if view.direction is None else str(view.direction),
        "bout_target_speed_kmh": _r(view.bout_target_speed_kmh),
        "link": view.link,
        "safety_reason": view.safety_reason,
        "safety_message": view.safety_message,
        "end_status": None if view.end_status is None else str(view.end_status),
    }


def telemetry_payload(view: SessionView) -> dict[str, Any]:
    """One sample per session second, at the view's session time. Heart rate (and its trust
    state) only when there is a source: a strap, or a treadmill that reports one."""
    return {
        "t_s": round(view.t_s, 1),
        "state": str(view.state),
        "speed_kmh": _r(view.measured_speed_kmh),
        "incline_pct": _r(view.measured_incline_pct, 1),
        "target_speed_kmh": _r(view.target_speed_kmh),
        "distance_m": round(view.distance_m, 1),
        "energy_kcal": round(view.energy_kcal, 1),
        **_heart_rate(view),
        "bout": _bout_number(view),
        "direction": None if view.direction is None else str(view.direction),
        "remaining_s": round(view.bout_remaining_s(view.t_s), 1),
    }


def _heart_rate(view: SessionView) -> dict[str, Any]:
    if view.heart_rate_trust is not None:
        return {"heart_rate_bpm": view.heart_rate_bpm, "heart_rate_trust": view.heart_rate_trust}
    return {} if view.heart_rate_bpm is None else {"heart_rate_bpm": view.heart_rate_bpm}


def event_payload(event: SessionEvent) -> dict[str, Any] | None:
    """The event's audit form (the session end carries its summary), or None for events that stay
    local. A bout change also carries a 1-based ``bout`` next to the engine's ``index``."""
    if not isinstance(event, PUBLISHED_EVENTS):
        return None
    body = event.to_json()
    if isinstance(event, BoutStarted):
        body["bout"] = event.index + 1
    return body
