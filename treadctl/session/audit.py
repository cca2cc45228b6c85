"""The audit log: every session event as one JSON line (safety rule 8).

Each line carries the session time ``t`` and the wall-clock time ``wall`` (ISO 8601 UTC with
milliseconds), so the length of a link outage (when session time stands still) can be read off
the log. The bus listener only formats the line, in the order of decisions, and hands it to a
writer thread (``treadctl.history.sink_thread``): a slow or full disk never stalls the session.
The thread writes whole lines straight to the file (no user-space buffer, so a killed process
loses at most the lines of the last few milliseconds). A write the disk cannot take in full is cut
back to the last whole line and retried once space returns: the file never holds a partial line.
"""

from __future__ import annotations

import errno
import json
import logging
import os
import time
from collections.abc import Callable
from datetime import datetime
from operator import attrgetter
from pathlib import Path

from treadctl.events import EventBus, SessionEnded, SessionEvent, Telemetry, body_field_names
from treadctl.history.sink_status import ProblemReporter
from treadctl.history.sink_thread import SinkReport, SinkThread

log = logging.getLogger(__name__)

AUDIT_FILE_NAME = "audit.jsonl"
# What json.dumps(obj, separators=(",", ":")) builds on every call, built once.
_ENCODER = json.JSONEncoder(separators=(",", ":"))


def _data_template() -> str:
    """``'{"t":%s,"wall":"%s","kind":"data","speed_kmh":%s,...}\n'``: a Telemetry line with a
    ``%s`` per value, keys in ``to_json``'s order (from the event's fields: they cannot drift)."""
    keys = ("t", "wall", "kind", *body_field_names(Telemetry))
    body = {key: ("%s" if key != "kind" else Telemetry.kind) for key in keys}
    return _ENCODER.encode(body).replace('"%s"', "%s").replace('"wall":%s', '"wall":"%s"') + "\n"


_DATA_LINE = _data_template()
_DATA_VALUES = attrgetter(*body_field_names(Telemetry))
_FLOAT_REPR = float.__repr__
_INT_REPR = int.__repr__


def _data_line(event: Telemetry, wall: str) -> str | None:
    """``_line(event, wall)`` for a data event whose time is an int or
    finite float and whose values are None, int or finite float (every one, in practice), else
    None: about 4,000 lines an hour, and this skips building the dict and the general encoder.
    Floats are rounded to 3 places as ``to_json`` does and written with ``float.__repr__`` as
    the encoder does; ints with ``int.__repr__``; None as ``null``."""
    t = event.t_s
    if t.__class__ is float:
        t = round(t, 3)
        if t - t != 0.0:  # inf or nan: the encoder's spelling, not repr's
            return None
        texts = [_FLOAT_REPR(t), wall]
    elif t.__class__ is int:
        texts = [_INT_REPR(t), wall]
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


class _WallClock:
    """``2026-12-01T21:30:05.123Z``: wall-clock time for each line, the second's text cached."""

    def __init__(self, now_s: Callable[[], float] = time.time) -> None:
        self._now_s = now_s
        self._second = -1
        self._prefix = ""

    def __call__(self) -> str:
        now_s = self._now_s()
        second = int(now_s)
        if second != self._second:
            self._second = second
            self._prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(second))
        return f"{self._prefix}.{int((now_s - second) * 1000):03d}Z"


def _line(event: SessionEvent, wall: str) -> str:
    """The general form: ``to_json`` with ``wall`` put between ``t`` and ``kind``."""
    body = event.to_json()
    return _ENCODER.encode({"t": body.pop("t"), "wall": wall, **body}) + "\n"


