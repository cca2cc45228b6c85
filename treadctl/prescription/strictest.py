"""The strictest of two sets of safety caps, field by field (pure).

A prescription's caps are locked: the walker's own configuration may tighten them, never loosen
them. So the caps a session uses are, for every field, whichever of the two is the stricter:
the lower speed, incline and acceleration caps, the shorter watchdog, the slower turn speed, the
longer turn hold, turn confirmation if either asks for it, the lower heart-rate ceiling (no
ceiling being the loosest). A field this table does not know (added to ``SafetyConfig`` later)
keeps the prescription's value when the two differ: a locked value wins over a guess.

Because every rule is monotone, the result of two valid configurations is valid too: the
backward caps stay at or below the forward ones and the turn speed at or below the backward cap.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from treadctl.limits import ABSOLUTE_MAX_ACCELERATION_KMH_PER_S as _MAX_ACCEL
from treadctl.limits import ABSOLUTE_MAX_INCLINE_PCT as _MAX_INCLINE
from treadctl.limits import ABSOLUTE_MAX_SPEED_KMH as _MAX_SPEED
from treadctl.safety_config import SafetyConfig

Rule = Callable[[Any, Any], Any]


def _lower(a: Any, b: Any) -> Any:
    """The lower limit; None means "no limit", the loosest."""
    if a is None:
        return b
    if b is None:
        return a
    return min(a, b)


def _higher(a: Any, b: Any) -> Any:
    return max(a, b)


def _either(a: Any, b: Any) -> Any:
    return bool(a) or bool(b)


RULES: dict[str, Rule] = {
    "max_speed_kmh": _lower,
    "max_backward_speed_kmh": _lower,
    "max_incline_pct": _lower,
    "max_backward_incline_pct": _lower,
    "max_acceleration_kmh_per_s": _lower,
    "max_backward_acceleration_kmh_per_s": _lower,
    "watchdog_s": _lower,  # stop sooner when telemetry goes quiet
    "turn_speed_kmh": _lower,  # 0 stops the belt for the turn: the strictest
    "turn_hold_s": _higher,  # more time to turn around
    "confirm_turns": _either,
    "hr_ceiling_bpm": _lower,  # None = no ceiling, the loosest
    "hr_ceiling_margin_bpm": _lower,  # stop closer to the ceiling
    "hr_ceiling_stop_s": _lower,  # stop sooner above ceiling + margin
    "hr_ceiling_hold_s": _lower,  # start slowing sooner
    "hr_ceiling_step_kmh": _higher,  # slow down more at each step
    "require_hr": _either,  # an untrusted heart rate stops the belt
    "max_nudge_kmh": _lower,
    "max_nudge_incline_pct": _lower,
    "nudge_interval_s": _higher,  # fewer nudges a minute
    "pause_timeout_s": _lower,  # a paused headless session ends sooner
}

# The loosest value of each field, used for the fields a prescription leaves open.
_LOOSEST: dict[str, Any] = {
    "max_speed_kmh": _MAX_SPEED,
    "max_incline_pct": _MAX_INCLINE,
    "max_acceleration_kmh_per_s": _MAX_ACCEL,
    "watchdog_s": 10.0,
    "turn_hold_s": 0.0,
    "confirm_turns": False,
    "hr_ceiling_bpm": None,
    "hr_ceiling_margin_bpm": 40,
    "hr_ceiling_stop_s": 600.0,
    "hr_ceiling_hold_s": 600.0,
    "hr_ceiling_step_kmh": 0.01,
    "require_hr": False,
    "max_nudge_kmh": 3.0,
    "max_nudge_incline_pct": 5.0,
    "nudge_interval_s": 0.2,
    "pause_timeout_s": 7200.0,
}
# An open backward cap is as loose as the prescription's own forward cap allows.
_BACKWARD_OF = {
    "max_backward_speed_kmh": "max_speed_kmh",
    "max_backward_incline_pct": "max_incline_pct",
    "max_backward_acceleration_kmh_per_s": "max_acceleration_kmh_per_s",
}


def combine(field: str, own: Any, locked: Any) -> Any:
    """The stricter of the walker's value and the locked one for ``field``."""
    rule = RULES.get(field)
    if rule is None:
        return own if own == locked else locked
    return rule(own, locked)


def strictest(own: SafetyConfig, locked: SafetyConfig) -> SafetyConfig:
    """Field by field, the stricter of ``own`` and ``locked`` (see the module docstring)."""
    values = {
        name: combine(name, getattr(own, name), getattr(locked, name))
        for name in type(own).model_fields
    }
    return SafetyConfig.model_validate(values)


def loosest_with(caps: Mapping[str, Any]) -> SafetyConfig:
    """A full SafetyConfig with ``caps`` set and every other field as loose as ``caps`` allow.

    ``strictest(own, loosest_with(caps))`` then applies exactly the caps a prescription names."""
    fields = SafetyConfig.model_fields
    values: dict[str, Any] = {}
    for name in fields:
        if name in caps:
            values[name] = caps[name]
        elif name in _LOOSEST:
            values[name] = _LOOSEST[name]
    for backward, forward in _BACKWARD_OF.items():
        if backward in fields and backward not in caps:
            values[backward] = values.get(forward, _LOOSEST.get(forward))
    if "turn_speed_kmh" in fields and "turn_speed_kmh" not in caps:
        values["turn_speed_kmh"] = values.get("max_backward_speed_kmh", _MAX_SPEED)
    return SafetyConfig.model_validate({k: v for k, v in values.items() if k in fields})


def lock(own: SafetyConfig, caps: Mapping[str, Any]) -> tuple[SafetyConfig, frozenset[str]]:
    """The effective caps and the fields whose value came from the prescription: those it names
    whose locked value is the effective one, and any the prescription made stricter through its
    forward cap (an open backward cap cannot be looser than the forward cap)."""
    effective = strictest(own, loosest_with(caps))
    # A field without a rule that the prescription does not name stays the walker's.
    open_fields = {
        name: getattr(own, name)
        for name in type(own).model_fields
        if name not in RULES and name not in caps
    }
    if open_fields:
        effective = SafetyConfig.model_validate({**effective.model_dump(), **open_fields})
    from_prescription = frozenset(
        name
        for name in type(own).model_fields
        if getattr(effective, name) != getattr(own, name)
        or (name in caps and caps[name] == getattr(effective, name))
    )
    return effective, from_prescription
