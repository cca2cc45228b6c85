"""Target against measured speed and incline, heart rate: a small right-aligned table."""

from __future__ import annotations

from rich.table import Table
from textual.widgets import Static

from treadctl.tui import fmt
from treadctl.units import SpeedUnit, speed_label
from treadctl.view import SessionView


class Readouts(Static):
    def show(self, view: SessionView, unit: SpeedUnit, *, live: bool = True) -> None:
        """``live`` False (the link is down, the data is stale, the session is over) shows the
        measured column as unknown rather than the last value, which may no longer be true."""
        table = Table.grid(padding=(0, 1))
        table.add_column(justify="left", style="bold")
        table.add_column(justify="right")
        table.add_column(justify="right", style="bold")
        table.add_row("", "target", "now")
        table.add_row(
            speed_label(unit),
            fmt.speed(view.target_speed_kmh, unit, with_unit=False),
            fmt.speed(view.measured_speed_kmh if live else None, unit, with_unit=False),
        )
        table.add_row(
            "incline %",
            _one(view.target_incline_pct),
            _one(view.measured_incline_pct if live else None),
        )
        heart = "–" if view.heart_rate_bpm is None or not live else str(view.heart_rate_bpm)
        # The trust state beside the number: "no contact", "frozen", ... (nothing when unknown).
        trust = (view.heart_rate_trust or "").replace("_", " ")
        table.add_row("heart bpm", "" if trust in ("", "good") else trust, heart)
        self.update(table)


def _one(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"
