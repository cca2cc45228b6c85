"""The history screen: every recorded session as the ``treadctl history`` table shows it; Enter
opens one. Read-only, so it can be looked at any time without touching a session."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from treadctl.errors import TreadctlError
from treadctl.history import report
from treadctl.history.db import SessionRecord
from treadctl.tui.history_data import HistoryReader
from treadctl.tui.session_detail import SessionDetailScreen
from treadctl.tui.widgets.tables import ReportTable
from treadctl.units import SpeedUnit

NO_SESSIONS = "No sessions yet — your first walk will appear here."


class HistoryScreen(Screen[None]):
    """The sessions, newest first; a database that cannot be read is one line, not a crash."""

    BINDINGS: ClassVar[list[BindingType]] = [
        # priority: the table's own (hidden) Enter would otherwise keep it out of the footer
        Binding("enter", "open", "Show session", priority=True),
        Binding("escape,q,h", "back", "Back"),
    ]

    def __init__(self, reader: HistoryReader, *, units: SpeedUnit = "kmh") -> None:
        super().__init__()
        self.reader = reader
        self.units: SpeedUnit = units  # the user's [display] units
        self.sessions: dict[str, SessionRecord] = {}

    def compose(self) -> ComposeResult:
        yield Static("[b]History[/b] — your sessions, newest first", id="history-title")
        yield ReportTable(id="history-table")
        yield Static(id="history-ended")
        yield Static(id="history-message")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#history-table", ReportTable)
        message = self.query_one("#history-message", Static)
        ended = self.query_one("#history-ended", Static)
        try:
            sessions = self.reader.sessions()
        except TreadctlError as error:
            table.display = ended.display = False
            message.update(Text(f"✕ {error}"))
            message.add_class("error")
            return
        if not sessions:
            table.display = ended.display = False
            message.update(NO_SESSIONS)
            return
        table.fill(
            report.history_header(self.units),
            [report.history_row(s, self.units) for s in sessions],
            right=report.HISTORY_RIGHT,
            keys=[str(s.id) for s in sessions],
        )
        self.sessions = {str(s.id): s for s in sessions}
        message.display = False
        table.focus()
        self.refresh_bindings()

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """How the highlighted session ended, in full: the table's last column may be off the
        edge of a narrow terminal."""
        session = self.sessions.get(event.row_key.value or "")
        if session is not None:
            text = f"Session {session.id}: {report.ended_line(session)}"
            self.query_one("#history-ended", Static).update(Text(text))

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Enter is offered only when there is a session to open."""
        return bool(self.sessions) if action == "open" else True

    def action_open(self) -> None:
        table = self.query_one("#history-table", ReportTable)
        if not table.display or table.row_count == 0:
            return
        self._open(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(event.row_key.value)  # a click on a row

    def _open(self, key: str | None) -> None:
        if key is not None:
            self.app.push_screen(SessionDetailScreen(self.reader, int(key), units=self.units))

    def action_back(self) -> None:
        self.dismiss(None)
