"""The profile editor: the steps as a table (repeat blocks nested), add / remove / duplicate /
reorder, cells edited in place, direction a toggle, name, description and units editable, undo,
live validation against the models and the caps in plain words, the time line redrawn on every
change, saved through tomlkit (comments survive) with an atomic write.

It cannot lose work: leaving (Esc, q, ctrl+q) with unsaved changes asks first, every change can
be undone (ctrl+z, many levels), and an invalid profile is never written. A file that sent the
walker here with unknown keys gets an offer to drop them; a file the table cannot show (its steps
are not ``[[steps]]`` tables) is handed to ``$EDITOR`` instead.

Shipped profiles are read-only: saving one writes a copy to the user's profile folder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import tomlkit
from pydantic import ValidationError
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.coordinate import Coordinate
from textual.screen import Screen
from textual.widgets import DataTable, Footer, Input, Static
from tomlkit.items import AoT, Table
from tomlkit.toml_document import TOMLDocument

from treadctl.config import Config
from treadctl.profile.library import is_shipped
from treadctl.profile.loading import ProfileInvalid, parse_profile
from treadctl.profile.models import STEP_TAGS, Profile
from treadctl.profile.writing import save_document
from treadctl.toml_locate import TomlIndex, dotted
from treadctl.tui.confirm import ConfirmDiscard
from treadctl.tui.doc_layout import attach_leading_comments, indent_like, new_bout, tidy
from treadctl.tui.editor_dialogs import DROP, EXTERNAL, RepairUnknownKeys
from treadctl.tui.outline import Outline
from treadctl.tui.preview import preflight_text, preview
from treadctl.tui.widgets.progress import SessionProgress
from treadctl.units import mph_to_kmh, speed_label

COLUMNS = ("direction", "duration", "speed", "incline", "label", "cue")
NUMBER_KEYS = {"speed", "incline", "repeat"}
OPTIONAL_KEYS = {"label", "cue", "incline", "description"}
DIRECTIONS = ("forward", "backward")
UNDO_LEVELS = 100
META_KEYS = {"name": "name", "description": "description"}

PathPart = str | int


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


def structure_problem(doc: TOMLDocument) -> str | None:
    """Why the table cannot show this document, or None when it can."""
    steps = doc.get("steps")
    if steps is None:
        return None
    if not isinstance(steps, AoT):
        return "its steps are not written as [[steps]] tables"
    for step in steps:
        bouts = step.get("bouts")
        if bouts is not None and not isinstance(bouts, AoT):
            return "a repeat block's bouts are not written as [[steps.bouts]] tables"
    return None


def unknown_keys(doc: TOMLDocument) -> list[tuple[PathPart, ...]]:
    """Where the document has keys the profile format does not know (typos such as ``sped``)."""
    try:
        Profile.model_validate(doc.unwrap())
    except ValidationError as error:
        return [
            tuple(part for part in e["loc"] if not (isinstance(part, str) and part in STEP_TAGS))
            for e in error.errors()
            if e.get("type") == "extra_forbidden"
        ]
    return []


def drop_keys(doc: TOMLDocument, locs: list[tuple[PathPart, ...]]) -> None:
    for loc in locs:
        node: Any = doc
        try:
            for part in loc[:-1]:
                node = node[part]
            del node[loc[-1]]
        except (KeyError, IndexError, TypeError):
            continue  # already gone (two errors for one key)


def convert_speeds(doc: TOMLDocument, to_units: str) -> None:
    """Every speed in the other unit, to 0.1 (what a treadmill can be sent)."""
    factor = mph_to_kmh(1.0) if to_units == "kmh" else 1 / mph_to_kmh(1.0)
    steps = doc.get("steps")
    if not isinstance(steps, AoT):
        return
    for step in steps:
        tables = list(step["bouts"]) if isinstance(step.get("bouts"), AoT) else [step]
        for table in tables:
            speed = table.get("speed")
            if isinstance(speed, int | float) and not isinstance(speed, bool):
                table["speed"] = max(0.1, round(float(speed) * factor, 1))


class EditorScreen(Screen[Path | None]):
    """Dismisses with the path saved to (None if nothing was saved)."""

    # Save and Leave first: at 80 columns the footer cannot show every key. The keys of the
    # name, description and units lines are shown on those lines; moving rows in the title.
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("ctrl+s", "save", "Save", priority=True, key_display="^s"),
        Binding("escape,q", "leave", "Leave", key_display="Esc"),
        Binding("a", "add", "Add"),
        Binding("d", "duplicate", "Copy"),
        Binding("x,delete", "remove", "Remove"),
        Binding("ctrl+z", "undo", "Undo", key_display="^z"),
        Binding("k", "drop_unknown", "Drop unknown keys"),
        Binding("ctrl+e", "external", "$EDITOR", key_display="^e"),
        Binding("shift+up,K", "move(-1)", "Move up", key_display="⇧↑", show=False),
        Binding("shift+down,J", "move(1)", "Move down", key_display="⇧↓", show=False),
        Binding("n", "edit_meta('name')", "Name", show=False),
        Binding("i", "edit_meta('description')", "Description", show=False),
        Binding("u", "toggle_units", "Units", show=False),
    ]

    def __init__(
        self,
        path: Path,
        config: Config,
        *,
        external_editor: Callable[[Path], Path | None] | None = None,
    ) -> None:
        super().__init__()
        self.path = path
        self.config = config
        self._external_editor = external_editor or _run_external_editor
        self.doc: TOMLDocument = _load(path)
        attach_leading_comments(self.doc)
        self._saved_text = tomlkit.dumps(self.doc)
        self._undo: list[tuple[str, str]] = []  # (document text, what the change was)
        self.rows: list[Row] = []
        self.saved_to: Path | None = None
        self.profile: Profile | None = None
        self.problems: list[str] = []
        self.unknown: list[tuple[PathPart, ...]] = []
        self._editing: tuple[Row | None, str] | None = None
        self._structure = structure_problem(self.doc)

    @property
    def dirty(self) -> bool:
        return tomlkit.dumps(self.doc) != self._saved_text

    def compose(self) -> ComposeResult:
        yield Static(id="editor-title")
        yield Static(id="editor-meta")
        table: DataTable[str] = DataTable(id="steps", cursor_type="cell", zebra_stripes=True)
        yield table
        with Vertical(id="editor-side"):
            yield SessionProgress(Outline("", ()), id="editor-timeline")
            yield Static(id="editor-summary")
            yield Static(id="problems")
        yield Input(id="cell-input")
        yield Footer(compact=True)

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns(*COLUMNS)
        self.query_one("#cell-input", Input).display = False
        self._show_title()
        if self._structure is not None:
            self.query_one("#problems", Static).update(
                f"[b]✕ The table cannot show this file:[/b] {self._structure}.\n"
                "ctrl+e opens it in $EDITOR."
            )
            self.query_one("#problems", Static).set_class(True, "invalid")
            self.app.push_screen(
                RepairUnknownKeys([], structure=self._structure), self._repair_answer
            )
            return
        self.rebuild()
        table.focus()
        if self.unknown:
            self.app.push_screen(RepairUnknownKeys(self._unknown_lines()), self._repair_answer)

    # -- the table ----------------------------------------------------------------------------

    def _steps(self) -> AoT:
        steps = self.doc.get("steps")
        if not isinstance(steps, AoT):
            steps = tomlkit.aot()
            self.doc["steps"] = steps
        return steps

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
        self._show_meta()
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
            self.problems = [_without_file(m) for m in error.messages]
        self.unknown = unknown_keys(self.doc)
        self.refresh_bindings()
        timeline = self.query_one("#editor-timeline", SessionProgress)
        summary = self.query_one("#editor-summary", Static)
        problems = self.query_one("#problems", Static)
        if self.profile is None:
            timeline.set_outline(Outline("", ()))
            summary.update("")
            hint = "\nk drops the unknown keys · ctrl+e opens $EDITOR" if self.unknown else ""
            problems.update("[b]✕ Not valid yet:[/b]\n" + "\n".join(self.problems) + hint)
            problems.set_class(True, "invalid")
            return
        result = preview(self.profile, self.config.safety, self.config.units)
        timeline.set_outline(result.outline)
        summary.update(result.summary.replace("\n", " · ", 1).split("\n")[-1])
        problems.update(preflight_text(result))
        problems.set_class(not result.ok, "invalid")

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Offer "drop unknown keys" only when there are some; undo only with a change to undo."""
        if action == "drop_unknown":
            return bool(self.unknown)
        if action == "undo":
            return True if self._undo else None  # None: shown greyed out
        return True

    def _unknown_lines(self) -> list[str]:
        index = TomlIndex(tomlkit.dumps(self.doc))
        located = sorted((index.line_of(loc) or 1, dotted(loc)) for loc in self.unknown)
        return [f"line {line}: {name}" for line, name in located]

    # -- changes and undo ---------------------------------------------------------------------

    def _remember(self, what: str) -> None:
        self._undo.append((tomlkit.dumps(self.doc), what))
        del self._undo[:-UNDO_LEVELS]

    def changed(self, cursor: Row | None = None) -> None:
        tidy(self.doc)
        self.rebuild(cursor)
        self._show_title()

    def action_undo(self) -> None:
        if self._editing is not None:
            return
        if not self._undo:
            self.notify("Nothing to undo", severity="information")
            return
        text, what = self._undo.pop()
        cursor = self.current_row()
        self.doc = tomlkit.parse(text)
        attach_leading_comments(self.doc)
        self.rebuild(cursor if cursor in self.rows else None)
        self._show_title()
        self.notify(f"Undone: {what}")

    def _show_title(self) -> None:
        ro = (
            "  [reverse] shipped: saving makes your own copy [/reverse]"
            if is_shipped(self.path)
            else ""
        )
        unsaved = "  [b]● unsaved[/b]" if self.dirty else ""
        moving = "" if ro else "  [dim]Enter edits · ⇧↑⇧↓ move[/dim]"
        self.query_one("#editor-title", Static).update(
            f"[b]Editing[/b] {self.path.name}{ro}{unsaved}{moving}"
        )

    def _show_meta(self) -> None:
        name = str(self.doc.get("name", "")) or "[i](no name)[/i]"
        description = str(self.doc.get("description", "")) or "[i](none)[/i]"
        units = str(self.doc.get("units", "kmh"))
        unit_text = speed_label(units) if units in ("kmh", "mph") else units  # type: ignore[arg-type]
        self.query_one("#editor-meta", Static).update(
            f"[b]Name[/b] {name}   [b]Units[/b] {unit_text} [dim](n name · u units · "
            f"i description)[/dim]\n[b]Description[/b] {description}"
        )

    # -- editing a cell, in place -------------------------------------------------------------

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
        target = self._table_of(row)
        if key == "direction":
            self._toggle_direction(row, target)
            return
        self._open_input((row, key), str(target.get(key, "")), self._cell_spot(event.coordinate))

    def _toggle_direction(self, row: Row, target: Table) -> None:
        """Direction is a toggle: Enter flips forward and backward."""
        current = str(target.get("direction", "forward")).lower()
        flipped = "forward" if current == "backward" else "backward"
        self._remember(f"direction {current} → {flipped}")
        target["direction"] = flipped
        self.changed(row)

    def _cell_spot(self, coordinate: Coordinate) -> tuple[int, int, int]:
        """Where the cell is on the screen: x, y and width."""
        table = self.query_one(DataTable)
        region = table._get_cell_region(coordinate)
        x = table.region.x + region.x - round(table.scroll_x)
        y = table.region.y + region.y - round(table.scroll_y)
        return x, y, region.width

    def _open_input(
        self, editing: tuple[Row | None, str], value: str, spot: tuple[int, int, int]
    ) -> None:
        field = self.query_one("#cell-input", Input)
        x, y, width = spot
        field.styles.offset = (x, y)
        field.styles.width = max(width + 2, 18)
        field.display = True
        field.value = value
        field.select_all()
        self._editing = editing
        field.focus()

    def action_edit_meta(self, key: str) -> None:
        """Name (n) and description (i), edited in place on their line."""
        if self._structure is not None:
            return
        meta = self.query_one("#editor-meta", Static)
        y = meta.region.y + (0 if key == "name" else 1)
        label = "Name " if key == "name" else "Description "
        x = meta.content_region.x + len(label)
        width = max(40, meta.region.width - x - 2)
        self._open_input((None, key), str(self.doc.get(key, "")), (x, y, width))

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if self._editing is None:
            return
        row, key = self._editing
        try:
            value = parse_cell(key, event.value)
        except ValueError as error:
            self.notify(str(error), severity="error")
            return
        target: Any = self.doc if row is None else self._table_of(row)
        before = target.get(key)
        if value == before or (value is None and key not in target):
            self._close_input()
            return
        self._remember(f"{key} {before if before is not None else '(none)'} → {value}")
        if value is None:
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

    # -- units, unknown keys, $EDITOR ---------------------------------------------------------

    def action_toggle_units(self) -> None:
        if self._editing is not None or self._structure is not None:
            return
        current = str(self.doc.get("units", "kmh"))
        to_units = "mph" if current == "kmh" else "kmh"
        self._remember(f"units {current} → {to_units}")
        self.doc["units"] = to_units
        convert_speeds(self.doc, to_units)
        self.changed(self.current_row())
        self.notify(f"Units now {speed_label(to_units)}; speeds converted (ctrl+z undoes)")  # type: ignore[arg-type]

    def action_drop_unknown(self) -> None:
        if not self.unknown:
            return
        names = ", ".join(dotted(loc) for loc in self.unknown)
        self._remember(f"dropped {names}")
        drop_keys(self.doc, self.unknown)
        self.changed(self.current_row())
        self.notify(f"Dropped {names} (ctrl+z puts them back)")

    def _repair_answer(self, answer: str | None) -> None:
        if answer == DROP:
            self.action_drop_unknown()
        elif answer == EXTERNAL:
            self._hand_over()

    def action_external(self) -> None:
        """Hand the file to ``$EDITOR`` (asking first if there are unsaved changes)."""
        if self._editing is not None:
            self._close_input()
        if self.dirty:
            question = ConfirmDiscard("Discard unsaved changes and open $EDITOR?")
            self.app.push_screen(question, lambda yes: self._hand_over() if yes else None)
            return
        self._hand_over()

    def _hand_over(self) -> None:
        try:
            saved = self._external_editor(self.path)
        except Exception as error:  # a missing $EDITOR, an editor that would not start
            self.notify(f"$EDITOR: {error}", severity="error", timeout=8)
            return
        if saved is None:
            self.notify("Not changed in $EDITOR")
            return
        self.path = saved
        self.saved_to = saved
        self.doc = _load(saved)
        attach_leading_comments(self.doc)
        self._saved_text = tomlkit.dumps(self.doc)
        self._undo.clear()
        self._structure = structure_problem(self.doc)
        if self._structure is None:
            self.rebuild()
            self.query_one(DataTable).focus()
        self._show_title()
        self.notify(f"Saved from $EDITOR: {saved}")

    # -- row operations -----------------------------------------------------------------------

    def action_add(self) -> None:
        if self._structure is not None:
            return
        row = self.current_row()
        self._remember("added a bout")
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
        self._remember("duplicated a row")
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
        what = "repeat block" if row.is_block(self.doc) else "bout"
        number = self.rows.index(row) + 1
        self._remember(f"removed row {number}")
        del container[index]
        self.changed()
        self.notify(f"Removed {what} (row {number}) — ctrl+z puts it back")

    def action_move(self, offset: int) -> None:
        row = self.current_row()
        if row is None:
            return
        container, index = self._container(row)
        target = index + offset
        if not 0 <= target < len(container):
            return
        self._remember("moved a row")
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
            if target.exists():
                self.notify(
                    f"Not saved: you already have your own {target.name} ({target}); "
                    "open that one to change it",
                    severity="error",
                    timeout=8,
                )
                return
        try:
            save_document(target, self.doc)
        except (ProfileInvalid, OSError) as error:
            self.notify(f"Not saved: {error}", severity="error", timeout=6)
            return
        if target != self.path:
            self.notify(f"Shipped profiles are read-only: wrote your own copy, {target}", timeout=8)
            self.path = target
        else:
            self.notify(f"Saved {target.name}")
        self.saved_to = target
        self._saved_text = tomlkit.dumps(self.doc)
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


