"""The start screen and the profile editor, driven from the keyboard."""

from __future__ import annotations

from pathlib import Path

import pytest

from treadctl.config import Config
from treadctl.history.progress import ProgramPlan, WeekGoal
from treadctl.profile.library import LibraryEntry, list_profiles
from treadctl.profile.loading import read_profile
from treadctl.tui.app import EditorApp, StartApp
from treadctl.tui.editor import EditorScreen, parse_cell
from treadctl.tui.history_data import HistoryReader
from treadctl.tui.start_screen import SIMULATOR, Device, StartChoice

PROFILE = """\
# My intervals — a comment that must survive the editor.
name = "My intervals"
units = "kmh"

[[steps]]
label = "Warm-up"   # keep me too
direction = "forward"
duration = "2m"
speed = 3.0

[[steps]]
repeat = 2

  [[steps.bouts]]
  label = "Back"
  direction = "backward"
  duration = "1m"
  speed = 1.5

[[steps]]
label = "Cool-down"
direction = "forward"
duration = "1m"
speed = 2.5
"""

SIZE = (100, 30)


@pytest.fixture
def profile_path(tmp_path: Path) -> Path:
    path = tmp_path / "my-intervals.toml"
    path.write_text(PROFILE, encoding="utf-8")
    return path


def editor(app: EditorApp) -> EditorScreen:
    screen = app.screen
    assert isinstance(screen, EditorScreen)
    return screen


