"""A recorded session's samples as CSV: one row per session second, for spreadsheets."""

from __future__ import annotations

import csv
import io
from datetime import UTC, timedelta
from typing import TYPE_CHECKING

from treadctl.history.db import LapRecord, SampleRecord, SessionRecord

if TYPE_CHECKING:
    from treadctl.history.checkins import Checkin

COLUMNS = (
    "time_utc",
    "t_s",
    "bout",
    "direction",
    "speed_kmh",
    "incline_pct",
    "distance_m",
    "heart_rate_bpm",
    "energy_kcal",
)
# The session's check-in (the same on every row, empty when skipped): effort and knee pain.
CHECKIN_COLUMNS = ("effort_rpe", "knee_pain", "morning_pain")


def _cell(value: float | int | None) -> str:
    if value is None:
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value)


def encode_csv(
    session: SessionRecord,
    laps: list[LapRecord],
    samples: list[SampleRecord],
    checkin: Checkin | None = None,
) -> str:
    by_seq = {lap.seq: lap for lap in laps}
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow((*COLUMNS, *CHECKIN_COLUMNS))
    answers = tuple(
        ("", "", "")
        if checkin is None
        else (_cell(checkin.effort_rpe), _cell(checkin.knee_pain), _cell(checkin.morning_pain))
    )
    for sample in samples:
        lap = by_seq.get(sample.lap_seq) if sample.lap_seq is not None else None
        moment = (session.started_at + timedelta(seconds=sample.t_s)).astimezone(UTC)
        writer.writerow(
            (
                moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
                f"{sample.t_s:g}",
                "" if lap is None else lap.bout_index + 1,
                "" if lap is None else str(lap.direction),
                _cell(sample.speed_kmh),
                _cell(sample.incline_pct),
                _cell(sample.distance_m),
                _cell(sample.heart_rate_bpm),
                _cell(sample.energy_kcal),
                *answers,
            )
        )
    return out.getvalue()
