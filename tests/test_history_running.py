"""A session still recording is listed as running, not as killed; once its process dies it is
unfinished. Real processes: a recorder in a child process holds the database open, and the
`treadctl history` that reads it is another child."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.history_support import record
from treadctl.history import db

REPO = Path(__file__).resolve().parent.parent

RECORDING = """
import sys, time
from tests.history_support import ALTERNATING, feed
from treadctl.events import EventBus
from treadctl.history.recorder import attach_recorder

bus = EventBus()
recorder = attach_recorder(bus, profile_name="still going", device="simulator", simulated=True,
                           body_mass_kg=70.0, db_path=__import__("pathlib").Path(sys.argv[1]))
feed(bus, ALTERNATING[:2], end=False, profile_name="still going")
recorder.flush()
print("recording", flush=True)
time.sleep(60)
"""


def _treadctl(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TREADCTL_HOME": str(home)}
    return subprocess.run(
        [sys.executable, "-m", "treadctl", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        timeout=60,
        check=False,
    )


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the lock probe is Linux's")
def test_running_then_unfinished(isolated_home: Path) -> None:
    path = db.default_db_path()
    record(path)  # an older, finished session
    child = subprocess.Popen(
        [sys.executable, "-c", RECORDING, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    try:
        assert child.stdout is not None and child.stdout.readline().strip() == "recording"
        listing = _treadctl(isolated_home, "history")
        assert listing.returncode == 0, listing.stderr
        newest = listing.stdout.splitlines()[1]
        assert newest.split()[0] == "2" and newest.endswith("running"), listing.stdout
        assert "killed" not in listing.stdout
        shown = _treadctl(isolated_home, "history", "show", "last")
        assert "running now" in shown.stdout and "killed" not in shown.stdout
        (item, _) = json.loads(_treadctl(isolated_home, "history", "--json").stdout)
        assert item["running"] is True and item["finished"] is False
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    after = _treadctl(isolated_home, "history")
    assert after.stdout.splitlines()[1].endswith("unfinished")
    final = _treadctl(isolated_home, "history", "show", "2").stdout
    assert "unfinished: no end was recorded (treadctl was killed or crashed)" in final
