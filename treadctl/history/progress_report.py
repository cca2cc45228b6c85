"""``treadctl progress`` as text (with a bar per week) and as JSON-ready dicts."""

from __future__ import annotations

from typing import Any

from treadctl.history.progress import Progress

BAR_WIDTH = 20


def _bar(done: float, goal: float | None) -> str:
    if not goal:
        return ""
    filled = min(BAR_WIDTH, round(BAR_WIDTH * done / goal))
    return "█" * filled + "·" * (BAR_WIDTH - filled)


def progress_text(progress: Progress) -> str:
    plan = progress.plan
    lines = [f"{plan.title} ({plan.name}), {len(plan.weeks)} weeks", ""]
    for week in progress.weeks:
        if week.goal_sessions is None or week.goal_backward_min is None:
            goal = "program done"
        else:
            goal = (
                f"of {week.goal_backward_min:g} min, {week.sessions}/{week.goal_sessions} sessions"
            )
        mark = "  ✓" if week.met else ""
        bar = _bar(week.backward_min, week.goal_backward_min)
        lines.append(
            f"{week.iso_week}  week {week.program_week}  {bar}"
            f"  {week.backward_min:.1f} min backward {goal}{mark}"
        )
    lines += ["", progress.suggestion]
    if progress.simulated_ignored:
        lines.append(
            f"({progress.simulated_ignored} simulated session(s) not counted;"
            " --include-simulated counts them)"
        )
    return "\n".join(lines)


def progress_json(progress: Progress) -> dict[str, Any]:
    return {
        "program": progress.plan.name,
        "title": progress.plan.title,
        "program_weeks": len(progress.plan.weeks),
        "current_week": progress.current_week,
        "finished": progress.finished,
        "suggestion": progress.suggestion,
        "next_profile": progress.next_profile,
        "simulated_ignored": progress.simulated_ignored,
        "weeks": [
            {
                "iso_week": w.iso_week,
                "week_start": w.week_start.isoformat(),
                "program_week": w.program_week,
                "sessions": w.sessions,
                "backward_min": round(w.backward_min, 1),
                "goal_sessions": w.goal_sessions,
                "goal_backward_min": w.goal_backward_min,
                "met": w.met,
            }
            for w in progress.weeks
        ],
    }
