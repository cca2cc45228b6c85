"""Attach MQTT to a session: the one entry point the run composition calls.

The MQTT client gets its own thread and event loop. The engine's loop never runs network code for
MQTT, so a slow, absent or restarting broker cannot delay a supervisor decision, and a ``--fast``
session (virtual time) still talks to the broker in real time. Events cross from the engine's
thread through the bounded outbox; remote commands cross back with
``loop.call_soon_threadsafe`` and are answered by the session's ``SessionControls`` on the
engine's own loop, exactly like a key press.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import threading
from collections.abc import Callable
from types import TracebackType

from treadctl.controls import Request, RequestResult, SessionControls
from treadctl.events import EventBus, SessionEvent
from treadctl.mqtt.config import MqttConfig
from treadctl.mqtt.connection import client_factory, connection_settings
from treadctl.mqtt.discovery import discovery_messages
from treadctl.mqtt.feed import SessionFeed
from treadctl.mqtt.outbox import Outbox
from treadctl.mqtt.publisher import Backoff, Publisher
from treadctl.mqtt.topics import Topics, default_prefix

log = logging.getLogger(__name__)

REQUEST_TIMEOUT_S = 2.0  # the engine answers requests at once; longer means it is gone
CLOSE_TIMEOUT_S = 3.0


class MqttAttachment:
    """A running MQTT bridge for one session. Close it after the session ends (``close``,
    ``aclose``, or use it as a context manager); closing flushes the end of the session and
    publishes ``offline`` within ``CLOSE_TIMEOUT_S``. Never raises into the engine."""

    def __init__(
        self,
        bus: EventBus,
        controls: SessionControls,
        config: MqttConfig,
        device_id: str,
        *,
        engine_loop: asyncio.AbstractEventLoop,
        device_name: str | None = None,
        backoff: Backoff | None = None,
        outbox_max_items: int = 256,
        heart_rate: bool = True,
        identity: dict[str, str] | None = None,
    ) -> None:
        settings = connection_settings(config, device_id)  # ConfigError before anything starts
        self.topics = Topics(config.topic_prefix or default_prefix(device_id))
        self.outbox = Outbox(outbox_max_items)
        self._feed = SessionFeed(self.topics, identity)
        self._controls = controls
        self._engine_loop = engine_loop
        discovery = (
            discovery_messages(
                self.topics,
                device_id,
                config.commands,
                config.discovery_prefix,
                device_name,
                heart_rate=heart_rate,
            )
            if config.discovery
            else []
        )
        make_client = client_factory(settings, self.topics)

        def make_publisher() -> Publisher:  # built on the MQTT loop (it owns asyncio.Events)
            return Publisher(
                make_client=make_client,
                topics=self.topics,
                outbox=self.outbox,
                state_message=self._feed.state_message,
                discovery=discovery,
                commands=config.commands,
                submit=self._submit,
                backoff=backoff,
            )

        self._make_publisher = make_publisher
        self._loop: asyncio.AbstractEventLoop | None = None
        self._publisher: Publisher | None = None
        self._ready = threading.Event()
        self._thread = threading.Thread(
            target=self._thread_main, name=f"mqtt-{self.topics.prefix}", daemon=True
        )
        self._thread.start()
        self._ready.wait(timeout=CLOSE_TIMEOUT_S)
        self._unsubscribe = bus.subscribe(self._on_event)

    @property
    def connections(self) -> int:
        return 0 if self._publisher is None else self._publisher.connections

    # --- engine side -----------------------------------------------------------------------

    def _on_event(self, event: SessionEvent) -> None:
        """Bus listener: quick, never blocks, never raises."""
        try:
            woke = False
            for item in self._feed.on_event(event):
                woke = self.outbox.put(item) or woke
            if woke:
                self._call_publisher(Publisher.wake)
        except Exception:
            log.exception("MQTT could not queue %s", event.kind)

    def _call_publisher(self, action: Callable[[Publisher], None]) -> None:
        """Run ``action`` on the MQTT loop (thread-safe; a no-op once that loop has closed)."""
        loop, publisher = self._loop, self._publisher
        if loop is None or publisher is None:
            return
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(action, publisher)

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """Flush, publish ``offline``, disconnect; waits at most ``timeout_s`` (blocking)."""
        self._unsubscribe()
        self._call_publisher(Publisher.stop)
        self._thread.join(timeout_s)
        if self._thread.is_alive():
            log.warning(
                "MQTT did not finish within %.1f s; leaving it to the broker's will", timeout_s
            )

    async def aclose(self, timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        """``close`` without blocking the calling event loop."""
        await asyncio.to_thread(self.close, timeout_s)

    def __enter__(self) -> MqttAttachment:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    async def __aenter__(self) -> MqttAttachment:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    # --- MQTT side ---------------------------------------------------------------------------

    def _thread_main(self) -> None:
        try:
            asyncio.run(self._main())
        except Exception:
            log.exception("MQTT thread ended with an error")
        finally:
            self._ready.set()

    async def _main(self) -> None:
        self._publisher = self._make_publisher()
        self._loop = asyncio.get_running_loop()
        self._ready.set()
        await self._publisher.run()

    async def _submit(self, request: Request) -> RequestResult:
        """Ask the session, on the engine's loop, and wait (briefly) for its answer."""
        answer: concurrent.futures.Future[RequestResult] = concurrent.futures.Future()

        def ask() -> None:
            try:
                answer.set_result(self._controls.request(request))
            except Exception as error:
                answer.set_exception(error)

        try:
            self._engine_loop.call_soon_threadsafe(ask)
        except RuntimeError:
            return RequestResult(False, "no session is running")
        try:
            return await asyncio.wait_for(asyncio.wrap_future(answer), REQUEST_TIMEOUT_S)
        except TimeoutError:
            answer.cancel()
            return RequestResult(False, "the session did not answer")


def attach_mqtt(
    bus: EventBus,
    controls: SessionControls,
    config: MqttConfig,
    device_id: str,
    *,
    engine_loop: asyncio.AbstractEventLoop | None = None,
    device_name: str | None = None,
    backoff: Backoff | None = None,
    heart_rate: bool = True,
    identity: dict[str, str] | None = None,
) -> MqttAttachment | None:
    """Start publishing the session on ``bus`` and taking remote commands for ``controls``.

    Returns None when MQTT is off (no host). Raises ``ConfigError`` for an unusable password or CA
    file. Call from the engine's loop (or pass ``engine_loop``), before the session starts, and
    close the result after the session has ended so the summary and ``offline`` go out.
    """
    if not config.enabled:
        return None
    loop = engine_loop or asyncio.get_running_loop()
    return MqttAttachment(
        bus,
        controls,
        config,
        device_id,
        engine_loop=loop,
        device_name=device_name,
        backoff=backoff,
        heart_rate=heart_rate,
        identity=identity,
    )
