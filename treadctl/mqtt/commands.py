"""Incoming remote commands: parse and validate a payload into a ``Request``, or say why not.

Pure. Nothing here touches the belt: an accepted payload becomes a ``Request`` that the
supervisor still judges and caps. What is allowed depends on ``[mqtt.commands]``: stop and pause
when commands are on; nudges with ``allow_nudge``; resume, start and re-arm (anything that sets
the belt moving again) only with ``allow_start``, since the session refuses a remote restart
otherwise.

Payloads: ``{"command": "stop"}``, ``{"command": "nudge_speed", "value": -0.2, "id": "x1"}``, or
a bare word such as ``stop`` (handy with ``mosquitto_pub``). ``id`` is echoed in the response.
Command words are read in any letter case. Stop is the easiest command to get through: a bare
``stop``, a JSON string ``"stop"``, or an object whose ``command`` is stop, with any other fields
(a ``value``, unknown keys) ignored rather than refused.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass
from typing import Any

from treadctl.controls import Request, RequestKind, RequestResult
from treadctl.mqtt.config import MqttCommandsConfig

SOURCE = "mqtt"
MAX_PAYLOAD_BYTES = 1024
MAX_SPEED_NUDGE_KMH = 1.0  # per command; the supervisor's caps still apply to the result
MAX_INCLINE_NUDGE_PCT = 2.0
MAX_ID_CHARS = 64

_BARE_WORD = re.compile(r"^[A-Za-z_]{1,32}$")

# command word -> (request kind, permission needed: "basic", "nudge" or "start")
_COMMANDS: dict[str, tuple[RequestKind, str]] = {
    "stop": (RequestKind.STOP, "basic"),
    "pause": (RequestKind.PAUSE, "basic"),
    "resume": (RequestKind.RESUME, "start"),  # restarts the belt: refused remotely otherwise
    "nudge_speed": (RequestKind.NUDGE_SPEED, "nudge"),
    "nudge_incline": (RequestKind.NUDGE_INCLINE, "nudge"),
    "start": (RequestKind.START, "start"),
    "rearm": (RequestKind.REARM, "start"),
}
_NUDGE_LIMITS = {
    RequestKind.NUDGE_SPEED: (MAX_SPEED_NUDGE_KMH, "km/h"),
    RequestKind.NUDGE_INCLINE: (MAX_INCLINE_NUDGE_PCT, "%"),
}


@dataclass(frozen=True)
class Rejection:
    """A payload that never reached the supervisor, and why (in words for the response topic)."""

    reason: str
    command: str | None = None
    id: str | None = None

    @property
    def request(self) -> str:
        """The request kind it asked for (for the audit log), or ``unknown``."""
        known = _COMMANDS.get(self.command or "")
        return str(known[0]) if known is not None else "unknown"


@dataclass(frozen=True)
class Accepted:
    """A valid, allowed command for the supervisor to judge."""

    request: Request
    command: str
    id: str | None = None


def allowed_commands(config: MqttCommandsConfig) -> tuple[str, ...]:
    """The command words this configuration accepts (empty when commands are off)."""
    if not config.enabled:
        return ()
    granted = {"basic"}
    if config.allow_nudge:
        granted.add("nudge")
    if config.allow_start:
        granted.add("start")
    return tuple(word for word, (_, need) in _COMMANDS.items() if need in granted)


def parse_command(
    payload: bytes, config: MqttCommandsConfig, *, retained: bool = False
) -> Accepted | Rejection:
    """Validate one command message. Never raises."""
    if retained:
        # A retained command would be replayed on every reconnect: never act on one.
        return Rejection(
            "retained commands are ignored; publish commands without the retain flag",
            _peek_word(payload),
        )
    if len(payload) > MAX_PAYLOAD_BYTES:
        return Rejection(f"payload larger than {MAX_PAYLOAD_BYTES} bytes")
    try:
        text = payload.decode("utf-8").strip()
    except UnicodeDecodeError:
        return Rejection("payload is not UTF-8 text")
    body = _body(text)
    if isinstance(body, Rejection):
        return body
    raw_id = body.get("id")
    ident = str(raw_id)[:MAX_ID_CHARS] if isinstance(raw_id, str | int) else None
    word = body.get("command")
    if not isinstance(word, str):
        return Rejection('missing "command" (a string)', id=ident)
    word = word.strip().lower()
    if word not in _COMMANDS:
        return Rejection(f"unknown command {word[:32]!r}", id=ident)
    if word not in allowed_commands(config):
        return Rejection(f"command {word!r} is not enabled ({_how_to_enable(word)})", word, ident)
    kind, _ = _COMMANDS[word]
    if kind is RequestKind.STOP:
        return Accepted(Request(kind, source=SOURCE), word, ident)  # nothing else can refuse it
    unknown = set(body) - {"command", "value", "id"}
    if unknown:
        return Rejection(f"unknown field(s): {', '.join(sorted(unknown))}", word, ident)
    value = _value(kind, body.get("value"))
    if isinstance(value, str):
        return Rejection(value, word, ident)
    return Accepted(Request(kind, value=value, source=SOURCE), word, ident)


def is_stop(payload: bytes) -> bool:
    """A cheap look (no JSON parsing) at whether a payload could be a stop: such messages are
    taken ahead of every other command waiting (``parse_command`` still decides)."""
    return b"stop" in payload[:MAX_PAYLOAD_BYTES].lower()


def _peek_word(payload: bytes) -> str | None:
    """The command word of a payload that will not be parsed further (for the audit log)."""
    try:
        body = _body(payload[:MAX_PAYLOAD_BYTES].decode("utf-8").strip())
    except UnicodeDecodeError:
        return None
    word = body.get("command") if isinstance(body, dict) else None
    return word.strip().lower()[:32] if isinstance(word, str) else None


def _body(text: str) -> dict[str, Any] | Rejection:
    if _BARE_WORD.match(text):
        return {"command": text}
    try:
        body = json.loads(text)
    except (ValueError, RecursionError):
        return Rejection("payload is neither a command word nor valid JSON")
    if isinstance(body, str) and _BARE_WORD.match(body.strip()):
        return {"command": body.strip()}  # "stop", as a JSON string
    if not isinstance(body, dict):
        return Rejection('JSON payload must be an object such as {"command": "stop"}')
    return body


def _value(kind: RequestKind, value: Any) -> float | str | None:
    """The request's value, or a reason (str) why it is invalid."""
    limits = _NUDGE_LIMITS.get(kind)
    if limits is None:
        return None if value is None else f"{kind} takes no value"
    limit, unit = limits
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f'{kind} needs a numeric "value" ({unit})'
    delta = float(value)
    if not math.isfinite(delta) or delta == 0 or abs(delta) > limit:
        return f"value must be non-zero and within ±{limit:g} {unit}"
    return delta


def _how_to_enable(word: str) -> str:
    need = _COMMANDS[word][1]
    if need == "nudge":
        return "set allow_nudge = true in [mqtt.commands]"
    if need == "start":
        return "set allow_start = true in [mqtt.commands]"
    return "set enabled = true in [mqtt.commands]"


def response_payload(
    outcome: Accepted | Rejection, result: RequestResult | None = None
) -> dict[str, Any]:
    """The answer on the response topic. ``result`` is the supervisor's, for accepted payloads."""
    if isinstance(outcome, Rejection):
        return {
            "id": outcome.id,
            "command": outcome.command,
            "accepted": False,
            "reason": outcome.reason,
        }
    accepted = result is not None and result.accepted
    reason = "" if result is None else result.reason
    return {"id": outcome.id, "command": outcome.command, "accepted": accepted, "reason": reason}
