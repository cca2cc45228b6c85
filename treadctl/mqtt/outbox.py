"""A bounded, thread-safe queue between the session (producer) and the MQTT client (consumer).

The session must never wait for the network, so ``put`` never blocks. When the broker is away
the queue fills; then the oldest telemetry goes first (a newer sample supersedes it), events are
kept as long as any telemetry is left to drop, and a newer state replaces a pending older one
(the state is retained: only the latest matters). Only if events alone overflow is the oldest
event dropped, so memory stays bounded even through a long outage.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from enum import StrEnum


class Kind(StrEnum):
    TELEMETRY = "telemetry"  # droppable, oldest first
    EVENT = "event"  # kept unless the queue holds nothing else
    STATE = "state"  # latest wins


@dataclass(frozen=True)
class Outgoing:
    kind: Kind
    topic: str
    payload: bytes
    retain: bool = False
    qos: int = 0
    queued_s: float = field(default_factory=time.monotonic)  # when the session queued it


@dataclass
class OutboxStats:
    telemetry_dropped: int = 0
    events_dropped: int = 0


class Outbox:
    def __init__(self, max_items: int = 256) -> None:
        if max_items < 2:
            raise ValueError("max_items must be at least 2")
        self._max_items = max_items
        self._items: deque[Outgoing] = deque()
        self._lock = threading.Lock()
        self.stats = OutboxStats()

    def put(self, item: Outgoing) -> bool:
        """Queue ``item``; True when the queue was empty before (the consumer may be asleep)."""
        with self._lock:
            was_empty = not self._items
            if item.kind is Kind.STATE:
                self._remove_first(Kind.STATE)
            self._items.append(item)
            self._shrink()
            return was_empty

    def get(self) -> Outgoing | None:
        with self._lock:
            return self._items.popleft() if self._items else None

    def put_back(self, item: Outgoing) -> None:
        """Return an item whose publish failed to the front, unless something newer supersedes
        it (telemetry or state of the same kind queued since)."""
        with self._lock:
            if item.kind is not Kind.EVENT and any(q.kind is item.kind for q in self._items):
                if item.kind is Kind.TELEMETRY:
                    self.stats.telemetry_dropped += 1
                return
            self._items.appendleft(item)
            self._shrink()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    def snapshot(self) -> list[Outgoing]:
        with self._lock:
            return list(self._items)

    def _shrink(self) -> None:
        while len(self._items) > self._max_items:
            if self._remove_first(Kind.TELEMETRY):
                self.stats.telemetry_dropped += 1
            elif self._remove_first(Kind.EVENT):
                self.stats.events_dropped += 1
            else:  # pragma: no cover - at most one state is ever queued
                self._items.popleft()

    def _remove_first(self, kind: Kind) -> bool:
        for index, queued in enumerate(self._items):
            if queued.kind is kind:
                del self._items[index]
                return True
        return False
