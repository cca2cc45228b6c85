"""The session history as the start screen reads it: without creating or changing the database.

Looking at the history must never be what creates the file, migrates it or takes a write lock
(a session may be recording in another treadctl). So a missing file is simply "no sessions", and
an existing one is opened read-only; only a file from an older treadctl, which cannot be read
before it is migrated, goes through ``db.connect`` as the commands do. Every failure is a
``HistoryError`` with a one-line message the screens show instead of crashing.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

from treadctl.history import db, report
from treadctl.history.db import HistoryError, SessionRecord
from treadctl.history.progress import ProgramPlan, Progress, compute, find_active


class HistoryReader:
    """Sessions, one session in detail, and progress against the active program.

    ``path`` defaults to the user's history database, ``plans`` to every program that loads and
    ``today`` to now; tests pass fixed ones."""

    def __init__(
        self,
        path: Path | None = None,
        *,
        plans: Callable[[], Sequence[ProgramPlan]] | None = None,
        today: Callable[[], datetime] = db.now_utc,
    ) -> None:
        self.path = path
        self._plans = plans
        self._today = today

    def sessions(self, *, limit: int | None = None) -> list[SessionRecord]:
        """Newest first; raises HistoryError."""
        with self._reading() as conn:
            return [] if conn is None else db.list_sessions(conn, limit=limit)

    def detail(self, session_id: int) -> report.SessionDetail | None:
        """One session with its bouts and samples (None if it is gone); raises HistoryError."""
        with self._reading() as conn:
            session = None if conn is None else db.get_session(conn, session_id)
            if conn is None or session is None:
                return None
            return report.detail(
                session, db.get_laps(conn, session_id), db.get_samples(conn, session_id)
            )

    def progress(self, sessions: Sequence[SessionRecord]) -> Progress | None:
        """Progress against the active program, as ``treadctl progress`` picks it (simulated
        sessions not counted); None when there is no active program."""
        if self._plans is not None:
            plans = list(self._plans())
        else:
            from treadctl.history.program_plan import all_plans

            plans = all_plans()
        plan = find_active(sessions, plans, include_simulated=False)
        if plan is None:
            return None
        checkins, max_pain, max_effort = self._checkins()
        return compute(
            plan,
            sessions,
            today=self._today(),
            checkins=checkins,
            max_pain=max_pain,
            max_effort=max_effort,
        )

    def _checkins(self) -> tuple[dict[int, Any], int, int]:
        """Check-ins (read-only: a missing table is none) and the configured limits, so the
        screen holds a week back exactly as ``treadctl progress`` does."""
        from treadctl.checkins.config import CheckinConfig
        from treadctl.history.checkins import all_checkins

        limits = CheckinConfig()
        try:
            from treadctl.config import load_config

            limits = load_config().config.checkins
        except Exception:  # a broken configuration is reported where it is used, not here
            pass
        with self._reading() as conn:
            checkins = {} if conn is None else all_checkins(conn)
        return checkins, limits.max_pain, limits.max_effort

    @contextmanager
    def _reading(self) -> Iterator[sqlite3.Connection | None]:
        path = self.path if self.path is not None else db.default_db_path()
        if not path.exists():
            yield None
            return
        conn = _open_read_only(path)
        try:
            yield conn
        except sqlite3.DatabaseError as error:
            raise _unreadable(path, error) from None
        finally:
            conn.close()


def _open_read_only(path: Path) -> sqlite3.Connection:
    try:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=db.BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
        )
    except sqlite3.Error as error:
        raise HistoryError(f"cannot open the history database {path}: {error}") from None
    try:
        conn.row_factory = sqlite3.Row
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        if version < db.SCHEMA_VERSION:
            conn.close()
            return db.connect(path)  # an older file: brought up to date as the commands do
        db.migrate(conn)  # at the current version a no-op; a newer file raises HistoryError
    except HistoryError:
        conn.close()
        raise
    except sqlite3.DatabaseError as error:
        conn.close()
        raise _unreadable(path, error) from None
    return conn


def _unreadable(path: Path, error: sqlite3.DatabaseError) -> HistoryError:
    """The same words as ``db.connect``: a passing lock is not a reason to move the file."""
    advice = "" if isinstance(error, sqlite3.OperationalError) else "; move it aside"
    return HistoryError(f"the history database {path} cannot be read ({error}){advice}")
