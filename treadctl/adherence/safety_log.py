"""Every safety stop and fault of a session, from its audit log (one folder per session).

The history keeps how each session ended; the audit log keeps every safety event, alarm and link
loss with its reason. A session's audit folder is ``<data>/sessions/<local start>-<profile>``,
created just before the session's clock starts, so it is matched by profile and the nearest start
time within ``MATCH_WINDOW_S``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from treadctl.history.db import SessionRecord

MATCH_WINDOW_S = 120.0
_KINDS = {"safety", "alarm", "link"}


@dataclass(frozen=True)
class SafetyRecord:
    session_id: int
    started_at: datetime  # the session's
    t_s: float | None  # session time of the event; None for the session's ending
    kind: str  # safety, alarm, link, end
    reason: str
    message: str


def _safe(profile_name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in profile_name) or "session"


def _folders(sessions_dir: Path) -> list[tuple[datetime, str, Path]]:
    found: list[tuple[datetime, str, Path]] = []
    if not sessions_dir.is_dir():
        return found
    for folder in sessions_dir.iterdir():
        stamp, _, rest = folder.name.partition("-")
        clock, _, profile = rest.partition("-")
        try:
            started = datetime.strptime(f"{stamp}-{clock}", "%Y%m%d-%H%M%S").astimezone()
        except ValueError:
            continue
        found.append((started, profile, folder))
    return found


def _same_profile(folder_part: str, safe: str) -> bool:
    """``Retro-10`` and ``Retro-10-2`` (the second session started in the same second)."""
    if folder_part == safe:
        return True
    head, _, tail = folder_part.rpartition("-")
    return head == safe and tail.isdigit()


def audit_paths(sessions: list[SessionRecord], sessions_dir: Path) -> dict[int, Path]:
    """The audit log of each session that has one."""
    folders = _folders(sessions_dir)
    used: set[Path] = set()
    matched: dict[int, Path] = {}
    for session in sorted(sessions, key=lambda s: s.started_at):
        safe = _safe(session.profile_name)
        best: tuple[float, Path] | None = None
        for started, base, folder in folders:
            if folder in used or not _same_profile(base, safe):
                continue
            gap_s = abs((started - session.started_at) / timedelta(seconds=1))
            if gap_s <= MATCH_WINDOW_S and (best is None or gap_s < best[0]):
                best = (gap_s, folder)
        if best is not None:
            path = best[1] / "audit.jsonl"
            if path.is_file():
                used.add(best[1])
                matched[session.id] = path
    return matched


def read_events(path: Path, session: SessionRecord) -> list[SafetyRecord]:
    records: list[SafetyRecord] = []
    try:
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return records
    for line in lines:
        if '"kind":"data"' in line:
            continue
        try:
            event = json.loads(line)
        except ValueError:
            continue
        kind = event.get("kind") if isinstance(event, dict) else None
        if kind not in _KINDS:
            continue
        if kind == "link" and event.get("event") == "connected":
            continue
        if kind == "alarm" and event.get("active") is False:
            continue
        reason = str(event.get("reason") or event.get("event") or "")
        message = str(event.get("message") or event.get("reason") or "")
        t_s = event.get("t")
        records.append(
            SafetyRecord(
                session.id,
                session.started_at,
                float(t_s) if isinstance(t_s, int | float) else None,
                str(kind),
                reason,
                message,
            )
        )
    return records


def safety_records(sessions: list[SessionRecord], sessions_dir: Path) -> list[SafetyRecord]:
    """Audit-log events of every session, plus each session that did not complete (its end
    status and reason from the history), oldest first."""
    paths = audit_paths(sessions, sessions_dir)
    records: list[SafetyRecord] = []
    for session in sorted(sessions, key=lambda s: s.started_at):
        path = paths.get(session.id)
        if path is not None:
            records.extend(read_events(path, session))
        if session.end_status != "completed":
            records.append(
                SafetyRecord(
                    session.id,
                    session.started_at,
                    None,
                    f"end: {session.end_status}",
                    session.end_reason,
                    session.end_reason,
                )
            )
    return records
