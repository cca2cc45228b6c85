"""The report as one self-contained HTML file: inline CSS and inline SVG charts, no scripts,
no fonts or images fetched from anywhere, so it opens offline and can be e-mailed or printed.

Every chart has a table with the same numbers next to it (the tables are the report when
matplotlib is not installed, and what a screen reader reads).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from html import escape

from . import charts
from .data import Report, SessionRow

NO_CHECKINS = "No check-ins recorded."
_STYLE = """
body { font-family: system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #222;
       line-height: 1.4; padding: 0 1rem; }
h1 { font-size: 1.6rem; margin-bottom: 0.2rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #ccc; }
table { border-collapse: collapse; margin: 0.6rem 0; font-size: 0.9rem; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: right; }
th { background: #f2f2f2; }
td.text, th.text { text-align: left; }
.met { color: #1e7b34; font-weight: bold; }
.short { color: #b03a2e; font-weight: bold; }
.stop { background: #fdecea; }
.note { background: #f7f7e8; border-left: 4px solid #c9c36b; padding: 0.5rem 0.8rem; }
.next { background: #e8f4ea; border-left: 4px solid #1e7b34; padding: 0.5rem 0.8rem; }
figure { margin: 0.8rem 0; }
figure svg { max-width: 100%; height: auto; }
.muted { color: #666; }
"""


def _e(value: object) -> str:
    return escape(str(value), quote=True)


def _n(value: float | int | None, digits: int = 1, dash: str = "–") -> str:
    return dash if value is None else f"{value:.{digits}f}"


def _table(headers: Sequence[str], rows: Sequence[Sequence[str]], *, text_cols: int = 1) -> str:
    head = "".join(
        f'<th class="text">{_e(h)}</th>' if i < text_cols else f"<th>{_e(h)}</th>"
        for i, h in enumerate(headers)
    )
    body = []
    for row in rows:
        cells = "".join(
            f'<td class="text">{c}</td>' if i < text_cols else f"<td>{c}</td>"
            for i, c in enumerate(row)
        )
        body.append(f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _chart(draw: Callable[[Report], str], report: Report, caption: str) -> str:
    if not charts.available():
        return ""
    return (
        f'<figure aria-label="{_e(caption)}">{draw(report)}'
        f'<figcaption class="muted">{_e(caption)}</figcaption></figure>'
    )


def _when(row: SessionRow) -> str:
    return row.started_at.astimezone().strftime("%a %d %b %Y %H:%M")


def _session_name(row: SessionRow) -> str:
    name = _e(row.profile_name)
    return f'{name} <span class="muted">(simulated)</span>' if row.simulated else name


def _weeks(report: Report) -> str:
    rows = []
    for week in report.weeks:
        if week.met is None:
            verdict = "–"
        else:
            verdict = (
                '<span class="met">met</span>' if week.met else '<span class="short">short</span>'
            )
        goal = f"{week.goal_sessions}" if week.goal_sessions is not None else "–"
        rows.append(
            [
                _e(week.iso_week),
                _e(week.program_week if week.program_week is not None else "–"),
                f"{week.sessions}",
                goal,
                _n(week.backward_min),
                _n(week.goal_backward_min),
                _n(week.forward_min),
                _n(week.goal_forward_min),
                verdict,
            ]
        )
    table = _table(
        (
            "Week",
            "Program week",
            "Sessions",
            "Goal",
            "Backward min",
            "Goal",
            "Forward min",
            "Goal",
            "Goal met",
        ),
        rows,
    )
    return (
        '<section id="weeks"><h2>Sessions per week against the program</h2>'
        + _chart(charts.sessions_per_week, report, "Sessions per week against the program")
        + _chart(charts.minutes_per_week, report, "Backward and forward minutes against the goal")
        + table
        + "</section>"
    )


def _sessions(report: Report) -> str:
    rows = []
    for row in report.sessions:
        cls = "" if row.end_status == "completed" else ' class="stop"'
        rows.append(
            [
                f"<span{cls}>{_e(_when(row))}</span>",
                _session_name(row),
                _n(row.duration_s / 60),
                _n(row.backward_s / 60),
                _n(row.forward_s / 60),
                _n(row.backward_speed_kmh, 2),
                _n(row.forward_speed_kmh, 2),
                _n(row.mean_incline_pct),
                _n(row.max_incline_pct),
                _e(row.end_status),
            ]
        )
    table = _table(
        (
            "Started",
            "Profile",
            "Minutes",
            "Backward min",
            "Forward min",
            "Backward km/h",
            "Forward km/h",
            "Mean incline %",
            "Highest incline %",
            "Ended",
        ),
        rows,
        text_cols=2,
    )
    empty = "" if report.sessions else "<p>No sessions in this period.</p>"
    chart = _chart(charts.speed_and_incline, report, "Speed and incline per session")
    return (
        '<section id="sessions"><h2>Speed and incline per session</h2>'
        + (chart if report.sessions else "")
        + empty
        + (table if report.sessions else "")
        + "</section>"
    )


def _checkins(report: Report) -> str:
    head = '<section id="checkins"><h2>Effort and knee pain</h2>'
    rows = [r for r in report.sessions if r.effort_rpe is not None or r.knee_pain is not None]
    if not report.checkins_recorded or not rows:
        return head + f"<p>{NO_CHECKINS}</p></section>"
    table = _table(
        ("Session", "Profile", "Effort (RPE 0-10)", "Knee pain (0-10)"),
        [
            [
                _e(r.started_at.astimezone().strftime("%a %d %b %H:%M")),
                _session_name(r),
                _n(r.effort_rpe),
                _n(r.knee_pain),
            ]
            for r in rows
        ],
        text_cols=2,
    )
    trend = _trend(rows)
    return (
        head
        + _chart(charts.effort_and_pain, report, "Effort and knee pain after each session")
        + table
        + f"<p>{_e(trend)}</p></section>"
    )


def _trend(rows: Sequence[SessionRow]) -> str:
    pains = [r.knee_pain for r in rows if r.knee_pain is not None]
    if len(pains) < 2:
        return "Too few knee-pain check-ins for a trend."
    half = len(pains) // 2
    first, last = sum(pains[:half]) / half, sum(pains[half:]) / (len(pains) - half)
    if last > first + 0.5:
        word = "rising"
    elif last < first - 0.5:
        word = "falling"
    else:
        word = "steady"
    return (
        f"Knee pain is {word}: {first:.1f} on average in the earlier sessions, "
        f"{last:.1f} in the later ones."
    )


def _heart_rate(report: Report) -> str:
    head = '<section id="heart-rate"><h2>Heart rate by direction</h2>'
    rows = [r for r in report.sessions if r.max_hr_bpm is not None]
    if not rows:
        return head + "<p>No heart rate recorded.</p></section>"
    table = _table(
        ("Session", "Profile", "Backward mean bpm", "Forward mean bpm", "Highest bpm"),
        [
            [
                _e(r.started_at.astimezone().strftime("%a %d %b %H:%M")),
                _session_name(r),
                _n(r.backward_hr_bpm, 0),
                _n(r.forward_hr_bpm, 0),
                _e(r.max_hr_bpm),
            ]
            for r in rows
        ],
        text_cols=2,
    )
    return (
        head + _chart(charts.heart_rate, report, "Heart rate by direction") + table + "</section>"
    )


def _safety(report: Report) -> str:
    head = '<section id="safety"><h2>Safety stops and faults</h2>'
    if not report.safety:
        return head + "<p>No safety stops or faults in this period.</p></section>"
    by_id = {r.id: r for r in report.sessions}
    rows = []
    for record in report.safety:
        session = by_id.get(record.session_id)
        when = record.started_at.astimezone().strftime("%a %d %b %H:%M")
        at = "end" if record.t_s is None else f"{int(record.t_s // 60)}:{int(record.t_s % 60):02d}"
        rows.append(
            [
                _e(when),
                _session_name(session) if session else _e(record.session_id),
                _e(at),
                _e(record.kind),
                _e(record.reason),
                _e(record.message),
            ]
        )
    table = _table(
        ("Session", "Profile", "At (min:s)", "What", "Reason", "Message"), rows, text_cols=6
    )
    return head + table + "</section>"


def _caps(report: Report) -> str:
    if not report.caps:
        return ""
    rows = [
        [
            _e(name),
            _e(value),
            "prescription (locked)" if name in report.locked_caps else "walker's configuration",
        ]
        for name, value in report.caps.items()
    ]
    return (
        '<section id="caps"><h2>Caps in force</h2>'
        + _table(("Cap", "Value", "From"), rows, text_cols=1)
        + "</section>"
    )


def render_html(report: Report) -> str:
    person = "the default person" if report.person == "default" else report.person
    program = _e(report.program_title) if report.program_title else "no program"
    count = report.simulated_sessions
    simulated = (
        f" {count} of them {'was a simulated dry run' if count == 1 else 'were simulated dry runs'}"
        " (marked below)."
        if count
        else ""
    )
    prescription = ""
    if report.prescription_title:
        notes = (
            f"<p>{_e(report.prescription_notes).replace(chr(10), '<br>')}</p>"
            if report.prescription_notes
            else ""
        )
        prescription = (
            f'<div class="note"><strong>Prescription:</strong> '
            f"{_e(report.prescription_title)}{notes}</div>"
        )
    charts_note = (
        ""
        if charts.available()
        else '<p class="muted">Charts are off: install treadctl[report] (matplotlib) to draw '
        "them. The tables below hold every number.</p>"
    )
    generated = report.generated_at.astimezone().strftime("%d %b %Y %H:%M")
    body = (
        f"<h1>Adherence report: {_e(person)}</h1>"
        f'<p class="muted">{report.weeks_shown} weeks from {report.first_week:%d %b %Y}, '
        f"generated {_e(generated)} by treadctl. Program: {program}. "
        f"{len(report.sessions)} sessions.{simulated}</p>"
        + prescription
        + charts_note
        + f'<section id="next"><h2>What the program suggests next</h2>'
        f'<p class="next">{_e(report.suggestion)}</p></section>'
        + _weeks(report)
        + _sessions(report)
        + _checkins(report)
        + _heart_rate(report)
        + _safety(report)
        + _caps(report)
    )
    title = f"treadctl adherence report: {person}"
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<style>{_STYLE}</style></head><body>{body}</body></html>\n"
    )
