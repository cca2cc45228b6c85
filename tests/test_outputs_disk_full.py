"""Disk full and I/O errors, injected at the file layer (runs everywhere; the real small file
system is in tests/test_outputs_e2e.py where the machine allows mounting one).

The audit log never holds a partial line and catches up in order; the history retries and
catches up; neither ever blocks or raises into the session's loop; the end says what was lost.
"""

from __future__ import annotations

import errno
import json
import os
import sqlite3
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.history_support import feed
from treadctl.events import EndStatus, EventBus, SessionEnded, Telemetry
from treadctl.history import db, recorder
from treadctl.history.sink_status import ProblemReporter
from treadctl.history.sink_thread import SinkThread
from treadctl.session.audit import AuditLog, LineFile, read_audit


class FlakyDisk:
    """``os.write`` for one file descriptor: takes ``room`` more bytes, then ENOSPC (a short
    write first, as a real file system does when it fills up mid-write)."""

    def __init__(self, room: int) -> None:
        self.room = room
        self.failures = 0
        self._real_write = os.write

    def write(self, fd: int, data: bytes | memoryview) -> int:
        if self.room <= 0:
            self.failures += 1
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        n = min(len(data), self.room)
        self.room -= n
        return self._real_write(fd, bytes(data[:n]))


def _whole_lines(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    assert text == "" or text.endswith("\n"), f"partial line at the end: {text[-40:]!r}"
    return text.splitlines()


@settings(max_examples=60, deadline=None)
@given(
    rooms=st.lists(st.integers(min_value=0, max_value=400), min_size=1, max_size=6),
    lines=st.lists(st.text(alphabet='abcdé{}":,', min_size=0, max_size=60), min_size=1),
)
def test_line_file_never_holds_a_partial_line_and_loses_nothing(
    tmp_path_factory: pytest.TempPathFactory, rooms: list[int], lines: list[str]
) -> None:
    path = tmp_path_factory.mktemp("audit") / "a.jsonl"
    target = LineFile(path)
    items = [line + "\n" for line in lines]
    disk = FlakyDisk(0)
    pending = list(items)
    original = os.write
    try:
        os.write = disk.write  # type: ignore[assignment]
        for room in rooms:  # the disk gets this much room back, then fills again
            disk.room = room
            try:
                done = target.write(pending)
            except OSError as error:
                assert error.errno == errno.ENOSPC
                done = 0
            del pending[:done]
            os.write = original
            written = _whole_lines(path)
            os.write = disk.write  # type: ignore[assignment]
            assert written == [line.rstrip("\n") for line in items[: len(items) - len(pending)]]
        disk.room = 10**9  # space is back
        del pending[: target.write(pending)]
    finally:
        os.write = original
    assert not pending
    assert _whole_lines(path) == lines
    target.close()


def test_the_audit_log_catches_up_in_order_once_space_returns(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "audit.jsonl"
    disk = FlakyDisk(500)  # a few lines, then full
    monkeypatch.setattr("treadctl.session.audit.os.write", disk.write)
    messages: list[str | None] = []

    class Recording(ProblemReporter):
        def __call__(self, problem: str | None) -> None:
            messages.append(problem)
            super().__call__(problem)

    audit = AuditLog(path, reporter=Recording("audit", "the audit log"), retry_s=0.02)
    bus = EventBus()
    audit.attach(bus)
    for t in range(200):
        bus.publish(Telemetry(float(t), 2.0))
    deadline = time.monotonic() + 5
    while disk.failures < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert disk.failures >= 3  # it kept retrying ...
    assert messages == ["the disk is full"]  # ... and said so once
    disk.room = 10**9
    bus.publish(SessionEnded(200.0, EndStatus.COMPLETED, "done"))
    report = audit.close(5.0)
    assert report is not None and report.complete and report.written == 201
    assert messages == ["the disk is full", None]
    events = read_audit(path)
    assert [e["t"] for e in events] == [float(t) for t in range(200)] + [200.0]
    assert all(str(e["wall"]).endswith("Z") for e in events)


def test_a_stalled_disk_never_blocks_the_publisher(tmp_path: Path) -> None:
    """The writer thread is stuck in a write for a second; publishing takes microseconds."""
    release = threading.Event()

    class StuckFile(LineFile):
        def write(self, items: list[str]) -> int:
            release.wait(5)
            return super().write(items)

    audit = AuditLog(tmp_path / "a.jsonl", target=StuckFile)
    bus = EventBus()
    audit.attach(bus)
    bus.publish(Telemetry(0.0, 1.0))
    time.sleep(0.05)  # the thread is now inside the stuck write
    worst_s = 0.0
    for t in range(1, 2000):
        start = time.perf_counter()
        bus.publish(Telemetry(t / 10, 1.0))
        worst_s = max(worst_s, time.perf_counter() - start)
    assert worst_s < 0.05, worst_s  # never waits for the disk (generous for a loaded CI)
    release.set()
    report = audit.close(5.0)
    assert report is not None and report.complete
    assert len(read_audit(tmp_path / "a.jsonl")) == 2000


def test_a_full_queue_refuses_data_records_but_keeps_decisions(tmp_path: Path) -> None:
    release = threading.Event()

    class StuckFile(LineFile):
        def write(self, items: list[str]) -> int:
            release.wait(5)
            return super().write(items)

    audit = AuditLog(tmp_path / "a.jsonl", target=StuckFile, max_lines=50)
    bus = EventBus()
    audit.attach(bus)
    for t in range(100):
        bus.publish(Telemetry(float(t), 1.0))
    bus.publish(SessionEnded(100.0, EndStatus.COMPLETED, "done"))  # a decision: never refused
    release.set()
    report = audit.close(5.0)
    assert report is not None and report.lost == 50
    events = read_audit(tmp_path / "a.jsonl")
    assert events[-1]["kind"] == "end" and len(events) == 51


class FullThenFine(recorder.HistoryWriter):
    """The history database: "database or disk is full" for the first ``failures`` writes."""

    failures = 3
    attempts = 0

    def write(self, items: list[recorder.Op]) -> int:
        type(self).attempts += 1
        if type(self).attempts <= type(self).failures:
            raise sqlite3.OperationalError("database or disk is full")
        return super().write(items)


def test_the_history_retries_and_catches_up_after_a_full_disk(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "h.sqlite3"
    bus = EventBus()
    writer: SinkThread[recorder.Op] = SinkThread(
        "history",
        lambda: FullThenFine(path),
        retry_s=0.02,
        describe_error=recorder.describe_db_error,
        on_problem=ProblemReporter("history", "the history"),
    )
    rec = recorder.Recorder(
        writer.put, profile_name="p", device="d", simulated=True, body_mass_kg=70.0
    )
    bus.subscribe(rec)
    summary = feed(bus)
    report = writer.close(5.0)
    assert report.complete and FullThenFine.attempts > FullThenFine.failures
    conn = db.connect(path)
    session = db.get_session(conn, 1)
    assert session is not None and session.finished
    assert session.duration_s == summary.duration_s
    seconds = [int(s.t_s) for s in db.get_samples(conn, 1)]
    assert seconds == list(range(len(seconds))) and seconds[-1] == int(summary.duration_s)
    err = capsys.readouterr().err
    assert err.count("the history is not being written: the disk is full") == 1
    assert err.count("the history is being written again; it has caught up") == 1


def test_an_unusable_history_file_is_a_clear_error_before_the_session(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    path.write_bytes(b"this is not a database, just some text" * 100)
    with pytest.raises(db.HistoryError, match="move it aside"):
        recorder.attach_recorder(
            EventBus(),
            profile_name="p",
            device="d",
            simulated=True,
            body_mass_kg=None,
            db_path=path,
        )


def test_wall_time_is_iso_utc_with_milliseconds(tmp_path: Path) -> None:
    path = tmp_path / "a.jsonl"
    audit = AuditLog(path, wall_now_s=lambda: 1764624605.0429)
    bus = EventBus()
    audit.attach(bus)
    bus.publish(Telemetry(1.5, 2.0))
    bus.publish(SessionEnded(2.0, EndStatus.COMPLETED, "done"))
    audit.close()
    first, end = (json.loads(line) for line in path.read_text().splitlines())
    assert first["wall"] == end["wall"] == "2025-12-01T21:30:05.042Z"
    assert list(first)[:3] == ["t", "wall", "kind"]
