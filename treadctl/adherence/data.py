"""Everything the adherence report shows, gathered from the history (no rendering here).

Weeks are ISO weeks (Monday to Sunday, local time), the same as ``treadctl progress``; goals and
the suggestion come from the same progress rules (``treadctl.history.progress``), so the report
and ``progress`` never disagree. Forward goals are the forward time of the week's profiles.
Simulated sessions are included and marked, unless ``real_only`` leaves them out.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path

from treadctl.direction import Direction
from treadctl.history import db
from treadctl.history.progress import ProgramPlan, Progress, compute, monday_of

from .checkins import read_checkins
from .safety_log import SafetyRecord, safety_records


@dataclass(frozen=True)
class SessionRow:
    id: int
    started_at: datetime
    iso_week: str
    profile_name: str
    simulated: bool
    duration_s: float
    backward_s: float
    forward_s: float
    distance_m: float
    backward_speed_kmh: float | None  # mean measured belt speed while walking backward
    forward_speed_kmh: float | None
    mean_incline_pct: float | None
    max_incline_pct: float | None
    backward_hr_bpm: float | None  # mean heart rate in backward bouts
    forward_hr_bpm: float | None
    max_hr_bpm: int | None
    effort_rpe: float | None
    knee_pain: float | None
    end_status: str
    end_reason: str


@dataclass(frozen=True)
class WeekRow:
    week_start: date
    iso_week: str
    program_week: int | None
    sessions: int
    goal_sessions: int | None
    backward_min: float
    goal_backward_min: float | None
    forward_min: float
    goal_forward_min: float | None
    met: bool | None  # None: no program to measure against


@dataclass(frozen=True)
class Report:
    person: str
    generated_at: datetime
    first_week: date
    weeks_shown: int
    program_title: str | None
    sessions: tuple[SessionRow, ...]  # oldest first
    weeks: tuple[WeekRow, ...]
    safety: tuple[SafetyRecord, ...]
    checkins_recorded: bool  # False: the history has no check-ins table
    suggestion: str
    simulated_sessions: int
    prescription_title: str | None = None
    prescription_notes: str | None = None
    caps: dict[str, object] = field(default_factory=dict)
    locked_caps: tuple[str, ...] = ()


def _iso(day: date) -> str:
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def session_row(
    conn: sqlite3.Connection,
    record: db.SessionRecord,
    effort_rpe: float | None = None,
    knee_pain: float | None = None,
) -> SessionRow:
    """One session's numbers, from its laps and per-second samples."""
    laps = {lap.seq: lap for lap in db.get_laps(conn, record.id)}
    speeds: dict[Direction, list[float]] = {Direction.BACKWARD: [], Direction.FORWARD: []}
    heart: dict[Direction, list[float]] = {Direction.BACKWARD: [], Direction.FORWARD: []}
    inclines: list[float] = []
    max_hr: int | None = None
    for sample in db.get_samples(conn, record.id):
        lap = laps.get(sample.lap_seq) if sample.lap_seq is not None else None
        if lap is None:
            continue
        if sample.speed_kmh is not None and sample.speed_kmh > 0:
            speeds[lap.direction].append(sample.speed_kmh)
            if sample.incline_pct is not None:
                inclines.append(sample.incline_pct)
        if sample.heart_rate_bpm:
            heart[lap.direction].append(float(sample.heart_rate_bpm))
            max_hr = max(max_hr or 0, sample.heart_rate_bpm)
    return SessionRow(
        id=record.id,
        started_at=record.started_at,
        iso_week=_iso(monday_of(record.started_at)),
        profile_name=record.profile_name,
        simulated=record.simulated,
        duration_s=record.duration_s,
        backward_s=record.backward_s,
        forward_s=record.forward_s,
        distance_m=record.distance_m,
        backward_speed_kmh=_mean(speeds[Direction.BACKWARD]),
        forward_speed_kmh=_mean(speeds[Direction.FORWARD]),
        mean_incline_pct=_mean(inclines),
        max_incline_pct=max(inclines) if inclines else None,
        backward_hr_bpm=_mean(heart[Direction.BACKWARD]),
        forward_hr_bpm=_mean(heart[Direction.FORWARD]),
        max_hr_bpm=max_hr,
        effort_rpe=effort_rpe,
        knee_pain=knee_pain,
        end_status=record.end_status,
        end_reason=record.end_reason,
    )


