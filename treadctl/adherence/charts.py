"""Charts for the report, drawn with matplotlib as inline SVG (the optional ``report`` extra).

Text stays text in the SVG (``svg.fonttype = none``) so a browser, a screen reader and a search
find the titles and labels; ids are salted with a constant so the same report renders the same
bytes. Without matplotlib ``available()`` is False and the report is tables only.
"""

from __future__ import annotations

import io
import re
from collections.abc import Sequence
from typing import Any

from .data import Report, SessionRow

BACKWARD_COLOUR = "#b4469b"
FORWARD_COLOUR = "#2d7fb8"
GOAL_COLOUR = "#333333"
_METADATA = re.compile(r"<metadata>.*?</metadata>\s*", re.S)


def available() -> bool:
    try:
        import matplotlib  # noqa: F401
    except ImportError:
        return False
    return True


def _figure(height_in: float = 2.8) -> Any:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(8.0, height_in), dpi=96, layout="constrained")
    return figure


def _svg(figure: Any) -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context({"svg.fonttype": "none", "svg.hashsalt": "treadctl-report"}):
        figure.savefig(buffer, format="svg", metadata={"Date": None, "Creator": "treadctl"})
    text = buffer.getvalue()
    text = _METADATA.sub("", text[text.index("<svg") :])
    return text


def _session_labels(rows: Sequence[SessionRow]) -> list[str]:
    return [f"{row.started_at.astimezone():%d %b}\n#{row.id}" for row in rows]


def sessions_per_week(report: Report) -> str:
    figure = _figure()
    axes = figure.subplots()
    labels = [w.iso_week for w in report.weeks]
    x = list(range(len(labels)))
    axes.bar(x, [w.sessions for w in report.weeks], color=FORWARD_COLOUR, label="sessions walked")
    goals = [(i, w.goal_sessions) for i, w in enumerate(report.weeks) if w.goal_sessions]
    if goals:
        axes.scatter(
            [i for i, _ in goals],
            [g for _, g in goals],
            marker="_",
            s=600,
            color=GOAL_COLOUR,
            label="program goal",
            zorder=3,
        )
    axes.set_xticks(x, labels, fontsize=8)
    axes.set_ylabel("sessions")
    axes.set_title("Sessions per week against the program")
    axes.legend(loc="upper left", fontsize=8)
    return _svg(figure)


def minutes_per_week(report: Report) -> str:
    figure = _figure()
    axes = figure.subplots()
    labels = [w.iso_week for w in report.weeks]
    x = list(range(len(labels)))
    width = 0.38
    axes.bar(
        [i - width / 2 for i in x],
        [w.backward_min for w in report.weeks],
        width,
        color=BACKWARD_COLOUR,
        label="backward minutes",
    )
    axes.bar(
        [i + width / 2 for i in x],
        [w.forward_min for w in report.weeks],
        width,
        color=FORWARD_COLOUR,
        label="forward minutes",
    )
    for offset, key in ((-width / 2, "goal_backward_min"), (width / 2, "goal_forward_min")):
        points = [(i + offset, getattr(w, key)) for i, w in enumerate(report.weeks)]
        points = [(i, g) for i, g in points if g is not None]
        if points:
            axes.scatter(
                [i for i, _ in points],
                [g for _, g in points],
                marker="_",
                s=300,
                color=GOAL_COLOUR,
                zorder=3,
                label="goal" if key == "goal_backward_min" else None,
            )
    axes.set_xticks(x, labels, fontsize=8)
    axes.set_ylabel("minutes")
    axes.set_title("Backward and forward minutes per week against the goal")
    axes.legend(loc="upper left", fontsize=8)
    return _svg(figure)


def speed_and_incline(report: Report) -> str:
    rows = report.sessions
    figure = _figure(3.0)
    axes = figure.subplots()
    x = list(range(len(rows)))
    for key, colour, label in (
        ("backward_speed_kmh", BACKWARD_COLOUR, "backward speed (km/h)"),
        ("forward_speed_kmh", FORWARD_COLOUR, "forward speed (km/h)"),
    ):
        points = [(i, getattr(r, key)) for i, r in enumerate(rows) if getattr(r, key) is not None]
        if points:
            axes.plot(
                [i for i, _ in points], [v for _, v in points], "o-", color=colour, label=label
            )
    axes.set_ylabel("km/h")
    axes.set_ylim(bottom=0)
    incline = axes.twinx()
    points = [(i, r.max_incline_pct) for i, r in enumerate(rows) if r.max_incline_pct is not None]
    if points:
        incline.plot(
            [i for i, _ in points],
            [v for _, v in points],
            "s--",
            color="#777777",
            label="highest incline (%)",
        )
    incline.set_ylabel("incline %")
    incline.set_ylim(bottom=0)
    axes.set_xticks(x, _session_labels(rows), fontsize=7)
    axes.set_title("Speed and incline per session")
    handles = axes.get_legend_handles_labels()
    extra = incline.get_legend_handles_labels()
    axes.legend(handles[0] + extra[0], handles[1] + extra[1], loc="lower left", fontsize=8)
    return _svg(figure)


def effort_and_pain(report: Report) -> str:
    rows = [r for r in report.sessions if r.effort_rpe is not None or r.knee_pain is not None]
    figure = _figure()
    axes = figure.subplots()
    for key, colour, label in (
        ("effort_rpe", "#c77c02", "effort (RPE 0-10)"),
        ("knee_pain", "#c0392b", "knee pain (0-10)"),
    ):
        points = [(i, getattr(r, key)) for i, r in enumerate(rows) if getattr(r, key) is not None]
        if points:
            axes.plot(
                [i for i, _ in points], [v for _, v in points], "o-", color=colour, label=label
            )
    axes.set_ylim(0, 10.5)
    axes.set_xticks(list(range(len(rows))), _session_labels(rows), fontsize=7)
    axes.set_title("Effort and knee pain after each session")
    axes.legend(loc="upper left", fontsize=8)
    return _svg(figure)


def heart_rate(report: Report) -> str:
    rows = [r for r in report.sessions if r.max_hr_bpm is not None]
    figure = _figure()
    axes = figure.subplots()
    x = list(range(len(rows)))
    width = 0.38
    axes.bar(
        [i - width / 2 for i in x],
        [r.backward_hr_bpm or 0 for r in rows],
        width,
        color=BACKWARD_COLOUR,
        label="walking backward",
    )
    axes.bar(
        [i + width / 2 for i in x],
        [r.forward_hr_bpm or 0 for r in rows],
        width,
        color=FORWARD_COLOUR,
        label="walking forward",
    )
    axes.set_xticks(x, _session_labels(rows), fontsize=7)
    axes.set_ylabel("mean bpm")
    axes.set_title("Heart rate by direction")
    axes.legend(loc="lower left", fontsize=8)
    return _svg(figure)
