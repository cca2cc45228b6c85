"""Progress through a multi-week program: backward minutes per ISO week against its goal.

Decisions (documented in the README):

* Which program is active: ``--program NAME`` if given; otherwise the program the walker most
  recently started, i.e. the program containing the profile of the newest counted session
  (``find_active``); with no such session, the only program if there is just one.
* Week 1 is the ISO week (Monday to Sunday, local time) of the first counted session of the
  program. The program advances by achievement, not by the calendar: each past calendar week
  whose goal was met moves the walker one program week on; a week that fell short is repeated.
  Rest weeks (no sessions) are simply repeated, so the plan never runs ahead of the walker.
* A week's goal is met when it has the program's number of sessions and at least
  ``MET_FRACTION`` of the backward minutes asked for (a bout cut a few seconds short should not
  cost a week).
* Simulated sessions are dry runs, not walking: they count only when asked to.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from treadctl.history.db import SessionRecord

MET_FRACTION = 0.95


@dataclass(frozen=True)
class WeekGoal:
    profiles: tuple[str, ...]  # the profile of each of the week's sessions, in order
    backward_min: float  # backward minutes the week's sessions add up to
    hr_ceiling_bpm: int | None = None  # the program's heart-rate ceiling for this week, if any

    @property
    def sessions(self) -> int:
        return len(self.profiles)

    def describe(self) -> str:
        names = ", ".join(dict.fromkeys(self.profiles))
        return f"{self.sessions} sessions, {self.backward_min:g} min backward in all ({names})"


@dataclass(frozen=True)
class ProgramPlan:
    """What progress needs of a program, independent of how programs are stored.

    ``aliases`` maps every name a session may be recorded under (slugified: the profile's file
    slug and its display name) to the profile slug the program uses."""

    name: str
    title: str
    weeks: tuple[WeekGoal, ...]
    aliases: dict[str, str]

    def owns(self, profile_name: str) -> bool:
        return _slug(profile_name) in self.aliases


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")


@dataclass(frozen=True)
class WeekProgress:
    week_start: date  # the Monday
    iso_week: str  # 2026-W07
    program_week: int  # 1-based; len(weeks) + 1 once the program is done
    sessions: int
    backward_min: float
    goal_sessions: int | None  # None once the program is done
    goal_backward_min: float | None
    met: bool
    held_by: str | None = None  # the goal was met but check-ins held the week back (why)


@dataclass(frozen=True)
class Progress:
    plan: ProgramPlan
    weeks: tuple[WeekProgress, ...]  # from the program's first week to the current one
    current_week: int  # the program week the walker is in now
    finished: bool
    suggestion: str
    next_profile: str | None
    simulated_ignored: int


def monday_of(moment: datetime) -> date:
    day = moment.astimezone().date()
    return day - timedelta(days=day.weekday())


def _iso(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def counted(
    sessions: Sequence[SessionRecord], plan: ProgramPlan, *, include_simulated: bool
) -> tuple[list[SessionRecord], int]:
    """The program's sessions that count (oldest first), and how many dry runs were left out."""
    ours = [s for s in sessions if plan.owns(s.profile_name)]
    kept = [s for s in ours if include_simulated or not s.simulated]
    return sorted(kept, key=lambda s: s.started_at), len(ours) - len(kept)


def find_active(
    sessions: Sequence[SessionRecord], plans: Sequence[ProgramPlan], *, include_simulated: bool
) -> ProgramPlan | None:
    """The program of the newest counted session; the only program if there is one."""
    for session in sorted(sessions, key=lambda s: s.started_at, reverse=True):
        if session.simulated and not include_simulated:
            continue
        for plan in plans:
            if plan.owns(session.profile_name):
                return plan
    return plans[0] if len(plans) == 1 else None


