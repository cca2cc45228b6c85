"""Check-ins: stored per session, shown in history, exported, and gating progress."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.test_progress import MONDAY, PLAN, _session
from treadctl.checkins.flow import CheckinAnswers, CheckinPrompts, after_session, before_session
from treadctl.cli import main
from treadctl.history import checkins as store
from treadctl.history import db
from treadctl.history.checkin_gate import hold_reason
from treadctl.history.checkins import Checkin
from treadctl.history.progress import compute


def _week(pain: int | None, morning: int | None, effort: int | None) -> dict[int, Checkin]:
    return {1: Checkin(1, effort, pain, morning), 2: Checkin(2, 3, 2, 2)}


SESSIONS = [_session(1, MONDAY, "intro", 3), _session(2, MONDAY + timedelta(days=2), "intro", 3)]
NEXT_WEEK = MONDAY + timedelta(days=8)


def test_good_check_ins_let_the_week_advance() -> None:
    progress = compute(PLAN, SESSIONS, today=NEXT_WEEK, checkins=_week(3, 3, 5))
    assert progress.weeks[0].met and progress.current_week == 2


@pytest.mark.parametrize(
    ("pain", "morning", "effort", "why"),
    [
        (6, None, 4, "knee pain 6/10"),
        (3, 4, 4, "worse the morning after"),
        (3, 3, 7, "effort 7/10"),
    ],
)
def test_check_ins_hold_a_week_back_and_say_why(
    pain: int, morning: int | None, effort: int, why: str
) -> None:
    progress = compute(PLAN, SESSIONS, today=NEXT_WEEK, checkins=_week(pain, morning, effort))
    first = progress.weeks[0]
    assert not first.met and first.held_by is not None and why in first.held_by
    assert progress.current_week == 1
    assert "held back" in progress.suggestion and why in progress.suggestion


def test_this_weeks_hold_is_said_at_once() -> None:
    progress = compute(PLAN, SESSIONS, today=MONDAY + timedelta(days=3), checkins=_week(7, 7, 3))
    assert "held back" in progress.suggestion and "knee pain 7/10" in progress.suggestion


def test_the_limits_are_configurable() -> None:
    progress = compute(
        PLAN, SESSIONS, today=NEXT_WEEK, checkins=_week(6, 6, 7), max_pain=6, max_effort=7
    )
    assert progress.weeks[0].met


def test_skipped_check_ins_hold_nothing_back() -> None:
    assert compute(PLAN, SESSIONS, today=NEXT_WEEK, checkins={}).weeks[0].met


@settings(max_examples=200)
@given(
    st.one_of(st.none(), st.integers(0, 10)),
    st.one_of(st.none(), st.integers(0, 10)),
    st.one_of(st.none(), st.integers(0, 10)),
)
def test_the_gate_matches_its_rule(
    pain: int | None, morning: int | None, effort: int | None
) -> None:
    held = hold_reason(SESSIONS[:1], {1: Checkin(1, effort, pain, morning)})
    worse = pain is not None and morning is not None and morning > pain
    too_much = any(v is not None and v > 5 for v in (pain, morning)) or (
        effort is not None and effort > 6
    )
    assert (held is not None) == (worse or too_much)


def test_store_keeps_earlier_answers(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "h.sqlite3")
    try:
        conn.execute(
            "INSERT INTO sessions (id, started_at, profile_name, device, simulated)"
            " VALUES (1, '2026-03-02T12:00:00+00:00', 'p', 'd', 0)"
        )
        assert store.get(conn, 1) is None
        store.save(conn, 1, effort_rpe=4, knee_pain=2)
        saved = store.save(conn, 1, morning_pain=3)
        assert saved == Checkin(1, 4, 2, 3)
        with pytest.raises(ValueError):
            store.save(conn, 1, knee_pain=11)
        conn.execute("DELETE FROM sessions WHERE id = 1")
        assert store.all_checkins(conn) == {}
    finally:
        conn.close()


def test_a_database_without_the_table_reads_as_no_check_ins(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "h.sqlite3")
    try:
        assert store.all_checkins(conn) == {}
        assert int(conn.execute("PRAGMA user_version").fetchone()[0]) == db.SCHEMA_VERSION
    finally:
        conn.close()


def _run(*extra: str) -> int:
    return main(["run", "retro-10", "--simulate", "--fast", "--headless", *extra])


def test_headless_flags_are_stored_shown_and_exported(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run("--effort", "4", "--pain", "2") == 0
    assert "check-in for session 1: effort 4/10, pain 2/10" in capsys.readouterr().out
    assert _run("--morning-pain", "3") == 0  # about session 1, asked before session 2
    out = capsys.readouterr().out
    assert "knee pain 3/10 the morning after session 1" in out
    assert main(["history"]) == 0
    table = capsys.readouterr().out
    assert "CHECK-IN" in table and "effort 4/10, pain 2/10, next morning 3/10" in table
    assert main(["history", "--json"]) == 0
    rows = {r["id"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows[1]["checkin"] == {"effort_rpe": 4, "knee_pain": 2, "morning_pain": 3}
    assert rows[2]["checkin"] is None
    assert main(["history", "show", "1"]) == 0
    assert "check-in: effort 4/10" in capsys.readouterr().out
    out_file = tmp_path / "one.csv"
    assert main(["export", "1", "--format", "csv", "-o", str(out_file)]) == 0
    rows_csv = list(csv.DictReader(io.StringIO(out_file.read_text(encoding="utf-8"))))
    assert rows_csv and {
        (r["effort_rpe"], r["knee_pain"], r["morning_pain"]) for r in rows_csv
    } == {("4", "2", "3")}


def test_headless_without_flags_skips(capsys: pytest.CaptureFixture[str]) -> None:
    assert _run() == 0
    assert "check-in" not in capsys.readouterr().out
    conn = db.connect()
    try:
        assert store.all_checkins(conn) == {}
    finally:
        conn.close()


@pytest.mark.parametrize("bad", [["--effort", "11"], ["--pain", "-1"], ["--morning-pain", "x"]])
def test_bad_check_in_values_exit_2(bad: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        _run(*bad)
    assert exit_info.value.code == 2
    assert "Traceback" not in capsys.readouterr().err


def test_progress_command_says_why_a_week_is_held_back(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from tests.history_support import Bout, record
    from treadctl.direction import Direction

    bouts = (Bout(Direction.BACKWARD, 180, 1.3),)  # first-session: 3 backward minutes
    now = datetime.now(UTC)
    ids = [
        record(
            db.default_db_path(),
            bouts,
            profile_name="first-session",
            simulated=False,
            started_at=now - timedelta(minutes=minutes),
        ).session_id
        for minutes in (3, 2, 1)
    ]
    assert main(["progress", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["weeks"][-1]["held_by"] is None
    conn = db.connect()
    try:
        assert ids[1] is not None
        store.save(conn, ids[1], effort_rpe=4, knee_pain=7)
    finally:
        conn.close()
    assert main(["progress", "--json"]) == 0
    week = json.loads(capsys.readouterr().out)["weeks"][-1]
    assert not week["met"] and "knee pain 7/10" in week["held_by"]
    assert main(["progress"]) == 0
    text = capsys.readouterr().out
    assert "held back: knee pain 7/10" in text and "Repeat this week" in text
    config = isolated_home / "limits.toml"
    config.write_text("[checkins]\nmax_pain = 7\n", encoding="utf-8")
    assert main(["progress", "--json", "--config", str(config)]) == 0
    assert json.loads(capsys.readouterr().out)["weeks"][-1]["met"]


def _prompts(
    morning: int | None = None, after: tuple[int | None, int | None] = (None, None)
) -> tuple[CheckinPrompts, list[str]]:
    """Prompts that record each question asked and answer as given."""
    asked: list[str] = []

    def ask_morning() -> int | None:
        asked.append("morning")
        return morning

    def ask_after() -> tuple[int | None, int | None]:
        asked.append("after")
        return after

    return CheckinPrompts(ask_morning, ask_after), asked


def _recorded(days_ago: float) -> int:
    from datetime import UTC, datetime

    from tests.history_support import Bout, record
    from treadctl.direction import Direction

    recorder = record(
        db.default_db_path(),
        (Bout(Direction.BACKWARD, 60, 1.3),),
        profile_name="first-session",
        simulated=False,
        started_at=datetime.now(UTC) - timedelta(days=days_ago),
    )
    assert recorder.session_id is not None
    return recorder.session_id


def test_the_ui_asks_the_morning_after_only_after_a_night(
    capsys: pytest.CaptureFixture[str],
) -> None:
    prompts, asked = _prompts(morning=4)
    yesterday = _recorded(1.0)
    before_session(CheckinAnswers(), prompts)
    assert asked == ["morning"]
    conn = db.connect()
    try:
        assert store.get(conn, yesterday) == Checkin(yesterday, None, None, 4)
    finally:
        conn.close()
    before_session(CheckinAnswers(), prompts)  # answered already: not asked again
    assert asked == ["morning"]
    _recorded(0.0)
    before_session(CheckinAnswers(), prompts)  # the last session was today: no morning after it
    assert asked == ["morning"]
    before_session(CheckinAnswers(), None)  # no prompts (headless): never asks
    assert asked == ["morning"]


def test_the_ui_asks_effort_and_pain_after_the_session(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import sys

    prompts, asked = _prompts(after=(6, 3))
    monkeypatch.setattr(sys.stdin, "isatty", lambda: True)
    session_id = _recorded(0.0)
    after_session(None, CheckinAnswers(), prompts)  # not recorded: nothing to attach them to
    assert asked == []
    after_session(session_id, CheckinAnswers(), prompts)
    assert asked == ["after"]
    conn = db.connect()
    try:
        assert store.get(conn, session_id) == Checkin(session_id, 6, 3, None)
    finally:
        conn.close()
    assert f"check-in for session {session_id}: effort 6/10, pain 3/10" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("headless", "ask", "expected"),
    [(False, True, True), (True, True, False), (False, False, False)],
)
def test_the_run_asks_only_on_a_screen_and_when_configured(
    headless: bool, ask: bool, expected: bool
) -> None:
    from treadctl import wiring
    from treadctl.config import Config

    config = Config.model_validate({"checkins": {"ask": ask}})
    options = wiring.RunOptions(profile="first-session", headless=headless)
    fake = SimpleNamespace(options=options, config=config)
    assert (wiring._checkin_prompts(fake) is not None) is expected  # type: ignore[arg-type]
