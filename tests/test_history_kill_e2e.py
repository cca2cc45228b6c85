"""The real program, killed: ``python -m treadctl run first-session --simulate --headless`` runs in
real time as a child process; once its database holds a few seconds of samples it gets SIGKILL,
with no chance to clean up. The database must pass SQLite's integrity check, list the session as
interrupted, and hold its samples up to the kill, less at most the recorder's commit interval;
while it runs, the committed samples must never trail the session's clock by more than that.

Two independent references for "the kill": the wall clock at the kill against the session's
recorded start, and the last telemetry line the session's audit log had written (the audit log
flushes on every command, which the start-up ramp sends twice a second).
"""

from __future__ import annotations

import json
import math
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import fitdecode
import pytest

from treadctl.cli import main
from treadctl.history import db
from treadctl.profile.loading import load_profile

REPO = Path(__file__).resolve().parent.parent
PROFILE = "first-session"
KILL_AFTER_SAMPLE_S = 3.0  # kill once the database holds samples up to here ...
RUN_ON_S = 1.0  # ... plus this much more session time, committed or not
POLL_TIMEOUT_S = 20.0
POLL_EVERY_S = 0.05
COMMIT_EVERY_S = 1.0  # the recorder's time-based commit
SAMPLE_PERIOD_S = 1.0  # one sample per session second
STARTED_AT_RESOLUTION_S = 1.0  # sessions.started_at is whole seconds (rounded down)
SLACK_S = 0.5  # scheduling
POLL_LAG_SLACK_S = 1.0  # while polling: a loaded machine, and the first sample comes at ~1 s


def _progress(path: Path) -> tuple[datetime, float | None] | None:
    """The session's recorded start and its newest committed sample, read without writing to
    (or creating) the database; None before the session's row is committed."""
    if not path.exists():
        return None
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1.0)
        try:
            row = conn.execute(
                "SELECT started_at, (SELECT max(t_s) FROM samples) FROM sessions"
            ).fetchone()
        finally:
            conn.close()
    except sqlite3.Error:
        return None  # not created or not migrated yet
    if row is None:
        return None
    return db.parse_utc(row[0]), None if row[1] is None else float(row[1])


def _last_audited_telemetry_s(home: Path) -> float:
    """The session time of the last telemetry record the audit log got onto disk."""
    (audit,) = home.glob("data/sessions/*/audit.jsonl")
    last = 0.0
    for line in audit.read_text(encoding="utf-8").splitlines():
        try:
            record = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut short by the kill
        if record.get("kind") == "data":
            last = max(last, float(record["t"]))
    return last


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_killed_real_session_leaves_its_samples(
    isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = isolated_home / "data" / db.DB_FILE_NAME
    child = subprocess.Popen(
        [sys.executable, "-m", "treadctl", "run", PROFILE, "--simulate", "--headless"],
        cwd=REPO,
        env={**os.environ, "TREADCTL_HOME": str(isolated_home)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + POLL_TIMEOUT_S
        worst_lag_s = 0.0  # how far the committed samples ever trailed the session's clock
        while True:
            seen = _progress(path)
            if seen is not None:
                started, newest = seen
                session_s = (datetime.now(UTC) - started).total_seconds()
                worst_lag_s = max(worst_lag_s, session_s - (newest or 0.0))
                if newest is not None and newest >= KILL_AFTER_SAMPLE_S:
                    break
            if child.poll() is not None:
                stderr = child.stderr.read() if child.stderr else ""
                pytest.fail(f"the session ended early ({child.returncode}): {stderr}")
            assert time.monotonic() < deadline, "no samples reached the database"
            time.sleep(POLL_EVERY_S)
        time.sleep(RUN_ON_S)
        killed_at = datetime.now(UTC)
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
            child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    raw = sqlite3.connect(path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        (started_at,) = raw.execute("SELECT started_at FROM sessions").fetchone()
        times = [float(t) for (t,) in raw.execute("SELECT t_s FROM samples ORDER BY t_s")]
    finally:
        raw.close()

    seconds = [math.floor(t) for t in times]
    assert seconds == list(range(seconds[0], seconds[0] + len(seconds)))  # one a second, no gap
    assert seconds[0] <= 1
    last = times[-1]
    assert last >= KILL_AFTER_SAMPLE_S
    # Against the wall clock: the session time at the kill, overestimated by up to a second.
    kill_t_s = (killed_at - db.parse_utc(started_at)).total_seconds()
    assert last <= kill_t_s
    lost_at_most = COMMIT_EVERY_S + SAMPLE_PERIOD_S + STARTED_AT_RESOLUTION_S + SLACK_S
    assert last >= kill_t_s - lost_at_most, (last, kill_t_s)
    # ... and so it was all along: a kill at any moment would have lost as little.
    assert worst_lag_s <= lost_at_most + POLL_LAG_SLACK_S, worst_lag_s
    # Against the audit log: everything it had written, less at most one commit interval.
    audited_s = _last_audited_telemetry_s(isolated_home)
    assert last >= audited_s - (COMMIT_EVERY_S + SAMPLE_PERIOD_S + SLACK_S), (last, audited_s)

    # The command line reads it (in-process: the same TREADCTL_HOME) as an interrupted session.
    assert main(["history", "--json"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert item["simulated"] is True and item["finished"] is False
    assert item["end_status"] == "interrupted" and item["ended_at"] is None
    assert item["duration_s"] == round(last, 1)
    assert item["bouts_total"] == len(load_profile(PROFILE).expand())
    assert main(["history", "show", "last"]) == 0
    assert "unfinished: no end was recorded (treadctl was killed" in capsys.readouterr().out

    # And exports: a valid FIT file whose one lap so far covers the recorded time.
    out = tmp_path / "killed.fit"
    assert main(["export", "last", "--format", "fit", "-o", str(out)]) == 0
    with fitdecode.FitReader(str(out), check_crc=fitdecode.CrcCheck.ENABLED) as reader:
        messages = [f for f in reader if isinstance(f, fitdecode.FitDataMessage)]
    laps = [m for m in messages if m.name == "lap"]
    assert len(laps) >= 1
    (session,) = [m for m in messages if m.name == "session"]
    assert session.get_value("total_timer_time") == pytest.approx(last, abs=0.01)
    assert len([m for m in messages if m.name == "record"]) == len(times)