def forward_goals_min(plan_name: str) -> dict[int, float]:
    """Forward minutes each program week asks for (week number -> minutes)."""
    from treadctl.profile.loading import load_profile
    from treadctl.profile.program import load_program

    program = load_program(plan_name)
    forward_s: dict[str, float] = {}
    goals: dict[int, float] = {}
    for scheduled in program.schedule():
        if scheduled.profile not in forward_s:
            profile = load_profile(scheduled.profile)
            forward_s[scheduled.profile] = profile.total_duration_s - profile.backward_s
        goals[scheduled.week] = goals.get(scheduled.week, 0.0) + forward_s[scheduled.profile]
    return {week: round(total / 60, 1) for week, total in goals.items()}


def _week_rows(
    sessions: Sequence[SessionRow],
    first_monday: date,
    this_monday: date,
    progress: Progress | None,
    forward_goals: dict[int, float],
) -> list[WeekRow]:
    by_week: dict[str, list[SessionRow]] = {}
    for row in sessions:
        by_week.setdefault(row.iso_week, []).append(row)
    program_weeks = {w.iso_week: w for w in progress.weeks} if progress else {}
    rows: list[WeekRow] = []
    monday = first_monday
    while monday <= this_monday:
        iso = _iso(monday)
        done = by_week.get(iso, [])
        planned = program_weeks.get(iso)
        rows.append(
            WeekRow(
                week_start=monday,
                iso_week=iso,
                program_week=planned.program_week if planned else None,
                sessions=len(done),
                goal_sessions=planned.goal_sessions if planned else None,
                backward_min=round(sum(r.backward_s for r in done) / 60, 1),
                goal_backward_min=planned.goal_backward_min if planned else None,
                forward_min=round(sum(r.forward_s for r in done) / 60, 1),
                goal_forward_min=(forward_goals.get(planned.program_week) if planned else None),
                met=planned.met if planned else None,
            )
        )
        monday += timedelta(days=7)
    return rows


def gather(
    conn: sqlite3.Connection,
    *,
    person: str,
    weeks: int,
    plan: ProgramPlan | None,
    today: datetime,
    sessions_dir: Path,
    real_only: bool = False,
) -> Report:
    """The report's contents for the last ``weeks`` ISO weeks up to ``today``."""
    this_monday = monday_of(today)
    first_monday = this_monday - timedelta(days=7 * (weeks - 1))
    every = db.list_sessions(conn)
    in_period = [
        s
        for s in every
        if monday_of(s.started_at) >= first_monday and not (real_only and s.simulated)
    ]
    in_period.sort(key=lambda s: (s.started_at, s.id))
    checkins = read_checkins(conn)
    rows = []
    for record in in_period:
        found = checkins.get(record.id) if checkins else None
        rows.append(
            session_row(
                conn,
                record,
                found.effort_rpe if found else None,
                found.knee_pain if found else None,
            )
        )
    progress: Progress | None = None
    forward_goals: dict[int, float] = {}
    if plan is not None:
        progress = compute(plan, every, today=today, include_simulated=not real_only)
        forward_goals = forward_goals_min(plan.name)
    week_rows = _week_rows(rows, first_monday, this_monday, progress, forward_goals)
    suggestion = (
        progress.suggestion
        if progress
        else "No program to measure against: import a prescription or pass --program NAME."
    )
    return Report(
        person=person,
        generated_at=today,
        first_week=first_monday,
        weeks_shown=weeks,
        program_title=plan.title if plan else None,
        sessions=tuple(rows),
        weeks=tuple(week_rows),
        safety=tuple(safety_records(in_period, sessions_dir)),
        checkins_recorded=checkins is not None,
        suggestion=suggestion,
        simulated_sessions=sum(1 for r in rows if r.simulated),
    )
