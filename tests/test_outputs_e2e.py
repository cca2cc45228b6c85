"""Nothing outside the control loop can stall it or lose data: the real program, as child
processes, against a database another process holds locked, a disk that fills up and empties
again, and several sessions sharing one data folder.

Each session runs ``python -m treadctl run ... --simulate --headless`` in real time (or --fast for
the shared-folder test), with its own TREADCTL_HOME. "No stall" is read off the audit log: no
safety stop, no watchdog, the session completed (exit 0). "No loss" is read off the history: one
sample for every session second, no gaps, and the session's end recorded.
"""

from __future__ import annotations

import errno
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from treadctl.history import db

REPO = Path(__file__).resolve().parent.parent
LOCK_S = 10.0
FAST_RUN = [sys.executable, "-m", "treadctl", "run", "retro-10", "--simulate", "--fast"]
FAST_RUN += ["--headless"]
# A 12-second walk in real time: with start-up and the stop, about 16 s of session.
SHORT_PROFILE = """
name = "Short walk"
units = "kmh"

[[steps]]
label = "Walk"
direction = "forward"
duration = "12s"
speed = 2.0
"""
LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")  # the write lock: every other writer waits or gets "locked"
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
print("released", flush=True)
"""


def _env(home: Path) -> dict[str, str]:
    return {**os.environ, "TREADCTL_HOME": str(home), "PYTHONUNBUFFERED": "1"}


def _start_session(home: Path, profile: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "treadctl", "run", str(profile), "--simulate", "--headless", *extra],
        cwd=REPO,
        env=_env(home),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _wait_for_line(process: subprocess.Popen[str], needle: str, timeout_s: float = 30.0) -> str:
    assert process.stdout is not None
    seen = []
    deadline = time.monotonic() + timeout_s
    for line in process.stdout:
        seen.append(line)
        if needle in line:
            return "".join(seen)
        if time.monotonic() > deadline:
            break
    raise AssertionError(f"{needle!r} never came; output so far: {''.join(seen)}")


def _audit_events(home: Path) -> list[dict[str, object]]:
    (audit,) = (home / "data" / "sessions").glob("*/audit.jsonl")
    text = audit.read_text(encoding="utf-8")
    assert text.endswith("\n"), "the audit log ends in a partial line"
    return [json.loads(line) for line in text.splitlines()]  # every line whole JSON


def _assert_no_stall(events: list[dict[str, object]]) -> None:
    safety = [e for e in events if e["kind"] == "safety"]
    assert not safety, safety
    end = events[-1]
    assert end["kind"] == "end" and end["status"] == "completed", end


def _assert_complete_history(path: Path, end_t_s: float) -> db.SessionRecord:
    conn = db.connect(path)
    try:
        (session,) = db.list_sessions(conn)
        assert session.finished and session.end_status == "completed"
        seconds = [int(s.t_s) for s in db.get_samples(conn, session.id)]
    finally:
        conn.close()
    # The first record arrives within the first second or two of a real-time session.
    assert seconds[0] <= 1, seconds[:3]
    assert seconds == list(range(seconds[0], seconds[0] + len(seconds))), "gaps in the samples"
    assert seconds[-1] >= int(end_t_s) - 1, (seconds[-1], end_t_s)
    return session


def _profile(tmp_path: Path) -> Path:
    path = tmp_path / "short.toml"
    path.write_text(SHORT_PROFILE, encoding="utf-8")
    return path


def test_a_database_locked_for_10_s_by_another_process_neither_stalls_nor_loses(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    db_path = home / "data" / db.DB_FILE_NAME
    db.connect(db_path).close()  # the database exists, as after the first session
    session = _start_session(home, _profile(tmp_path))
    _wait_for_line(session, "bout 1/1")
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(db_path), str(LOCK_S)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert locker.stdout is not None
    assert locker.stdout.readline().strip() == "locked"
    locked_at = time.monotonic()
    try:
        out, err = session.communicate(timeout=90)
    finally:
        locker.wait(30)
    assert time.monotonic() - locked_at >= LOCK_S - 1  # the session ran through the lock
    assert session.returncode == 0, (out, err)
    assert "Traceback" not in err
    events = _audit_events(home)
    _assert_no_stall(events)
    _assert_complete_history(db_path, float(events[-1]["t"]))  # type: ignore[arg-type]
    # One line when writing stalled (the busy timeout ran out), one when it caught up.
    assert err.count("is not being written: the history database is locked") == 1, err
    assert err.count("has caught up") == 1, err
    assert "incomplete record" not in out


def _can_mount_tmpfs(folder: Path) -> str | None:
    """None if a small tmpfs can be mounted here, else why not."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        return "mounting a small tmpfs needs root and mount(8)"
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs", str(folder)],
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        return f"mount -t tmpfs failed: {done.stderr.strip()}"
    return None


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    folder = tmp_path / "small"
    why_not = _can_mount_tmpfs(folder)
    if why_not is not None:
        pytest.skip(
            f"no small real file system ({why_not}); the disk-full behaviour is still tested "
            "by injecting ENOSPC in tests/test_outputs_disk_full.py"
        )
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    """Fill the file system until ENOSPC; the filler file is returned (delete it to free)."""
    filler = folder / "filler"
    block = b"\0" * 4096
    with filler.open("wb", buffering=0) as file:
        try:
            while True:
                file.write(block)
        except OSError as error:
            assert error.errno == errno.ENOSPC
    return filler


