"""The MQTT connection loop: publish what the session queued, answer remote commands.

Runs on its own event loop (see ``treadctl.mqtt.attach``), never on the engine's. On the first
connect it checks that no live session already uses the topic prefix: it asks on ``presence``
and a live session answers on ``presence/reply`` (retained messages cannot tell a live session
from a killed one). If one answers, it says so once and waits, publishing nothing, until that
session has gone. On every connect it sends the retained ``online``, the discovery configs and the
latest state (replacing a stale one a killed process left, and one a restarted broker lost),
subscribes to the command topic when commands are on, then drains the outbox, dropping telemetry
older than ``MAX_TELEMETRY_AGE_S`` (after an outage a viewer wants now, not a burst of the past).

A lost or slow broker ends the connection; the loop waits (exponential backoff with jitter, from
half a second up to five) and connects again. A refused password or a failed TLS handshake is not
retried: one clear line, and the session runs on without MQTT. Nothing here raises out of
``run``. On a clean stop it flushes the outbox, publishes the retained ``offline`` and
disconnects, all within the caller's time budget.

Retained commands are never executed: over MQTT 5 the command subscription asks for "retain as
published", so the retain flag survives even for a command retained while the session runs; over
MQTT 3.1.1 (a broker without MQTT 5) only the ones replayed on subscribing can be recognised.
Every command rejected here is reported through ``audit`` (the session's audit log).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import ssl
import sys
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass

import aiomqtt
from aiomqtt import ProtocolVersion
from aiomqtt.exceptions import MqttConnectError
from paho.mqtt.reasoncodes import ReasonCode
from paho.mqtt.subscribeoptions import SubscribeOptions

from treadctl.controls import Request, RequestResult
from treadctl.mqtt.commands import Accepted, Rejection, parse_command, response_payload
from treadctl.mqtt.config import MqttCommandsConfig
from treadctl.mqtt.connection import ClientFactory
from treadctl.mqtt.outbox import Kind, Outbox, Outgoing
from treadctl.mqtt.payloads import AVAILABLE, UNAVAILABLE, encode
from treadctl.mqtt.topics import Topics

log = logging.getLogger(__name__)

Submit = Callable[[Request], Awaitable[RequestResult]]
Audit = Callable[[Rejection], Awaitable[None]]

MAX_TELEMETRY_AGE_S = 3.0  # older telemetry is dropped, not sent late
PRESENCE_WAIT_S = 0.6  # how long a starting session waits for a live one to answer
# CONNACK codes that retrying cannot fix: bad credentials, not authorised, bad auth method.
_REFUSED_CODES = frozenset({4, 5, 134, 135, 140})
_PROTOCOL_CODES = frozenset({1, 132})  # unacceptable / unsupported protocol version


class PrefixInUse(Exception):
    """Another live session publishes under this topic prefix."""


def permanent_failure(
    error: BaseException, *, tls: bool = False, ever_connected: bool = True
) -> str | None:
    """The one line to say for a failure that retrying cannot fix, else None. With ``tls`` on
    and no connection yet, a connection the broker drops during the handshake is a plain (not
    TLS) port: that is a mismatch too."""
    # Only a CONNACK's code: a publish's MqttCodeError 4 is "not connected", not "bad login".
    if isinstance(error, MqttConnectError):
        rc = error.rc
        code = rc.value if isinstance(rc, ReasonCode) else rc
        if code in _REFUSED_CODES:
            return (
                f"the MQTT broker refused treadctl's login ({error}); check username and "
                "password (or password_file) in [mqtt]"
            )
    text = str(error)
    dropped = "reset by peer" in text or "EOF" in text or "onnection lost" in text
    if (
        isinstance(error, ssl.SSLError)
        or "SSL" in text
        or "certificate" in text.lower()
        or (tls and not ever_connected and dropped)
    ):
        return (
            f"the TLS handshake with the MQTT broker failed ({text}); check tls, port and "
            "ca_file in [mqtt]"
        )
    return None


def _protocol_refused(error: BaseException) -> bool:
    if isinstance(error, MqttConnectError):
        rc = error.rc
        code = rc.value if isinstance(rc, ReasonCode) else rc
        return code in _PROTOCOL_CODES
    return False


def _say(line: str) -> None:
    with contextlib.suppress(Exception):
        print(f"treadctl: {line}", file=sys.stderr, flush=True)


@dataclass(frozen=True)
class Backoff:
    initial_s: float = 0.5
    max_s: float = 5.0  # a broker that is back is found within seconds
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
        audit: Audit | None = None,
        tls: bool = False,
    ) -> None:
        self._make_client = make_client
        self._topics = topics
        self._outbox = outbox
        self._state_message = state_message
        self._discovery = discovery
        self._commands = commands
        self._submit = submit
        self._backoff = backoff or Backoff()
        self._audit = audit
        self._tls = tls
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._protocol = ProtocolVersion.V5
        self._prefix_checked = False
        self._own_id = ""
        self.connections = 0  # successful connects so far (for status lines and tests)
        self.gave_up = ""  # the permanent failure that turned MQTT off, if any
        self.stale_dropped = 0  # telemetry too old to send after an outage

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
            except PrefixInUse as error:
                if last_error != "prefix":
                    _say(str(error))
                last_error = "prefix"
            except (aiomqtt.MqttError, OSError) as error:
                permanent = permanent_failure(
                    error, tls=self._tls, ever_connected=self.connections > 0
                )
                if permanent is not None:
                    self.gave_up = permanent
                    _say(f"{permanent}. MQTT is off for this session; the session runs on")
                    return
                if self._try_other_protocol(error):
                    continue  # at once
                message = str(error) or type(error).__name__
                if message != last_error:  # one line per outage, not one per attempt
                    log.warning("MQTT broker unavailable (%s); retrying in the background", message)
                last_error = message
            except RuntimeError as error:  # this thread's loop is shutting down
                log.debug("MQTT publisher ends: %s", error)
                return
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
                if last_error == "prefix":
                    return  # never publish over another live session
                # One last attempt to deliver the end of the session and "offline".
                with contextlib.suppress(Exception):
                    await self._connection()
                return

    def _try_other_protocol(self, error: BaseException) -> bool:
        """Until the first connection works, an MQTT 5 attempt that is refused, dropped or left
        unanswered (what MQTT 3.1.1-only brokers do) is followed at once by a 3.1.1 one; once
        connected, the protocol that worked is kept."""
        if self.connections or self._protocol is not ProtocolVersion.V5:
            if not self.connections and self._protocol is ProtocolVersion.V311:
                self._protocol = ProtocolVersion.V5  # both failed: the broker is just away
            return False
        text = str(error)
        if _protocol_refused(error) or "onnection lost" in text or "timed out" in text:
            self._protocol = ProtocolVersion.V311
            log.info("no MQTT 5 answer from the broker (%s); trying MQTT 3.1.1", text)
            return True
        return False

    async def _check_prefix(self, client: aiomqtt.Client, own_id: str) -> None:
        """Refuse a topic prefix a live session publishes under (it answers on presence)."""
        await client.subscribe(self._topics.presence_reply, qos=1)
        await client.publish(self._topics.presence, own_id.encode(), qos=1)
        other: str | None = None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(PRESENCE_WAIT_S):
                async for message in client.messages:
                    if message.topic.matches(self._topics.presence_reply):
                        answer = _text(message.payload)
                        if answer and answer != own_id:
                            other = answer
                            break
        await client.unsubscribe(self._topics.presence_reply)
        if other is not None:
            raise PrefixInUse(
                f"MQTT topic prefix {self._topics.prefix!r} is in use by another live session "
                f"({other}): this session does not publish to MQTT until that one ends (set a "
                "different topic_prefix in [mqtt] to run both)"
            )
        self._prefix_checked = True

    async def _connection(self) -> None:
        probing = self.connections == 0 and self._protocol is ProtocolVersion.V5
        async with self._make_client(self._protocol, probing) as client:
            own_id = str(client.identifier)
            if not self._prefix_checked:
                await self._check_prefix(client, own_id)
            self._own_id = own_id
            self.connections += 1
            log.info("MQTT connected (%s)", self._topics.prefix)
            await client.publish(self._topics.availability, AVAILABLE, qos=1, retain=True)
            for topic, payload in self._discovery:
                await client.publish(topic, payload, qos=1, retain=True)
            state = self._state_message()
            await client.publish(state.topic, state.payload, qos=state.qos, retain=True)
            await client.subscribe(self._topics.presence, qos=1)  # answer later sessions
            if self._commands.enabled:
                if self._protocol is ProtocolVersion.V5:
                    options = SubscribeOptions(qos=1, retainAsPublished=True)
                    await client.subscribe(self._topics.command, options=options)
                else:
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
            if (
                item.kind is Kind.TELEMETRY
                and time.monotonic() - item.queued_s > MAX_TELEMETRY_AGE_S
            ):
                self.stale_dropped += 1
                continue
            try:
                await client.publish(item.topic, item.payload, qos=item.qos, retain=item.retain)
            except BaseException:
                self._outbox.put_back(item)
                raise

    async def _listen(self, client: aiomqtt.Client) -> None:
        async for message in client.messages:
            dropped = _take_dropped(client)
            if dropped:
                await self._report(
                    Rejection(f"{dropped} command(s) dropped unread: too many at once (a flood)")
                )
            if message.topic.matches(self._topics.presence):
                if _text(message.payload) != self._own_id:
                    await client.publish(self._topics.presence_reply, self._own_id.encode(), qos=1)
                continue
            if not message.topic.matches(self._topics.command):
                continue
            payload = message.payload if isinstance(message.payload, bytes) else b""
            if message.retain and not payload:
                continue  # someone cleared a retained message: not a command
            await self._answer(client, payload, retained=bool(message.retain))

    async def _report(self, rejection: Rejection) -> None:
        if self._audit is not None:
            try:
                await self._audit(rejection)
            except Exception:
                log.exception("an MQTT rejection could not be audited")

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
            log.info("MQTT command rejected: %s", outcome.reason)
            await self._report(outcome)
        answer = encode(response_payload(outcome, result))
        await client.publish(self._topics.response, answer, qos=1)


def _text(payload: object) -> str:
    if isinstance(payload, bytes | bytearray):
        return bytes(payload).decode("utf-8", "replace").strip()
    return str(payload or "")


def _take_dropped(client: aiomqtt.Client) -> int:
    queue = getattr(client, "_queue", None)
    take = getattr(queue, "take_dropped", None)
    return int(take()) if callable(take) else 0
