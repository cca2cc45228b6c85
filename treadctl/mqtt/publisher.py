"""The MQTT connection loop: publish what the session queued, answer remote commands.

Runs on its own event loop (see ``treadctl.mqtt.attach``), never on the engine's. On every
connect it sends the retained ``online``, the discovery configs and the latest state (a restarted
broker may have lost them all), subscribes to the command topic when commands are on, then drains
the outbox. A lost or slow broker ends the connection; the loop waits (exponential backoff with
jitter) and connects again. Nothing here raises out of ``run``. On a clean stop it flushes the
outbox, publishes the retained ``offline`` and disconnects, all within the caller's time budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import aiomqtt

from treadctl.controls import Request, RequestResult
from treadctl.mqtt.commands import Accepted, parse_command, response_payload
from treadctl.mqtt.config import MqttCommandsConfig
from treadctl.mqtt.connection import ClientFactory
from treadctl.mqtt.outbox import Outbox, Outgoing
from treadctl.mqtt.payloads import AVAILABLE, UNAVAILABLE, encode
from treadctl.mqtt.topics import Topics

log = logging.getLogger(__name__)

Submit = Callable[[Request], Awaitable[RequestResult]]


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 0.5
    max_s: float = 30.0
    jitter: float = 0.2  # ± fraction, so a clinic's treadmills don't reconnect in lock-step

    def delays_s(self) -> Iterator[float]:
        delay_s = self.initial_s
        while True:
            yield delay_s * random.uniform(1 - self.jitter, 1 + self.jitter)
            delay_s = min(self.max_s, delay_s * 2)


class Publisher:
    def __init__(
        self,
        *,
        make_client: ClientFactory,
        topics: Topics,
        outbox: Outbox,
        state_message: Callable[[], Outgoing],
        discovery: list[tuple[str, bytes]],
        commands: MqttCommandsConfig,
        submit: Submit,
        backoff: Backoff | None = None,
    ) -> None:
        self._make_client = make_client
        self._topics = topics
        self._outbox = outbox
        self._state_message = state_message
        self._discovery = discovery
        self._commands = commands
        self._submit = submit
        self._backoff = backoff or Backoff()
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self.connections = 0  # successful connects so far (for status lines and tests)

    def wake(self) -> None:
        """Something was queued (call on this publisher's loop)."""
        self._wakeup.set()

    def stop(self) -> None:
        """Flush, say offline and disconnect (call on this publisher's loop)."""
        self._stopping.set()

    async def run(self) -> None:
        """Until ``stop``: connect, publish, reconnect. Never raises (except cancellation)."""
        delays = self._backoff.delays_s()
        last_error = ""
        while True:
            connections_before = self.connections
            try:
                await self._connection()
                return  # stopped cleanly
            except (aiomqtt.MqttError, OSError) as error:
                message = str(error) or type(error).__name__
                if message != last_error:  # one line per outage, not one per attempt
                    log.warning("MQTT broker unavailable (%s); retrying in the background", message)
                last_error = message
            except Exception:
                log.exception("MQTT publisher error; reconnecting")
            if self.connections > connections_before:
                delays = self._backoff.delays_s()  # a new outage: start with a short wait
                last_error = ""
            if self._stopping.is_set():
                return
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), next(delays))
            if self._stopping.is_set():
                # One last attempt to deliver the end of the session and "offline".
                with contextlib.suppress(Exception):
                    await self._connection()
                return

    async def _connection(self) -> None:
        async with self._make_client() as client:
            self.connections += 1
            log.info("MQTT connected (%s)", self._topics.prefix)
            await client.publish(self._topics.availability, AVAILABLE, qos=1, retain=True)
            for topic, payload in self._discovery:
                await client.publish(topic, payload, qos=1, retain=True)
            state = self._state_message()
            await client.publish(state.topic, state.payload, qos=state.qos, retain=True)
            if self._commands.enabled:
                await client.subscribe(self._topics.command, qos=1)
            drain = asyncio.create_task(self._drain(client))
            listen = asyncio.create_task(self._listen(client))
            try:
                done, _ = await asyncio.wait((drain, listen), return_when=asyncio.FIRST_COMPLETED)
            finally:
                for task in (drain, listen):
                    task.cancel()
                await asyncio.gather(drain, listen, return_exceptions=True)
            for task in done:
                task.result()  # re-raise a lost connection
            await client.publish(self._topics.availability, UNAVAILABLE, qos=1, retain=True)

    async def _drain(self, client: aiomqtt.Client) -> None:
        """Publish queued items; return once stopping and the outbox is empty."""
        while True:
            self._wakeup.clear()
            item = self._outbox.get()
            if item is None:
                if self._stopping.is_set():
                    return
                stop = asyncio.create_task(self._stopping.wait())
                wake = asyncio.create_task(self._wakeup.wait())
                try:
                    await asyncio.wait((stop, wake), return_when=asyncio.FIRST_COMPLETED)
                finally:
                    stop.cancel()
                    wake.cancel()
                continue
            try:
                await client.publish(item.topic, item.payload, qos=item.qos, retain=item.retain)
            except BaseException:
                self._outbox.put_back(item)
                raise

    async def _listen(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            if not message.topic.matches(self._topics.command):
                continue
            payload = message.payload if isinstance(message.payload, bytes) else b""
            await self._answer(client, payload, retained=bool(message.retain))

    async def _answer(self, client: aiomqtt.Client, payload: bytes, *, retained: bool) -> None:
        outcome = parse_command(payload, self._commands, retained=retained)
        result: RequestResult | None = None
        if isinstance(outcome, Accepted):
            try:
                result = await self._submit(outcome.request)
            except Exception as error:  # the session is gone or did not answer
                result = RequestResult(False, f"the session did not take the request ({error})")
            log.info(
                "MQTT command %s: %s %s",
                outcome.command,
                "accepted" if result.accepted else "refused",
                result.reason,
            )
        else:
            log.warning("MQTT command rejected: %s", outcome.reason)
        answer = encode(response_payload(outcome, result))
        await client.publish(self._topics.response, answer, qos=1)
