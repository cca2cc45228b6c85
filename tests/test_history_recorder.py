"""The recorder and the database: what a session leaves behind, and how durably."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.history_support import ALTERNATING, Bout, feed, record
from treadctl.direction import Direction
from treadctl.events import BoutStarted, EventBus, Telemetry
from treadctl.history import db
from treadctl.history.recorder import Recorder, attach_recorder


def test_schema_is_versioned_and_wal(tmp_path: Path) -> None:
    conn = db.connect(tmp_path / "h.sqlite3")
    assert conn.execute("PRAGMA user_version").fetchone()[0] == db.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()
    db.connect(tmp_path / "h.sqlite3").close()  # reopening an up-to-date file is a no-op


def test_a_newer_schema_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    raw = sqlite3.connect(path)
    raw.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
    raw.close()
    with pytest.raises(db.HistoryError, match="newer treadctl"):
        db.connect(path)


def test_default_path_is_in_the_data_folder(isolated_home: Path) -> None:
    assert db.default_db_path() == isolated_home / "data" / db.DB_FILE_NAME


def test_completed_session_has_laps_samples_and_totals(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    record(path, rate_hz=4)  # telemetry at 4 Hz is kept at one sample per second
    conn = db.connect(path)
    session = db.get_session(conn, 1)
    assert session is not None
    assert session.finished and session.end_status == "completed"
    assert session.simulated and session.profile_name == "alternating"
    total_s = 1 + sum(b.duration_s for b in ALTERNATING)
    assert session.duration_s == pytest.approx(total_s)
    assert session.backward_s == 180 and session.forward_s == 241
    laps = db.get_laps(conn, 1)
    assert [lap.direction for lap in laps] == [b.direction for b in ALTERNATING]
    assert all(lap.end_t_s is not None for lap in laps)
    samples = db.get_samples(conn, 1)
    assert len(samples) == total_s + 1  # seconds 0..total inclusive
    assert [int(s.t_s) for s in samples] == list(range(total_s + 1))
    # energy: filled in by the energy model, growing, more per second walking backward uphill
    energies = [s.energy_kcal or 0.0 for s in samples]
    assert energies == sorted(energies) and energies[-1] > 5
    assert session.energy_kcal == pytest.approx(energies[-1], abs=0.01)
    assert samples[-1].distance_m == pytest.approx(session.distance_m, abs=0.01)


def test_a_repeated_bout_announcement_is_one_lap(tmp_path: Path) -> None:
    bus = EventBus()
    recorder = attach_recorder(
        bus,
        profile_name="p",
        device="d",
        simulated=False,
        body_mass_kg=None,
        db_path=tmp_path / "h.sqlite3",
    )
    for t_s in (1.0, 5.0):  # e.g. after a pause and re-arm
        bus.publish(BoutStarted(t_s, 0, 2, "b", Direction.BACKWARD, 60, 1.2, 0))
    bus.publish(BoutStarted(9.0, 1, 2, "f", Direction.FORWARD, 60, 3.0, 0))
    recorder.close()
    laps = db.get_laps(db.connect(tmp_path / "h.sqlite3"), 1)
    assert [(lap.bout_index, lap.start_t_s, lap.end_t_s) for lap in laps] == [
        (0, 1.0, 9.0),
        (1, 9.0, None),
    ]


def test_unfinished_session_reads_as_interrupted_with_totals_from_samples(
    tmp_path: Path,
) -> None:
    path = tmp_path / "h.sqlite3"
    bouts = (Bout(Direction.FORWARD, 30, 3.6), Bout(Direction.BACKWARD, 20, 1.8))
    record(path, bouts, end=False)
    session = db.get_session(db.connect(path), 1)
    assert session is not None
    assert not session.finished and session.end_status == "interrupted"
    assert session.duration_s == 50  # last sample
    assert session.backward_s == 20 - 1 and session.forward_s == 30
    assert session.distance_m == pytest.approx(30 + 19 * 0.5, abs=0.01)


class _Clock:
    def __init__(self) -> None:
        self.now_s = 0.0

    def __call__(self) -> float:
        return self.now_s


def _committed_samples(path: Path) -> int:
    reader = sqlite3.connect(path)
    try:
        return int(reader.execute("SELECT COUNT(*) FROM samples").fetchone()[0])
    finally:
        reader.close()


def test_samples_are_committed_by_count_and_by_wall_time(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    clock = _Clock()
    bus = EventBus()
    recorder = Recorder(
        db.connect(path),
        profile_name="p",
        device="d",
        simulated=True,
        body_mass_kg=70.0,
        monotonic_s=clock,
        commit_every_samples=5,
        commit_every_s=2.0,
    )
    bus.subscribe(recorder)
    for t in range(4):
        bus.publish(Telemetry(float(t), 2.0))
    assert _committed_samples(path) == 0  # the session row is committed, samples wait
    bus.publish(Telemetry(4.0, 2.0))
    assert _committed_samples(path) == 5  # five waiting samples: committed
    bus.publish(Telemetry(5.0, 2.0))
    assert _committed_samples(path) == 5
    clock.now_s += 2.0  # two seconds of wall time without a commit
    bus.publish(Telemetry(6.0, 2.0))
    assert _committed_samples(path) == 7
    recorder.close()


def test_a_database_error_stops_recording_without_raising(tmp_path: Path) -> None:
    bus = EventBus()
    conn = db.connect(tmp_path / "h.sqlite3")
    recorder = Recorder(conn, profile_name="p", device="d", simulated=True, body_mass_kg=70.0)
    bus.subscribe(recorder)
    bus.publish(Telemetry(0.0, 1.0))
    conn.execute("DROP TABLE samples")
    recorder(Telemetry(1.0, 1.0))  # called directly: must not raise
    feed(bus)  # the rest of the session is ignored quietly
