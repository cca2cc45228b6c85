"""The history screens of the terminal UI follow the user's units, as `treadctl history` does."""

from __future__ import annotations

from pathlib import Path

from tests.history_support import record
from treadctl.config import Config
from treadctl.history import db
from treadctl.tui.app import StartApp
from treadctl.tui.history_data import HistoryReader
from treadctl.tui.history_screen import HistoryScreen
from treadctl.tui.session_detail import SessionDetailScreen
from treadctl.tui.widgets.tables import ReportTable


async def test_history_and_detail_in_mph(isolated_home: Path) -> None:
    path = db.default_db_path()
    record(path)
    config = Config.model_validate({"display": {"units": "mph"}})
    app = StartApp([], config, None, HistoryReader(path, plans=lambda: []))
    async with app.run_test(size=(100, 30)) as pilot:
        await pilot.press("h")
        await pilot.pause()
        assert isinstance(app.screen, HistoryScreen)
        table = app.screen.query_one("#history-table", ReportTable)
        labels = [str(column.label) for column in table.columns.values()]
        assert "mi" in labels and "km" not in labels
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, SessionDetailScreen)
        bouts = app.screen.query_one("#detail-bouts", ReportTable)
        assert "avg mph" in [str(column.label) for column in bouts.columns.values()]
        heading = str(app.screen.query_one("#detail-heading").render())
        assert " yd," in heading
