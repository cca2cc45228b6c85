"""Session time and bout time, both read from the running loop's ``time()``.

Session time freezes while the link is lost (the audit log and the UI count only connected time);
a bout's clock runs only while the belt is being driven through it (ramp and steady phases).
"""

from __future__ import annotations

import asyncio


class SessionClock:
    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._t0 = loop.time()
        self._frozen_since: float | None = None
        self._frozen_total_s = 0.0

    def now(self) -> float:
        """Seconds of session time."""
        at = self._frozen_since if self._frozen_since is not None else self._loop.time()
        return at - self._t0 - self._frozen_total_s

    @property
    def frozen(self) -> bool:
        return self._frozen_since is not None

    def freeze(self) -> None:
        if self._frozen_since is None:
            self._frozen_since = self._loop.time()

    def thaw(self) -> None:
        if self._frozen_since is not None:
            self._frozen_total_s += self._loop.time() - self._frozen_since
            self._frozen_since = None


class BoutTimer:
    """Elapsed time of one bout (or turn hold), counting only while running."""

    def __init__(self, duration_s: float) -> None:
        self.duration_s = duration_s
        self._elapsed_s = 0.0
        self._running_since: float | None = None

    def run(self, now: float) -> None:
        if self._running_since is None:
            self._running_since = now

    def hold(self, now: float) -> None:
        if self._running_since is not None:
            self._elapsed_s += now - self._running_since
            self._running_since = None

    @property
    def running(self) -> bool:
        return self._running_since is not None

    def elapsed_s(self, now: float) -> float:
        extra = now - self._running_since if self._running_since is not None else 0.0
        return self._elapsed_s + extra

    def remaining_s(self, now: float) -> float:
        return max(0.0, self.duration_s - self.elapsed_s(now))

    def extend(self, seconds: float) -> None:
        self.duration_s = max(0.0, self.duration_s + seconds)

    def finish(self, now: float) -> None:
        """End it now (skip): whatever ran so far counts."""
        self.hold(now)
        self.duration_s = self._elapsed_s
