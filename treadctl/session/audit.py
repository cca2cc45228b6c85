"""The audit log: every session event as one JSON line (safety rule 8).

Every decision is flushed as it is written, so the log survives a crash or a killed process.
Writing is synchronous on purpose: the order in the file is the order of decisions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import IO

from treadctl.events import EventBus, SessionEnded, SessionEvent, Telemetry

log = logging.getLogger(__name__)

AUDIT_FILE_NAME = "audit.jsonl"
# What json.dumps(obj, separators=(",", ":")) builds on every call, built once.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def new_session_dir(profile_name: str, started: datetime | None = None) -> Path:
    """Create ``<data dir>/sessions/<YYYYmmdd-HHMMSS>-<profile>``, one folder per session.

    The folder is created exclusively: two sessions started in the same second (two dry runs,
    a clinic running several treadmills) get ``-2``, ``-3``... rather than sharing, and
    overwriting, one audit log.
    """
    from treadctl.paths import data_dir

    stamp = (started or datetime.now()).strftime("%Y%m%d-%H%M%S")
    safe = "".join(c if c.isalnum() or c in "-_" else "-" for c in profile_name) or "session"
    sessions = data_dir() / "sessions"
    sessions.mkdir(parents=True, exist_ok=True)
    base = f"{stamp}-{safe}"
    for attempt in range(1, 1000):
        folder = sessions / (base if attempt == 1 else f"{base}-{attempt}")
        try:
            folder.mkdir()
        except FileExistsError:
            continue
        return folder
    raise FileExistsError(f"too many sessions named {base} in {sessions}")


class AuditLog:
    """A bus listener writing JSON lines to ``path``."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._file: IO[str] | None = path.open("w", encoding="utf-8")
        self._unsubscribe: Callable[[], None] | None = None
        self.lines = 0

    def attach(self, bus: EventBus) -> AuditLog:
        self._unsubscribe = bus.subscribe(self)
        return self

    def __call__(self, event: SessionEvent) -> None:
        if self._file is None:
            return
        self._file.write(_ENCODER.encode(event.to_json()) + "\n")
        # Telemetry is buffered; every decision (command, status, safety, ...) flushes the file,
        # so a crash loses at most a few seconds of data records, never a decision.
        if not isinstance(event, Telemetry):
            self._file.flush()
        self.lines += 1
        if isinstance(event, SessionEnded):
            self.close()

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._file is not None:
            self._file.close()
            self._file = None


def read_audit(path: Path) -> list[dict[str, object]]:
    """The events of an audit log (for tests and tools)."""
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]
