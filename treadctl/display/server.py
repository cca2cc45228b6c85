"""The big screen's web server: aiohttp on a thread and an event loop of its own.

The session's loop only ever calls ``publish`` (a ``call_soon_threadsafe``, never a wait), so no
viewer, however slow or asleep, can stall the control loop. Routes:

- ``GET /`` the page, ``GET /static/…`` its CSS and JavaScript (no session data: open);
- ``GET /events`` the live state as Server-Sent Events (one ``data:`` line of JSON per update);
- ``POST /stop`` the page's Stop button: a Stop request through the supervisor, source
  ``display``. Always token-checked (the page carries the token), and POST only.

Bound to a loopback address the page and the stream are open to this machine; bound to any other
address every route needs ``?token=…`` (the URL printed at start).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from importlib import resources
from typing import TYPE_CHECKING, Any

from aiohttp import web

from treadctl.display.address import DisplayAddress, tokens_match
from treadctl.display.hub import Hub
from treadctl.errors import UsageError

if TYPE_CHECKING:
    from treadctl.controls import RequestResult

log = logging.getLogger(__name__)

KEEPALIVE_S = 5.0  # a ping this often: the page knows it is live, dead viewers are noticed
WRITE_TIMEOUT_S = 10.0  # a viewer that takes longer to take one update is dropped
STOP_TIMEOUT_S = 3.0
TOKEN_HEADER = "X-Treadctl-Token"
PING = b"event: ping\ndata: {}\n\n"
StopRequest = Callable[[], "Future[RequestResult]"]  # runs the Stop on the session's loop


class DisplayServer:
    def __init__(
        self,
        address: DisplayAddress,
        token: str,
        request_stop: StopRequest | None = None,
        *,
        require_token: bool | None = None,
    ) -> None:
        """``require_token`` None: needed unless the address is a loopback one."""
        self.address = address
        self.token = token
        self.require_token = not address.loopback if require_token is None else require_token
        self._request_stop = request_stop
        self.hub = Hub()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._stopped = threading.Event()
        self.port = address.port

    # -- the session's side ------------------------------------------------------------------

    def start(self, timeout_s: float = 10.0) -> None:
        """Bind and serve; raises UsageError (one line) if the address cannot be used."""
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            try:
                loop.run_until_complete(self._serve())
            except BaseException as error:  # reported to start(), which raises it
                failure.append(error)
                started.set()
                loop.close()
                return
            started.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(self._shutdown())
                pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
                for task in pending:
                    task.cancel()
                if pending:
                    loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
                loop.close()
                self._stopped.set()

        self._thread = threading.Thread(target=run, name="treadctl-display", daemon=True)
        self._thread.start()
        if not started.wait(timeout_s):
            raise UsageError(f"--display: the server did not start in {timeout_s:g} s")
        if failure:
            error = failure[0]
            where = f"{self.address.host}:{self.address.port}"
            raise UsageError(f"--display {where}: cannot listen there ({error})") from None

    def publish(self, state: dict[str, Any]) -> None:
        """Hand one state to every viewer (from any thread; never waits)."""
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        message = json.dumps(state, separators=(",", ":"))
        with contextlib.suppress(RuntimeError):  # closing
            loop.call_soon_threadsafe(self.hub.broadcast, message)

    def close(self) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._end_streams)
                loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(timeout=5.0)

    def url(self, host: str | None = None) -> str:
        """The address to open (with the token where one is needed)."""
        address = DisplayAddress(self.address.host, self.port)
        return address.url(self.token if self.require_token else None, host=host)

    # -- the server's loop -----------------------------------------------------------------

    async def _serve(self) -> None:
        app = web.Application()
        app.router.add_get("/", self._page)
        app.router.add_get("/static/{name}", self._static)
        app.router.add_get("/events", self._events)
        app.router.add_get("/state", self._state)
        app.router.add_post("/stop", self._stop)
        app.router.add_route("*", "/stop", self._stop_not_post)
        self._runner = web.AppRunner(
            app, access_log=None, handle_signals=False, shutdown_timeout=1.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.address.host, self.address.port)
        await site.start()
        server = getattr(site, "_server", None)
        sockets = getattr(server, "sockets", None) or []
        if sockets:
            self.port = sockets[0].getsockname()[1]  # port 0: the one the system chose

    def _end_streams(self) -> None:
        """Every viewer's stream ends (the page reconnects to the next session, if any)."""
        self._closing = True
        for viewer in list(self.hub.viewers):
            viewer.ready.set()

    _closing = False

    async def _shutdown(self) -> None:
        if self._runner is not None:
            with contextlib.suppress(Exception):
                await self._runner.cleanup()

    def _allowed(self, request: web.Request) -> bool:
        if not self.require_token:
            return True
        return tokens_match(request.query.get("token"), self.token)

    @staticmethod
    def _refused() -> web.Response:
        return web.Response(
            status=403,
            text="This big screen needs its token: open the address treadctl printed at start.\n",
        )

    async def _page(self, request: web.Request) -> web.StreamResponse:
        if not self._allowed(request):
            return self._refused()
        html = _asset("index.html").replace("{{TOKEN}}", self.token)
        return web.Response(
            text=html,
            content_type="text/html",
            headers={"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"},
        )

    async def _static(self, request: web.Request) -> web.StreamResponse:
        """The page's CSS and JavaScript: the same for everyone and no session data, so open
        (the page itself, the stream and Stop are what the token guards)."""
        name = request.match_info["name"]
        types = {"display.css": "text/css", "display.js": "application/javascript"}
        if name not in types:
            raise web.HTTPNotFound()
        return web.Response(text=_asset(name), content_type=types[name])

    async def _state(self, request: web.Request) -> web.StreamResponse:
        """The latest state once (for tools and tests; the page uses ``/events``)."""
        if not self._allowed(request):
            return self._refused()
        return web.Response(text=self.hub.latest or "{}", content_type="application/json")

    async def _events(self, request: web.Request) -> web.StreamResponse:
        if not self._allowed(request):
            return self._refused()
        response = web.StreamResponse(
            headers={
                "Content-Type": "text/event-stream",
                "Cache-Control": "no-store",
                "X-Accel-Buffering": "no",
            }
        )
        await response.prepare(request)
        viewer = self.hub.join()
        try:
            await response.write(b"retry: 2000\n\n")
            while True:
                try:
                    await asyncio.wait_for(viewer.ready.wait(), KEEPALIVE_S)
                except TimeoutError:
                    await asyncio.wait_for(response.write(PING), WRITE_TIMEOUT_S)
                    continue
                if self._closing:
                    break
                messages = viewer.take()
                if messages:
                    # Every update is the whole state: only the newest needs to go.
                    body = f"data: {messages[-1]}\n\n".encode()
                    await asyncio.wait_for(response.write(body), WRITE_TIMEOUT_S)
        except (ConnectionError, TimeoutError, asyncio.CancelledError):
            pass  # the viewer left, slept, or the server is closing: nothing else is affected
        finally:
            self.hub.leave(viewer)
        return response

    async def _stop(self, request: web.Request) -> web.StreamResponse:
        given = request.headers.get(TOKEN_HEADER) or request.query.get("token")
        if not tokens_match(given, self.token):
            return web.json_response(
                {"accepted": False, "reason": "wrong or missing token"}, status=403
            )
        if self._request_stop is None:
            return web.json_response({"accepted": False, "reason": "no session"}, status=503)
        try:
            future = self._request_stop()
            result = await asyncio.wait_for(asyncio.wrap_future(future), STOP_TIMEOUT_S)
        except Exception as error:  # the session has ended or its loop is gone
            log.info("display stop failed: %s", error)
            return web.json_response(
                {"accepted": False, "reason": "the session is not running"}, status=503
            )
        return web.json_response({"accepted": result.accepted, "reason": result.reason})

    async def _stop_not_post(self, request: web.Request) -> web.StreamResponse:
        return web.Response(status=405, headers={"Allow": "POST"}, text="Stop is POST only.\n")


def _asset(name: str) -> str:
    return resources.files("treadctl.display").joinpath("static", name).read_text("utf-8")
