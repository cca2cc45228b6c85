"""The direction banner (which way to face, in its own colour) and the alert banner (turn-around,
pause, link lost, safety stop): both full width, both readable from a couple of metres."""

from __future__ import annotations

from dataclasses import dataclass

from textual.widgets import Static

from treadctl.direction import Direction
from treadctl.tui.fmt import ARROW, WORD


class DirectionBanner(Static):
    """``◀◀  BACKWARD  ◀◀`` on the direction's colour."""

    def show(self, direction: Direction | None) -> None:
        self.set_class(direction is Direction.BACKWARD, "backward")
        self.set_class(direction is Direction.FORWARD, "forward")
        if direction is None:
            self.update("GET READY")
        else:
            word = " ".join(WORD[direction])
            self.update(f"{ARROW[direction]}   {word}   {ARROW[direction]}")


@dataclass(frozen=True)
class Alert:
    """What to show instead of the direction banner: ``level`` is a CSS class."""

    level: str  # turn, paused, fault, link, ended, info
    title: str
    body: str


ALERT_LEVELS = ("turn", "paused", "fault", "link", "ended", "info")


class AlertBanner(Static):
    """A title line and what the walker can do; hidden when there is nothing to say."""

    def show(self, alert: Alert | None) -> None:
        self.display = alert is not None
        for level in ALERT_LEVELS:
            self.set_class(alert is not None and alert.level == level, level)
        if alert is not None:
            self.update(f"[b]{alert.title}[/b]\n{alert.body}")
