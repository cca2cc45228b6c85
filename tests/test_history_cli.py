"""`treadctl history` and `treadctl export` from the command line, on the default database."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import fitdecode
import pytest

from tests.history_support import ALTERNATING, record
from treadctl.cli import main
from treadctl.history import db


@pytest.fixture
def two_sessions(isolated_home: Path) -> Path:
    path = db.default_db_path()
    record(path, started_at=datetime(2026, 3, 2, 9, 0, tzinfo=UTC))
    record(
        path,
        ALTERNATING[:2],
        profile_name="short",
        end=False,
        simulated=False,
        started_at=datetime(2026, 3, 4, 9, 0, tzinfo=UTC),
    )
    return path


def test_history_lists_sessions_newest_first(
    two_sessions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[:3] == ["ID", "date", "profile"]
    # killed in the test's own process: nothing holds the database, so it is not running
    assert lines[1].split()[0] == "2" and lines[1].endswith("unfinished")
    assert lines[2].split()[0] == "1" and "alternating (sim)" in lines[2]
    assert "completed" in lines[2] and " 3:00 " in lines[2]  # backward time as m:ss
    assert all(len(line) <= 80 for line in lines)


def test_history_json(two_sessions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "--json", "--limit", "1"]) == 0
    (item,) = json.loads(capsys.readouterr().out)
    assert item["id"] == 2 and item["finished"] is False and item["simulated"] is False
    assert item["backward_s"] == 89.0 and item["profile"] == "short"


def test_history_show_text_and_json(two_sessions: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history", "show", "1"]) == 0
    text = capsys.readouterr().out
    assert "Session 1: alternating (simulated)" in text
    assert text.count("backward") >= 2 and "speed  " in text and "facing " in text
    assert main(["history", "show", "last", "--json"]) == 0
    detail = json.loads(capsys.readouterr().out)
    assert detail["id"] == 2
    assert [lap["direction"] for lap in detail["laps"]] == ["forward", "backward"]


def test_history_show_unknown_session_is_a_clear_error(
    two_sessions: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["history", "show", "99"]) == 2
    assert "no session 99" in capsys.readouterr().err
    assert main(["history", "show", "yesterday"]) == 2
    assert "not a session id" in capsys.readouterr().err


def test_history_with_nothing_recorded(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["history"]) == 0
    assert "No sessions recorded yet" in capsys.readouterr().out
    assert main(["export", "last", "--format", "csv"]) == 2


def test_export_writes_each_format(
    two_sessions: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fit_path = tmp_path / "s.fit"
    assert main(["export", "1", "--format", "fit", "-o", str(fit_path)]) == 0
    with fitdecode.FitReader(str(fit_path), check_crc=fitdecode.CrcCheck.ENABLED) as reader:
        laps = [f for f in reader if isinstance(f, fitdecode.FitDataMessage) and f.name == "lap"]
    assert len(laps) == len(ALTERNATING)
    assert main(["export", "last", "--format", "csv", "-o", "-"]) == 0
    assert capsys.readouterr().out.startswith("time_utc,t_s,bout,direction")


def test_export_default_file_name(
    two_sessions: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert main(["export", "2", "--format", "tcx"]) == 0
    (written,) = tmp_path.glob("treadctl-2-*.tcx")
    assert written.read_text().startswith("<?xml")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "newer treadctl"),  # a file written by a later schema
        (b"not a database at all, just some bytes" * 200, "cannot be read"),
    ],
)
@pytest.mark.parametrize(
    "argv",
    [["history"], ["history", "show", "last"], ["export", "last", "--format", "csv"], ["progress"]],
)
def test_an_unreadable_database_is_a_clear_error_not_a_traceback(
    isolated_home: Path,
    capsys: pytest.CaptureFixture[str],
    content: bytes | None,
    message: str,
    argv: list[str],
) -> None:
    import sqlite3

    path = db.default_db_path()
    path.parent.mkdir(parents=True)
    if content is None:
        raw = sqlite3.connect(path)
        raw.execute(f"PRAGMA user_version = {db.SCHEMA_VERSION + 1}")
        raw.close()
    else:
        path.write_bytes(content)
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("treadctl: ") and message in err and "Traceback" not in err