def compute(
    plan: ProgramPlan,
    sessions: Sequence[SessionRecord],
    *,
    today: datetime,
    include_simulated: bool = False,
    checkins: Mapping[int, Any] | None = None,
    max_pain: int = 5,
    max_effort: int = 6,
) -> Progress:
    mine, ignored = counted(sessions, plan, include_simulated=include_simulated)
    this_monday = monday_of(today)
    start = monday_of(mine[0].started_at) if mine else this_monday
    by_week: dict[date, list[SessionRecord]] = {}
    for session in mine:
        by_week.setdefault(monday_of(session.started_at), []).append(session)
    weeks: list[WeekProgress] = []
    stage = 1  # program week (1-based)
    monday = start
    while monday <= this_monday:
        done = by_week.get(monday, [])
        backward_min = sum(s.backward_s for s in done) / 60
        goal = plan.weeks[stage - 1] if stage <= len(plan.weeks) else None
        met = goal is not None and (
            len(done) >= goal.sessions and backward_min >= MET_FRACTION * goal.backward_min
        )
        held_by = None
        if met and checkins:
            from treadctl.history.checkin_gate import hold_reason

            held_by = hold_reason(done, checkins, max_pain=max_pain, max_effort=max_effort)
            met = held_by is None
        weeks.append(
            WeekProgress(
                week_start=monday,
                iso_week=_iso(monday),
                program_week=stage,
                sessions=len(done),
                backward_min=backward_min,
                goal_sessions=goal.sessions if goal else None,
                goal_backward_min=goal.backward_min if goal else None,
                met=met,
                held_by=held_by,
            )
        )
        if met and monday < this_monday:
            stage += 1
        monday += timedelta(days=7)
    current = weeks[-1]
    if current.met:
        stage = current.program_week + 1  # this week's goal is in: look ahead
    finished = stage > len(plan.weeks)
    suggestion, next_profile = _suggest(plan, current, weeks, mine)
    return Progress(
        plan, tuple(weeks), current.program_week, finished, suggestion, next_profile, ignored
    )


def _suggest(
    plan: ProgramPlan,
    current: WeekProgress,
    weeks: list[WeekProgress],
    mine: list[SessionRecord],
) -> tuple[str, str | None]:
    total = len(plan.weeks)
    if current.program_week > total:
        return (
            f"{plan.title} is complete. Well done: pick a harder program, or repeat the "
            "last week to keep what you have built.",
            None,
        )
    goal = plan.weeks[current.program_week - 1]
    if current.met:
        if current.program_week == total:
            return (
                f"This week's goal is met and that was the last week of {plan.title}. Well done.",
                None,
            )
        following = plan.weeks[current.program_week]
        return (
            f"This week's goal is met. Next week (week {current.program_week + 1} of "
            f"{total}): {following.describe()}.",
            following.profiles[0],
        )
    profile = goal.profiles[min(current.sessions, len(goal.profiles) - 1)]
    left = max(0, goal.sessions - current.sessions)
    repeated = (
        len(weeks) > 1
        and weeks[-2].program_week == current.program_week
        and (weeks[-2].sessions > 0)
    )
    prefix = f"Week {current.program_week} of {total}"
    if repeated and weeks[-2].held_by:
        prefix += f" again (last week was held back: {weeks[-2].held_by})"
    elif repeated:
        prefix += " again (last week fell short of its goal, so it is repeated)"
    if current.held_by:
        return (
            f"{prefix}: this week's sessions are done, but the week is held back: "
            f"{current.held_by}. Repeat this week before moving on; next: {profile}.",
            profile,
        )
    if not mine:
        return f"{prefix}: start with {profile}. Goal: {goal.describe()}.", profile
    if left == 0:
        short = goal.backward_min - current.backward_min
        return (
            f"{prefix}: {short:.0f} more backward minutes to reach this week's goal; "
            f"next: {profile}.",
            profile,
        )
    plural = "s" if left != 1 else ""
    return (f"{prefix}: {left} more session{plural} this week; next: {profile}.", profile)
