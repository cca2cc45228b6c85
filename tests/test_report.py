"""The adherence report: simulated weeks rendered to one HTML file and read back by a real
headless browser; the CSV checked against the history; tables only without matplotlib.

History: three past weeks built through the real recorder (the sessions of the shipped program
``retro-start``), plus a real ``treadctl run --simulate --fast --headless`` session stopped by the
simulator's safety key, for alice. Expectations come from the history database and from
``treadctl progress``, not from the report's own arithmetic.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.history_support import Bout, record
from treadctl import cli, paths
from treadctl.direction import Direction

pytestmark = pytest.mark.timeout(180)

RETRO_10 = (
    Bout(Direction.FORWARD, 180, 3.0),
    Bout(Direction.BACKWARD, 600, 1.6, 2.0),
    Bout(Direction.FORWARD, 120, 2.5),
)
BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")


def _treadctl(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("treadctl")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "treadctl"]
    env = {**os.environ, "TREADCTL_HOME": str(home)}
    env.pop("TREADCTL_PERSON", None)
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


@dataclass(frozen=True)
class History:
    home: Path
    db_path: Path


@pytest.fixture(scope="module")
def history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[History]:
    home = tmp_path_factory.mktemp("report-home")
    db_path = home / "data" / "people" / "alice" / "history.sqlite3"
    now = datetime.now(UTC)
    monday = (now.astimezone() - timedelta(days=now.astimezone().weekday())).replace(
        hour=9, minute=0, second=0, microsecond=0
    )
    # Weeks -3 and -2: the program's first sessions in full; week -1: one session short.
    for weeks_ago, sessions, profile in (
        (3, 3, "First steps backward"),
        (2, 3, "Retro 10"),
        (1, 2, "Retro 10"),
    ):
        for day in range(sessions):
            started = monday - timedelta(weeks=weeks_ago) + timedelta(days=2 * day)
            record(db_path, RETRO_10, profile_name=profile, simulated=False, started_at=started)
    done = _treadctl(
        home,
        "--person",
        "alice",
        "run",
        "retro-10",
        "--simulate",
        "--fast",
        "--headless",
        "--sim-fault",
        "safety-key@400",
    )
    assert done.returncode == 3, done.stderr  # a safety stop
    yield History(home, db_path)


def _browser() -> str | None:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    return None


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.svgs = 0
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "svg":
            self.svgs += 1
        if tag in ("style", "script"):
            self._skip += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in ("style", "script"):
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def _visible(html_text: str) -> tuple[str, int]:
    parser = _Text()
    parser.feed(html_text)
    return re.sub(r"\s+", " ", " ".join(parser.parts)), parser.svgs


def rendered_text(path: Path, tmp_path: Path) -> tuple[str, int]:
    """The page's text and number of SVG charts, as a real browser rendered them (Debian
    chromium); with no browser installed, as Python's HTML parser reads the file (and a warning
    says so)."""
    browser = _browser()
    if browser is None:
        warnings.warn(
            "no headless browser (chromium) installed: the report was checked with Python's "
            "HTML parser instead; install chromium (see .ci/run) for the real check",
            stacklevel=2,
        )
        return _visible(path.read_text(encoding="utf-8"))
    profile = tmp_path / "chromium-profile"
    done = subprocess.run(
        [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            "--dump-dom",
            path.resolve().as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    assert "<body" in done.stdout, "the browser rendered no page"
    return _visible(done.stdout)


def test_report_renders_in_a_real_browser(history: History, tmp_path: Path) -> None:
    output = tmp_path / "alice.html"
    done = _treadctl(history.home, "report", "--person", "alice", "--weeks", "5", "-o", str(output))
    assert done.returncode == 0, done.stderr
    assert f"wrote {output} (9 sessions, 5 weeks)" in done.stdout
    html_text = output.read_text()
    # Self-contained: nothing fetched from anywhere.
    assert not re.search(r"""(src|href)\s*=\s*["']?(https?:|//)""", html_text)
    assert "<script" not in html_text
    text, charts = rendered_text(output, tmp_path)
    assert "Adherence report: alice" in text
    assert "Program: Retro start" in text
    assert "1 of them was a simulated dry run" in text
    for heading in (
        "What the program suggests next",
        "Sessions per week against the program",
        "Speed and incline per session",
        "Effort and knee pain",
        "Heart rate by direction",
        "Safety stops and faults",
    ):
        assert heading in text
    # The suggestion is progress's own, word for word.
    progress = _treadctl(
        history.home, "--person", "alice", "progress", "--include-simulated", "--json"
    )
    assert progress.returncode == 0, progress.stderr
    assert json.loads(progress.stdout)["suggestion"] in text
    # Every week of the period is there, and the safety stop with its reason.
    conn = sqlite3.connect(history.db_path)
    weeks = {
        datetime.fromisoformat(r[0]).astimezone().isocalendar()[:2]
        for r in conn.execute("SELECT started_at FROM sessions")
    }
    for year, week in weeks:
        assert f"{year}-W{week:02d}" in text
    assert "safety_key" in text and "the safety key was pulled" in text
    assert "end: safety_stop" in text
    assert "no check-ins recorded" in text.lower()
    # Charts: one each for sessions/week, minutes/week, speed and incline, heart rate; their
    # titles are text the browser can read.
    assert charts == 4
    assert "Backward and forward minutes per week against the goal" in text
    assert "highest incline (%)" in text


