"""A writer thread behind a bounded queue: how the audit log and the history reach the disk.

The session's event loop must never wait for a disk, a database lock or a full file system
(safety rule 14), so a sink's bus listener only formats what it has to write and calls ``put``,
which never blocks and never raises. This thread does the I/O. A write that fails (disk full,
database locked, an I/O error) leaves nothing half-written (the target's contract) and keeps its
items: the thread says so once, retries every ``retry_s`` and catches up when the problem clears.
Memory stays bounded: past ``max_items`` waiting items new droppable ones (telemetry) are
refused and counted, so the end of the session can say exactly what was lost.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Generic, Protocol, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_MAX_ITEMS = 100_000  # about a day of samples, or hours of audit lines
DEFAULT_RETRY_S = 1.0
DEFAULT_BATCH_INTERVAL_S = 0.2  # write at most five times a second (a --fast run: big batches)


class BatchTarget(Protocol[T]):
    """Where a sink's items go. Runs on the writer thread only."""

    def write(self, items: list[T]) -> int:
        """Write ``items`` in order; return how many are now safely written (a prefix). Raise
        (or return fewer) on failure, leaving no partial item behind: the rest are retried."""
        ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class SinkReport:
    """What a sink did not manage to write, for the end of the session."""

    name: str
    written: int
    lost: int  # items refused or never written
    problem: str  # the last error, "" if none

    @property
    def complete(self) -> bool:
        return self.lost == 0


ProblemListener = Callable[[str | None], None]  # the problem in words, or None: cleared


class SinkThread(Generic[T]):
    """One thread and one bounded queue in front of a ``BatchTarget``."""

    def __init__(
        self,
        name: str,
        target_factory: Callable[[], BatchTarget[T]],
        *,
        max_items: int = DEFAULT_MAX_ITEMS,
        retry_s: float = DEFAULT_RETRY_S,
        batch_interval_s: float = DEFAULT_BATCH_INTERVAL_S,
        on_problem: ProblemListener | None = None,
        describe_error: Callable[[BaseException], str] = str,
    ) -> None:
        self.name = name
        self._target_factory = target_factory
        self._target: BatchTarget[T] | None = None
        self._max_items = max_items
        self._retry_s = retry_s
        self._batch_interval_s = batch_interval_s
        self._on_problem = on_problem
        self._describe_error = describe_error
        self._queue: deque[T] = deque()
        self._pending: list[T] = []  # taken from the queue, not yet written (thread only)
        self._wake = threading.Event()
        self._closing = threading.Event()
        self._idle = threading.Event()
        self._idle.set()
        self.written = 0
        self.refused = 0
        self.problem = ""  # the current problem, "" while writing works
        self.last_problem = ""
        self.first_attempt = threading.Event()  # set once the target was first opened (or not)
        self.open_error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name=f"sink-{name}", daemon=True)
        self._thread.start()

    # --- producer side (the session's loop) --------------------------------------------------

    def put(self, item: T, *, droppable: bool = True) -> bool:
        """Queue ``item``; never blocks, never raises. False: refused (the queue is full)."""
        if droppable and len(self._queue) + len(self._pending) >= self._max_items:
            self.refused += 1
            return False
        self._queue.append(item)  # deque.append is atomic under the GIL
        if not self._wake.is_set():
            self._wake.set()
        return True

    @property
    def waiting(self) -> int:
        return len(self._queue) + len(self._pending)

    def wait_idle(self, timeout_s: float) -> bool:
        """Block until everything queued so far is written (tests and ``close``)."""
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not self._queue and not self._pending and self._idle.is_set():
                return True
            self._wake.set()
            time.sleep(0.005)
        return not self._queue and not self._pending

    def finish(self) -> None:
        """Write what is left, then end the thread; does not wait (see ``close``)."""
        self._closing.set()
        self._wake.set()

    def close(self, timeout_s: float = 10.0) -> SinkReport:
        """Write what is left (retrying until ``timeout_s``), stop the thread, report losses."""
        self.finish()
        self._thread.join(timeout_s)
        lost = self.refused + len(self._queue) + len(self._pending)
        return SinkReport(self.name, self.written, lost, self.last_problem)

    # --- the writer thread -------------------------------------------------------------------

    def _main(self) -> None:
        try:
            self._run()
        except BaseException:  # pragma: no cover - a bug here must not take the process down
            log.exception("the %s writer stopped", self.name)
        finally:
            if self._target is not None:
                try:
                    self._target.close()
                except Exception as error:
                    log.warning("closing the %s failed: %s", self.name, error)

    def _open(self) -> bool:
        if self._target is None:
            try:
                self._target = self._target_factory()
                self.open_error = None
            except Exception as error:
                self.open_error = error
                raise
            finally:
                self.first_attempt.set()
        return True

    def _run(self) -> None:
        try:
            self._open()
        except Exception as error:  # reported when the first items fail to go out
            log.debug("opening the %s failed: %s", self.name, error)
        while True:
            self._wake.wait()
            self._idle.clear()
            self._wake.clear()
            self._take()
            if self._pending and not self._write_pending():
                # Keep the items; try again soon (also while closing: close() stops waiting at
                # its time budget, and a late success still lands before the process exits).
                time.sleep(self._retry_s)
                self._wake.set()
                continue
            if self._closing.is_set():
                if not self._queue:
                    return
                self._wake.set()
                continue
            if not self._queue:
                self._idle.set()
                if self._queue:  # raced with a put
                    self._idle.clear()
                    self._wake.set()
                    continue
            # Let a batch gather: a --fast session is thousands of items a second.
            self._closing.wait(self._batch_interval_s)

    def _take(self) -> None:
        queue, pending = self._queue, self._pending
        while queue:
            pending.append(queue.popleft())

    def _write_pending(self) -> bool:
        error: BaseException | None = None
        while self._pending:
            try:
                self._open()
                assert self._target is not None
                done = self._target.write(self._pending)
            except Exception as exc:  # any write error: keep the items, say so, retry
                done, error = 0, exc
            if done:
                del self._pending[:done]
                self.written += done
            if error is not None or not done:
                break
        if not self._pending and error is None:
            if self.problem:
                self.problem = ""
                self._report(None)
            return True
        text = self._describe_error(error) if error is not None else "a write was cut short"
        if text != self.problem:
            self.problem = text
            self.last_problem = text
            self._report(text)
        return False

    def _report(self, problem: str | None) -> None:
        if self._on_problem is None:
            return
        try:
            self._on_problem(problem)
        except Exception:
            log.exception("reporting a %s problem failed", self.name)
