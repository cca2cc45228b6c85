"""History and progress from the start screen: sessions recorded through the real recorder, read
back by the screens, and compared with what the commands print for the same database."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from textual.screen import Screen
from textual.widgets import Static

from tests.history_support import ALTERNATING, Bout, record
from treadctl.cli import main
from treadctl.config import Config
from treadctl.direction import Direction
from treadctl.history import db
from treadctl.history.progress import ProgramPlan, WeekGoal
from treadctl.profile.library import LibraryEntry, list_profiles
from treadctl.profile.loading import read_profile
from treadctl.tui.app import StartApp
from treadctl.tui.history_data import HistoryReader
from treadctl.tui.history_screen import NO_SESSIONS, HistoryScreen
from treadctl.tui.progress_screen import ProgressScreen
from treadctl.tui.session_detail import SessionDetailScreen
from treadctl.tui.start_screen import StartScreen
from treadctl.tui.widgets.tables import ReportTable
from treadctl.units import format_duration

SIZE = (80, 24)
MONDAY = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # ISO week 2026-W10
PLAN = ProgramPlan(
    name="two-weeks",
    title="Two weeks",
    weeks=(
        WeekGoal(profiles=("intro",) * 3, backward_min=9.0),
        WeekGoal(profiles=("ten",) * 3, backward_min=30.0),
    ),
    aliases={"intro": "intro", "ten": "ten"},
)
THREE_MIN_BACKWARD = (Bout(Direction.BACKWARD, 180, 1.3),)


@pytest.fixture
def utc() -> Iterator[None]:
    """Dates show in local time: pin it, so the rows and the snapshots do not depend on the
    machine's time zone."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("TZ", "UTC")
        time.tzset()
        yield
    time.tzset()


@pytest.fixture
def seeded(isolated_home: Path, utc: None) -> Path:
    """Four sessions: a simulated complete one, a killed one, then two of the program's."""
    path = db.default_db_path()
    record(path, started_at=MONDAY)
    record(
        path,
        ALTERNATING[:2],
        profile_name="short",
        end=False,
        simulated=False,
        started_at=MONDAY + timedelta(days=1),
    )
    for day in (2, 3):
        record(
            path,
            THREE_MIN_BACKWARD,
            profile_name="intro",
            simulated=False,
            started_at=MONDAY + timedelta(days=day),
        )
    return path


def fixed_reader() -> HistoryReader:
    return HistoryReader(plans=lambda: [PLAN], today=lambda: MONDAY + timedelta(days=4))


def fixed_entries(tmp_path: Path) -> list[LibraryEntry]:
    path = tmp_path / "intro.toml"
    path.write_text(
        'name = "Intro"\n\n[[steps]]\ndirection = "backward"\nduration = "3m"\nspeed = 1.3\n',
        encoding="utf-8",
    )
    return [LibraryEntry("intro", path, "user", read_profile(path))]


def text_of(screen: Screen[Any], selector: str) -> str:
    return str(screen.query_one(selector, Static).render())


def rows(table: ReportTable) -> list[list[str]]:
    return [[cell.plain for cell in table.get_row_at(i)] for i in range(table.row_count)]


async def test_history_rows_match_the_history_command(
    seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "--json"]) == 0
    reported = json.loads(capsys.readouterr().out)
    app = StartApp(list_profiles(), Config(), None, fixed_reader())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, HistoryScreen)
        table = screen.query_one("#history-table", ReportTable)
        assert [key.value for key in table.rows] == [str(item["id"]) for item in reported]
        expected = [
            [
                str(item["id"]),
                datetime.fromisoformat(item["started_at"]).astimezone().strftime("%Y-%m-%d %H:%M"),
                item["profile"] + (" (sim)" if item["simulated"] else ""),
                format_duration(item["backward_s"]),
                format_duration(item["forward_s"]),
                f"{item['distance_m'] / 1000:.2f}",
                f"{item['energy_kcal']:.0f}",
                item["end_status"].replace("_", " ") if item["finished"] else "unfinished",
            ]
            for item in reported
        ]
        assert rows(table) == expected
        assert rows(table)[2][-1] == "unfinished"  # the killed one
        # the last column can be off a narrow screen: the highlighted session's end is spelt out
        assert text_of(screen, "#history-ended").startswith("Session 4: completed")
        await pilot.press("down", "down")
        assert "Session 2: unfinished: no end was recorded" in text_of(screen, "#history-ended")


async def test_enter_shows_the_bouts_and_chart_and_escape_goes_back(
    seeded: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "show", "1", "--json"]) == 0
    laps = json.loads(capsys.readouterr().out)["laps"]
    app = StartApp(list_profiles(), Config(), None, fixed_reader())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h", "down", "down", "down", "enter")  # session 1: four bouts
        await pilot.pause()
        detail = app.screen
        assert isinstance(detail, SessionDetailScreen) and detail.session_id == 1
        heading = text_of(detail, "#detail-heading")
        assert heading.startswith("Session 1: alternating (simulated) on simulator")
        assert "completed: all bouts done" in heading
        bouts = rows(detail.query_one("#detail-bouts", ReportTable))
        assert [row[1] for row in bouts] == [lap["direction"] for lap in laps]
        assert [row[0] for row in bouts] == ["1/4", "2/4", "3/4", "4/4"]
        chart = text_of(detail, "#detail-chart").splitlines()
        assert chart[0].startswith("speed  ") and chart[0].endswith("max 3.5 km/h")
        assert chart[1].startswith("facing f") and "B" in chart[1]
        assert all(len(line) <= SIZE[0] - 2 for line in chart)  # fits the screen
        await pilot.press("escape")
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, StartScreen)
    assert app.return_value is None  # only looked; nothing chosen, still running until q


