"""`treadctl completion SHELL`: scripts generated from the argparse tree, exercised in the real
shells (bash always; zsh and fish where installed, else their scripts are checked as text and a
warning says so)."""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import pytest

from treadctl.cli import COMMAND_MODULES, build_parser
from treadctl.commands.completion import SHELLS
from treadctl.completion_scripts import SCRIPTS, command_tree

REPO = Path(__file__).resolve().parent.parent


def _script(shell: str, tmp_path: Path) -> Path:
    result = subprocess.run(
        [sys.executable, "-m", "treadctl", "completion", shell],
        capture_output=True,
        text=True,
        cwd=REPO,
        timeout=60,
        check=True,
    )
    path = tmp_path / f"treadctl.{shell}"
    path.write_text(result.stdout)
    return path


def _env(home: Path) -> dict[str, str]:
    bin_dir = Path(sys.executable).parent
    return {**os.environ, "TREADCTL_HOME": str(home), "PATH": f"{bin_dir}:{os.environ['PATH']}"}


def test_the_tree_is_the_parser() -> None:
    tree = command_tree(build_parser())
    assert set(COMMAND_MODULES) <= set(tree.children)
    new = tree.children["profile"].children["new"]
    shape = next(o for o in new.options if "--shape" in o.flags)
    assert shape.choices == ("alternating", "block")
    # A command added to the parser appears without touching the completion code.
    parser = build_parser()
    sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))
    extra = sub.add_parser("stretch", help="a command that does not exist")
    extra.add_argument("--side", choices=("left", "right"))
    for render in SCRIPTS.values():
        text = render(command_tree(parser))
        assert "stretch" in text and "left right" in text.replace("'", "")


BASH_CASES = [
    ("treadctl pro", {"profile", "probe", "progress"}),
    ("treadctl profile ", {"list", "new", "delete", "import", "check"}),
    ("treadctl profile new walk --shape ", {"alternating", "block"}),
    ("treadctl profile show alt", {"alternating-30"}),
    ("treadctl --config x.toml his", {"history"}),
    ("treadctl export 1 --f", {"--format", "--force"}),
    ("treadctl completion ", {"bash", "zsh", "fish"}),
]


def test_bash(tmp_path: Path, isolated_home: Path) -> None:
    script = _script("bash", tmp_path)
    for line, expected in BASH_CASES:
        program = (
            f"source {script}\n"
            f'read -ra COMP_WORDS <<< "{line}"\n'
            + ('COMP_WORDS+=("")\n' if line.endswith(" ") else "")
            + 'COMP_CWORD=$((${#COMP_WORDS[@]} - 1))\n_treadctl\nprintf "%s\\n" "${COMPREPLY[@]}"\n'
        )
        result = subprocess.run(
            ["bash", "-c", program], capture_output=True, text=True, env=_env(isolated_home)
        )
        assert result.returncode == 0, result.stderr
        offered = set(result.stdout.split())
        assert expected <= offered, (line, offered)


ZSH_STUBS = """
compdef() { :; }
compadd() { print -r -- "${(j: :)@}"; [[ $1 == -a ]] && print -r -- "${(j: :)${(P)2}}"; }
_files() { print -r -- "<files>"; }
_describe() { local name=${@[-1]}; print -r -- "${(j: :)${(P)name}}"; }
"""


def test_zsh(tmp_path: Path, isolated_home: Path) -> None:
    script = _script("zsh", tmp_path)
    text = script.read_text()
    if shutil.which("zsh") is None:
        warnings.warn(
            "zsh is not installed: its completion script was checked as text only", stacklevel=1
        )
        assert text.startswith("#compdef treadctl") and "'profile new|--shape'" in text
        return
    assert subprocess.run(["zsh", "-n", str(script)], check=False).returncode == 0
    cases = [
        ("treadctl profile new walk --shape ''", "alternating block"),
        ("treadctl profile ''", "new:create a profile from a template"),
        ("treadctl profile show ''", "alternating-30"),
        ("treadctl export 1 --", "--force:replace an existing file"),
    ]
    for line, expected in cases:
        words = line.split()
        program = f"{ZSH_STUBS}\nsource {script}\nwords=({line}); CURRENT={len(words)}; _treadctl\n"
        result = subprocess.run(
            ["zsh", "-f", "-c", program], capture_output=True, text=True, env=_env(isolated_home)
        )
        assert expected in result.stdout, (line, result.stdout, result.stderr)


def test_fish(tmp_path: Path, isolated_home: Path) -> None:
    script = _script("fish", tmp_path)
    text = script.read_text()
    if shutil.which("fish") is None:
        warnings.warn(
            "fish is not installed: its completion script was checked as text only", stacklevel=1
        )
        assert "complete -c treadctl" in text and "-l shape" in text
        return
    assert subprocess.run(["fish", "-n", str(script)], check=False).returncode == 0
    cases = [
        ("treadctl prof", "profile\twork with workout profiles"),
        (
            "treadctl profile new walk --shape ",
            "block\talternating rounds, or one backward block (default: alternating)",
        ),
        ("treadctl profile show alt", "alternating-30"),
        ("treadctl export 1 --f", "--force\treplace an existing file"),
    ]
    for line, expected in cases:
        result = subprocess.run(
            ["fish", "--no-config", "-c", f"source {script}; complete -C '{line}'"],
            capture_output=True,
            text=True,
            env=_env(isolated_home),
        )
        assert expected in result.stdout.splitlines(), (line, result.stdout, result.stderr)


def test_unknown_shell_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    from treadctl.cli import main

    with pytest.raises(SystemExit) as exit_info:
        main(["completion", "bsh"])
    assert exit_info.value.code == 2
    assert "Did you mean 'bash'?" in capsys.readouterr().err


def test_the_shells_offered_are_the_scripts_there_are() -> None:
    assert tuple(SCRIPTS) == SHELLS
