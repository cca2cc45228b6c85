"""People: --person in any position, the config default, TREADCTL_PERSON, separate folders, the
default person keeping the single-user files, and the start screen's person picker."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from treadctl import cli, paths
from treadctl.person import DEFAULT_PERSON, known_people, normalise, resolve, selected
from treadctl.tui.person_picker import PersonPicker


def _show(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, object]:
    assert cli.main(list(argv)) == 0
    body: dict[str, object] = json.loads(capsys.readouterr().out)
    return body


@pytest.mark.parametrize(
    "argv",
    [
        ("--person", "alice", "config", "show", "--json"),
        ("config", "--person", "alice", "show", "--json"),
        ("config", "show", "--person", "alice", "--json"),
        ("config", "show", "--json", "--person=alice"),
    ],
)
def test_person_is_accepted_in_every_position(
    isolated_home: Path, capsys: pytest.CaptureFixture[str], argv: tuple[str, ...]
) -> None:
    body = _show(capsys, *argv)
    assert body["person"] == "alice"
    assert body["path"] == str(isolated_home / "data" / "people" / "alice" / "config.toml")


def test_without_person_the_single_user_files_are_used(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    body = _show(capsys, "config", "show", "--json")
    assert body["person"] == DEFAULT_PERSON
    assert body["path"] == str(isolated_home / "config" / "config.toml")
    assert paths.current_person() == DEFAULT_PERSON  # main restores the selection


def test_config_default_person_and_the_environment(
    isolated_home: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    (isolated_home / "config").mkdir()
    (isolated_home / "config" / "config.toml").write_text('[people]\ndefault = "Bob"\n')
    assert _show(capsys, "config", "show", "--json")["person"] == "bob"
    # --person wins over the config; "default" reaches the single-user files again.
    assert _show(capsys, "config", "show", "--json", "--person", "default")["person"] == "default"
    monkeypatch.setenv("TREADCTL_PERSON", "carol")
    assert _show(capsys, "config", "show", "--json")["person"] == "carol"
    assert resolve(None) == ("carol", "TREADCTL_PERSON")
    assert resolve("Dave Smith") == ("dave-smith", "--person")


@pytest.mark.parametrize("bad", ["../x", "", "a/b", "x" * 41, ".hidden"])
def test_unusable_names_are_one_line_errors(
    isolated_home: Path, capsys: pytest.CaptureFixture[str], bad: str
) -> None:
    assert cli.main(["config", "show", "--person", bad]) == 2
    err = capsys.readouterr().err
    assert err.startswith("treadctl: ") and "not a usable person name" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1


def test_bad_people_default_in_the_config_is_located(isolated_home: Path) -> None:
    from treadctl.config import load_config
    from treadctl.errors import ConfigError

    path = isolated_home / "c.toml"
    path.write_text('units = "kmh"\n[people]\ndefault = "../etc"\n')
    with pytest.raises(ConfigError, match=r"c\.toml:3: people\.default: .*not a usable"):
        load_config(path)


def test_normalise() -> None:
    assert normalise(" Alice ") == "alice"
    assert normalise("mr_b-2") == "mr_b-2"


def _treadctl(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("treadctl")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "treadctl"]
    env = {**os.environ, "TREADCTL_HOME": str(home)}
    env.pop("TREADCTL_PERSON", None)
    return subprocess.run(
        [*command, *args], env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _history(home: Path, *person: str) -> list[dict[str, object]]:
    done = _treadctl(home, *person, "history", "--json")
    assert done.returncode == 0, done.stderr
    sessions: list[dict[str, object]] = json.loads(done.stdout)
    return sessions


def test_two_people_keep_separate_histories_and_programs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    run = ("run", "--simulate", "--fast", "--headless")
    # The single-user installation from before people existed: one session, no --person.
    assert _treadctl(home, run[0], "first-session", *run[1:]).returncode == 0
    legacy = home / "data" / "history.sqlite3"
    assert legacy.is_file()
    assert _treadctl(home, "--person", "alice", run[0], "retro-10", *run[1:]).returncode == 0
    assert _treadctl(home, run[0], "alternating-30", *run[1:], "--person", "bob").returncode == 0
    # alice gets a program of her own (a user program shadows nothing of bob's).
    programs = home / "data" / "people" / "alice" / "profiles" / "programs"
    programs.mkdir(parents=True)
    (programs / "alice-plan.toml").write_text(
        'name = "Alice plan"\n[[phases]]\nweeks = 2\nsessions_per_week = 2\n'
        'profiles = ["retro-10"]\n'
    )

    def profiles(*person: str) -> list[object]:
        return [s["profile"] for s in _history(home, *person)]

    assert profiles() == ["First steps backward"]  # the default person: the old data, intact
    assert profiles("--person", "alice") == ["Retro 10"]
    assert profiles("--person", "bob") == ["Alternating 30"]
    alice = _treadctl(
        home,
        "--person",
        "alice",
        "progress",
        "--program",
        "alice-plan",
        "--include-simulated",
        "--json",
    )
    assert alice.returncode == 0, alice.stderr
    assert json.loads(alice.stdout)["title"] == "Alice plan"
    bob = _treadctl(home, "--person", "bob", "progress", "--program", "alice-plan")
    assert bob.returncode == 2 and "no program named 'alice-plan'" in bob.stderr
    monkeypatch.setenv("TREADCTL_HOME", str(home))
    assert known_people() == ["default", "alice", "bob"]
    with selected("alice"):
        assert paths.data_dir() == home / "data" / "people" / "alice"
        assert paths.user_profiles_dir() == paths.data_dir() / "profiles"
    assert paths.data_dir() == home / "data"


async def test_start_screen_asks_who_is_walking() -> None:
    from textual.app import App

    chosen: list[str | None] = []

    class Host(App[None]):
        def on_mount(self) -> None:
            self.push_screen(PersonPicker(["default", "alice", "bob"]), chosen.append)

    app = Host()
    async with app.run_test() as pilot:
        await pilot.press("down", "down", "enter")
        await pilot.pause()
    assert chosen == ["bob"]


def test_picker_is_only_shown_when_nobody_was_named(
    isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from treadctl.tui import person_picker

    asked: list[list[str]] = []

    def pick(people: list[str]) -> str:
        asked.append(list(people))
        return "bob"

    monkeypatch.setattr(person_picker, "pick_person", pick)
    assert person_picker.choose_person_if_needed("default")  # only the default person: no question
    assert asked == []
    (isolated_home / "data" / "people" / "bob").mkdir(parents=True)
    assert person_picker.choose_person_if_needed("--person")
    assert asked == []
    previous = paths.current_person()
    try:
        assert person_picker.choose_person_if_needed("default")
        assert asked == [["default", "bob"]]
        assert paths.current_person() == "bob"
    finally:
        paths.set_person(previous)