def _prepare_small_home(small_disk: Path) -> tuple[Path, Path, Path]:
    home = small_disk / "home"
    db_path = home / "data" / db.DB_FILE_NAME
    db.connect(db_path).close()
    (home / "data" / "sessions").mkdir()
    profile = small_disk / "short.toml"
    profile.write_text(SHORT_PROFILE, encoding="utf-8")
    return home, db_path, profile


def _check_caught_up(home: Path, db_path: Path, session: subprocess.Popen[str]) -> str:
    out, err = session.communicate(timeout=90)
    assert session.returncode == 0, (out, err)
    assert "Traceback" not in err
    events = _audit_events(home)  # every line whole, although writes failed
    _assert_no_stall(events)
    _assert_complete_history(db_path, float(events[-1]["t"]))  # type: ignore[arg-type]
    assert "incomplete record" not in out
    return err


def test_a_full_disk_at_the_start_and_mid_session_is_survived_and_caught_up(
    small_disk: Path,
) -> None:
    home, db_path, profile = _prepare_small_home(small_disk)
    filler = _fill(small_disk)  # the audit log's first line already finds no room
    session = _start_session(home, profile)
    _wait_for_line(session, "bout 1/1")
    time.sleep(2.0)
    filler.unlink()  # space is back: both catch up ...
    time.sleep(1.5)
    filler = _fill(small_disk)  # ... and the disk fills up again mid-session
    time.sleep(3.0)
    filler.unlink()
    err = _check_caught_up(home, db_path, session)
    assert err.count("the audit log is not being written: the disk is full") >= 1, err
    history_stalls = err.count("the history (history.sqlite3) is not being written")
    assert history_stalls == 2, err  # once at the start (cannot open), once mid-session
    assert "the history (history.sqlite3) is not being written: the disk is full" in err
    assert err.count("has caught up") == history_stalls + err.count("the audit log is not"), err


def test_a_disk_that_stays_full_ends_with_what_was_lost(small_disk: Path) -> None:
    home = small_disk / "home"
    db_path = home / "data" / db.DB_FILE_NAME
    db.connect(db_path).close()
    (home / "data" / "sessions").mkdir()
    _fill(small_disk)
    out = subprocess.run(
        FAST_RUN,
        cwd=REPO,
        env=_env(home),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out  # belt control unaffected: the session completed
    assert "session completed" in out.stdout
    assert "Traceback" not in out.stderr
    assert "treadctl: incomplete record: history:" in out.stdout
    assert "treadctl: incomplete record: audit log:" in out.stdout
    assert "the disk is full" in out.stdout


def test_several_sessions_in_one_data_folder_all_record_completely(tmp_path: Path) -> None:
    home = tmp_path / "home"
    sessions = [
        subprocess.Popen(
            FAST_RUN,
            cwd=REPO,
            env=_env(home),
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(3)
    ]
    results = [process.communicate(timeout=120) for process in sessions]
    for process, (out, err) in zip(sessions, results, strict=True):
        assert process.returncode == 0, (out, err)
        assert "incomplete record" not in out and "Traceback" not in err
    conn = db.connect(home / "data" / db.DB_FILE_NAME)
    try:
        records = db.list_sessions(conn)
        assert len(records) == 3
        for record in records:
            assert record.finished and record.end_status == "completed"
            seconds = [int(s.t_s) for s in db.get_samples(conn, record.id)]
            assert seconds[0] <= 1
            assert seconds == list(range(seconds[0], seconds[0] + len(seconds)))
            assert seconds[-1] >= int(record.duration_s) - 1
    finally:
        conn.close()
    audits = list((home / "data" / "sessions").glob("*/audit.jsonl"))
    assert len(audits) == 3  # one folder each, none shared


def test_the_lock_holder_is_a_real_lock(tmp_path: Path) -> None:
    """The locker really blocks writers (so the test above tests something)."""
    path = tmp_path / "h.sqlite3"
    db.connect(path).close()
    locker = subprocess.Popen(
        [sys.executable, "-c", LOCKER, str(path), "2"], stdout=subprocess.PIPE, text=True
    )
    assert locker.stdout is not None
    assert locker.stdout.readline().strip() == "locked"
    conn = sqlite3.connect(path, isolation_level=None, timeout=0.1)
    with pytest.raises(sqlite3.OperationalError, match="locked"):
        conn.execute("BEGIN IMMEDIATE")
    conn.close()
    locker.wait(10)
