"""A session killed with SIGKILL leaves a readable database holding its samples up to the kill.

The child process feeds a scripted session through a real EventBus into a real Recorder, a few
milliseconds per session second, and reports each second it has published; the parent kills it
mid-session without warning.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from treadctl.history import db

REPO = Path(__file__).resolve().parent.parent
CHILD = """
import sys, time
from pathlib import Path
from tests.history_support import record

def tick(t_s):
    print(int(t_s), flush=True)
    time.sleep(0.004)

record(Path(sys.argv[1]), on_tick=tick)
"""
KILL_AFTER_S = 150
# The writer thread commits every 0.1 s: 25 session seconds at 4 ms each, plus slack for a slow CI.
LOST_AT_MOST_SAMPLES = 60


@pytest.mark.skipif(os.name != "posix", reason="SIGKILL")
def test_killed_session_leaves_readable_database_with_samples(tmp_path: Path) -> None:
    path = tmp_path / "history.sqlite3"
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD, str(path)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert child.stdout is not None
    reached_s = -1
    try:
        for line in child.stdout:
            reached_s = int(line)
            if reached_s >= KILL_AFTER_S:
                child.send_signal(signal.SIGKILL)
                break
    finally:
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert reached_s >= KILL_AFTER_S

    raw = sqlite3.connect(path)
    assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    raw.close()
    conn = db.connect(path)
    session = db.get_session(conn, 1)
    assert session is not None
    assert not session.finished and session.end_status == "interrupted"
    times = [int(s.t_s) for s in db.get_samples(conn, 1)]
    assert times == list(range(len(times)))  # no gaps
    # Everything published up to the kill is there, less at most one uncommitted batch.
    assert times[-1] >= KILL_AFTER_S - LOST_AT_MOST_SAMPLES
    assert session.duration_s == times[-1]
    assert len(db.get_laps(conn, 1)) >= 2  # 150 s in: the second bout had started
