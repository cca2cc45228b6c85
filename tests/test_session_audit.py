"""The audit log: one folder per session, never shared, and data lines that take the fast path
written exactly as the general encoder writes them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

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


_MAYBE_FLOAT = st.none() | st.floats(allow_nan=True, allow_infinity=True) | st.integers(-5, 10**6)


@given(
    t_s=st.floats(allow_nan=True, allow_infinity=True) | st.integers(0, 10**6),
    speed=_MAYBE_FLOAT,
    incline=_MAYBE_FLOAT,
    distance=_MAYBE_FLOAT,
    energy=_MAYBE_FLOAT,
    bpm=st.none() | st.integers(0, 255),
    elapsed=st.none() | st.integers(0, 65535),
)
def test_the_data_line_fast_path_writes_what_the_general_encoder_writes(
    t_s: float,
    speed: float,
    incline: float,
    distance: float,
    energy: float,
    bpm: int | None,
    elapsed: int | None,
) -> None:
    """The audit log's fast path for data lines (a template derived from ``Telemetry``'s fields)
    either declines or gives the general encoder's line, byte for byte."""
    from treadctl.events import Telemetry
    from treadctl.session import audit

    event = Telemetry(t_s, speed, incline, distance, energy, bpm, elapsed)
    wall = "2026-12-02T01:30:05.123Z"
    fast = audit._data_line(event, wall)
    assert fast is None or fast == audit._line(event, wall)
