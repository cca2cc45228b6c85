"""Tiny terminal charts: a sparkline of a series and a strip showing which way the walker faced.

Plain text, so they work in any terminal, in a pipe and in the Textual start screen alike.
"""

from __future__ import annotations

from collections.abc import Sequence

BLOCKS = "▁▂▃▄▅▆▇█"


def resample(values: Sequence[float], width: int) -> list[float]:
    """``width`` column averages of ``values`` (fewer when there are fewer values)."""
    if width <= 0 or not values:
        return []
    if len(values) <= width:
        return list(values)
    columns: list[float] = []
    for column in range(width):
        lo = column * len(values) // width
        hi = max(lo + 1, (column + 1) * len(values) // width)
        chunk = values[lo:hi]
        columns.append(sum(chunk) / len(chunk))
    return columns


def sparkline(values: Sequence[float], width: int = 60, *, floor: float = 0.0) -> str:
    """One block character per column, scaled from ``floor`` to the series' maximum."""
    columns = resample(values, width)
    if not columns:
        return ""
    top = max(columns)
    if top <= floor:
        return BLOCKS[0] * len(columns)
    scale = (len(BLOCKS) - 1) / (top - floor)
    return "".join(
        BLOCKS[max(0, min(len(BLOCKS) - 1, round((v - floor) * scale)))] for v in columns
    )


def strip(spans: Sequence[tuple[float, float, str]], total_s: float, width: int = 60) -> str:
    """A row of marks, each column showing the span (start_s, end_s, mark) covering its middle."""
    if total_s <= 0 or width <= 0:
        return ""
    out: list[str] = []
    for column in range(width):
        middle_s = (column + 0.5) * total_s / width
        mark = next((m for start, end, m in spans if start <= middle_s < end), " ")
        out.append(mark)
    return "".join(out)
