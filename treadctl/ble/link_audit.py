"""The client's own Control Point writes (``LinkWrite``) on the session's event bus.

Safety rule 8 wants every Control Point write in the audit log, whoever in the code made it.
The supervisor logs the commands it sends; the client's own writes (the automatic Request
Control, a quirk's preamble, a held target sent after Start) reach the bus through this bridge
as ``link_write`` lines. If the supervisor comes to log ``LinkWrite`` itself, this bridge goes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from treadctl.events import EventBus, SessionEvent
from treadctl.link import LinkWrite, MachineEvent


@dataclass(frozen=True)
class LinkWriteLogged(SessionEvent):
    """A Control Point write the client made on its own account, with the treadmill's answer."""

    kind: ClassVar[str] = "link_write"
    op: str
    why: str
    speed_kmh: float | None = None
    incline_pct: float | None = None
    result: str = ""


def attach_link_writes(link: Any, bus: EventBus, now: Callable[[], float]) -> Callable[[], None]:
    """Publish every ``LinkWrite`` of ``link`` on ``bus``; returns the unsubscribe function."""

    def on_event(event: MachineEvent) -> None:
        if isinstance(event, LinkWrite):
            bus.publish(
                LinkWriteLogged(
                    now(), event.op, event.why, event.speed_kmh, event.incline_pct, event.result
                )
            )

    add_listener = getattr(link, "add_listener", None)
    if add_listener is None:
        return lambda: None
    unsubscribe: Callable[[], None] = add_listener(on_event)
    return unsubscribe
