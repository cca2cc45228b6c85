"""The progress screen: what ``treadctl progress`` says (backward minutes per week against the
active program's goal, and what the program suggests next), as a screen."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import Footer, Static

from treadctl.errors import TreadctlError
from treadctl.history import progress_report
from treadctl.history.progress import Progress
from treadctl.tui.history_data import HistoryReader
from treadctl.tui.widgets.tables import ReportTable

WEEK_HEADER = ("ISO week", "program", "backward minutes", "goal", "met")
BAR_WIDTH = 12  # narrower than the command line's, so the row fits 80 columns
NO_PROGRAM = (
    "No active program yet: walk a session of a program (for instance one of Retro start's)"
    " and its weeks will show here."
)


class ProgressScreen(Screen[None]):
    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape,q,p", "back", "Back")]

    def __init__(self, reader: HistoryReader) -> None:
        super().__init__()
        self.reader = reader

    def compose(self) -> ComposeResult:
        yield Static("[b]Progress[/b]", id="progress-title")
        with VerticalScroll(id="progress-body"):
            yield ReportTable(id="progress-weeks")
            yield Static(id="progress-next")
        yield Footer()

    def on_mount(self) -> None:
        title = self.query_one("#progress-title", Static)
        table = self.query_one("#progress-weeks", ReportTable)
        message = self.query_one("#progress-next", Static)
        try:
            progress = self.reader.progress(self.reader.sessions())
        except TreadctlError as error:
            table.display = False
            message.update(Text(f"✕ {error}"))
            message.add_class("error")
            return
        if progress is None:
            table.display = False
            message.update(NO_PROGRAM)
            return
        heading = progress_report.title_line(progress)
        title.update(Text.assemble(("Progress", "bold"), f" — {heading}"))
        table.fill(WEEK_HEADER, week_rows(progress), right={2})
        table.move_cursor(row=table.row_count - 1)  # this week
        table.focus()
        note = progress_report.simulated_note(progress)
        text = Text(progress.suggestion)
        if note:
            text.append(f"\n{note}", style="dim")
        message.update(text)

    def action_back(self) -> None:
        self.dismiss(None)


def week_rows(progress: Progress) -> list[tuple[str, ...]]:
    """One row per week, in the command line's words (``progress_text``)."""
    return [
        (
            week.iso_week,
            f"week {week.program_week}",
            f"{week.backward_min:.1f} "
            + progress_report.bar(week.backward_min, week.goal_backward_min, BAR_WIDTH),
            progress_report.goal_text(week),
            progress_report.met_mark(week),
        )
        for week in progress.weeks
    ]
