"""Effort (RPE) and knee-pain check-ins, read from the history's ``checkins`` table if present.

The table is written by the heart-rate and check-in feature; this reader depends only on its
shape: a ``session_id`` column, an effort column (its name contains ``rpe`` or ``effort``) and a
knee-pain column (its name contains ``pain``). A session with several check-ins (before and after,
say) is reported with its last one, which is how the walker felt when the session was over. No
table, or no such columns: no check-ins recorded.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

TABLE = "checkins"


@dataclass(frozen=True)
class CheckIn:
    session_id: int
    effort_rpe: float | None
    knee_pain: float | None


def _column(columns: list[str], *needles: str) -> str | None:
    for name in columns:
        if any(needle in name.lower() for needle in needles):
            return name
    return None


def read_checkins(conn: sqlite3.Connection) -> dict[int, CheckIn] | None:
    """The last check-in of each session, or None when no check-ins table exists."""
    columns = [str(row[1]) for row in conn.execute(f"PRAGMA table_info({TABLE})")]
    if "session_id" not in columns:
        return None
    effort = _column(columns, "rpe", "effort")
    pain = _column(columns, "pain")
    if effort is None and pain is None:
        return None
    picked = ", ".join(f'"{name}"' if name else "NULL" for name in (effort, pain))
    rows = conn.execute(f'SELECT session_id, {picked} FROM "{TABLE}" ORDER BY rowid')
    found: dict[int, CheckIn] = {}
    for session_id, effort_value, pain_value in rows:
        previous = found.get(int(session_id))
        found[int(session_id)] = CheckIn(
            int(session_id),
            _number(effort_value, previous.effort_rpe if previous else None),
            _number(pain_value, previous.knee_pain if previous else None),
        )
    return found


def _number(value: object, fallback: float | None) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return float(value)
    return fallback
