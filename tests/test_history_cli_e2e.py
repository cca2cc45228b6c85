"""Issue #9's "Done when", through the real command line, as a user would type it.

Two dry runs of a shipped profile (``treadctl run first-session --simulate --fast --headless``,
each a real child process with its own ``TREADCTL_HOME``), then ``treadctl history``,
``history show``, ``export`` (FIT decoded by fitdecode with CRC checks, TCX parsed, CSV counted)
and ``treadctl progress --include-simulated`` against the shipped program that uses the profile.
Expectations come from the profile and the program files, not from treadctl's own arithmetic.
"""

from __future__ import annotations

import csv
import io
import json
import os
import sqlite3
import subprocess
import sys
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path

import fitdecode
import pytest

from treadctl.direction import Direction
from treadctl.profile.loading import load_profile
from treadctl.profile.models import Profile
from treadctl.profile.program import load_program

REPO = Path(__file__).resolve().parent.parent
PROFILE = "first-session"  # shipped; week 1 of the shipped program below
PROGRAM = "retro-start"
DRY_RUNS = 2
RUN_TIMEOUT_S = 60.0  # a --fast run takes about 1.5 s
COMMAND_TIMEOUT_S = 30.0
TCX = "{http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2}"


def treadctl(home: Path, *args: str, timeout: float = COMMAND_TIMEOUT_S) -> str:
    """Run the installed ``treadctl`` (``python -m treadctl`` without it); its standard output."""
    script = Path(sys.executable).with_name("treadctl")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "treadctl"]
    done = subprocess.run(
        [*command, *args],
        cwd=REPO,
        env={**os.environ, "TREADCTL_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, f"treadctl {' '.join(args)}: {done.returncode}\n{done.stderr}"
    return done.stdout


@dataclass(frozen=True)
class DryRuns:
    home: Path
    profile: Profile
    outputs: list[str]

    @property
    def db_path(self) -> Path:
        return self.home / "data" / "history.sqlite3"

    def sample_count(self, session_id: int) -> int:
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True)
        try:
            row = conn.execute("SELECT count(*) FROM samples WHERE session_id = ?", (session_id,))
            return int(row.fetchone()[0])
        finally:
            conn.close()


@pytest.fixture(scope="module")
def dry_runs(tmp_path_factory: pytest.TempPathFactory) -> DryRuns:
    home = tmp_path_factory.mktemp("treadctl-e2e-home")
    outputs = [
        treadctl(home, "run", PROFILE, "--simulate", "--fast", "--headless", timeout=RUN_TIMEOUT_S)
        for _ in range(DRY_RUNS)
    ]
    return DryRuns(home, load_profile(PROFILE), outputs)


def planned_minutes(profile: Profile, direction: Direction) -> float:
    return sum(b.duration_s for b in profile.expand() if b.direction is direction) / 60


def test_dry_runs_complete(dry_runs: DryRuns) -> None:
    for output in dry_runs.outputs:
        assert "session completed" in output
        assert f"bout {len(dry_runs.profile.expand())}/" in output


def test_history_lists_both_dry_runs(dry_runs: DryRuns) -> None:
    profile = dry_runs.profile
    bouts = profile.expand()
    items = json.loads(treadctl(dry_runs.home, "history", "--json"))
    assert [item["id"] for item in items] == [2, 1]  # newest first
    for item in items:
        assert item["profile"] == profile.name
        assert item["simulated"] is True and item["device"] == "simulator"
        assert item["end_status"] == "completed" and item["finished"] is True
        assert item["ended_at"] is not None
        backward_min, forward_min = item["backward_s"] / 60, item["forward_s"] / 60
        assert backward_min == pytest.approx(planned_minutes(profile, Direction.BACKWARD))
        assert forward_min == pytest.approx(planned_minutes(profile, Direction.FORWARD))
        assert item["bouts_completed"] == item["bouts_total"] == len(bouts)
        # Start-up, slow-downs and turns come on top of the planned bouts, but not much.
        assert profile.total_duration_s <= item["duration_s"] <= profile.total_duration_s + 120
        assert item["distance_m"] > 0 and item["energy_kcal"] > 0
    text = treadctl(dry_runs.home, "history").splitlines()
    assert len(text) == 1 + DRY_RUNS
    for line in text[1:]:
        # the table fits 80 columns: a long profile name is shortened with "…"
        name = profile.name if len(profile.name) <= 12 else profile.name[:12]
        assert name in line and "(sim)" in line and line.rstrip().endswith("completed")
        assert len(line) <= 80
        backward_s = round(planned_minutes(profile, Direction.BACKWARD) * 60)
        assert f"{backward_s // 60}:{backward_s % 60:02d}" in line.split()  # m:ss


def test_history_show_last(dry_runs: DryRuns) -> None:
    bouts = dry_runs.profile.expand()
    detail = json.loads(treadctl(dry_runs.home, "history", "show", "last", "--json"))
    assert detail["id"] == 2
    laps = detail["laps"]
    assert [lap["bout"] for lap in laps] == [b.index + 1 for b in bouts]
    assert [lap["direction"] for lap in laps] == [str(b.direction) for b in bouts]
    assert [lap["label"] for lap in laps] == [b.label for b in bouts]
    # Laps tile the session: their totals add up to the session's.
    assert sum(lap["duration_s"] for lap in laps) == pytest.approx(detail["duration_s"], abs=0.5)
    assert sum(lap["distance_m"] for lap in laps) == pytest.approx(detail["distance_m"], abs=0.5)
    for lap, bout in zip(laps, bouts, strict=True):
        assert lap["duration_s"] >= bout.duration_s - 1  # each bout ran its planned time
    text = treadctl(dry_runs.home, "history", "show", "last")
    assert text.startswith(f"Session 2: {dry_runs.profile.name} (simulated)")


def _fit_messages(path: Path) -> list[fitdecode.FitDataMessage]:
    with fitdecode.FitReader(str(path), check_crc=fitdecode.CrcCheck.ENABLED) as reader:
        return [frame for frame in reader if isinstance(frame, fitdecode.FitDataMessage)]


def test_fit_export_has_a_lap_per_bout_and_the_history_totals(
    dry_runs: DryRuns, tmp_path: Path
) -> None:
    bouts = dry_runs.profile.expand()
    row = json.loads(treadctl(dry_runs.home, "history", "--json", "--limit", "1"))[0]
    out = tmp_path / "last.fit"
    treadctl(dry_runs.home, "export", "last", "--format", "fit", "-o", str(out))
    messages = _fit_messages(out)
    by_name: dict[str, list[fitdecode.FitDataMessage]] = {}
    for message in messages:
        by_name.setdefault(message.name, []).append(message)
    assert by_name["file_id"][0].get_value("type") == "activity"
    laps, steps = by_name["lap"], by_name["workout_step"]
    assert len(laps) == len(bouts)
    step_by_index = {s.get_value("message_index"): s for s in steps}
    for lap, bout in zip(laps, bouts, strict=True):
        step = step_by_index[lap.get_value("wkt_step_index")]
        name = step.get_value("wkt_step_name")
        assert name.startswith(f"{bout.direction.value.capitalize()} {bout.index + 1}/")
        assert bout.label in name
        assert step.get_value("notes") == str(bout.direction)
    (session,) = by_name["session"]
    assert session.get_value("sport") == "walking" and session.get_value("sub_sport") == "treadmill"
    assert session.get_value("num_laps") == len(bouts)
    assert session.get_value("total_timer_time") == pytest.approx(row["duration_s"], abs=0.05)
    assert session.get_value("total_distance") == pytest.approx(row["distance_m"], abs=0.05)
    assert round(session.get_value("total_calories")) == round(row["energy_kcal"])
    lap_time = sum(lap.get_value("total_timer_time") for lap in laps)
    lap_distance = sum(lap.get_value("total_distance") for lap in laps)
    assert lap_time == pytest.approx(row["duration_s"], abs=0.05)
    assert lap_distance == pytest.approx(row["distance_m"], abs=0.05)
    assert len(by_name["record"]) == dry_runs.sample_count(row["id"])


def test_tcx_export_parses_with_a_lap_per_bout(dry_runs: DryRuns, tmp_path: Path) -> None:
    bouts = dry_runs.profile.expand()
    row = json.loads(treadctl(dry_runs.home, "history", "--json", "--limit", "1"))[0]
    out = tmp_path / "last.tcx"
    treadctl(dry_runs.home, "export", "last", "--format", "tcx", "-o", str(out))
    activity = ET.parse(out).getroot().find(f"{TCX}Activities/{TCX}Activity")
    assert activity is not None
    laps = activity.findall(f"{TCX}Lap")
    assert len(laps) == len(bouts)
    for lap, bout in zip(laps, bouts, strict=True):
        assert str(bout.direction) in (lap.findtext(f"{TCX}Notes") or "")
    seconds = sum(float(lap.findtext(f"{TCX}TotalTimeSeconds") or "nan") for lap in laps)
    metres = sum(float(lap.findtext(f"{TCX}DistanceMeters") or "nan") for lap in laps)
    assert seconds == pytest.approx(row["duration_s"], abs=0.05 * len(laps) + 0.05)
    assert metres == pytest.approx(row["distance_m"], abs=0.05 * len(laps) + 0.05)
    points = activity.findall(f"{TCX}Lap/{TCX}Track/{TCX}Trackpoint")
    assert len(points) == dry_runs.sample_count(row["id"])


def test_csv_export_has_a_row_per_sample(dry_runs: DryRuns) -> None:
    bouts = dry_runs.profile.expand()
    text = treadctl(dry_runs.home, "export", "1", "--format", "csv", "-o", "-")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == dry_runs.sample_count(1) > 0
    times = [float(r["t_s"]) for r in rows]
    assert times == sorted(times) and len(set(times)) == len(times)
    seen = [int(r["bout"]) for r in rows if r["bout"]]
    assert sorted(set(seen)) == [b.index + 1 for b in bouts]
    direction_of = {b.index + 1: str(b.direction) for b in bouts}
    assert all(r["direction"] == direction_of[int(r["bout"])] for r in rows if r["bout"])


def test_progress_follows_the_shipped_program(dry_runs: DryRuns) -> None:
    program = load_program(PROGRAM)
    first = program.phases[0]
    assert set(first.profiles) == {PROFILE}  # the dry runs are week 1 of this program
    per_session_min = planned_minutes(dry_runs.profile, Direction.BACKWARD)
    done_min = DRY_RUNS * per_session_min
    goal_min = first.sessions_per_week * per_session_min

    text = treadctl(dry_runs.home, "progress", "--include-simulated")
    assert f"{program.name} ({PROGRAM}), {program.weeks} weeks" in text
    (week,) = [line for line in text.splitlines() if "min backward" in line]
    assert "week 1 " in week
    assert f"{done_min:.1f} min backward of {goal_min:g} min" in week
    assert f"{DRY_RUNS}/{first.sessions_per_week} sessions" in week
    assert f"Week 1 of {program.weeks}" in text and f"next: {PROFILE}" in text

    report = json.loads(treadctl(dry_runs.home, "progress", "--include-simulated", "--json"))
    assert report["program"] == PROGRAM and report["current_week"] == 1
    assert report["simulated_ignored"] == 0
    (this_week,) = report["weeks"]
    assert this_week["sessions"] == DRY_RUNS
    assert this_week["backward_min"] == pytest.approx(done_min)
    assert this_week["goal_backward_min"] == pytest.approx(goal_min)
    assert this_week["met"] is False

    # Without the flag the dry runs are not walking: nothing counts, and it says so.
    plain = treadctl(dry_runs.home, "progress")
    assert f"({DRY_RUNS} simulated session(s) not counted" in plain
