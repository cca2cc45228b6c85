"""The recorder and the database: what a session leaves behind, and how durably."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from tests.history_support import ALTERNATING, Bout, feed, record
from treadctl.direction import Direction
from treadctl.events import BoutStarted, EventBus, Telemetry
from treadctl.history import db
from treadctl.history.recorder import RecordingHandle, attach_recorder


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


def _committed_samples(path: Path) -> int:
    reader = sqlite3.connect(path)
    try:
        return int(reader.execute("SELECT COUNT(*) FROM samples").fetchone()[0])
    finally:
        reader.close()


def _attach(bus: EventBus, path: Path, **kwargs: object) -> RecordingHandle:
    return attach_recorder(
        bus,
        profile_name="p",
        device="d",
        simulated=True,
        body_mass_kg=70.0,
        db_path=path,
        **kwargs,  # type: ignore[arg-type]
    )


def test_samples_are_committed_by_the_writer_thread_within_a_moment(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    bus = EventBus()
    handle = _attach(bus, path)
    for t in range(5):
        bus.publish(Telemetry(float(t), 2.0))
    deadline = time.monotonic() + 2.0
    while _committed_samples(path) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert _committed_samples(path) == 5  # without close(): the thread commits on its own
    report = handle.close()
    assert report.complete and report.written == 6  # the session row and five samples


def test_a_database_error_is_retried_and_reported_as_lost_never_raised(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "h.sqlite3"
    bus = EventBus()
    handle = _attach(bus, path, retry_s=0.05)
    bus.publish(Telemetry(0.0, 1.0))
    assert handle.flush(5.0)
    raw = sqlite3.connect(path)
    raw.execute("DROP TABLE samples")
    raw.close()
    feed(bus)  # must not raise; the writer keeps the samples and retries
    report = handle.close(timeout_s=0.3)
    assert not report.complete and report.lost > 400
    assert "no such table: samples" in report.problem
    err = capsys.readouterr().err
    assert err.count("is not being written") == 1  # one line, however many retries


def test_pauses_are_recorded_and_left_out_of_the_fit_timer_time(tmp_path: Path) -> None:
    import io

    import fitdecode

    from treadctl.events import EndStatus, PhaseChanged, PhaseName, SessionEnded
    from treadctl.history.export import export_session

    path = tmp_path / "h.sqlite3"
    bus = EventBus()
    handle = _attach(bus, path)
    bus.publish(BoutStarted(0.0, 0, 2, "a", Direction.FORWARD, 60, 3.0, 0))
    for t in range(0, 121):
        if t == 20:
            bus.publish(PhaseChanged(20.0, PhaseName.PAUSED, 0, detail="paused"))
        if t == 50:
            bus.publish(PhaseChanged(50.0, PhaseName.RAMP, 0))
        if t == 70:
            bus.publish(BoutStarted(70.0, 1, 2, "b", Direction.BACKWARD, 50, 1.5, 0))
        if t == 100:
            bus.publish(PhaseChanged(100.0, PhaseName.PAUSED, 1))
        if t == 110:
            bus.publish(PhaseChanged(110.0, PhaseName.STEADY, 1))
        bus.publish(Telemetry(float(t), 0.0 if 20 <= t < 50 else 3.0))
    bus.publish(SessionEnded(120.0, EndStatus.COMPLETED, "done"))
    assert handle.close().complete
    conn = db.connect(path)
    assert db.get_pauses(conn, 1) == [(20.0, 50.0), (100.0, 110.0)]
    with fitdecode.FitReader(io.BytesIO(export_session(conn, 1, "fit"))) as reader:
        frames = [f for f in reader if isinstance(f, fitdecode.FitDataMessage)]
    laps = [f for f in frames if f.name == "lap"]
    (session,) = [f for f in frames if f.name == "session"]
    assert [lap.get_value("total_elapsed_time") for lap in laps] == [70.0, 50.0]
    assert [lap.get_value("total_timer_time") for lap in laps] == [40.0, 40.0]
    assert session.get_value("total_elapsed_time") == 120.0
    assert session.get_value("total_timer_time") == 80.0
