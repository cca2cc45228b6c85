"""Whether a week's check-ins let the program move on, and why not.

A week whose goal is met moves the walker on only if, for each of its sessions that has
check-ins: knee pain after it was at most ``max_pain``, the pain the morning after was not worse
than right after, and the effort was at most ``max_effort``. Sessions without check-ins (skipped)
hold nothing back: the rule judges what the walker said, never what they did not.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from treadctl.history.checkins import Checkin
from treadctl.history.db import SessionRecord


def hold_reason(
    sessions: Sequence[SessionRecord],
    checkins: Mapping[int, Checkin],
    *,
    max_pain: int = 5,
    max_effort: int = 6,
) -> str | None:
    """Why this week is held back, in words; None when it is not."""
    for session in sessions:
        c = checkins.get(session.id)
        if c is None:
            continue
        day = session.started_at.astimezone().strftime("%a %d %b")
        if c.knee_pain is not None and c.knee_pain > max_pain:
            return f"knee pain {c.knee_pain}/10 after the session of {day} is above {max_pain}"
        if c.morning_pain is not None and c.knee_pain is not None and c.morning_pain > c.knee_pain:
            return (
                f"knee pain was worse the morning after the session of {day} "
                f"({c.knee_pain} → {c.morning_pain}/10)"
            )
        if c.morning_pain is not None and c.morning_pain > max_pain:
            return f"knee pain {c.morning_pain}/10 the morning after {day} is above {max_pain}"
        if c.effort_rpe is not None and c.effort_rpe > max_effort:
            return f"effort {c.effort_rpe}/10 in the session of {day} is above {max_effort}"
    return None
