"""Which heart-rate ceiling applies to this session, and the age-based suggestion.

A physiotherapist's number wins over a general one: the program week's ceiling (a phase of a
program may set ``hr_ceiling_bpm`` for its weeks), then the profile's, then ``[safety]``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from treadctl.safety.heart_rate import CeilingSettings, tanaka_max_bpm

if TYPE_CHECKING:
    from treadctl.checkins.config import CheckinConfig
    from treadctl.safety_config import SafetyConfig

log = logging.getLogger(__name__)

TANAKA_SPREAD_BPM = 12
# Moderate-intensity exercise tops out at about three quarters of the maximum heart rate.
SUGGESTED_FRACTION = 0.75


@dataclass(frozen=True)
class Ceiling:
    bpm: int | None
    source: str  # "program week N of NAME", "profile", "[safety]", "none"


def effective_ceiling(
    safety_bpm: int | None, profile_bpm: int | None, week_bpm: int | None, week_label: str = ""
) -> Ceiling:
    if week_bpm is not None:
        return Ceiling(week_bpm, week_label or "program week")
    if profile_bpm is not None:
        return Ceiling(profile_bpm, "profile")
    if safety_bpm is not None:
        return Ceiling(safety_bpm, "[safety]")
    return Ceiling(None, "none")


def program_week_ceiling(
    profile_name: str, limits: CheckinConfig | None = None
) -> tuple[int | None, str]:
    """The ceiling of the program week the walker is in, if this profile is part of the active
    program and that week sets one. Never fails a run: any problem means "no week ceiling"."""
    try:
        from treadctl.history.program_plan import all_plans

        plans = [p for p in all_plans() if p.owns(profile_name)]
        if not plans:
            return None, ""  # in no program: the history has nothing to say (and isn't read)
        from treadctl.checkins.config import CheckinConfig
        from treadctl.history import db
        from treadctl.history.checkins import all_checkins
        from treadctl.history.progress import compute, find_active

        applied = limits if limits is not None else CheckinConfig()
        conn = db.connect()
        try:
            sessions = db.list_sessions(conn)
            checkins = all_checkins(conn)
        finally:
            conn.close()
        plan = find_active(sessions, plans, include_simulated=False)
        if plan is None:
            return None, ""
        progress = compute(
            plan,
            sessions,
            today=db.now_utc(),
            checkins=checkins,
            max_pain=applied.max_pain,
            max_effort=applied.max_effort,
        )
        week = progress.current_week
        if week > len(plan.weeks):
            return None, ""
        bpm = plan.weeks[week - 1].hr_ceiling_bpm
        return bpm, f"program week {week} of {plan.title}"
    except Exception as error:  # the history is an aid here, never a reason not to walk
        log.warning("could not read the program week's heart-rate ceiling: %s", error)
        return None, ""


def ceiling_settings(safety: SafetyConfig, ceiling_bpm: int | None) -> CeilingSettings | None:
    if ceiling_bpm is None:
        return None
    return CeilingSettings(
        ceiling_bpm=ceiling_bpm,
        margin_bpm=safety.hr_ceiling_margin_bpm,
        stop_after_s=safety.hr_ceiling_stop_s,
        hold_s=safety.hr_ceiling_hold_s,
        step_kmh=safety.hr_ceiling_step_kmh,
    )


def suggestion_text(age_years: int) -> str:
    """The age-based suggestion, with everything that makes it only a suggestion."""
    maximum = tanaka_max_bpm(age_years)
    ceiling = round(maximum * SUGGESTED_FRACTION)
    return "\n".join(
        (
            f"Suggestion only (Tanaka: 208 − 0.7 × age {age_years} = {maximum} bpm predicted "
            f"maximum, ±{TANAKA_SPREAD_BPM} bpm for one person).",
            f"A ceiling at {int(SUGGESTED_FRACTION * 100)} % of that: about {ceiling} bpm "
            f"(anywhere from {ceiling - 9} to {ceiling + 9} bpm given the spread).",
            "Not valid with beta-blockers or other heart-rate-lowering medicines: they blunt "
            "heart rate, so a formula ceiling can be far too high.",
            "Ask your physiotherapist or doctor for your number, then set it with "
            "[safety] hr_ceiling_bpm = N in the configuration, or per profile or program week.",
        )
    )
