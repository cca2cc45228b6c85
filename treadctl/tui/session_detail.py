"""One recorded session: what ``treadctl history show ID`` prints, as a screen (its totals, a
table of its bouts, the speed sparkline and which way the walker faced)."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from treadctl.errors import TreadctlError
from treadctl.history import report
from treadctl.tui.history_data import HistoryReader
from treadctl.tui.widgets.tables import ReportTable
from treadctl.units import SpeedUnit

# "facing " before the chart and "  B backward, f forward" after it, plus the screen's padding
CHART_MARGIN = 34
FACING = "facing "
FACING_COLOURS = {"B": "#ff8f1f", "f": "#1f6feb"}  # the session screen's direction colours


class SessionDetailScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q", "back", "Back")]

    def __init__(self, reader: HistoryReader, session_id: int, *, units: SpeedUnit = "kmh") -> None:
        super().__init__()
        self.reader = reader
        self.session_id = session_id
        self.units: SpeedUnit = units

    def compose(self) -> ComposeResult:
        with VerticalScroll(id="detail-body"):
            yield Static(id="detail-heading")
            yield ReportTable(id="detail-bouts")
            yield Static(id="detail-chart")
        yield Footer()

    def on_mount(self) -> None:
        heading = self.query_one("#detail-heading", Static)
        table = self.query_one("#detail-bouts", ReportTable)
        try:
            item = self.reader.detail(self.session_id)
        except TreadctlError as error:
            heading.update(f"✕ {error}")
            heading.add_class("error")
            item = None
        if item is None:
            if not heading.has_class("error"):
                heading.update(f"Session {self.session_id} is no longer in the history.")
            table.display = False
            return
        heading.update(Text("\n".join(report.heading_lines(item, self.units))))
        if item.laps:
            table.fill(
                report.lap_header(self.units),
                [report.lap_row(lap, self.units) for lap in item.laps],
                right=report.LAP_RIGHT,
            )
            table.focus()
        else:
            table.display = False
        width = max(10, min(report.CHART_WIDTH, self.app.size.width - CHART_MARGIN))
        lines = report.chart_lines(item, width, self.units)
        marks = min(width, len(item.samples))  # the chart is no wider than the samples
        chart = Text("\n").join(_coloured(line, marks) for line in lines)
        self.query_one("#detail-chart", Static).update(chart)

    def action_back(self) -> None:
        self.dismiss(None)


def _coloured(line: str, width: int) -> Text:
    """The facing strip's ``width`` marks in the direction colours; other lines as they are."""
    text = Text(line)
    if line.startswith(FACING):
        for offset in range(len(FACING), min(len(line), len(FACING) + width)):
            if line[offset] in FACING_COLOURS:
                text.stylize(f"bold {FACING_COLOURS[line[offset]]}", offset, offset + 1)
    return text
