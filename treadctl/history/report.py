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
from treadctl.units import SpeedUnit, distance_label, format_duration, from_kmh, speed_label
from treadctl.wording import reason_words

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


RUNNING = "running"
UNFINISHED = "unfinished"
UNFINISHED_WHY = "no end was recorded (treadctl was killed or crashed)"


def ended_text(session: SessionRecord, *, running: bool = False) -> str:
    """How it ended, in one or two words: ``completed``, ``safety stop``, ``interrupted``;
    ``running`` while it still runs; ``unfinished`` when its program died without an end."""
    if not session.finished:
        return RUNNING if running else UNFINISHED
    return session.end_status.replace("_", " ")


def ended_line(session: SessionRecord, *, running: bool = False) -> str:
    """How it ended, with the reason in words when the reason says more than the status."""
    if not session.finished:
        return "running now" if running else f"{UNFINISHED}: {UNFINISHED_WHY}"
    reason = session.end_reason
    text = ended_text(session)
    if not reason or reason in (session.end_status, "completed"):
        return text
    return f"{text}: {reason_words(reason)}"


def session_json(session: SessionRecord, *, running: bool = False) -> dict[str, Any]:
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
        "running": running,
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


def detail_json(item: SessionDetail, *, running: bool = False) -> dict[str, Any]:
    laps = [lap_json(lap) for lap in item.laps]
    return {**session_json(item.session, running=running), "laps": laps}


def _table(header: tuple[str, ...], rows: Sequence[tuple[str, ...]], right: set[int]) -> list[str]:
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(row: tuple[str, ...]) -> str:
        cells = [
            cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
            for i, cell in enumerate(row)
        ]
        return "  ".join(cells).rstrip()

    return [line(header), *(line(row) for row in rows)]


HISTORY_HEADER = ("ID", "date", "profile", "back", "fwd", "km", "kcal", "ended")
HISTORY_RIGHT = frozenset({0, 3, 4, 5, 6})  # the columns aligned right (numbers)
NO_HISTORY = "No sessions recorded yet. Try: treadctl run PROFILE --simulate"
TABLE_WIDTH = 80  # the history table fits an 80-column terminal: long profile names are cut
MIN_PROFILE_WIDTH = 8
SIMULATED = " (sim)"


def history_header(units: SpeedUnit = "kmh") -> tuple[str, ...]:
    """``HISTORY_HEADER`` with the distance column in the user's unit."""
    return (*HISTORY_HEADER[:5], distance_label(units), *HISTORY_HEADER[6:])


def history_row(
    s: SessionRecord,
    units: SpeedUnit = "kmh",
    *,
    running: bool = False,
    profile_width: int | None = None,
) -> tuple[str, ...]:
    """One session as the cells of ``history_header`` (the table and the TUI show the same);
    times as m:ss, the distance in the user's unit."""
    suffix = SIMULATED if s.simulated else ""
    return (
        str(s.id),
        s.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
        _fit(s.profile_name, profile_width - len(suffix) if profile_width else None) + suffix,
        format_duration(s.backward_s),
        format_duration(s.forward_s),
        _distance_number(s.distance_m, units),
        f"{s.energy_kcal:.0f}",
        ended_text(s, running=running),
    )


def _fit(text: str, width: int | None) -> str:
    if width is None or len(text) <= width:
        return text
    return text[: max(1, width - 1)] + "…"


def _distance_number(distance_m: float, units: SpeedUnit) -> str:
    return f"{distance_m / (1609.344 if units == 'mph' else 1000):.2f}"


def history_table(
    sessions: list[SessionRecord],
    units: SpeedUnit = "kmh",
    *,
    running_id: int | None = None,
    width: int = TABLE_WIDTH,
) -> str:
    """The sessions as a table no wider than ``width``: the profile column takes what is left."""
    if not sessions:
        return NO_HISTORY
    header = history_header(units)
    rows = [history_row(s, units, running=s.id == running_id) for s in sessions]
    others = sum(max(len(row[i]) for row in [header, *rows]) for i in range(len(header)) if i != 2)
    room = max(MIN_PROFILE_WIDTH, width - others - 2 * (len(header) - 1))
    if any(len(row[2]) > room for row in rows):
        rows = [
            history_row(s, units, running=s.id == running_id, profile_width=room) for s in sessions
        ]
    return "\n".join(_table(header, rows, right=set(HISTORY_RIGHT)))


