"""The profile editor: the steps as a table (repeat blocks nested), add / remove / duplicate /
reorder, edit a cell in place, live validation against the models and the caps, the time line
redrawn on every change, saved through tomlkit (comments survive) with an atomic write.

Shipped profiles are read-only: saving one writes a copy to the user's profile folder.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import tomlkit
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from tomlkit.items import AoT, Table
from tomlkit.toml_document import TOMLDocument

from treadctl.config import Config
from treadctl.profile.library import is_shipped
from treadctl.profile.loading import ProfileInvalid, parse_profile
from treadctl.profile.models import Profile
from treadctl.profile.writing import load_document, save_document
from treadctl.tui.confirm import ConfirmDiscard
from treadctl.tui.doc_layout import attach_leading_comments, indent_like, new_bout, tidy
from treadctl.tui.outline import Outline
from treadctl.tui.preview import preflight_text, preview
from treadctl.tui.widgets.progress import SessionProgress

COLUMNS = ("direction", "duration", "speed", "incline", "label", "cue")
NUMBER_KEYS = {"speed", "incline", "repeat"}
OPTIONAL_KEYS = {"label", "cue", "incline"}


@dataclass(frozen=True)
class Row:
    """One table row: a top-level bout or repeat block (``inner`` None) or a bout inside one."""

    step: int
    inner: int | None = None

    def is_block(self, doc: TOMLDocument) -> bool:
        return self.inner is None and "repeat" in doc["steps"][self.step]


def parse_cell(key: str, text: str) -> Any:
    """The TOML value for what the walker typed; None removes an optional key."""
    text = text.strip()
    if not text and key in OPTIONAL_KEYS:
        return None
    if key in NUMBER_KEYS:
        try:
            number = float(text)
        except ValueError:
            raise ValueError(f"{key} must be a number") from None
        return (
            int(number) if key == "repeat" or (number.is_integer() and key != "speed") else number
        )
    if key == "duration":
        try:
            number = float(text)
            return int(number) if number.is_integer() else number
        except ValueError:
            return text  # "2m", "1:30": the model parses and checks it
    if key == "direction":
        return text.lower()
    return text


class EditorScreen(Screen[Path | None]):
    """Dismisses with the path saved to (None if nothing was saved)."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "add", "Add"),
        Binding("d", "duplicate", "Duplicate"),
        Binding("x,delete", "remove", "Remove"),
        Binding("shift+up,K", "move(-1)", "Move up", key_display="⇧↑"),
        Binding("shift+down,J", "move(1)", "Move down", key_display="⇧↓"),
        Binding("ctrl+s", "save", "Save", priority=True),
        Binding("escape,q", "leave", "Leave"),
    ]

    def __init__(self, path: Path, config: Config) -> None:
        super().__init__()
        self.path = path
        self.config = config
        self.doc: TOMLDocument = load_document(path)
        attach_leading_comments(self.doc)
        self.rows: list[Row] = []
        self.dirty = False
        self.saved_to: Path | None = None
        self.profile: Profile | None = None
        self.problems: list[str] = []
        self._editing: tuple[Row, str] | None = None

    def compose(self) -> ComposeResult:
        yield Static(id="editor-title")
        with Horizontal(id="editor-body"):
            table: DataTable[str] = DataTable(id="steps", cursor_type="cell", zebra_stripes=True)
            yield table
        yield Input(id="cell-input")
        with Vertical(id="editor-side"):
            yield SessionProgress(Outline("", ()), id="editor-timeline")
            yield Static(id="editor-summary")
            yield Static(id="problems")
        yield Footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        self.query_one("#cell-input", Input).display = False
        self._show_title()
        self.rebuild()
        table.focus()

    # -- the table ----------------------------------------------------------------------------

    def _steps(self) -> AoT:
        return self.doc["steps"]

    def _table_of(self, row: Row) -> Table:
        step = self._steps()[row.step]
        return step if row.inner is None else step["bouts"][row.inner]

    def _container(self, row: Row) -> tuple[AoT, int]:
        if row.inner is None:
            return self._steps(), row.step
        return self._steps()[row.step]["bouts"], row.inner

    def rebuild(self, cursor: Row | None = None, column: int | None = None) -> None:
        """Redraw the table from the document, then validate."""
        table = self.query_one(DataTable)
        keep_col = table.cursor_column if column is None else column
        old = self.current_row()
        table.clear()
        self.rows = []
        for step_index, step in enumerate(self._steps()):
            if "repeat" in step:
                self.rows.append(Row(step_index))
                label = str(step.get("label", ""))
                table.add_row(f"▼ repeat ×{step['repeat']}", "", "", "", label, "")
                for inner_index, bout in enumerate(step.get("bouts", [])):
                    self.rows.append(Row(step_index, inner_index))
                    table.add_row(*self._cells(bout, nested=True))
            else:
                self.rows.append(Row(step_index))
                table.add_row(*self._cells(step, nested=False))
        target = cursor or old
        if target in self.rows:
            table.move_cursor(row=self.rows.index(target), column=keep_col)
        self.validate()

    @staticmethod
    def _cells(bout: Any, *, nested: bool) -> list[str]:
        cells = [str(bout.get(key, "")) for key in COLUMNS]
        cells[0] = ("  └ " if nested else "") + cells[0]
        return cells

    def current_row(self) -> Row | None:
        table = self.query_one(DataTable)
        if not self.rows or table.cursor_row < 0 or table.cursor_row >= len(self.rows):
            return None
        return self.rows[table.cursor_row]

    # -- validation ---------------------------------------------------------------------------

    def validate(self) -> None:
        text = tomlkit.dumps(self.doc)
        try:
            self.profile = parse_profile(text, self.path)
            self.problems = []
        except ProfileInvalid as error:
            self.profile = None
            self.problems = [m.split(": ", 1)[-1] for m in error.messages]
        timeline = self.query_one("#editor-timeline", SessionProgress)
        summary = self.query_one("#editor-summary", Static)
        problems = self.query_one("#problems", Static)
        if self.profile is None:
            timeline.set_outline(Outline("", ()))
            summary.update("")
            problems.update("[b]✕ Not valid yet:[/b]\n" + "\n".join(self.problems))
            problems.set_class(True, "invalid")
            return
        result = preview(self.profile, self.config.safety, self.config.units)
        timeline.set_outline(result.outline)
        summary.update(result.summary.replace("\n", " · ", 1).split("\n")[-1])
        problems.update(preflight_text(result))
        problems.set_class(not result.ok, "invalid")

    def changed(self, cursor: Row | None = None) -> None:
        self.dirty = True
        tidy(self.doc)
        self.rebuild(cursor)
        self._show_title()

    def _show_title(self) -> None:
        ro = (
            "  [reverse] shipped: saving makes your own copy [/reverse]"
            if is_shipped(self.path)
            else ""
        )
        unsaved = "  [b]● unsaved changes[/b] (ctrl+s saves)" if self.dirty else ""
        self.query_one("#editor-title", Static).update(
            f"[b]Editing[/b] {self.path.name}{ro}{unsaved}"
        )

    # -- editing a cell -----------------------------------------------------------------------

    def on_data_table_cell_selected(self, event: DataTable.CellSelected) -> None:
        row = self.rows[event.coordinate.row]
        key = COLUMNS[event.coordinate.column]
        if row.is_block(self.doc):
            key = {"direction": "repeat", "label": "label"}.get(key, "")
            if not key:
                self.notify(
                    "A repeat block has a count (first column) and a label", severity="information"
                )
                return
        current = self._table_of(row).get(key, "")
        field = self.query_one("#cell-input", Input)
        field.display = True
        field.border_title = f"{key} — Enter to apply, Esc to cancel"
        field.value = str(current)
        self._editing = (row, key)
        field.focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self._editing is None:
            return
        row, key = self._editing
        try:
            value = parse_cell(key, event.value)
        except ValueError as error:
            self.notify(str(error), severity="error")
            return
        target = self._table_of(row)
        if value is None:
            if key in target:
                del target[key]
        else:
            target[key] = value
        self._close_input()
        self.changed(row)

    def _close_input(self) -> None:
        field = self.query_one("#cell-input", Input)
        field.display = False
        self._editing = None
        self.query_one(DataTable).focus()

    # -- row operations -----------------------------------------------------------------------

    def action_add(self) -> None:
        row = self.current_row()
        if row is None:
            self._steps().append(new_bout(nested=False))
            self.changed(Row(len(self._steps()) - 1))
            return
        if row.is_block(self.doc):
            container = self._steps()[row.step]["bouts"]
            container.append(new_bout(nested=True, like=container[-1] if container else None))
            self.changed(Row(row.step, len(container) - 1))
            return
        container, index = self._container(row)
        nested = row.inner is not None
        container.insert(index + 1, new_bout(nested=nested, like=container[index]))
        self.changed(Row(index + 1) if row.inner is None else Row(row.step, index + 1))

    def action_duplicate(self) -> None:
        row = self.current_row()
        if row is None:
            return
        container, index = self._container(row)
        copy = tomlkit.parse(tomlkit.dumps({"x": [container[index].unwrap()]}))["x"][0]
        if row.inner is not None:
            indent_like(copy, container[index])
        container.insert(index + 1, copy)
        self.changed(Row(index + 1) if row.inner is None else Row(row.step, index + 1))

    def action_remove(self) -> None:
        row = self.current_row()
        if row is None:
            return
        container, index = self._container(row)
        if len(container) == 1:
            self.notify(
                "A profile (and a repeat block) needs at least one bout", severity="warning"
            )
            return
        del container[index]
        self.changed()

    def action_move(self, offset: int) -> None:
        row = self.current_row()
        if row is None:
            return
        container, index = self._container(row)
        target = index + offset
        if not 0 <= target < len(container):
            return
        item = container[index]
        del container[index]
        container.insert(target, item)
        self.changed(Row(target) if row.inner is None else Row(row.step, target))

    # -- saving and leaving -------------------------------------------------------------------

    def action_save(self) -> None:
        if self._editing is not None:
            self.notify("Press Enter to apply the cell first", severity="warning")
            return
        if self.profile is None:
            self.notify(
                "Not saved: " + (self.problems[0] if self.problems else "invalid"),
                severity="error",
                timeout=6,
            )
            return
        target = self.path
        if is_shipped(self.path):
            from treadctl.paths import user_profiles_dir

            target = user_profiles_dir() / self.path.name
        try:
            save_document(target, self.doc)
        except (ProfileInvalid, OSError) as error:
            self.notify(f"Not saved: {error}", severity="error", timeout=6)
            return
        if target != self.path:
            self.notify(f"Shipped profiles are read-only; saved your copy to {target}")
            self.path = target
        else:
            self.notify(f"Saved {target.name}")
        self.saved_to = target
        self.dirty = False
        self._show_title()

    def action_leave(self) -> None:
        if self._editing is not None:
            self._close_input()
            return
        if self.dirty:
            self.app.push_screen(ConfirmDiscard(), self._discard_answer)
        else:
            self.dismiss(self.saved_to)

    def _discard_answer(self, discard: bool | None) -> None:
        if discard:
            self.dismiss(self.saved_to)