def test_csv_matches_the_history(history: History, tmp_path: Path) -> None:
    done = _treadctl(history.home, "--person", "alice", "report", "--format", "csv", "-o", "-")
    assert done.returncode == 0, done.stderr
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    conn = sqlite3.connect(history.db_path)
    conn.row_factory = sqlite3.Row
    sessions = conn.execute("SELECT * FROM sessions ORDER BY started_at").fetchall()
    assert [int(r["session_id"]) for r in rows] == [s["id"] for s in sessions]
    for row, session in zip(rows, sessions, strict=True):
        assert row["profile"] == session["profile_name"]
        assert row["simulated"] == ("yes" if session["simulated"] else "no")
        assert row["end_status"] == session["end_status"]
        assert float(row["backward_min"]) == pytest.approx(session["backward_s"] / 60, abs=0.01)
        assert float(row["forward_min"]) == pytest.approx(session["forward_s"] / 60, abs=0.01)
        assert float(row["duration_min"]) == pytest.approx(session["duration_s"] / 60, abs=0.01)
        # Mean backward belt speed, from the samples of the backward laps.
        speed = conn.execute(
            "SELECT avg(s.speed_kmh) FROM samples s JOIN laps l ON l.session_id = s.session_id"
            " AND l.seq = s.lap_seq WHERE s.session_id = ? AND l.direction = 'backward'"
            " AND s.speed_kmh > 0",
            (session["id"],),
        ).fetchone()[0]
        if speed is None:
            assert row["backward_speed_kmh"] == ""
        else:
            assert float(row["backward_speed_kmh"]) == pytest.approx(speed, abs=0.01)
        hr_max = conn.execute(
            "SELECT max(heart_rate_bpm) FROM samples WHERE session_id = ?", (session["id"],)
        ).fetchone()[0]
        assert row["max_hr_bpm"] == ("" if hr_max is None else str(hr_max))
    assert rows[-1]["end_reason"] == "safety_key"
    assert all(r["effort_rpe"] == "" and r["knee_pain"] == "" for r in rows)


def test_without_matplotlib_the_report_is_tables_only(
    history: History,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("TREADCTL_HOME", str(history.home))
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib -> ImportError
    output = tmp_path / "tables.html"
    assert cli.main(["report", "--person", "alice", "-o", str(output)]) == 0
    out = capsys.readouterr().out
    assert "charts are off (matplotlib is not installed" in out
    html_text = output.read_text()
    assert "<svg" not in html_text
    text, charts = _visible(html_text)
    assert charts == 0
    assert "Charts are off: install treadctl[report]" in text
    assert "Sessions per week against the program" in text and "Goal met" in text
    assert "safety_key" in text
    assert paths.current_person() == "default"


def test_check_ins_are_reported_when_recorded(
    history: History, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    shutil.copytree(history.home, home)
    db_path = home / "data" / "people" / "alice" / "history.sqlite3"
    conn = sqlite3.connect(db_path)
    ids = [r[0] for r in conn.execute("SELECT id FROM sessions ORDER BY started_at")]
    conn.execute(
        "CREATE TABLE checkins (session_id INTEGER, effort_rpe INTEGER, knee_pain INTEGER)"
    )
    for number, session_id in enumerate(ids[:6]):
        conn.execute("INSERT INTO checkins VALUES (?, ?, ?)", (session_id, 4, 8))  # before
        conn.execute("INSERT INTO checkins VALUES (?, ?, ?)", (session_id, 5, 6 - number))
    conn.commit()
    conn.close()
    done = _treadctl(home, "--person", "alice", "report", "--format", "csv", "-o", "-")
    rows = list(csv.DictReader(io.StringIO(done.stdout)))
    assert [r["knee_pain"] for r in rows[:6]] == ["6.0", "5.0", "4.0", "3.0", "2.0", "1.0"]
    assert rows[6]["knee_pain"] == ""
    output = tmp_path / "checkins.html"
    done = _treadctl(home, "--person", "alice", "report", "-o", str(output))
    assert done.returncode == 0, done.stderr
    text, charts = _visible(output.read_text())
    assert "Effort and knee pain after each session" in text
    assert "Knee pain is falling: 5.0 on average in the earlier sessions, 2.0 in the later" in text
    assert charts == 5
    assert "no check-ins recorded" not in text.lower()


@pytest.mark.parametrize("weeks", ["0", "x", "200"])
def test_bad_weeks_is_a_one_line_error(
    isolated_home: Path, capsys: pytest.CaptureFixture[str], weeks: str
) -> None:
    with pytest.raises(SystemExit) as caught:
        cli.main(["report", "--weeks", weeks])
    assert caught.value.code == 2
    assert "--weeks" in capsys.readouterr().err


def test_report_of_an_empty_history(
    isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    output = tmp_path / "empty.html"
    assert cli.main(["report", "-o", str(output)]) == 0
    text, _ = _visible(output.read_text())
    assert "No sessions in this period." in text
    assert "No safety stops or faults in this period." in text


def test_a_csv_file_name_means_csv(history: History, tmp_path: Path) -> None:
    output = tmp_path / "numbers.csv"
    done = _treadctl(history.home, "--person", "alice", "report", "-o", str(output))
    assert done.returncode == 0, done.stderr
    assert output.read_text().startswith("session_id,started_at,iso_week,profile,")
