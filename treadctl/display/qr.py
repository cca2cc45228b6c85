"""The big screen's address as a QR code made of half blocks, for a terminal.

Uses ``segno`` (pure Python, part of the ``display`` extra) for the encoding; without it the
address is printed alone and the caller says how to get the code.
"""

from __future__ import annotations

QUIET = 2  # modules of white border (scanners need some)
_HALVES = {(False, False): " ", (True, False): "▀", (False, True): "▄", (True, True): "█"}


def qr_rows(text: str) -> list[str] | None:
    """The QR code of ``text``: rows of half blocks where a block is a *light* module, so it
    reads as dark-on-light when printed with a dark background behind it. None without segno."""
    try:
        import segno
    except ImportError:
        return None
    code = segno.make(text, error="m", micro=False)
    matrix = [[bool(cell) for cell in row] for row in code.matrix]
    size = len(matrix)
    light = [[False] * (size + 2 * QUIET) for _ in range(QUIET)]
    grid = [
        *light,
        *[[False] * QUIET + row + [False] * QUIET for row in matrix],
        *light,
    ]
    # A block is drawn where the module is light (not dark), on the terminal's dark background.
    cells = [[not dark for dark in row] for row in grid]
    if len(cells) % 2:
        cells.append([True] * len(cells[0]))
    return [
        "".join(_HALVES[(top, bottom)] for top, bottom in zip(upper, lower, strict=True))
        for upper, lower in zip(cells[::2], cells[1::2], strict=True)
    ]
