"""Read-only tables filled from the rows the command-line reports print, so both say the same."""

from __future__ import annotations

from collections.abc import Collection, Sequence

from rich.text import Text
from textual.widgets import DataTable


class ReportTable(DataTable[Text]):
    """A row-cursor table of text cells; the numbers (``right`` column indexes) align right."""

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(cursor_type="row", zebra_stripes=True, id=id)

    def fill(
        self,
        header: Sequence[str],
        rows: Sequence[Sequence[str]],
        *,
        right: Collection[int] = (),
        keys: Sequence[str] | None = None,
    ) -> None:
        self.clear(columns=True)
        for index, name in enumerate(header):
            self.add_column(Text(name, justify="right" if index in right else "left"))
        for number, row in enumerate(rows):
            cells = [
                Text(cell, justify="right" if index in right else "left")
                for index, cell in enumerate(row)
            ]
            self.add_row(*cells, key=keys[number] if keys is not None else None)
