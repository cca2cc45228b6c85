"""FIT export, read back by a real decoder (fitdecode) with CRC checking on."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import fitdecode
import pytest

from tests.history_support import ALTERNATING, record
from treadctl.direction import Direction
from treadctl.history import db
from treadctl.history.export import export_session
from treadctl.history.fit_encoder import crc16


def _messages(data: bytes) -> list[tuple[str, dict[str, Any]]]:
    out = []
    with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.ENABLED) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage):
                out.append((frame.name, {f.name: f.value for f in frame.fields}))
    return out


@pytest.fixture
def fit_file(tmp_path: Path) -> tuple[bytes, db.SessionRecord]:
    path = tmp_path / "h.sqlite3"
    record(path)
    conn = db.connect(path)
    session = db.get_session(conn, 1)
    assert session is not None
    return export_session(conn, 1, "fit"), session


def test_crc_is_the_fit_crc16() -> None:
    assert crc16(b"123456789") == 0xBB3D  # the CRC-16/ARC check value


def test_fit_is_a_treadmill_walk_with_a_lap_per_bout(fit_file: tuple[bytes, Any]) -> None:
    data, _ = fit_file
    messages = _messages(data)
    names = [name for name, _ in messages]
    file_id = messages[0][1]
    assert names[0] == "file_id" and file_id["type"] == "activity"
    (sport,) = [m for n, m in messages if n == "session"]
    assert sport["sport"] == "walking" and sport["sub_sport"] == "treadmill"
    laps = [m for n, m in messages if n == "lap"]
    assert len(laps) == len(ALTERNATING) == sport["num_laps"]
    steps = {m["message_index"]: m for n, m in messages if n == "workout_step"}
    for lap, bout in zip(laps, ALTERNATING, strict=True):
        step = steps[lap["wkt_step_index"]]
        assert step["wkt_step_name"].startswith(bout.direction.capitalize())
        assert step["notes"] == str(bout.direction)
    assert names[-1] == "activity"
    assert [m["event_type"] for n, m in messages if n == "event"] == ["start", "stop_all"]


def test_fit_totals_match_the_session(fit_file: tuple[bytes, Any]) -> None:
    data, session = fit_file
    messages = _messages(data)
    (summary,) = [m for n, m in messages if n == "session"]
    laps = [m for n, m in messages if n == "lap"]
    records = [m for n, m in messages if n == "record"]
    assert summary["total_timer_time"] == pytest.approx(session.duration_s)
    assert summary["total_distance"] == pytest.approx(session.distance_m, abs=0.01)
    assert sum(lap["total_timer_time"] for lap in laps) == pytest.approx(session.duration_s)
    assert sum(lap["total_distance"] for lap in laps) == pytest.approx(session.distance_m, abs=0.05)
    assert summary["total_calories"] == round(session.energy_kcal)
    # the laps tile the session; backward laps add up to the backward time
    backward = [
        lap for lap, b in zip(laps, ALTERNATING, strict=True) if b.direction is Direction.BACKWARD
    ]
    assert sum(lap["total_timer_time"] for lap in backward) == session.backward_s
    assert len(records) == int(session.duration_s) + 1
    assert records[-1]["distance"] == pytest.approx(session.distance_m, abs=0.01)
    assert {r["heart_rate"] for r in records} - {None} <= set(range(90, 110))
    first_backward = next(r for r in records if r["speed"] == pytest.approx(1.5 / 3.6, abs=1e-3))
    assert first_backward["grade"] == pytest.approx(2.0)


def test_a_damaged_file_fails_the_crc(fit_file: tuple[bytes, Any]) -> None:
    data, _ = fit_file
    damaged = bytearray(data)
    damaged[len(damaged) // 2] ^= 0x01
    with pytest.raises(fitdecode.FitCRCError):
        _messages(bytes(damaged))


def test_a_session_without_bouts_still_exports_one_lap(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    record(path, (), end=True)
    conn = db.connect(path)
    laps = [m for n, m in _messages(export_session(conn, 1, "fit")) if n == "lap"]
    assert len(laps) == 1
