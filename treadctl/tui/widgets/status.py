"""The top line: profile, session state, bout number and the link's health."""

from __future__ import annotations

from rich.table import Table
from rich.text import Text
from textual.widgets import Static

from treadctl.view import SessionState, SessionView

LINK_TEXT = {
    "connecting": "◌ connecting",
    "connected": "● connected",
    "reconnected": "● reconnected",
    "disconnected": "✕ LINK LOST · reconnecting",
}
STALE_S = 3.0


def link_text(view: SessionView, now_s: float) -> Text:
    """``● connected · data 0.4 s ago``; flagged when the data is stale."""
    text = Text(LINK_TEXT.get(view.link, view.link))
    if view.link == "disconnected":
        text.stylize("bold reverse")
        return text
    age = view.telemetry_age_s(now_s)
    if age is not None and view.state is not SessionState.ENDED:
        stale = age > STALE_S
        text.append(f" · data {age:.1f} s ago", "bold reverse" if stale else "")
    return text


class StatusLine(Static):
    def show(self, view: SessionView, now_s: float, name: str) -> None:
        grid = Table.grid(expand=True)
        grid.add_column(justify="left", ratio=1, no_wrap=True, overflow="ellipsis")
        grid.add_column(justify="center", no_wrap=True)
        grid.add_column(justify="right", ratio=1, no_wrap=True)
        bout = ""
        if view.bout_index is not None and view.bout_count:
            bout = f"  bout {_ordinal(view)}/{view.bout_count}"
        grid.add_row(Text(name), Text(state_text(view) + bout, "bold"), link_text(view, now_s))
        self.update(grid)


def state_text(view: SessionView) -> str:
    """The state in one word; a stop the walker asked for is not called a fault."""
    if view.state is SessionState.FAULT and view.safety_reason == "walker_stop":
        return "STOPPED"
    return view.state.value.upper()


def live_data(view: SessionView, now_s: float) -> bool:
    """Whether the last telemetry can still be shown as what the belt does now."""
    if view.state is SessionState.ENDED or view.link == "disconnected":
        return False
    age = view.telemetry_age_s(now_s)
    return age is not None and age <= STALE_S


def _ordinal(view: SessionView) -> int:
    """Bouts are counted from 1 on screen."""
    assert view.bout_index is not None
    return view.bout_index + 1
