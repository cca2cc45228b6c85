"""The ``checkins`` table: one row per session, created on first use.

Additive and migration-safe: ``CREATE TABLE IF NOT EXISTS`` in its own function, outside the
versioned migrations of ``treadctl.history.db`` (so it never changes ``user_version``, and a
database without the table reads as "no check-ins"). Rows go when their session goes.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from treadctl.history import db

SCHEMA = """
CREATE TABLE IF NOT EXISTS checkins (
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,
    effort_rpe INTEGER,     -- 0..10, after the session
    knee_pain INTEGER,      -- 0..10, after the session
    morning_pain INTEGER,   -- 0..10, the morning after
    updated_at TEXT NOT NULL
)
"""


@dataclass(frozen=True)
class Checkin:
    session_id: int
    effort_rpe: int | None = None
    knee_pain: int | None = None
    morning_pain: int | None = None

    @property
    def empty(self) -> bool:
        return self.effort_rpe is None and self.knee_pain is None and self.morning_pain is None

    def to_json(self) -> dict[str, int | None]:
        return {
            "effort_rpe": self.effort_rpe,
            "knee_pain": self.knee_pain,
            "morning_pain": self.morning_pain,
        }

    def describe(self) -> str:
        parts = []
        if self.effort_rpe is not None:
            parts.append(f"effort {self.effort_rpe}/10")
        if self.knee_pain is not None:
            parts.append(f"pain {self.knee_pain}/10")
        if self.morning_pain is not None:
            parts.append(f"next morning {self.morning_pain}/10")
        return ", ".join(parts)


def ensure_schema(conn: sqlite3.Connection) -> None:
    conn.execute(SCHEMA)


def save(
    conn: sqlite3.Connection,
    session_id: int,
    *,
    effort_rpe: int | None = None,
    knee_pain: int | None = None,
    morning_pain: int | None = None,
) -> Checkin:
    """Set the given answers (the others are kept) and return the row."""
    for name, value in (("effort", effort_rpe), ("pain", knee_pain), ("morning", morning_pain)):
        if value is not None and not 0 <= value <= 10:
            raise ValueError(f"{name} must be 0..10, got {value}")
    ensure_schema(conn)
    conn.execute(
        "INSERT INTO checkins (session_id, effort_rpe, knee_pain, morning_pain, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(session_id) DO UPDATE SET"
        " effort_rpe = COALESCE(excluded.effort_rpe, effort_rpe),"
        " knee_pain = COALESCE(excluded.knee_pain, knee_pain),"
        " morning_pain = COALESCE(excluded.morning_pain, morning_pain),"
        " updated_at = excluded.updated_at",
        (session_id, effort_rpe, knee_pain, morning_pain, db.now_utc().isoformat()),
    )
    found = get(conn, session_id)
    assert found is not None
    return found


def get(conn: sqlite3.Connection, session_id: int) -> Checkin | None:
    return all_checkins(conn, session_id).get(session_id)


def all_checkins(conn: sqlite3.Connection, session_id: int | None = None) -> dict[int, Checkin]:
    if not _has_table(conn):
        return {}
    sql = "SELECT session_id, effort_rpe, knee_pain, morning_pain FROM checkins"
    rows = (
        conn.execute(sql + " WHERE session_id = ?", (session_id,))
        if session_id is not None
        else conn.execute(sql)
    )
    return {int(r[0]): Checkin(int(r[0]), r[1], r[2], r[3]) for r in rows}


def _has_table(conn: sqlite3.Connection) -> bool:
    row = conn.execute(
        "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'checkins'"
    ).fetchone()
    return row is not None
