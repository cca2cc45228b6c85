"""The direction banner (which way to face, in block letters on its own colour), the alert banner
(turn-around, pause, link lost, safety stop) and the alarm banner (the belt may not have stopped:
the largest thing on the screen while it is up). All full width, readable from a few metres."""

from __future__ import annotations

from dataclasses import dataclass

from textual.widgets import Static

from treadctl.direction import Direction
from treadctl.tui.fmt import ARROW, WORD, facing_hint
from treadctl.tui.widgets.bigtext import BigText


class DirectionBanner(BigText):
    """``BACKWARD`` in block letters as large as fit, with ``◀◀ face away from the console ◀◀``
    under it, on the direction's colour."""

    def show_direction(self, direction: Direction | None) -> None:
        self.set_class(direction is Direction.BACKWARD, "backward")
        self.set_class(direction is Direction.FORWARD, "forward")
        if direction is None:
            self.show("GET READY", "the belt starts slowly")
        else:
            arrow = ARROW[direction]
            self.show(WORD[direction], f"{arrow}  {facing_hint(direction)}  {arrow}")


@dataclass(frozen=True)
class Alert:
    """What to show instead of the direction banner: ``level`` is a CSS class."""

    level: str  # turn, paused, fault, link, ended, info, alarm
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


class AlarmBanner(BigText):
    """The persistent alarm: its title in block letters, word-wrapped to fill the screen, and
    what to do under it. Hidden when there is no alarm."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(wrap=True, id=id)

    def show_alarm(self, alert: Alert | None) -> None:
        self.display = alert is not None
        if alert is not None:
            self.show(alert.title, alert.body)