def _rounded_sums(item: SessionDetail, units: SpeedUnit) -> tuple[int, int, int, float]:
    """Backward and forward seconds, metres and kcal as the sum of the bout rows as shown
    (whole seconds, whole metres or yards, tenths of kcal): the header adds up to the table."""
    backward_s = sum(
        round(lap.duration_s) for lap in item.laps if lap.direction is Direction.BACKWARD
    )
    forward_s = sum(
        round(lap.duration_s) for lap in item.laps if lap.direction is Direction.FORWARD
    )
    distance = sum(_lap_distance_value(lap.distance_m, units) for lap in item.laps)
    energy_kcal = sum(round(lap.energy_kcal, 1) for lap in item.laps)
    return backward_s, forward_s, distance, round(energy_kcal, 1)


def heading_lines(
    item: SessionDetail, units: SpeedUnit = "kmh", *, running: bool = False
) -> list[str]:
    """What the session was: profile, device, when, how long, how it ended, its totals.

    With bouts recorded, the totals are the sums of the bout rows ``lap_row`` shows."""
    s = item.session
    if item.laps:
        backward, forward, distance, energy_kcal = _rounded_sums(item, units)
        backward_s, forward_s, duration_s = (
            float(backward),
            float(forward),
            float(backward + forward),
        )
        energy = f"{energy_kcal:.1f} kcal"
    else:
        backward_s, forward_s, duration_s = s.backward_s, s.forward_s, s.duration_s
        distance = _lap_distance_value(s.distance_m, units)
        energy = f"{s.energy_kcal:.0f} kcal"
    lines = [
        f"Session {s.id}: {s.profile_name}{' (simulated)' if s.simulated else ''} on {s.device}",
        f"Started {s.started_at.astimezone():%Y-%m-%d %H:%M}, {format_duration(duration_s)}"
        f" long, {ended_line(s, running=running)}",
        f"Backward {format_duration(backward_s)}, forward {format_duration(forward_s)},"
        f" {_distance_text(distance, units)}, {energy},"
        f" bouts {s.bouts_completed}/{s.bouts_total}",
    ]
    walked = (round(s.backward_s), round(s.forward_s))
    if item.laps and s.finished and walked != (round(backward_s), round(forward_s)):
        # `history` and progress count walking time only; the rows tile the whole session
        # (start-up and turn-arounds included), so say both rather than disagree silently.
        lines.append(
            f"Walking only (as `history` lists it): backward {format_duration(s.backward_s)},"
            f" forward {format_duration(s.forward_s)}"
        )
    return lines


LAP_HEADER = ("bout", "direction", "label", "time", "distance", "avg km/h", "kcal")
LAP_RIGHT = frozenset({0, 3, 4, 5, 6})


def lap_header(units: SpeedUnit = "kmh") -> tuple[str, ...]:
    return (*LAP_HEADER[:5], f"avg {speed_label(units)}", *LAP_HEADER[6:])


def _lap_distance_value(distance_m: float, units: SpeedUnit) -> int:
    """Whole metres for km/h walkers, whole yards for mph walkers (a bout is a few hundred)."""
    return round(distance_m / 0.9144) if units == "mph" else round(distance_m)


def _distance_text(value: int, units: SpeedUnit) -> str:
    return f"{value} {'yd' if units == 'mph' else 'm'}"


def lap_row(lap: LapTotals, units: SpeedUnit = "kmh") -> tuple[str, ...]:
    """One bout as the cells of ``lap_header``."""
    return (
        f"{lap.bout_index + 1}/{lap.bout_count}",
        str(lap.direction),
        lap.label,
        format_duration(lap.duration_s),
        _distance_text(_lap_distance_value(lap.distance_m, units), units),
        f"{from_kmh(lap.avg_speed_kmh, units):.1f}",
        f"{lap.energy_kcal:.1f}",
    )


def chart_lines(
    item: SessionDetail, width: int = CHART_WIDTH, units: SpeedUnit = "kmh"
) -> list[str]:
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
    top = f"{from_kmh(max(speeds), units):.1f} {speed_label(units)}"
    lines = [f"speed  {chart.sparkline(speeds, width)}  max {top}"]
    if spans:
        lines.append(f"facing {chart.strip(spans, total_s, width)}  B backward, f forward")
    return lines


def show_text(item: SessionDetail, units: SpeedUnit = "kmh", *, running: bool = False) -> str:
    lines = [*heading_lines(item, units, running=running), ""]
    if item.laps:
        rows = [lap_row(lap, units) for lap in item.laps]
        lines += _table(lap_header(units), rows, right=set(LAP_RIGHT))
        lines.append("")
    lines += chart_lines(item, units=units)
    return "\n".join(lines)
