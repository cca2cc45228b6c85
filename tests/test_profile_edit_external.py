"""`profile edit --external` and `config edit`: $EDITOR on a temporary copy, saved only when
valid, with a second chance (as visudo gives); shipped profiles are saved as a user copy."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from treadctl.edit_loop import edit_until_valid
from treadctl.paths import shipped_profiles_dir

REPO = Path(__file__).resolve().parent.parent

# An "editor" that applies one replacement per run, from a list kept next to it.
EDITOR = """
import json, pathlib, sys
here = pathlib.Path(__file__).parent
steps = json.loads((here / "steps.json").read_text())
done = int((here / "count").read_text()) if (here / "count").exists() else 0
(here / "count").write_text(str(done + 1))
old, new = steps[min(done, len(steps) - 1)]
target = pathlib.Path(sys.argv[1])
target.write_text(target.read_text().replace(old, new))
"""


def _editor(folder: Path, steps: list[tuple[str, str]]) -> str:
    import json

    folder.mkdir(parents=True, exist_ok=True)
    (folder / "editor.py").write_text(EDITOR)
    (folder / "steps.json").write_text(json.dumps(steps))
    return f"{sys.executable} {folder / 'editor.py'}"


def _treadctl(home: Path, editor: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TREADCTL_HOME": str(home), "EDITOR": editor, "PYTHONPATH": str(REPO)}
    env.pop("VISUAL", None)
    return subprocess.run(
        [sys.executable, "-m", "treadctl", *args],
        capture_output=True,
        text=True,
        env=env,
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        timeout=60,
        check=False,
    )


def test_shipped_profile_is_saved_as_a_user_copy(isolated_home: Path) -> None:
    shipped = shipped_profiles_dir() / "retro-10.toml"
    before = shipped.read_text()
    editor = _editor(isolated_home / "ed", [('name = "Retro 10"', 'name = "Retro 10 mine"')])
    result = _treadctl(isolated_home, editor, "profile", "edit", "retro-10", "--external")
    assert result.returncode == 0, result.stderr
    copy = isolated_home / "profiles" / "retro-10.toml"
    assert "saved to" in result.stdout and str(copy) in result.stdout
    assert "shipped retro-10 is unchanged" in result.stdout
    assert 'name = "Retro 10 mine"' in copy.read_text()
    assert shipped.read_text() == before


def test_invalid_edit_is_not_saved_and_the_text_is_kept(isolated_home: Path) -> None:
    (isolated_home / "profiles").mkdir()
    mine = isolated_home / "profiles" / "mine.toml"
    original = (shipped_profiles_dir() / "retro-10.toml").read_text()
    mine.write_text(original)
    editor = _editor(isolated_home / "ed", [("speed = ", "sped = ")])
    result = _treadctl(isolated_home, editor, "profile", "edit", "mine", "--external")
    assert result.returncode == 2
    assert "sped: unknown key" in result.stderr and "Traceback" not in result.stderr
    assert mine.read_text() == original
    kept = Path(result.stderr.strip().splitlines()[-1].rsplit(" ", 1)[-1])
    assert "sped = " in kept.read_text()


def test_edit_again_until_valid(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "p.toml"
    target.write_text("a = 1\n")
    editor = _editor(tmp_path / "ed", [("a = 1", "a = oops"), ("a = oops", "a = 2")])
    monkeypatch.setenv("EDITOR", editor)
    monkeypatch.delenv("VISUAL", raising=False)
    asked: list[str] = []

    def validate(text: str) -> list[str]:
        return ["p.toml:1: a: not a number"] if "oops" in text else []

    def ask(prompt: str) -> str:
        asked.append(prompt)
        assert target.read_text() == "a = 1\n"  # nothing written while it is invalid
        return "e"

    result = edit_until_valid(target.read_text(), target, validate, ask=ask)
    assert result.saved and len(asked) == 1
    assert target.read_text() == "a = 2\n"


def test_config_edit(isolated_home: Path) -> None:
    editor = _editor(isolated_home / "ed", [('units = "kmh"', 'units = "mph"')])
    result = _treadctl(isolated_home, editor, "config", "edit")
    assert result.returncode == 0, result.stderr
    path = Path(_treadctl(isolated_home, editor, "config", "path").stdout.strip())
    assert path == isolated_home / "config" / "config.toml"
    assert 'units = "mph"' in path.read_text()
    bad = _editor(isolated_home / "ed2", [('units = "mph"', 'units = "furlongs"')])
    refused = _treadctl(isolated_home, bad, "config", "edit")
    assert refused.returncode == 2 and f"{path}:" in refused.stderr
    assert 'units = "mph"' in path.read_text()
