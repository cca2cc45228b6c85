"""A missing or broken optional part is a clear error (exit 2, one line), never a silent session
without it: the terminal UI, the history recorder, an unreadable history file, an unwritable
audit log. Each runs ``treadctl run`` in a child process."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHILD = """
import sys
for name in sys.argv[1].split(","):
    if name:
        sys.modules[name] = None  # importing it now raises ImportError, as a broken install would
from treadctl.cli import main
if sys.argv[2] == "ui":  # as on a terminal, so that run opens the terminal UI
    sys.stdin.isatty = sys.stdout.isatty = lambda: True
    sys.exit(main(["run", "retro-10", "--simulate", "--fast", *sys.argv[3:]]))
sys.exit(main(["run", "retro-10", "--simulate", "--fast", "--headless", *sys.argv[3:]]))
"""


def _run(home: Path, broken: str, mode: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", CHILD, broken, mode, *extra],
        cwd=REPO,
        env={**os.environ, "TREADCTL_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("broken", "mode", "message"),
    [
        ("treadctl.tui.app", "ui", "a part of treadctl cannot be loaded (treadctl.tui.app"),
        ("treadctl.history.recorder", "headless", "cannot be loaded (treadctl.history.recorder"),
        ("pydantic", "headless", "the package 'pydantic' cannot be loaded"),
        ("textual", "ui", "the package 'textual' cannot be loaded"),
    ],
)
def test_a_missing_part_is_a_clear_error(
    tmp_path: Path, broken: str, mode: str, message: str
) -> None:
    done = _run(tmp_path, broken, mode)
    assert done.returncode == 2, done
    assert message in done.stderr and "Traceback" not in done.stderr
    assert "session completed" not in done.stdout  # no session ran without it


def test_an_unreadable_history_file_is_a_clear_error(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "history.sqlite3").write_bytes(b"not a database " * 200)
    done = _run(tmp_path, "", "headless")
    assert done.returncode == 2, done
    assert "cannot be read (file is not a database); move it aside" in done.stderr
    assert "Traceback" not in done.stderr and "session completed" not in done.stdout


def test_an_unwritable_audit_log_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    done = _run(tmp_path, "", "headless", "--audit", str(blocker / "audit.jsonl"))
    assert done.returncode == 2, done
    assert "cannot write the audit log" in done.stderr
    assert "Traceback" not in done.stderr and "session completed" not in done.stdout
