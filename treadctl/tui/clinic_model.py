"""What the clinic view knows about each treadmill, folded from MQTT messages (pure; no I/O).

Every session publishes under ``<root>/<id>/``: a retained ``availability`` (``online`` /
``offline``, also the broker-held last will), a retained ``state`` (person, profile, bout,
direction, link, safety reason), one ``telemetry`` sample per session second, ``event``s and the
``response`` to each remote command. ``Board.apply`` folds one message into the board;
``Board.rows`` lists the treadmills, the ones that need attention first.

Attention, loudest first: an alarm (a safety stop or fault, a lost link, a treadmill that went
offline in the middle of a session, or telemetry gone quiet for ``STALE_S``), then paused or
turning, then the rest.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass
from enum import IntEnum
from typing import Any

STALE_S = 5.0
ANSWER_S = 3.0  # a treadmill answers a command at once; silence means it does not listen
LEAVES = ("availability", "state", "telemetry", "event", "response")


class Attention(IntEnum):
    NORMAL = 0
    NOTICE = 1  # paused, turning, connecting
    ALARM = 2


@dataclass(frozen=True)
class Treadmill:
    id: str
    prefix: str
    online: bool | None = None
    person: str | None = None
    profile: str | None = None
    state: str | None = None
    phase: str | None = None
    bout: int | None = None
    bout_count: int | None = None
    bout_label: str | None = None
    direction: str | None = None
    speed_kmh: float | None = None
    target_speed_kmh: float | None = None
    heart_rate_bpm: int | None = None
    link: str | None = None
    safety_reason: str | None = None
    safety_message: str | None = None
    end_status: str | None = None
    last_telemetry_s: float | None = None  # receive time (monotonic seconds) of the last sample
    last_event: str | None = None
    last_response: str | None = None
    pending_command: str | None = None  # sent by this clinic, not answered yet
    pending_since_s: float | None = None

    @property
    def ended(self) -> bool:
        return self.state == "ended"

    def alarm_text(self, now_s: float) -> str | None:
        """Why this treadmill needs someone now, in words; None when it does not."""
        if (
            self.pending_command is not None
            and self.pending_since_s is not None
            and now_s - self.pending_since_s > ANSWER_S
        ):
            return (
                f"{self.pending_command} not answered: remote commands may be off on this "
                "treadmill; stop it at the console"
            )
        if self.safety_reason and not self.ended:
            message = self.safety_message or self.safety_reason.replace("_", " ")
            return f"safety stop: {message}"
        if self.state == "fault":
            return "fault"
        if self.online is False and self.state not in (None, "ended", "idle"):
            return "went offline in the middle of a session"
        if self.link in ("lost", "disconnected", "reconnecting") and not self.ended:
            return f"link to the treadmill {self.link}"
        if self.state == "reconnecting":
            return "link to the treadmill lost; reconnecting"
        if (
            self.online
            and self.state in ("running", "turn")
            and self.last_telemetry_s is not None
            and now_s - self.last_telemetry_s > STALE_S
        ):
            return f"no telemetry for {now_s - self.last_telemetry_s:.0f} s"
        if self.end_status == "safety_stop":
            return "session ended in a safety stop"
        return None

    def attention(self, now_s: float) -> Attention:
        if self.alarm_text(now_s) is not None:
            return Attention.ALARM
        if self.state in ("paused", "turn") or self.link == "connecting":
            return Attention.NOTICE
        return Attention.NORMAL


def _parse(payload: bytes) -> Any:
    try:
        return json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _int(value: Any) -> int | None:
    number = _num(value)
    return None if number is None else int(number)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


class Board:
    """Every treadmill seen under ``root``."""

    def __init__(self, root: str = "treadctl") -> None:
        self.root = root.rstrip("/")
        self.treadmills: dict[str, Treadmill] = {}

    def subscriptions(self) -> list[str]:
        return [f"{self.root}/+/{leaf}" for leaf in LEAVES]

    def command_topic(self, treadmill_id: str) -> str:
        return f"{self.treadmills[treadmill_id].prefix}/command"

    def apply(self, topic: str, payload: bytes, now_s: float) -> str | None:
        """Fold one message in; returns the treadmill id it was about (None if ignored)."""
        parts = topic.split("/")
        root_parts = self.root.split("/")
        if len(parts) != len(root_parts) + 2 or parts[: len(root_parts)] != root_parts:
            return None
        treadmill_id, leaf = parts[-2], parts[-1]
        if leaf not in LEAVES:
            return None
        current = self.treadmills.get(treadmill_id) or Treadmill(
            treadmill_id, f"{self.root}/{treadmill_id}"
        )
        updated = _fold(current, leaf, payload, now_s)
        if updated is None:
            return None
        self.treadmills[treadmill_id] = updated
        return treadmill_id

    def sent(self, treadmill_id: str, command: str, now_s: float) -> None:
        """This clinic sent ``command``; until an answer arrives it is pending."""
        current = self.treadmills.get(treadmill_id)
        if current is not None:
            self.treadmills[treadmill_id] = dataclasses.replace(
                current, pending_command=command, pending_since_s=now_s
            )

    def rows(self, now_s: float) -> list[Treadmill]:
        """Alarms first, then notices, then the rest; by person and id within each."""
        return sorted(
            self.treadmills.values(),
            key=lambda t: (-t.attention(now_s), t.person or "", t.id),
        )

    def alarms(self, now_s: float) -> list[tuple[Treadmill, str]]:
        found = []
        for treadmill in self.rows(now_s):
            text = treadmill.alarm_text(now_s)
            if text is not None:
                found.append((treadmill, text))
        return found


def _fold(current: Treadmill, leaf: str, payload: bytes, now_s: float) -> Treadmill | None:
    replace = dataclasses.replace
    if leaf == "availability":
        text = payload.decode("utf-8", "replace").strip()
        if text not in ("online", "offline"):
            return None
        return replace(current, online=text == "online")
    body = _parse(payload)
    if not isinstance(body, dict):
        return None
    if leaf == "state":
        return replace(
            current,
            person=_text(body.get("person")) or current.person,
            profile=_text(body.get("profile")) or current.profile,
            state=_text(body.get("state")),
            phase=_text(body.get("phase")),
            bout=_int(body.get("bout")),
            bout_count=_int(body.get("bout_count")),
            bout_label=_text(body.get("bout_label")),
            direction=_text(body.get("direction")),
            target_speed_kmh=_num(body.get("bout_target_speed_kmh")),
            link=_text(body.get("link")),
            safety_reason=_text(body.get("safety_reason")),
            safety_message=_text(body.get("safety_message")),
            end_status=_text(body.get("end_status")),
        )
    if leaf == "telemetry":
        return replace(
            current,
            state=_text(body.get("state")) or current.state,
            speed_kmh=_num(body.get("speed_kmh")),
            heart_rate_bpm=_int(body.get("heart_rate_bpm")),
            direction=_text(body.get("direction")) or current.direction,
            bout=_int(body.get("bout")) or current.bout,
            last_telemetry_s=now_s,
        )
    if leaf == "event":
        kind = _text(body.get("kind")) or "event"
        detail = _text(body.get("message")) or _text(body.get("reason")) or ""
        if kind == "bout":
            detail = _text(body.get("label")) or detail
        return replace(current, last_event=f"{kind}: {detail}" if detail else kind)
    if leaf == "response":
        command = _text(body.get("command")) or "command"
        accepted = body.get("accepted") is True
        reason = _text(body.get("reason")) or ""
        verdict = "accepted" if accepted else "refused"
        return replace(
            current,
            last_response=f"{command} {verdict}" + (f": {reason}" if reason else ""),
            pending_command=None,
            pending_since_s=None,
        )
    return None
