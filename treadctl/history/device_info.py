"""The treadmill's Device Information (manufacturer, model, firmware, serial) in the history.

Kept in a table of its own (created when first needed) so the sessions schema stays as it is:
one JSON object per session, written once the session has a row, read by the FIT exporter for
its ``device_info`` message. The link's ``DeviceInfo`` is the source; nothing here touches the
radio.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from collections.abc import Callable
from typing import TYPE_CHECKING

from treadctl.events import EventBus, LinkChanged, SessionEvent

if TYPE_CHECKING:
    from treadctl.history.recorder import RecordingHandle
    from treadctl.link import DeviceInfo, TreadmillLink

log = logging.getLogger(__name__)

FIELDS = ("manufacturer", "model", "serial_number", "hardware_revision", "firmware_revision")
_TABLE = (
    "CREATE TABLE IF NOT EXISTS device_info ("
    " session_id INTEGER PRIMARY KEY REFERENCES sessions(id) ON DELETE CASCADE,"
    " info TEXT NOT NULL)"
)


def describe(info: DeviceInfo | None) -> dict[str, str]:
    """The Device Information strings of a ``treadctl.link.DeviceInfo`` (only those present)."""
    return {name: value for name in FIELDS if (value := getattr(info, name, None))}


def save(conn: sqlite3.Connection, session_id: int, info: dict[str, str]) -> None:
    conn.execute(_TABLE)
    conn.execute(
        "INSERT OR REPLACE INTO device_info (session_id, info) VALUES (?, ?)",
        (session_id, json.dumps(info, sort_keys=True)),
    )
    conn.commit()


def load(conn: sqlite3.Connection, session_id: int) -> dict[str, str]:
    """The session's Device Information; empty when none was recorded."""
    try:
        row = conn.execute(
            "SELECT info FROM device_info WHERE session_id = ?", (session_id,)
        ).fetchone()
    except sqlite3.OperationalError:  # no such table: no session recorded any yet
        return {}
    if row is None:
        return {}
    value = json.loads(row[0])
    return {str(k): str(v) for k, v in value.items()} if isinstance(value, dict) else {}


INSERT = "INSERT OR REPLACE INTO device_info (session_id, info) VALUES (?1, ?2)"


def ensure_table(conn: sqlite3.Connection) -> None:
    """The table, created by the history writer when it opens the database."""
    conn.execute(_TABLE)


def attach_device_info(
    bus: EventBus, link: TreadmillLink, recording: RecordingHandle
) -> Callable[[], None]:
    """On each connect, note the link's Device Information and hand it to the recorder's writer
    thread once the session's row exists (never a connection of its own on the event loop: a
    locked database must not stall the session). Returns the unsubscribe function."""
    pending: dict[str, dict[str, str]] = {}

    def on_event(event: SessionEvent) -> None:
        if isinstance(event, LinkChanged) and event.event != "disconnected":
            info = describe(link.info)
            if info:
                pending["info"] = info
        recorder = recording.recorder
        if "info" not in pending or not recorder.started:
            return
        recorder.note(INSERT, (json.dumps(pending.pop("info"), sort_keys=True),))

    return bus.subscribe(on_event)
