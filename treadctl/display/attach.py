"""The big screen as a session consumer: events in, the page's state out to the server thread.

``attach_display`` starts the server (its own thread), announces the address (and a QR code) once,
and subscribes to the bus. Each event folds into a ``SessionView`` on the session's loop and is
handed to the server with a non-blocking ``publish``; Stop from the page comes back to the
session's loop as ``session.request(Request(STOP, source="display"))``.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, TextIO

from treadctl.controls import SOURCE_DISPLAY, Request, RequestKind, RequestResult, SessionControls
from treadctl.display.address import DisplayAddress
from treadctl.display.model import display_state
from treadctl.display.qr import qr_rows
from treadctl.events import DisplayNotice, EventBus, SessionEvent, Telemetry
from treadctl.units import SpeedUnit
from treadctl.view import SessionView, reduce

TELEMETRY_EVERY_S = 0.25  # data records faster than this are folded in but not all sent
INSTALL_QR = "for a QR code here: pip install 'treadctl[display]'"


class DisplayAttachment:
    def __init__(
        self,
        server: Any,  # treadctl.display.server.DisplayServer
        units: SpeedUnit,
        bouts: Callable[[], Sequence[Any]],
        *,
        profile_name: str = "",
    ) -> None:
        self.server = server
        self.units: SpeedUnit = units
        self._bouts = bouts
        self._profile_name = profile_name
        self.view = SessionView()
        self._unsubscribe: Callable[[], None] | None = None
        self._last_sent_t_s = -1.0

    def attach(self, bus: EventBus) -> DisplayAttachment:
        self._unsubscribe = bus.subscribe(self)
        self._send(0.0)
        return self

    def __call__(self, event: SessionEvent) -> None:
        if event.kind in ("cue", "voice", "display"):
            return
        self.view = reduce(self.view, event)
        recent = event.t_s - self._last_sent_t_s < TELEMETRY_EVERY_S
        if isinstance(event, Telemetry) and recent:
            return
        self._send(event.t_s)

    def _send(self, now_s: float) -> None:
        self._last_sent_t_s = now_s
        state = display_state(
            self.view, now_s, self.units, self._bouts(), profile_name=self._profile_name
        )
        self.server.publish(state)

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        self.server.close()


def stop_requester(
    session: SessionControls, loop: asyncio.AbstractEventLoop
) -> Callable[[], Future[RequestResult]]:
    """The page's Stop, run on the session's own loop (from the server's thread)."""

    async def stop() -> RequestResult:
        return session.request(Request(RequestKind.STOP, source=SOURCE_DISPLAY))

    return lambda: asyncio.run_coroutine_threadsafe(stop(), loop)


def attach_display(
    bus: EventBus,
    session: SessionControls,
    address: DisplayAddress,
    units: SpeedUnit,
    bouts: Callable[[], Sequence[Any]],
    *,
    profile_name: str = "",
    headless: bool = True,
    out: TextIO | None = None,
) -> DisplayAttachment:
    """Start the big screen for this session (raises UsageError if it cannot listen)."""
    from treadctl.display.address import new_token
    from treadctl.display.server import DisplayServer

    loop = asyncio.get_running_loop()
    server = DisplayServer(address, new_token(), stop_requester(session, loop))
    server.start()
    attachment = DisplayAttachment(server, units, bouts, profile_name=profile_name).attach(bus)
    announce(server, bus, headless=headless, out=out)
    return attachment


def announce(server: Any, bus: EventBus, *, headless: bool, out: TextIO | None = None) -> None:
    """Print the address and its QR code once (headless), or hand them to the session screen."""
    url = server.url()
    if server.require_token:
        where = "on the network (keep the token private; it lets a viewer press Stop)"
    else:
        where = "on this machine only (use --display 0.0.0.0:PORT for a tablet)"
    message = f"big screen: {url}  {where}"
    rows = qr_rows(url) if server.require_token else None
    if headless:
        stream = out or sys.stdout
        print(f"treadctl: {message}", file=stream, flush=True)
        if rows is not None:
            for row in rows:
                print(f"\x1b[97;40m{row}\x1b[0m", file=stream)
            stream.flush()
        elif server.require_token:
            print(f"treadctl: {INSTALL_QR}", file=stream, flush=True)
    token = server.token if server.require_token else ""
    bus.publish(DisplayNotice(0.0, message, "\n".join(rows or ()), token))
