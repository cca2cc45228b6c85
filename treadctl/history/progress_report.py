"""``treadctl progress`` as text (with a bar per week) and as JSON-ready dicts.

The pieces (``bar``, ``goal_text``, ``summary_line``…) are shared with the terminal UI's start
and progress screens, so the command line and the UI say the same thing the same way.
"""

from __future__ import annotations

from typing import Any

from treadctl.history.progress import Progress, WeekProgress

BAR_WIDTH = 20


def bar(done: float, goal: float | None, width: int = BAR_WIDTH) -> str:
    """``width`` cells, filled in proportion to ``done`` of ``goal``; empty without a goal."""
    if not goal:
        return ""
    filled = min(width, round(width * done / goal))
    return "█" * filled + "·" * (width - filled)


def title_line(progress: Progress) -> str:
    plan = progress.plan
    return f"{plan.title} ({plan.name}), {len(plan.weeks)} weeks"


def goal_text(week: WeekProgress) -> str:
    """The week's goal and how far along it is, or that the program is done."""
    if week.goal_sessions is None or week.goal_backward_min is None:
        return "program done"
    return f"of {week.goal_backward_min:g} min, {week.sessions}/{week.goal_sessions} sessions"


def met_mark(week: WeekProgress) -> str:
    return "✓" if week.met else ""


def simulated_note(progress: Progress) -> str | None:
    if not progress.simulated_ignored:
        return None
    return (
        f"({progress.simulated_ignored} simulated session(s) not counted;"
        " --include-simulated counts them)"
    )


def summary_line(progress: Progress) -> str:
    """The current week at a glance: "Retro start · week 2: 6 of 10 backward min, 1 of 3
    sessions" (the start screen's one line)."""
    week = progress.weeks[-1]
    title = progress.plan.title
    if week.goal_sessions is None or week.goal_backward_min is None:
        return f"{title} · complete"
    mark = " ✓" if week.met else ""
    done = f"{week.backward_min:.1f}".removesuffix(".0")
    return (
        f"{title} · week {week.program_week}: {done} of"
        f" {week.goal_backward_min:g} backward min, {week.sessions} of {week.goal_sessions}"
        f" sessions{mark}"
    )


def progress_text(progress: Progress) -> str:
    lines = [title_line(progress), ""]
    for week in progress.weeks:
        mark = f"  {met_mark(week)}" if week.met else ""
        if week.held_by:
            mark = f"  held back: {week.held_by}"
        lines.append(
            f"{week.iso_week}  week {week.program_week}"
            f"  {bar(week.backward_min, week.goal_backward_min)}"
            f"  {week.backward_min:.1f} min backward {goal_text(week)}{mark}"
        )
    lines += ["", progress.suggestion]
    note = simulated_note(progress)
    if note:
        lines.append(note)
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
                "held_by": w.held_by,
            }
            for w in progress.weeks
        ],
    }
