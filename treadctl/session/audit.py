"""The audit log: every session event as one JSON line (safety rule 8).

Every decision is flushed as it is written, so the log survives a crash or a killed process.
Writing is synchronous on purpose: the order in the file is the order of decisions.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from datetime import datetime
from operator import attrgetter
from pathlib import Path
from typing import IO

from treadctl.events import EventBus, SessionEnded, SessionEvent, Telemetry, body_field_names

log = logging.getLogger(__name__)

AUDIT_FILE_NAME = "audit.jsonl"
# What json.dumps(obj, separators=(",", ":")) builds on every call, built once.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _data_template() -> str:
    """``'{"t":%s,"kind":"data","speed_kmh":%s,...}\n'``: a Telemetry line with a ``%s`` per
    value, keys in ``to_json``'s order (from the event's fields, so the two cannot drift)."""
    keys = ("t", "kind", *body_field_names(Telemetry))
    body = {key: ("%s" if key != "kind" else Telemetry.kind) for key in keys}
    return _ENCODER.encode(body).replace('"%s"', "%s") + "\n"


_DATA_LINE = _data_template()
_DATA_VALUES = attrgetter(*body_field_names(Telemetry))
_FLOAT_REPR = float.__repr__
_INT_REPR = int.__repr__


def _data_line(event: Telemetry) -> str | None:
    """``_ENCODER.encode(event.to_json()) + "\n"`` for a data event whose time is an int or
    finite float and whose values are None, int or finite float (every one, in practice), else
    None: about 4,000 lines an hour, and this skips building the dict and the general encoder.
    Floats are rounded to 3 places as ``to_json`` does and written with ``float.__repr__`` as
    the encoder does; ints with ``int.__repr__``; None as ``null``."""
    t = event.t_s
    if t.__class__ is float:
        t = round(t, 3)
        if t - t != 0.0:  # inf or nan: the encoder's spelling, not repr's
            return None
        texts = [_FLOAT_REPR(t)]
    elif t.__class__ is int:
        texts = [_INT_REPR(t)]
    else:
        return None
    append = texts.append
    for value in _DATA_VALUES(event):
        kind = value.__class__
        if kind is float:
            value = round(value, 3)
            if value - value != 0.0:
                return None
            append(_FLOAT_REPR(value))
        elif kind is int:
            append(_INT_REPR(value))
        elif value is None:
            append("null")
        else:
            return None
    return _DATA_LINE % tuple(texts)


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
        line = _data_line(event) if type(event) is Telemetry else None
        self._file.write(line or _ENCODER.encode(event.to_json()) + "\n")
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
