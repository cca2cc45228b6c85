"""The profile editor cannot lose work and can repair what sent the walker to it (pilot tests)."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import DataTable, Input

from treadctl.config import Config
from treadctl.profile.loading import read_profile
from treadctl.tui.app import EditorApp
from treadctl.tui.confirm import ConfirmDiscard
from treadctl.tui.editor import EditorScreen
from treadctl.tui.editor_dialogs import RepairUnknownKeys

PROFILE = """\
# A comment that must survive.
name = "Mine"
units = "kmh"

[[steps]]
label = "Warm-up"
direction = "forward"
duration = "2m"
speed = 3.0

[[steps]]
label = "Back"
direction = "backward"
duration = "1m"
speed = 1.5
"""
SIZE = (100, 30)


@pytest.fixture
def path(tmp_path: Path) -> Path:
    target = tmp_path / "mine.toml"
    target.write_text(PROFILE, encoding="utf-8")
    return target


def editor(app: EditorApp) -> EditorScreen:
    screen = app.screen
    assert isinstance(screen, EditorScreen), screen
    return screen


def footer_keys(app: EditorApp) -> list[str]:
    return [key.key_display or key.key for key in app.screen.query("FooterKey")]  # type: ignore[attr-defined]


async def test_ctrl_q_with_unsaved_changes_asks(path: Path) -> None:
    app = EditorApp(path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("d", "ctrl+q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmDiscard)
        await pilot.pause()
        assert footer_keys(app) == ["y", "n/Esc"]  # the dialog's keys, not the editor's
        await pilot.press("ctrl+q")  # a question is open: answer it first
        assert isinstance(app.screen, ConfirmDiscard)
        await pilot.press("escape")
        assert isinstance(app.screen, EditorScreen) and app.is_running
        await pilot.press("ctrl+z", "ctrl+q")  # nothing unsaved any more: quits at once
        await pilot.pause()
    assert not app.is_running
    assert path.read_text() == PROFILE


async def test_direction_is_a_toggle_and_cells_are_edited_in_place(path: Path) -> None:
    app = EditorApp(path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("enter")  # row 1, direction: flips at once
        assert editor(app).doc["steps"][0]["direction"] == "backward"
        await pilot.press("enter")
        assert editor(app).doc["steps"][0]["direction"] == "forward"
        await pilot.press("down", "right", "right", "enter")  # row 2, speed
        field = editor(app).query_one("#cell-input", Input)
        table = editor(app).query_one(DataTable)
        assert field.display and field.has_focus and field.value == "1.5"
        row_y = table.region.y + 1 + 1  # the header line, then row 2
        assert field.region.y == row_y and field.region.height == 1  # over the cell itself
        await pilot.press(*"1.2", "enter")
        assert not field.display
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert read_profile(path).expand()[1].speed_kmh == 1.2


async def test_name_description_and_units(path: Path) -> None:
    app = EditorApp(path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n", *"Evening walk", "enter")  # the old name is selected
        await pilot.press("i", *"Gentle start", "enter")
        await pilot.press("u")
        meta = str(editor(app).query_one("#editor-meta").render())
        assert "Evening walk" in meta and "Gentle start" in meta and "mph" in meta
        await pilot.press("ctrl+s")
        await pilot.pause()
    profile = read_profile(path)
    assert (profile.name, profile.description, profile.units) == (
        "Evening walk",
        "Gentle start",
        "mph",
    )
    assert [b.speed for b in profile.steps] == [1.9, 0.9]  # type: ignore[union-attr]
    assert "# A comment that must survive." in path.read_text()


async def test_remove_can_be_undone_many_times(path: Path) -> None:
    app = EditorApp(path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("d", "d", "x")
        assert len(editor(app).doc["steps"]) == 3
        await pilot.press("ctrl+z")
        assert len(editor(app).doc["steps"]) == 4
        await pilot.press("ctrl+z", "ctrl+z")
        assert len(editor(app).doc["steps"]) == 2
        assert not editor(app).dirty  # back where it started
        await pilot.press("escape")  # leaves without asking
        await pilot.pause()
    assert not app.is_running


TYPO = PROFILE.replace("speed = 1.5", 'speed = 1.5\ncolour = "red"').replace(
    'units = "kmh"', 'units = "kmh"\nauthor = "me"'
)


async def test_unknown_keys_are_listed_and_can_be_dropped(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(TYPO, encoding="utf-8")
    app = EditorApp(path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RepairUnknownKeys)
        assert dialog.listed == ["line 4: author", "line 17: steps[2].colour"]
        assert {"d", "e", "Esc"} <= set(footer_keys(app))
        await pilot.press("d")
        assert editor(app).profile is not None and not editor(app).unknown
        await pilot.press("ctrl+z")  # they come back
        assert len(editor(app).unknown) == 2
        await pilot.press("k", "ctrl+s")  # k drops them from the editor too
        await pilot.pause()
    text = path.read_text()
    assert "colour" not in text and "author" not in text and read_profile(path).name == "Mine"


async def test_hand_over_to_external_editor(tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(TYPO, encoding="utf-8")
    handed: list[Path] = []

    def fake_editor(target: Path) -> Path:
        handed.append(target)
        target.write_text(PROFILE.replace('"Mine"', '"Fixed outside"'), encoding="utf-8")
        return target

    app = EditorApp(path, Config(), external_editor=fake_editor)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("e")
        await pilot.pause()
        assert handed == [path]
        assert editor(app).profile is not None and editor(app).profile.name == "Fixed outside"  # type: ignore[union-attr]
        assert not editor(app).dirty


async def test_a_file_the_table_cannot_show_goes_to_external_editor(tmp_path: Path) -> None:
    path = tmp_path / "inline.toml"
    path.write_text(
        'name = "Inline"\nsteps = [{direction = "forward", duration = 60, speed = 2}]\n'
    )
    app = EditorApp(path, Config(), external_editor=lambda p: None)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        dialog = app.screen
        assert isinstance(dialog, RepairUnknownKeys) and dialog.structure
        assert "d" not in footer_keys(app)
        await pilot.press("escape")
        assert "ctrl+e opens it in $EDITOR" in str(editor(app).query_one("#problems").render())
        await pilot.press("a", "escape")  # nothing to add to; leaving needs no question
        await pilot.pause()
    assert not app.is_running
    assert path.read_text().startswith('name = "Inline"')


def test_snapshot_unknown_keys_dialog(snap_compare, tmp_path: Path) -> None:
    path = tmp_path / "typo.toml"
    path.write_text(TYPO, encoding="utf-8")
    assert snap_compare(EditorApp(path, Config()), terminal_size=(80, 24))


def test_snapshot_editing_a_cell_in_place(snap_compare, tmp_path: Path) -> None:
    path = tmp_path / "mine.toml"
    path.write_text(PROFILE, encoding="utf-8")
    app = EditorApp(path, Config())
    assert snap_compare(app, terminal_size=(80, 24), press=["down", "right", "enter"])


async def test_the_quit_question_footer_shows_its_own_keys() -> None:
    from textual.app import App

    from treadctl.tui.confirm import ConfirmQuit

    app: App[None] = App()
    async with app.run_test(size=(80, 24)) as pilot:
        await app.push_screen(ConfirmQuit())
        await pilot.pause()
        assert [k.key_display or k.key for k in app.screen.query("FooterKey")] == [  # type: ignore[attr-defined]
            "y",
            "n",
            "Esc",
        ]
