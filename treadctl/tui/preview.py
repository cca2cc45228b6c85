"""A profile before it runs: its summary, its time line and the pre-flight check (what the caps
and the treadmill's increments will change). Pure; shared by the start screen and the editor."""

from __future__ import annotations

from dataclasses import dataclass

from treadctl.errors import ProfileError
from treadctl.limits import DeviceLimits
from treadctl.plan import Plan, plan_profile
from treadctl.profile.models import Profile
from treadctl.safety_config import SafetyConfig
from treadctl.tui import fmt
from treadctl.tui.outline import Outline, outline_from_plan
from treadctl.units import SpeedUnit, format_duration


@dataclass(frozen=True)
class Preview:
    outline: Outline
    summary: str
    preflight: tuple[str, ...]  # one line per clamp or rounding; empty when nothing changes
    ok: bool  # False when no safe plan exists (the reason is in ``preflight``)


def preview(
    profile: Profile,
    safety: SafetyConfig,
    unit: SpeedUnit,
    limits: DeviceLimits | None = None,
) -> Preview:
    try:
        plan: Plan | None = plan_profile(profile, safety, limits)
    except ProfileError as error:
        plan = None
        problem = str(error)
    if plan is None:
        empty = Outline(profile.name, ())
        return Preview(empty, profile.name, (f"✕ {problem}",), False)
    bouts = plan.bouts
    summary = (
        f"[b]{profile.name}[/b]\n{profile.description}\n"
        f"{format_duration(plan.total_duration_s)} in all · "
        f"{format_duration(plan.backward_s)} backward · {len(bouts)} bouts · "
        f"{len(plan.turns)} turns · ≈ {fmt.distance(plan.distance_m, unit)}"
    )
    lines = [
        f"• bout {c.bout_index + 1}: {c.field} {c.asked:g} → {c.sent:g} ({c.reason})"
        for c in plan.clamps
    ]
    return Preview(outline_from_plan(plan), summary, tuple(lines), True)


def preflight_text(result: Preview) -> str:
    if not result.ok:
        return "[b]Pre-flight:[/b] cannot run\n" + "\n".join(result.preflight)
    if not result.preflight:
        return "[b]Pre-flight:[/b] ✓ every target is within your caps and the treadmill's steps"
    return "[b]Pre-flight:[/b] these targets will be changed\n" + "\n".join(result.preflight)
