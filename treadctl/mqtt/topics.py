"""Where each message goes: one prefix per treadmill, so one broker serves a whole clinic.

``treadctl/<device-id>/{availability,state,telemetry,event,command,response,presence}``; a
viewer that follows every treadmill subscribes to ``treadctl/+/telemetry`` (or ``treadctl/#``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

ROOT = "treadctl"
_UNSAFE = re.compile(r"[^a-z0-9_-]+")


def topic_id(device_id: str) -> str:
    """``device_id`` as one safe topic level and HA object id ("AA:BB" -> "aa_bb")."""
    safe = _UNSAFE.sub("_", device_id.strip().lower()).strip("_")
    return safe or "treadmill"


def default_prefix(device_id: str) -> str:
    return f"{ROOT}/{topic_id(device_id)}"


@dataclass(frozen=True)
class Topics:
    prefix: str

    @property
    def availability(self) -> str:
        """Retained ``online``/``offline``; ``offline`` is also the broker-held last will."""
        return f"{self.prefix}/availability"

    @property
    def state(self) -> str:
        """Retained JSON: the coarse session state and the current bout."""
        return f"{self.prefix}/state"

    @property
    def telemetry(self) -> str:
        """JSON once per session second."""
        return f"{self.prefix}/telemetry"

    @property
    def event(self) -> str:
        """JSON for bout changes, phases (turn-arounds), faults, link changes and the end."""
        return f"{self.prefix}/event"

    @property
    def command(self) -> str:
        """Incoming remote commands (only subscribed when commands are enabled)."""
        return f"{self.prefix}/command"

    @property
    def presence(self) -> str:
        """A starting session asks here (its client id) whether a live one uses this prefix."""
        return f"{self.prefix}/presence"

    @property
    def presence_reply(self) -> str:
        """A live session answers a ``presence`` question here (its own client id)."""
        return f"{self.prefix}/presence/reply"

    @property
    def response(self) -> str:
        """The answer to each command: accepted or rejected, and why."""
        return f"{self.prefix}/response"