async def test_edit_a_cell_in_place_and_save_keeps_comments(profile_path: Path) -> None:
    app = EditorApp(profile_path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        # Row 0 is the warm-up; column 2 is speed.
        await pilot.press("right", "right", "enter")
        await pilot.press(*"3.5", "enter")  # the old value is selected: typing replaces it
        assert editor(app).dirty
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert not editor(app).dirty
    text = profile_path.read_text()
    assert "# My intervals — a comment that must survive the editor." in text
    assert "# keep me too" in text
    assert read_profile(profile_path).expand()[0].speed_kmh == 3.5


async def test_add_duplicate_remove_reorder(profile_path: Path) -> None:
    app = EditorApp(profile_path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("d")  # duplicate the warm-up (cursor moves to the copy)
        await pilot.press("shift+down")  # move the copy below the repeat block
        await pilot.press("down", "down", "down", "a")  # add a bout after the cool-down
        await pilot.press("up", "x")  # remove the cool-down
        await pilot.press("ctrl+s")
        await pilot.pause()
    profile = read_profile(profile_path)
    labels = [b.label for b in profile.expand()]
    assert labels == ["Warm-up", "Back (1/2)", "Back (2/2)", "Warm-up", "Forward"]


async def test_invalid_edit_is_reported_and_not_saved(profile_path: Path) -> None:
    app = EditorApp(profile_path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("right", "enter", *"5h", "enter")  # the warm-up's duration
        assert editor(app).profile is None
        # plain words, not pydantic's "Input should be less than or equal to 14400"
        assert editor(app).problems == ["line 8: steps[1].duration: at most 14400 s (4 h)"]
        await pilot.press("ctrl+s")
        await pilot.pause()
    assert profile_path.read_text() == PROFILE


async def test_caps_show_in_the_preflight(profile_path: Path) -> None:
    app = EditorApp(profile_path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("down", "down", "right", "right", "enter")
        await pilot.press("6", "enter")
        await pilot.pause()
        text = str(editor(app).query_one("#problems").render())
    assert "speed 6 → 4" in text


async def test_leaving_with_unsaved_changes_asks(profile_path: Path) -> None:
    app = EditorApp(profile_path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("d", "escape")
        assert app.screen.__class__.__name__ == "ConfirmDiscard"
        await pilot.press("n")
        assert isinstance(app.screen, EditorScreen)
        await pilot.press("escape", "y")
        await pilot.pause()
    assert profile_path.read_text() == PROFILE


async def test_shipped_profile_is_saved_as_a_user_copy(isolated_home: Path) -> None:
    shipped = next(e for e in list_profiles() if e.origin == "shipped")
    before = shipped.path.read_text()
    app = EditorApp(shipped.path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("d", "ctrl+s")
        await pilot.pause()
    assert shipped.path.read_text() == before
    copy = isolated_home / "profiles" / shipped.path.name
    assert copy.is_file() and len(read_profile(copy).expand()) > len(shipped.profile.expand())  # type: ignore[union-attr]


def test_parse_cell() -> None:
    assert parse_cell("speed", "3") == 3.0 and isinstance(parse_cell("speed", "3"), float)
    assert parse_cell("duration", "90") == 90
    assert parse_cell("duration", "1:30") == "1:30"
    assert parse_cell("label", "") is None
    assert parse_cell("direction", "Backward") == "backward"
    with pytest.raises(ValueError):
        parse_cell("incline", "steep")


async def scanner() -> list[Device]:
    return [Device("Treadmill AA:BB", "AA:BB")]


async def test_start_screen_picks_profile_and_simulator() -> None:
    app = StartApp(list_profiles(), Config(), scanner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("down", "enter")  # second profile, then to the treadmill list
        await pilot.press("enter")  # the simulator is first
        await pilot.pause()
    choice = app.return_value
    assert isinstance(choice, StartChoice)
    assert choice.device == SIMULATOR
    assert choice.profile_path == list_profiles()[1].path


async def test_start_screen_lists_scanned_treadmills() -> None:
    app = StartApp(list_profiles(), Config(last_device="11:22"), scanner)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.pause()
        await pilot.press("tab", "down", "down", "enter")
        await pilot.pause()
    choice = app.return_value
    assert isinstance(choice, StartChoice)
    assert choice.device == Device("Treadmill AA:BB", "AA:BB")


def fixed_entries(tmp_path: Path) -> list[LibraryEntry]:
    """Two profiles that do not change when the shipped library does."""
    first = tmp_path / "my-intervals.toml"
    first.write_text(PROFILE, encoding="utf-8")
    fast = tmp_path / "too-fast.toml"
    fast.write_text(PROFILE.replace("speed = 1.5", "speed = 5.2").replace("My int", "Fast int"))
    return [
        LibraryEntry("my-intervals", first, "user", read_profile(first)),
        LibraryEntry("too-fast", fast, "shipped", read_profile(fast)),
    ]


def test_snapshot_start_screen(snap_compare, tmp_path: Path) -> None:
    entries = fixed_entries(tmp_path)
    # a fixed program too (no sessions yet: its week 1), so the progress line does not follow
    # the shipped programs
    week = WeekGoal(profiles=("my-intervals",) * 3, backward_min=6.0)
    plan = ProgramPlan("mine", "My program", (week,), {"my-intervals": "my-intervals"})
    history = HistoryReader(plans=lambda: [plan])
    app = StartApp(entries, Config(last_device="C4:7F:51:0A:22:9E"), None, history)
    assert snap_compare(app, terminal_size=(80, 24), press=["down"])


def test_snapshot_editor(snap_compare, tmp_path: Path) -> None:
    path = tmp_path / "my-intervals.toml"
    path.write_text(PROFILE, encoding="utf-8")
    app = EditorApp(path, Config())
    assert snap_compare(app, terminal_size=(80, 24), press=["down", "down"])


COMMENTED = """\
name = "Commented"

[[steps]]
label = "One"
direction = "backward"
duration = "20s"
speed = 1.5

# the last one: keep me above "Last"
[[steps]]
label = "Last"
direction = "forward"
duration = "20s"
speed = 2.5
"""


async def test_a_comment_stays_with_its_step_when_steps_are_added_or_moved(
    tmp_path: Path,
) -> None:
    path = tmp_path / "commented.toml"
    path.write_text(COMMENTED, encoding="utf-8")
    app = EditorApp(path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("a")  # a new step after "One", before the comment
        assert "unsaved" in str(editor(app).query_one("#editor-title").render())
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert "unsaved" not in str(editor(app).query_one("#editor-title").render())
    text = path.read_text(encoding="utf-8")
    assert '\n\n# the last one: keep me above "Last"\n[[steps]]\nlabel = "Last"' in text
    assert 'speed = 1.5\n\n[[steps]]\ndirection = "forward"\nduration = "1m"' in text
    app = EditorApp(path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "shift+up", "shift+up", "ctrl+s")  # "Last" goes first
        await pilot.pause()
    text = path.read_text(encoding="utf-8")
    assert text.startswith(
        'name = "Commented"\n\n# the last one: keep me above "Last"\n[[steps]]\nlabel = "Last"'
    )
    assert [s.label for s in read_profile(path).expand()] == ["Last", "One", "Forward"]


async def test_a_bout_added_inside_a_repeat_block_is_indented_like_its_siblings(
    profile_path: Path,
) -> None:
    app = EditorApp(profile_path, Config())
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("down", "down", "a", "ctrl+s")  # on the block's bout "Back"
        await pilot.pause()
    text = profile_path.read_text(encoding="utf-8")
    assert '  speed = 1.5\n\n  [[steps.bouts]]\n  direction = "forward"\n' in text
    assert "# My intervals — a comment that must survive the editor." in text
    assert "# keep me too" in text


async def test_start_screen_arrow_keys_move_through_the_profiles() -> None:
    entries = list_profiles()
    app = StartApp(entries, Config(), None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("down", "down", "up")
        await pilot.press("enter", "enter")
        await pilot.pause()
    assert app.return_value == StartChoice(entries[1].path, SIMULATOR)


def test_run_without_a_profile_opens_the_start_screen_then_runs_the_choice(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from treadctl import wiring
    from treadctl.commands import run as run_command

    chosen = StartChoice(list_profiles()[0].path, SIMULATOR)
    ran: list[wiring.RunOptions] = []
    monkeypatch.setattr("treadctl.tui.app.run_start_ui", lambda config=None: chosen)

    def run_session(options: wiring.RunOptions) -> int:
        ran.append(options)
        return 0

    monkeypatch.setattr(wiring, "run_session", run_session)
    monkeypatch.setattr(run_command.sys.stdin, "isatty", lambda: True)
    monkeypatch.setattr(run_command.sys.stdout, "isatty", lambda: True)
    from treadctl.cli import main

    assert main(["run", "--no-speech"]) == 0
    assert len(ran) == 1
    options = ran[0]
    assert options.profile == str(chosen.profile_path)
    assert options.simulate and options.device is None
    assert not options.headless and not options.speech


def test_run_without_a_profile_and_without_a_terminal_is_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from treadctl.cli import main

    assert main(["run", "--simulate"]) == 2
    assert "no profile given" in capsys.readouterr().err