class LineFile:
    """A ``BatchTarget`` for whole text lines: a file descriptor, no user-space buffer.

    ``write`` puts as many whole lines as the disk takes; when a write is cut short (ENOSPC, an
    I/O error) the file is truncated back to the end of the last whole line, so it never holds a
    partial one, and the error is raised for the writer thread to retry later."""

    CHUNK_BYTES = 1 << 16

    def __init__(self, path: Path) -> None:
        self.path = path
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fd: int | None = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        self._offset = 0  # end of the last whole line written

    def write(self, items: list[str]) -> int:
        done = 0
        while done < len(items):
            chunk: list[str] = []
            size = 0
            for line in items[done:]:
                if chunk and size + len(line) > self.CHUNK_BYTES:
                    break
                chunk.append(line)
                size += len(line)
            self._write_whole("".join(chunk).encode("utf-8"))
            done += len(chunk)
        return done

    def _write_whole(self, data: bytes) -> None:
        fd = self._fd
        if fd is None:
            raise OSError(errno.EBADF, "the audit log is closed")
        view = memoryview(data)
        written = 0
        try:
            while written < len(data):
                n = os.write(fd, view[written:])
                if n <= 0:
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
                written += n
        except OSError:
            self._cut_back()
            raise
        self._offset += written

    def _cut_back(self) -> None:
        """Drop a partly written chunk (the file ends at a whole line again)."""
        if self._fd is None:
            return
        try:
            os.ftruncate(self._fd, self._offset)
            os.lseek(self._fd, self._offset, os.SEEK_SET)
        except OSError as error:  # pragma: no cover - truncating frees space; it does not fail
            log.warning("could not cut the audit log back to its last whole line: %s", error)

    def close(self) -> None:
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None


def describe_os_error(error: BaseException) -> str:
    if isinstance(error, OSError) and error.errno == errno.ENOSPC:
        return "the disk is full"
    if isinstance(error, OSError) and error.strerror:
        return error.strerror.lower()
    return str(error) or type(error).__name__


class AuditLog:
    """A bus listener writing JSON lines to ``path`` through a writer thread.

    ``lines`` counts the lines handed to the writer; ``close`` (also on ``SessionEnded``) writes
    what is left and returns a ``SinkReport`` saying what, if anything, could not be written."""

    def __init__(
        self,
        path: Path,
        *,
        reporter: ProblemReporter | None = None,
        wall_now_s: Callable[[], float] = time.time,
        max_lines: int | None = None,
        retry_s: float = 1.0,
        target: Callable[[Path], LineFile] = LineFile,
    ) -> None:
        self.path = path
        file = target(path)  # opened here: an unwritable folder is an error before the session
        self._reporter = reporter or ProblemReporter("audit", f"the audit log {path}")
        extra = {} if max_lines is None else {"max_items": max_lines}
        self._writer: SinkThread[str] | None = SinkThread(
            "audit log",
            lambda: file,
            on_problem=self._reporter,
            describe_error=describe_os_error,
            retry_s=retry_s,
            **extra,
        )
        self._wall = _WallClock(wall_now_s)
        self._unsubscribe: Callable[[], None] | None = None
        self.lines = 0
        self.report: SinkReport | None = None

    def attach(self, bus: EventBus) -> AuditLog:
        self._unsubscribe = bus.subscribe(self)
        return self

    def __call__(self, event: SessionEvent) -> None:
        writer = self._writer
        if writer is None:
            return
        try:
            wall = self._wall()
            line = _data_line(event, wall) if type(event) is Telemetry else None
            # Decisions are never refused; only data records give way when the queue is full.
            writer.put(line or _line(event, wall), droppable=type(event) is Telemetry)
            self.lines += 1
        except Exception:  # an event that cannot be encoded must not stop the session
            log.exception("the audit log could not encode %s", event.kind)
        if isinstance(event, SessionEnded):
            self._stop_listening()
            writer.finish()  # the thread writes the rest and ends; close() collects the report

    def flush(self, timeout_s: float = 5.0) -> bool:
        """Wait until every line so far is in the file (tests, tools)."""
        return self._writer is None or self._writer.wait_idle(timeout_s)

    def finish(self) -> None:
        """Stop listening and let the writer write what is left and end (does not wait)."""
        self._stop_listening()
        if self._writer is not None:
            self._writer.finish()

    def _stop_listening(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None

    def close(self, timeout_s: float = 10.0) -> SinkReport | None:
        """Write what is left (waiting at most ``timeout_s``) and close the file."""
        self._stop_listening()
        if self._writer is not None:
            self.report = self._writer.close(timeout_s)
            self._writer = None
        return self.report


def read_audit(path: Path) -> list[dict[str, object]]:
    """The events of an audit log (for tests and tools)."""
    with path.open(encoding="utf-8") as file:
        return [json.loads(line) for line in file if line.strip()]