def _without_file(message: str) -> str:
    """``/path/p.toml:7: steps[1].sped: unknown key`` -> ``line 7: steps[1].sped: unknown key``."""
    parts = message.split(":", 2)
    if len(parts) == 3 and parts[1].strip().isdigit():
        return f"line {parts[1].strip()}:{parts[2]}"
    return message.split(": ", 1)[-1]


def _load(path: Path) -> TOMLDocument:
    from treadctl.profile.writing import load_document

    return load_document(path)


def quit_guard(app: Any) -> bool:
    """ctrl+q in an app that shows the editor: True when it was handled here (the editor asks
    about unsaved changes, or a question is already open), False to quit as usual."""
    editors = [s for s in app.screen_stack if isinstance(s, EditorScreen)]
    if not editors:
        return False
    if not isinstance(app.screen, EditorScreen):
        return True  # a question is open: answer it first
    editor = editors[-1]
    if editor.dirty:
        editor.action_leave()
        return True
    return False


def _run_external_editor(path: Path) -> Path | None:
    """Suspend the UI and run ``$EDITOR`` on a copy (saved only when valid); the saved path or
    None. Runs inside the app, so the terminal is handed over and given back."""
    from textual._context import active_app

    from treadctl.edit_loop import edit_profile_externally

    app = active_app.get()
    with app.suspend():
        target, result = edit_profile_externally(path)
        if result.kept_copy is not None:
            input("Press Enter to go back to the editor ")
    return target if result.saved else None
