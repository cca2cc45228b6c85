"""When check-ins are asked and stored: the morning-after pain before a run, effort and pain
after it. Headless runs take them from ``--effort``, ``--pain`` and ``--morning-pain`` or skip
them; the terminal UI asks (unless ``[checkins] ask = false``). Never fails a run."""

from __future__ import annotations

import logging
import sys
from dataclasses import dataclass
from typing import Any

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class CheckinAnswers:
    effort_rpe: int | None = None
    knee_pain: int | None = None
    morning_pain: int | None = None


def _answers(wired: Any) -> CheckinAnswers:
    given = getattr(wired.options, "checkin", None)
    return given if isinstance(given, CheckinAnswers) else CheckinAnswers()


def _ask_in_ui(wired: Any) -> bool:
    return not wired.options.headless and bool(wired.config.checkins.ask)


def before_session(wired: Any) -> None:
    """Knee pain the morning after the previous session, stored on that session."""
    from treadctl.checkins import store
    from treadctl.history import db

    answers = _answers(wired)
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
        if morning is None and _ask_in_ui(wired) and _a_morning_since(conn, previous):
            existing = store.get(conn, previous)
            if existing is None or existing.morning_pain is None:
                morning = _prompt_morning(wired)
        if morning is not None:
            store.save(conn, previous, morning_pain=morning)
            print(f"check-in: knee pain {morning}/10 the morning after session {previous}")
    except Exception as error:
        log.warning("the morning check-in could not be saved: %s", error)
    finally:
        conn.close()


def _a_morning_since(conn: Any, session_id: int) -> bool:
    """The previous session was on an earlier day (local time): there has been a morning after
    it to ask about. A second session the same day is not asked."""
    from treadctl.history import db

    session = db.get_session(conn, session_id)
    if session is None:
        return False
    return session.started_at.astimezone().date() < db.now_utc().astimezone().date()


def after_session(wired: Any, ended: Any) -> None:
    """Effort and knee pain for the session that just ended."""
    from treadctl.checkins import store
    from treadctl.history import db

    recorder = getattr(wired, "recorder", None)
    session_id = getattr(recorder, "session_id", None)
    if session_id is None:
        return
    answers = _answers(wired)
    effort, pain = answers.effort_rpe, answers.knee_pain
    if effort is None and pain is None and _ask_in_ui(wired) and sys.stdin.isatty():
        effort, pain = _prompt_after(wired)
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


def _prompt_morning(wired: Any) -> int | None:
    try:
        from treadctl.tui.checkin import ask_morning_pain
    except ImportError:
        return None
    return ask_morning_pain()


def _prompt_after(wired: Any) -> tuple[int | None, int | None]:
    try:
        from treadctl.tui.checkin import ask_effort_and_pain
    except ImportError:
        return None, None
    return ask_effort_and_pain()
