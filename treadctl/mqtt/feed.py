"""From the session's event stream to outgoing MQTT messages (pure; runs in the bus listener).

Folds events into a ``SessionView`` and decides what to send: the retained state whenever it
changes, one telemetry sample per session second (session time, not a wall-clock timer, so a
``--fast`` session publishes the same samples as a real one), and the events a viewer cares about.
"""

from __future__ import annotations

import math

from treadctl.events import SessionEvent, Telemetry
from treadctl.mqtt.outbox import Kind, Outgoing
from treadctl.mqtt.payloads import encode, event_payload, state_payload, telemetry_payload
from treadctl.mqtt.topics import Topics
from treadctl.view import SessionView, reduce


class SessionFeed:
    def __init__(self, topics: Topics, identity: dict[str, str] | None = None) -> None:
        self._topics = topics
        # Who walks what (``person``, ``profile``): fixed for the session, in every state
        # message so a clinic view can name each treadmill's walker.
        self._identity = dict(identity or {})
        self.view = SessionView()
        self._state_bytes = self._encode_state()
        self._telemetry_second: int | None = None

    def state_message(self) -> Outgoing:
        """The current retained state (sent again after every reconnect)."""
        return Outgoing(Kind.STATE, self._topics.state, self._state_bytes, retain=True, qos=1)

    def _encode_state(self) -> bytes:
        return encode({**state_payload(self.view), **self._identity})

    def on_event(self, event: SessionEvent) -> list[Outgoing]:
        self.view = reduce(self.view, event)
        out: list[Outgoing] = []
        body = event_payload(event)
        if body is not None:
            out.append(Outgoing(Kind.EVENT, self._topics.event, encode(body), qos=1))
        state_bytes = self._encode_state()
        if state_bytes != self._state_bytes:
            self._state_bytes = state_bytes
            out.append(self.state_message())
        if isinstance(event, Telemetry):
            second = math.floor(event.t_s)
            if self._telemetry_second is None or second > self._telemetry_second:
                self._telemetry_second = second
                payload = encode(telemetry_payload(self.view))
                out.append(Outgoing(Kind.TELEMETRY, self._topics.telemetry, payload))
        return out
