"""The clinic view: every treadmill publishing to the broker, alarms first and loudest.

Read-only except for Stop: ``s`` (or the treadmill's number, 1-9) publishes ``stop`` on that
treadmill's command topic, where its own remote-command rules decide (a treadmill with remote
commands off answers that it is not enabled, and the answer is shown). Stop is never retained, so
a reconnecting session cannot replay it.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Awaitable, Callable
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Static

from treadctl.tui.clinic_model import Attention, Board, Treadmill

Publish = Callable[[str, bytes], Awaitable[None]]
COLUMNS = (
    "#",
    "Treadmill",
    "Person",
    "Profile",
    "State",
    "Bout",
    "Direction",
    "km/h",
    "HR",
    "Link",
    "Alarm / last command",
)
_STYLE = {Attention.ALARM: "bold white on red", Attention.NOTICE: "bold yellow"}


def _speed(value: float | None) -> str:
    return "–" if value is None else f"{value:.1f}"


def _link(treadmill: Treadmill) -> str:
    if treadmill.online is False:
        return "offline"
    return treadmill.link or "?"


class ClinicScreen(Screen[None]):
    DEFAULT_CSS = """
    ClinicScreen #clinic-title { padding: 0 1; }
    ClinicScreen #clinic-alarms { padding: 1 2; margin: 0 1; text-style: bold; background: red; }
    ClinicScreen #clinic-table { height: 1fr; margin: 0 1; }
    ClinicScreen #clinic-status { dock: bottom; height: auto; padding: 0 1; margin-bottom: 1; }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "stop_selected", "Stop selected"),
        *(Binding(str(n), f"stop_number({n})", f"Stop {n}", show=False) for n in range(1, 10)),
        Binding("q,escape", "leave", "Quit"),
    ]

    def __init__(self, board: Board, publish: Publish, clock: Callable[[], float]) -> None:
        super().__init__()
        self.board = board
        self.publish = publish
        self.clock = clock
        self.order: list[str] = []  # treadmill ids in the order shown
        self._alarmed: set[str] = set()
        self._ids = itertools.count(1)
        self.status = "connecting to the broker…"

    def compose(self) -> ComposeResult:
        yield Static("[b]treadctl clinic[/b] — every treadmill on the broker", id="clinic-title")
        yield Static(id="clinic-alarms")
        table: DataTable[Text] = DataTable(id="clinic-table", cursor_type="row", zebra_stripes=True)
        yield table
        yield Static(id="clinic-status")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one("#clinic-table", DataTable)
        table.add_columns(*COLUMNS)
        table.focus()
        self.refresh_board()

    def set_status(self, text: str) -> None:
        self.status = text
        self.refresh_board()

    def refresh_board(self) -> None:
        """Redraw from the board (after every message, and once a second for staleness)."""
        if not self.is_mounted:
            return
        now_s = self.clock()
        rows = self.board.rows(now_s)
        table = self.query_one("#clinic-table", DataTable)
        selected = self.order[table.cursor_row] if 0 <= table.cursor_row < len(self.order) else None
        table.clear()
        self.order = [t.id for t in rows]
        for number, treadmill in enumerate(rows, start=1):
            attention = treadmill.attention(now_s)
            style = _STYLE.get(attention, "")
            alarm = treadmill.alarm_text(now_s)
            pending = f"{treadmill.pending_command} sent…" if treadmill.pending_command else ""
            note = alarm.upper() if alarm else (pending or treadmill.last_response or "")
            bout = (
                f"{treadmill.bout}/{treadmill.bout_count}"
                if treadmill.bout is not None and treadmill.bout_count
                else "–"
            )
            cells = (
                str(number) if number <= 9 else "",
                treadmill.id,
                treadmill.person or "?",
                treadmill.profile or "?",
                treadmill.state or "?",
                bout,
                treadmill.direction or "–",
                _speed(treadmill.speed_kmh),
                "–" if treadmill.heart_rate_bpm is None else str(treadmill.heart_rate_bpm),
                _link(treadmill),
                note
                + (f" ({treadmill.last_response})" if alarm and treadmill.last_response else ""),
            )
            table.add_row(*(Text(cell, style=style) for cell in cells), key=treadmill.id)
        if selected in self.order:
            table.move_cursor(row=self.order.index(selected))
        alarms = self.board.alarms(now_s)
        banner = self.query_one("#clinic-alarms", Static)
        if alarms:
            lines = [f"ALARM  {t.person or '?'} on {t.id}: {text}" for t, text in alarms]
            banner.update(Text("\n".join(lines), style="bold white on red"))
            banner.display = True
        else:
            banner.display = False
        new = {t.id for t, _ in alarms} - self._alarmed
        if new:
            self.app.bell()
        self._alarmed = {t.id for t, _ in alarms}
        count = len(rows)
        self.query_one("#clinic-status", Static).update(
            f"{count} treadmill{'s' if count != 1 else ''} · {self.status} · "
            "s: stop the selected treadmill · 1-9: stop by number · q: quit"
        )

    async def stop(self, treadmill_id: str) -> None:
        """Ask one treadmill to stop, through its own remote-command rules."""
        if treadmill_id not in self.board.treadmills:
            return
        ident = f"clinic-{next(self._ids)}"
        payload = f'{{"command":"stop","id":"{ident}"}}'.encode()
        try:
            await self.publish(self.board.command_topic(treadmill_id), payload)
        except Exception as error:  # the broker is gone: say so, never crash the view
            self.notify(f"could not send stop to {treadmill_id}: {error}", severity="error")
            return
        self.board.sent(treadmill_id, "stop", self.clock())
        self.notify(f"stop sent to {treadmill_id}")
        self.refresh_board()

    async def action_stop_selected(self) -> None:
        table = self.query_one("#clinic-table", DataTable)
        if 0 <= table.cursor_row < len(self.order):
            await self.stop(self.order[table.cursor_row])

    async def action_stop_number(self, number: int) -> None:
        if 1 <= number <= len(self.order):
            await self.stop(self.order[number - 1])

    def action_leave(self) -> None:
        self.dismiss(None)


def monotonic_s() -> float:
    return time.monotonic()
