"""Progress through a program: weekly backward minutes, the goal, and what comes next."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from tests.history_support import Bout, record
from treadctl.cli import main
from treadctl.direction import Direction
from treadctl.history import db
from treadctl.history.program_plan import plan_for
from treadctl.history.progress import ProgramPlan, WeekGoal, compute, find_active

MONDAY = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # ISO week 2026-W10

PLAN = ProgramPlan(
    name="two-weeks",
    title="Two weeks",
    weeks=(
        WeekGoal(profiles=("intro", "intro"), backward_min=6.0),
        WeekGoal(profiles=("ten", "ten", "ten"), backward_min=30.0),
    ),
    aliases={"intro": "intro", "first-steps": "intro", "ten": "ten"},
)


def _session(n: int, when: datetime, profile: str, backward_min: float, *, sim: bool = False):
    return db.SessionRecord(
        id=n,
        started_at=when,
        ended_at=None,
        profile_name=profile,
        device="d",
        simulated=sim,
        body_mass_kg=70.0,
        end_status="completed",
        end_reason="",
        finished=True,
        duration_s=backward_min * 120,
        backward_s=backward_min * 60,
        forward_s=backward_min * 60,
        distance_m=0.0,
        energy_kcal=0.0,
        bouts_completed=1,
        bouts_total=1,
    )


def test_a_met_week_moves_the_walker_on() -> None:
    sessions = [
        _session(1, MONDAY, "intro", 3),
        _session(2, MONDAY + timedelta(days=2), "First Steps", 3),
    ]  # a display name counts too
    progress = compute(PLAN, sessions, today=MONDAY + timedelta(days=8))
    assert [w.iso_week for w in progress.weeks] == ["2026-W10", "2026-W11"]
    assert progress.weeks[0].met and progress.weeks[0].backward_min == 6
    assert progress.current_week == 2
    assert progress.next_profile == "ten"
    assert "Week 2 of 2" in progress.suggestion and "start with" not in progress.suggestion
    assert not progress.finished


def test_a_short_week_is_repeated() -> None:
    sessions = [_session(1, MONDAY, "intro", 3)]  # one of two sessions
    progress = compute(PLAN, sessions, today=MONDAY + timedelta(days=7))
    assert not progress.weeks[0].met
    assert progress.current_week == 1
    assert "fell short" in progress.suggestion and progress.next_profile == "intro"


def test_backward_minutes_well_short_of_the_goal_do_not_count_as_met() -> None:
    sessions = [_session(1, MONDAY, "intro", 1), _session(2, MONDAY, "intro", 1)]
    progress = compute(PLAN, sessions, today=MONDAY)
    assert not progress.weeks[0].met
    assert "more backward minutes" in progress.suggestion


def test_simulated_sessions_count_only_when_asked() -> None:
    sessions = [_session(1, MONDAY, "intro", 3, sim=True), _session(2, MONDAY, "intro", 3)]
    plain = compute(PLAN, sessions, today=MONDAY)
    assert plain.weeks[0].sessions == 1 and plain.simulated_ignored == 1
    both = compute(PLAN, sessions, today=MONDAY, include_simulated=True)
    assert both.weeks[0].met and both.simulated_ignored == 0


def test_finishing_the_last_week_finishes_the_program() -> None:
    week2 = MONDAY + timedelta(days=7)
    sessions = [_session(i, MONDAY, "intro", 3) for i in (1, 2)] + [
        _session(i, week2, "ten", 10) for i in (3, 4, 5)
    ]
    progress = compute(PLAN, sessions, today=week2)
    assert progress.finished and progress.next_profile is None
    assert "last week" in progress.suggestion
    later = compute(PLAN, sessions, today=week2 + timedelta(days=7))
    assert later.finished and "complete" in later.suggestion


def test_active_program_is_the_one_of_the_newest_session() -> None:
    other = ProgramPlan("other", "Other", PLAN.weeks, {"walk": "walk"})
    sessions = [_session(1, MONDAY, "intro", 3), _session(2, MONDAY + timedelta(1), "walk", 3)]
    assert find_active(sessions, [PLAN, other], include_simulated=False) is other
    assert find_active([], [PLAN, other], include_simulated=False) is None
    assert find_active([], [PLAN], include_simulated=False) is PLAN


def test_shipped_program_goals_come_from_its_profiles() -> None:
    plan = plan_for("retro-start")
    assert plan.title == "Retro start" and len(plan.weeks) == 7
    assert plan.weeks[1].profiles == ("retro-10",) * 3
    assert plan.weeks[1].backward_min == 30  # "10 minutes three times a week"
    assert plan.owns("First steps backward") and plan.owns("first-session")


def test_progress_command_follows_the_shipped_program(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backward_min = 3  # the first-session profile: three one-minute backward bouts
    bouts = (Bout(Direction.BACKWARD, backward_min * 60, 1.3),)
    now = datetime.now(UTC)
    for days in (2, 1, 0):
        record(
            db.default_db_path(),
            bouts,
            profile_name="first-session",
            simulated=False,
            started_at=now - timedelta(days=days),
        )
    assert main(["progress", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["program"] == "retro-start"
    this_week = report["weeks"][-1]
    assert this_week["goal_backward_min"] == 9
    done = [w for w in report["weeks"] if w["sessions"]]
    assert sum(w["sessions"] for w in done) == 3
    assert sum(w["backward_min"] for w in done) == 3 * backward_min
    assert main(["progress"]) == 0
    assert "Retro start" in capsys.readouterr().out


def test_progress_without_sessions_asks_which_program(
    isolated_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        "treadctl.history.program_plan.all_plans", lambda: [PLAN, PLAN], raising=True
    )
    assert main(["progress"]) == 2
    assert "--program" in capsys.readouterr().err
    assert main(["progress", "--program", "no-such-program"]) == 2