async def test_progress_key_shows_the_week_goal_and_what_next(seeded: Path) -> None:
    app = StartApp(list_profiles(), Config(), None, fixed_reader())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        summary = text_of(app.screen, "#start-progress")
        assert summary.startswith("Two weeks · week 1: 6 of 9 backward min, 2 of 3 sessions")
        await pilot.press("p")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, ProgressScreen)
        assert "Two weeks (two-weeks), 2 weeks" in text_of(screen, "#progress-title")
        (week,) = rows(screen.query_one("#progress-weeks", ReportTable))
        assert week[:2] == ["2026-W10", "week 1"]
        assert week[2].startswith("6.0 ") and week[3] == "of 9 min, 2/3 sessions"
        assert text_of(screen, "#progress-next") == (
            "Week 1 of 2: 1 more session this week; next: intro."
        )
        await pilot.press("escape")
        assert isinstance(app.screen, StartScreen)


async def test_progress_screen_says_what_the_progress_command_says(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The real thing: the shipped program, today's date, the default reader."""
    now = datetime.now(UTC)
    for minutes in (30, 0):
        record(
            db.default_db_path(),
            THREE_MIN_BACKWARD,
            profile_name="first-session",
            simulated=False,
            started_at=now - timedelta(minutes=minutes),
        )
    assert main(["progress", "--json"]) == 0
    reported = json.loads(capsys.readouterr().out)
    app = StartApp(list_profiles(), Config(), None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        this_week = reported["weeks"][-1]
        assert text_of(app.screen, "#start-progress").startswith(
            f"Retro start · week {this_week['program_week']}:"
            f" {this_week['backward_min']:g} of {this_week['goal_backward_min']:g} backward min,"
            f" {this_week['sessions']} of {this_week['goal_sessions']} sessions"
        )
        await pilot.press("p")
        await pilot.pause()
        table = app.screen.query_one("#progress-weeks", ReportTable)
        assert [row[0] for row in rows(table)] == [w["iso_week"] for w in reported["weeks"]]
        assert text_of(app.screen, "#progress-next") == reported["suggestion"]


async def test_empty_history_is_a_friendly_line_and_creates_no_database(
    isolated_home: Path,
) -> None:
    app = StartApp(list_profiles(), Config(), None, HistoryReader(plans=lambda: []))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#start-progress").display  # no program: no line
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        assert text_of(app.screen, "#history-message") == NO_SESSIONS
        assert not app.screen.query_one("#history-table").display
        await pilot.press("enter")  # nothing to open: no crash, still here
        assert isinstance(app.screen, HistoryScreen)
        await pilot.press("escape", "p")
        await pilot.pause()
        assert "No active program yet" in text_of(app.screen, "#progress-next")
    assert not db.default_db_path().exists()  # looking never creates the file


async def test_a_corrupt_database_is_one_message_not_a_crash(isolated_home: Path) -> None:
    path = db.default_db_path()
    path.parent.mkdir(parents=True)
    garbage = b"this is not a database\n" * 200
    path.write_bytes(garbage)
    app = StartApp(list_profiles(), Config(), None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert text_of(app.screen, "#start-progress") == "History cannot be read (h shows why)"
        await pilot.press("h")
        await pilot.pause()
        message = text_of(app.screen, "#history-message")
        assert message.startswith("✕ the history database") and "cannot be read" in message
        assert "\n" not in message
        await pilot.press("escape", "p")
        await pilot.pause()
        assert "cannot be read" in text_of(app.screen, "#progress-next")
        await pilot.press("escape")
        assert isinstance(app.screen, StartScreen)
    assert path.read_bytes() == garbage  # left exactly as it was


async def test_a_database_from_a_newer_treadctl_says_so(seeded: Path) -> None:
    conn = db.connect(seeded)
    conn.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    conn.close()
    app = StartApp(list_profiles(), Config(), None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("h")
        await pilot.pause()
        assert "from a newer treadctl" in text_of(app.screen, "#history-message")


def test_snapshot_history_screen(snap_compare, seeded: Path, tmp_path: Path) -> None:
    app = StartApp(fixed_entries(tmp_path), Config(), None, fixed_reader())
    assert snap_compare(app, terminal_size=SIZE, press=["h", "down", "down"])


def test_snapshot_session_detail(snap_compare, seeded: Path, tmp_path: Path) -> None:
    app = StartApp(fixed_entries(tmp_path), Config(), None, fixed_reader())
    assert snap_compare(app, terminal_size=SIZE, press=["h", "down", "down", "down", "enter"])


def test_snapshot_progress_screen(snap_compare, seeded: Path, tmp_path: Path) -> None:
    app = StartApp(fixed_entries(tmp_path), Config(), None, fixed_reader())
    assert snap_compare(app, terminal_size=SIZE, press=["p"])
