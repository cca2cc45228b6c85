"""The whole session as one bar: every bout a run of cells in its direction's colour and glyph,
filled up to where the session is now."""

from __future__ import annotations

from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.widget import Widget

from treadctl.direction import Direction
from treadctl.tui.outline import Outline

# Glyphs keep the bar readable without colour: solid = done; bouts still to come are shaded
# (backward) or dotted (forward).
DONE = "█"
PENDING = {Direction.BACKWARD: "▒", Direction.FORWARD: "░"}
TURN = "│"


class SessionProgress(Widget):
    """One line; ``set_position`` moves the fill."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "progress--backward",
        "progress--forward",
        "progress--turn",
        "progress--done-backward",
        "progress--done-forward",
    }
    DEFAULT_CSS = """
    SessionProgress { height: 1; }
    """

    def __init__(self, outline: Outline, *, id: str | None = None) -> None:
        super().__init__(id=id)
        self._outline = outline
        self._position_s = 0.0

    def set_outline(self, outline: Outline) -> None:
        self._outline = outline
        self._position_s = 0.0
        self.refresh()

    def set_position(self, position_s: float) -> None:
        if position_s != self._position_s:
            self._position_s = position_s
            self.refresh()

    def render(self) -> Text:
        width = max(1, self.size.width)
        total = self._outline.total_s
        text = Text(no_wrap=True, overflow="crop")
        if total <= 0:
            return text
        styles = {name: self.get_component_rich_style(name) for name in self.COMPONENT_CLASSES}
        segments = self._outline.segments
        cursor = 0
        for cell in range(width):
            middle_s = (cell + 0.5) * total / width
            while cursor < len(segments) - 1 and segments[cursor].end_s <= middle_s:
                cursor += 1
            segment = segments[cursor]
            done = middle_s <= self._position_s
            glyph, style = self._cell(segment.kind, segment.direction, done, styles)
            text.append(glyph, style)
        return text

    @staticmethod
    def _cell(
        kind: str, direction: Direction, done: bool, styles: dict[str, Style]
    ) -> tuple[str, Style]:
        if kind == "turn":
            return TURN, styles["progress--turn"]
        if done:
            return DONE, styles[f"progress--done-{direction.value}"]
        return PENDING[direction], styles[f"progress--{direction.value}"]
