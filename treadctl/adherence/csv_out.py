"""The report's numbers as CSV: one row per session, the same numbers the HTML tables show."""

from __future__ import annotations

import csv
import io

from .data import Report, SessionRow

COLUMNS = (
    "session_id",
    "started_at",
    "iso_week",
    "profile",
    "simulated",
    "duration_min",
    "backward_min",
    "forward_min",
    "distance_m",
    "backward_speed_kmh",
    "forward_speed_kmh",
    "mean_incline_pct",
    "max_incline_pct",
    "backward_hr_bpm",
    "forward_hr_bpm",
    "max_hr_bpm",
    "effort_rpe",
    "knee_pain",
    "end_status",
    "end_reason",
)


def _num(value: float | int | None, digits: int = 2) -> str:
    return "" if value is None else f"{value:.{digits}f}"


def csv_row(row: SessionRow) -> list[str]:
    return [
        str(row.id),
        row.started_at.isoformat(),
        row.iso_week,
        row.profile_name,
        "yes" if row.simulated else "no",
        _num(row.duration_s / 60),
        _num(row.backward_s / 60),
        _num(row.forward_s / 60),
        _num(row.distance_m, 1),
        _num(row.backward_speed_kmh),
        _num(row.forward_speed_kmh),
        _num(row.mean_incline_pct, 1),
        _num(row.max_incline_pct, 1),
        _num(row.backward_hr_bpm, 0),
        _num(row.forward_hr_bpm, 0),
        "" if row.max_hr_bpm is None else str(row.max_hr_bpm),
        _num(row.effort_rpe, 1),
        _num(row.knee_pain, 1),
        row.end_status,
        row.end_reason,
    ]


def render_csv(report: Report) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in report.sessions:
        writer.writerow(csv_row(row))
    return out.getvalue()
