"""One session, any number of viewers: each viewer has a bounded queue that drops its oldest
update when full, so a sleeping tablet costs a few kilobytes and never slows anyone else.

Used on the display server's own loop only (not thread-safe by itself).
"""

from __future__ import annotations

import asyncio
from collections import deque
from dataclasses import dataclass, field

QUEUE_SIZE = 16  # every update is the whole state, so a viewer only needs the newest few


@dataclass(eq=False)
class Viewer:
    queue: deque[str] = field(default_factory=lambda: deque(maxlen=QUEUE_SIZE))
    ready: asyncio.Event = field(default_factory=asyncio.Event)
    dropped: int = 0

    def offer(self, message: str) -> None:
        if len(self.queue) == self.queue.maxlen:
            self.dropped += 1  # the oldest goes: a full state follows it anyway
        self.queue.append(message)
        self.ready.set()

    def take(self) -> list[str]:
        messages = list(self.queue)
        self.queue.clear()
        self.ready.clear()
        return messages


class Hub:
    def __init__(self) -> None:
        self.viewers: set[Viewer] = set()
        self.latest: str | None = None
        self.sent = 0

    def join(self) -> Viewer:
        viewer = Viewer()
        if self.latest is not None:
            viewer.offer(self.latest)  # a new viewer sees the session at once
        self.viewers.add(viewer)
        return viewer

    def leave(self, viewer: Viewer) -> None:
        self.viewers.discard(viewer)

    def broadcast(self, message: str) -> None:
        self.latest = message
        self.sent += 1
        for viewer in self.viewers:
            viewer.offer(message)
