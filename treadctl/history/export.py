"""One entry point for the three export formats, and the default file name."""

from __future__ import annotations

import sqlite3
from typing import Literal

from treadctl.history import db
from treadctl.history.laps import lap_totals

Format = Literal["fit", "tcx", "csv"]
FORMATS: tuple[Format, ...] = ("fit", "tcx", "csv")


def export_session(conn: sqlite3.Connection, session_id: int, fmt: Format) -> bytes:
    """The session in ``fmt``, as the bytes of the file."""
    session = db.get_session(conn, session_id)
    if session is None:
        raise KeyError(session_id)
    laps = db.get_laps(conn, session_id)
    samples = db.get_samples(conn, session_id)
    if fmt == "csv":
        from treadctl.history.checkins import get as get_checkin
        from treadctl.history.csv_export import encode_csv

        checkin = get_checkin(conn, session_id)
        return encode_csv(session, laps, samples, checkin).encode("utf-8")
    totals = lap_totals(session, laps, samples)
    if fmt == "tcx":
        from treadctl.history.tcx import encode_tcx

        return encode_tcx(session, totals, samples).encode("utf-8")
    from treadctl.history.device_info import load
    from treadctl.history.fit import encode_activity

    return encode_activity(
        session, totals, samples, load(conn, session_id), pauses=db.get_pauses(conn, session_id)
    )


def default_file_name(conn: sqlite3.Connection, session_id: int, fmt: Format) -> str:
    session = db.get_session(conn, session_id)
    stamp = session.started_at.astimezone().strftime("%Y%m%d-%H%M") if session else "unknown"
    return f"treadctl-{session_id}-{stamp}.{fmt}"
