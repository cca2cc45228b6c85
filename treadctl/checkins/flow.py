"""When check-ins are asked and stored: the morning-after pain before a run, effort and pain
after it. Headless runs take them from ``--effort``, ``--pain`` and ``--morning-pain`` or skip
them; the terminal UI asks (unless ``[checkins] ask = false``). Never fails a run."""

from __future__ import annotations

import logging
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import dataclass

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckinAnswers:
    effort_rpe: int | None = None
    knee_pain: int | None = None
    morning_pain: int | None = None


@dataclass(frozen=True)
class CheckinPrompts:
    """How to ask on a screen. The composition root passes the terminal UI's questions, or
    None for a run that must not ask (headless, or ``[checkins] ask = false``)."""

    morning_pain: Callable[[], int | None]
    effort_and_pain: Callable[[], tuple[int | None, int | None]]


def before_session(answers: CheckinAnswers, prompts: CheckinPrompts | None) -> None:
    """Knee pain the morning after the previous session, stored on that session."""
    from treadctl.history import checkins as store
    from treadctl.history import db

    try:
        conn = db.connect()
    except Exception as error:
        log.warning("check-ins are off: %s", error)
        return
    try:
        previous = db.latest_session_id(conn)
        if previous is None:
            return
        morning = answers.morning_pain
        if morning is None and prompts is not None and _a_morning_since(conn, previous):
            existing = store.get(conn, previous)
            if existing is None or existing.morning_pain is None:
                morning = prompts.morning_pain()
        if morning is not None:
            store.save(conn, previous, morning_pain=morning)
            print(f"check-in: knee pain {morning}/10 the morning after session {previous}")
    except Exception as error:
        log.warning("the morning check-in could not be saved: %s", error)
    finally:
        conn.close()


def _a_morning_since(conn: sqlite3.Connection, session_id: int) -> bool:
    """The previous session was on an earlier day (local time): there has been a morning after
    it to ask about. A second session the same day is not asked."""
    from treadctl.history import db

    session = db.get_session(conn, session_id)
    if session is None:
        return False
    return session.started_at.astimezone().date() < db.now_utc().astimezone().date()


def after_session(
    session_id: int | None, answers: CheckinAnswers, prompts: CheckinPrompts | None
) -> None:
    """Effort and knee pain for the session that just ended (``session_id`` None: it was not
    recorded, so there is nothing to attach them to)."""
    from treadctl.history import checkins as store
    from treadctl.history import db

    if session_id is None:
        return
    effort, pain = answers.effort_rpe, answers.knee_pain
    if effort is None and pain is None and prompts is not None and sys.stdin.isatty():
        effort, pain = prompts.effort_and_pain()
    if effort is None and pain is None:
        return
    try:
        conn = db.connect()
        try:
            saved = store.save(conn, session_id, effort_rpe=effort, knee_pain=pain)
        finally:
            conn.close()
    except Exception as error:
        log.warning("the check-in could not be saved: %s", error)
        return
    print(f"check-in for session {session_id}: {saved.describe()}")
