"""Speech off the event loop: one worker thread runs the speech program, a sentence at a time.

The session's loop only appends to a queue (never waits for a child process). An urgent cue (a
stop, an alarm) empties the queue and cuts off the sentence being spoken, so the newest alarm is
heard first; an alarm then repeats every ``repeat_alarm_s`` until it is cleared.
"""

from __future__ import annotations

import contextlib
import logging
import subprocess
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence

log = logging.getLogger(__name__)

ArgvFor = Callable[[str], Sequence[str]]
SAY_TIMEOUT_S = 30.0  # one sentence never takes longer; a hung program is killed


class Speaker:
    def __init__(
        self,
        argv_for: ArgvFor,
        *,
        repeat_alarm_s: float = 6.0,
        on_failure: Callable[[str], None] | None = None,
    ) -> None:
        self._argv_for = argv_for
        self._repeat_alarm_s = repeat_alarm_s
        self._on_failure = on_failure
        self._queue: deque[str] = deque()
        self._alarm: str | None = None
        self._alarm_said_at = 0.0
        self._current: subprocess.Popen[bytes] | None = None
        self._busy = False
        self._closing = False
        self._failed = False
        self._finish_when_idle = False
        self._lock = threading.Condition()
        self.said: list[str] = []  # every sentence the program finished (for tests and logs)
        self._thread = threading.Thread(target=self._run, name="treadctl-voice", daemon=True)
        self._thread.start()

    @property
    def working(self) -> bool:
        """False once the speech program could not be started."""
        return not self._failed

    def say(self, text: str, *, urgent: bool = False) -> None:
        with self._lock:
            if urgent:
                self._queue.clear()
                self._cut_off()
            self._queue.append(text)
            self._lock.notify()

    def raise_alarm(self, text: str) -> None:
        """Say ``text`` now, and again every ``repeat_alarm_s`` until ``clear_alarm``."""
        with self._lock:
            self._alarm = text
            self._alarm_said_at = 0.0
            self._queue.clear()
            self._cut_off()
            self._lock.notify()

    def clear_alarm(self) -> None:
        with self._lock:
            self._alarm = None
            self._lock.notify()

    def close(self, drain_s: float = 5.0, *, wait: bool = True) -> None:
        """Let what is queued be said (at most ``drain_s``), then stop the worker. ``wait``
        False returns at once: the worker says what is queued, then ends (a screen that stays
        open after the session, so the end is heard without holding up the screen)."""
        if not wait:
            with self._lock:
                self._alarm = None
                self._finish_when_idle = True
                self._lock.notify_all()
            return
        deadline = time.monotonic() + drain_s
        with self._lock:
            self._alarm = None
            while (self._queue or self._busy) and not self._failed:
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                self._lock.wait(left)
            self._closing = True
            self._queue.clear()
            self._cut_off()
            self._lock.notify_all()
        self._thread.join(timeout=2.0)

    def _cut_off(self) -> None:
        current = self._current
        if current is not None and current.poll() is None:
            with contextlib.suppress(OSError):
                current.terminate()

    def _next(self) -> str | None:
        """The next sentence, waiting for one; None when closing."""
        with self._lock:
            while not self._closing:
                if self._finish_when_idle and not self._queue and self._alarm is None:
                    return None
                if self._alarm is not None:
                    now = time.monotonic()
                    due = self._alarm_said_at + self._repeat_alarm_s
                    if not self._queue and now >= due:
                        self._alarm_said_at = now
                        self._busy = True
                        return self._alarm
                if self._queue:
                    self._busy = True
                    return self._queue.popleft()
                timeout = None
                if self._alarm is not None:
                    timeout = max(0.05, self._alarm_said_at + self._repeat_alarm_s - now)
                self._lock.wait(timeout)
            return None

    def _run(self) -> None:
        while True:
            text = self._next()
            if text is None:
                return
            try:
                self._speak(text)
            finally:
                with self._lock:
                    self._busy = False
                    self._current = None
                    self._lock.notify_all()

    def _speak(self, text: str) -> None:
        if self._failed:
            return
        try:
            process = subprocess.Popen(
                list(self._argv_for(text)),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,
            )
        except OSError as error:
            self._failed = True
            log.warning("the speech program could not start: %s", error)
            if self._on_failure is not None:
                self._on_failure(f"voice: the speech program could not start ({error})")
            return
        with self._lock:
            self._current = process
        try:
            code = process.wait(timeout=SAY_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
            return
        if code == 0:
            self.said.append(text)
