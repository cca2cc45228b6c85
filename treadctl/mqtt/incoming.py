"""The queue incoming MQTT messages wait in: stops first, and a flood of others bounded.

aiomqtt hands every received message to an ``asyncio.Queue``; this one keeps two lines. A message
that could be a stop (``commands.is_stop``: the word in its payload, any letter case) goes ahead
of every other waiting message, so a flood of nudges or junk cannot delay a stop by more than the
one command being answered. The other line is bounded: past ``MAX_WAITING`` the oldest waiting
message is dropped and counted, and the listener reports the drops in the audit log.
"""

from __future__ import annotations

import asyncio
from collections import deque
from typing import Any

from treadctl.mqtt.commands import is_stop

MAX_WAITING = 256


class _TwoLines:
    """The container ``asyncio.Queue`` uses as ``self._queue`` (append, popleft, len)."""

    def __init__(self, max_waiting: int) -> None:
        self.stops: deque[Any] = deque()
        self.others: deque[Any] = deque()
        self.max_waiting = max_waiting
        self.dropped = 0

    def append(self, message: Any) -> None:
        payload = getattr(message, "payload", b"")
        if isinstance(payload, bytes | bytearray) and is_stop(bytes(payload)):
            self.stops.append(message)
            return
        self.others.append(message)
        while len(self.others) > self.max_waiting:
            self.others.popleft()
            self.dropped += 1

    def popleft(self) -> Any:
        return self.stops.popleft() if self.stops else self.others.popleft()

    def __len__(self) -> int:
        return len(self.stops) + len(self.others)

    def __bool__(self) -> bool:
        return bool(self.stops or self.others)


class StopFirstQueue(asyncio.Queue[Any]):
    """``asyncio.Queue`` with stops first; ``take_dropped()`` says how many were dropped."""

    _queue: _TwoLines

    def _init(self, maxsize: int) -> None:
        self._queue = _TwoLines(MAX_WAITING)

    def take_dropped(self) -> int:
        dropped, self._queue.dropped = self._queue.dropped, 0
        return dropped
