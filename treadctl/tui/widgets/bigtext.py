"""Block letters that grow with the space they are given: the direction, the countdown, alarms.

``render_block`` is pure: the largest rendering of a text (word-wrapped if allowed) that fits a
width × height in cells, in one of several sizes — a 3×5 font, then a 5×7 font at 1×, 2×, 3×, ...
Pixels are drawn with half blocks (``▀ ▄ █``), two pixel rows to a cell row, so a pixel ``s``
columns wide and ``s`` half-rows high looks square on a terminal's tall cells.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.widget import Widget

from treadctl.tui.widgets.font import LARGE, SMALL

MAX_SCALE = 12
_SUBSTITUTES = {"—": "-", "–": "-", "−": "-", "?": "!", "'": " "}


@dataclass(frozen=True)
class Size:
    """A rendering size: the font, pixel width in columns, pixel height in half-rows."""

    font: dict[str, tuple[str, ...]]
    px_w: int
    px_h: int

    @property
    def font_rows(self) -> int:
        return len(next(iter(self.font.values())))

    def line_rows(self) -> int:
        return (self.font_rows * self.px_h + 1) // 2

    def line_width(self, line: str) -> int:
        glyphs = [_glyph(self.font, ch) for ch in line]
        if not glyphs:
            return 0
        pixels = sum(len(g[0]) for g in glyphs) + len(glyphs) - 1
        return pixels * self.px_w


def sizes(width: int, height: int) -> list[Size]:
    """Every size, largest first (each 5×7 scale also stretched up to half as tall again)."""
    out: list[Size] = []
    for scale in range(MAX_SCALE, 0, -1):
        for px_h in range(scale + scale // 2, scale - 1, -1):
            out.append(Size(LARGE, scale, px_h))
    out.append(Size(SMALL, 1, 1))
    return out


def render_block(text: str, width: int, height: int, *, wrap: bool = False) -> list[str] | None:
    """The rows of the largest block rendering of ``text`` that fits, or None if none does."""
    text = _plain(text)
    if not text or width <= 0 or height <= 0:
        return None
    for size in sizes(width, height):
        lines = _wrap(text, size, width) if wrap else [text]
        if lines is None or any(size.line_width(line) > width for line in lines):
            continue
        gap = 1 if len(lines) > 1 else 0
        rows = len(lines) * size.line_rows() + gap * (len(lines) - 1)
        if rows > height:
            continue
        out: list[str] = []
        for n, line in enumerate(lines):
            if n:
                out.extend([""] * gap)
            out.extend(_draw(line, size))
        return out
    return None


def _plain(text: str) -> str:
    chars = [_SUBSTITUTES.get(ch, ch) for ch in text.upper()]
    return " ".join("".join(chars).split())


def _glyph(font: dict[str, tuple[str, ...]], ch: str) -> tuple[str, ...]:
    return font.get(ch) or font[" "]


def _wrap(text: str, size: Size, width: int) -> list[str] | None:
    """Greedy word wrap to ``width`` cells; None if a single word is too wide."""
    lines: list[str] = []
    for word in text.split(" "):
        if size.line_width(word) > width:
            return None
        if lines and size.line_width(f"{lines[-1]} {word}") <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    return lines


_HALVES = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def _draw(line: str, size: Size) -> list[str]:
    """One line of block text, ``size.line_rows()`` rows of characters."""
    glyphs = [_glyph(size.font, ch) for ch in line]
    pixel_rows: list[list[bool]] = []
    for row in range(size.font_rows):
        pixels: list[bool] = []
        for n, glyph in enumerate(glyphs):
            if n:
                pixels.append(False)
            pixels.extend(cell == "#" for cell in glyph[row])
        pixel_rows.append(pixels)
    half_rows: list[list[bool]] = []
    for pixels in pixel_rows:
        wide = [on for on in pixels for _ in range(size.px_w)]
        half_rows.extend([wide] * size.px_h)
    if len(half_rows) % 2:
        half_rows.append([False] * len(half_rows[0]))
    return [
        "".join(_HALVES[(top, bottom)] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(half_rows[::2], half_rows[1::2], strict=True)
    ]


class BigText(Widget):
    """Block text centred in the widget, as large as fits; plain bold text if nothing fits.

    ``caption`` is a plain line under the block (what the number or word means)."""

    DEFAULT_CSS = """
    BigText { height: 1fr; }
    """

    def __init__(
        self, text: str = "", *, wrap: bool = False, id: str | None = None, classes: str = ""
    ) -> None:
        super().__init__(id=id, classes=classes)
        self._text = text
        self._caption = ""
        self._wrap = wrap

    @property
    def text(self) -> str:
        return self._text

    @property
    def caption(self) -> str:
        return self._caption

    def show(self, text: str, caption: str = "") -> None:
        if (text, caption) != (self._text, self._caption):
            self._text, self._caption = text, caption
            self.refresh()

    def block_rows(self) -> int:
        """How many rows the block letters take at the current size (0: plain text)."""
        rows = self._rows()
        return len(rows) if rows is not None else 0

    def _rows(self) -> list[str] | None:
        width, height = self.size.width, self.size.height
        room = height - (1 if self._caption else 0)
        return render_block(self._text, width, room, wrap=self._wrap)

    def render(self) -> Text:
        width, height = self.size.width, self.size.height
        rows = self._rows()
        if rows is None:
            rows = [self._text] if self._text else []
            style = "bold"
        else:
            style = ""
        block_width = max((len(row) for row in rows), default=0)
        lines = [*rows, *([self._caption] if self._caption else [])]
        top = max(0, (height - len(lines)) // 2)
        text = Text(no_wrap=True, overflow="crop", justify="left", end="")
        text.append("\n" * top)
        for n, line in enumerate(lines):
            if n:
                text.append("\n")
            is_caption = self._caption and n == len(lines) - 1
            # Centred by hand: every row of a block padded alike, so the letters stay aligned.
            pad = max(0, (width - block_width) // 2) if not is_caption else 0
            shown = " " * pad + line if not is_caption else line.center(width)
            text.append(shown.rstrip(), "" if is_caption else style)
        return text
