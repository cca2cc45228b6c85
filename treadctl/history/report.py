"""What ``treadctl history`` shows, as text for people and as JSON-ready dicts for scripts.

Shared by the command line and the start screen of the terminal UI, so both say the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from treadctl.direction import Direction
from treadctl.history import chart
from treadctl.history.db import LapRecord, SampleRecord, SessionRecord
from treadctl.history.laps import LapTotals, lap_totals
from treadctl.units import format_duration

CHART_WIDTH = 60


@dataclass(frozen=True)
class SessionDetail:
    session: SessionRecord
    laps: list[LapTotals]
    samples: list[SampleRecord]


def detail(
    session: SessionRecord, laps: list[LapRecord], samples: list[SampleRecord]
) -> SessionDetail:
    return SessionDetail(session, lap_totals(session, laps, samples) if laps else [], samples)


def ended_text(session: SessionRecord) -> str:
    text = session.end_status.replace("_", " ")
    if not session.finished:
        text += " (incomplete)"
    return text


def ended_line(session: SessionRecord) -> str:
    """How it ended, with the reason when the reason says more than the status."""
    reason = session.end_reason
    return ended_text(session) + (f": {reason}" if reason and reason != session.end_status else "")


def session_json(session: SessionRecord) -> dict[str, Any]:
    return {
        "id": session.id,
        "started_at": session.started_at.isoformat(),
        "ended_at": session.ended_at.isoformat() if session.ended_at else None,
        "profile": session.profile_name,
        "device": session.device,
        "simulated": session.simulated,
        "end_status": session.end_status,
        "end_reason": session.end_reason,
        "finished": session.finished,
        "duration_s": round(session.duration_s, 1),
        "backward_s": round(session.backward_s, 1),
        "forward_s": round(session.forward_s, 1),
        "distance_m": round(session.distance_m, 1),
        "energy_kcal": round(session.energy_kcal, 1),
        "bouts_completed": session.bouts_completed,
        "bouts_total": session.bouts_total,
    }


def lap_json(lap: LapTotals) -> dict[str, Any]:
    return {
        "bout": lap.bout_index + 1,
        "label": lap.label,
        "direction": str(lap.direction),
        "start_s": round(lap.start_t_s, 1),
        "duration_s": round(lap.duration_s, 1),
        "distance_m": round(lap.distance_m, 1),
        "energy_kcal": round(lap.energy_kcal, 1),
        "avg_speed_kmh": round(lap.avg_speed_kmh, 2),
        "max_speed_kmh": round(lap.max_speed_kmh, 2),
        "target_speed_kmh": lap.target_speed_kmh,
        "target_incline_pct": lap.target_incline_pct,
        "avg_heart_rate_bpm": lap.avg_heart_rate_bpm,
        "max_heart_rate_bpm": lap.max_heart_rate_bpm,
    }


def detail_json(item: SessionDetail) -> dict[str, Any]:
    return {**session_json(item.session), "laps": [lap_json(lap) for lap in item.laps]}


def _minutes(duration_s: float) -> str:
    return f"{duration_s / 60:.1f}"


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    return [line(header), *(line(row) for row in rows)]


HISTORY_HEADER = ("ID", "date", "profile", "back min", "fwd min", "distance", "kcal", "ended")
HISTORY_RIGHT = frozenset({0, 3, 4, 5, 6})  # the columns aligned right (numbers)
NO_HISTORY = "No sessions recorded yet. Try: treadctl run PROFILE --simulate"


def history_row(s: SessionRecord) -> tuple[str, ...]:
    """One session as the cells of ``HISTORY_HEADER`` (the table and the TUI show the same)."""
    return (
        str(s.id),
        s.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
        s.profile_name + (" (sim)" if s.simulated else ""),
        _minutes(s.backward_s),
        _minutes(s.forward_s),
        f"{s.distance_m / 1000:.2f} km",
        f"{s.energy_kcal:.0f}",
        ended_text(s),
    )


def history_table(sessions: list[SessionRecord]) -> str:
    if not sessions:
        return NO_HISTORY
    rows = [history_row(s) for s in sessions]
    return "\n".join(_table(HISTORY_HEADER, rows, right=set(HISTORY_RIGHT)))


def heading_lines(item: SessionDetail) -> list[str]:
    """What the session was: profile, device, when, how long, how it ended, its totals."""
    s = item.session
    return [
        f"Session {s.id}: {s.profile_name}{' (simulated)' if s.simulated else ''} on {s.device}",
        f"Started {s.started_at.astimezone():%Y-%m-%d %H:%M}, {format_duration(s.duration_s)}"
        f" long, {ended_line(s)}",
        f"Backward {format_duration(s.backward_s)}, forward {format_duration(s.forward_s)},"
        f" {s.distance_m:.0f} m, {s.energy_kcal:.0f} kcal,"
        f" bouts {s.bouts_completed}/{s.bouts_total}",
    ]


LAP_HEADER = ("bout", "direction", "label", "time", "distance", "avg km/h", "kcal")
LAP_RIGHT = frozenset({0, 3, 4, 5, 6})


def lap_row(lap: LapTotals) -> tuple[str, ...]:
    """One bout as the cells of ``LAP_HEADER``."""
    return (
        f"{lap.bout_index + 1}/{lap.bout_count}",
        str(lap.direction),
        lap.label,
        format_duration(lap.duration_s),
        f"{lap.distance_m:.0f} m",
        f"{lap.avg_speed_kmh:.1f}",
        f"{lap.energy_kcal:.1f}",
    )


def chart_lines(item: SessionDetail, width: int = CHART_WIDTH) -> list[str]:
    """The speed sparkline and the facing strip, at most ``width`` columns of chart each."""
    s = item.session
    speeds = [x.speed_kmh or 0.0 for x in item.samples]
    if not speeds:
        return ["No samples were recorded."]
    total_s = max(s.duration_s, item.samples[-1].t_s)
    width = min(width, len(speeds))
    spans = [
        (lap.start_t_s, lap.end_t_s, "B" if lap.direction is Direction.BACKWARD else "f")
        for lap in item.laps
    ]
    lines = [f"speed  {chart.sparkline(speeds, width)}  max {max(speeds):.1f} km/h"]
    if spans:
        lines.append(f"facing {chart.strip(spans, total_s, width)}  B backward, f forward")
    return lines


def show_text(item: SessionDetail) -> str:
    lines = [*heading_lines(item), ""]
    if item.laps:
        rows = [lap_row(lap) for lap in item.laps]
        lines += _table(LAP_HEADER, rows, right=set(LAP_RIGHT))
        lines.append("")
    lines += chart_lines(item)
    return "\n".join(lines)
