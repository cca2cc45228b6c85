"""The audit log's folder: one per session, never shared."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from treadctl.session.audit import new_session_dir


def test_sessions_started_in_the_same_second_get_their_own_folders(isolated_home: Path) -> None:
    started = datetime(2026, 11, 21, 9, 30, 0)
    first = new_session_dir("Alternating 30", started)
    second = new_session_dir("Alternating 30", started)
    assert first != second
    assert first.is_dir() and second.is_dir()
    assert first.name == "20261121-093000-Alternating-30"
    assert second.name == "20261121-093000-Alternating-30-2"
    assert first.parent == isolated_home / "data" / "sessions"
