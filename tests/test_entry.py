"""The ``treadctl`` command's way out (``cli.entry``): the exit status is ``main``'s, and what the
run wrote is complete on disk although the interpreter's final collection is skipped. Real child
processes, as a user runs the command."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _child_env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    env["TREADCTL_HOME"] = str(home)
    return env


def test_entry_returns_mains_status_and_freezes_the_collector(tmp_path: Path) -> None:
    probe = (
        "import gc, sys, treadctl.cli\n"
        "sys.argv = ['treadctl', 'profile', 'check', 'profiles/no-such-profile.toml']\n"
        "status = treadctl.cli.entry()\n"
        "print(status, gc.get_freeze_count() > 0)"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env=_child_env(tmp_path),
    )
    assert result.stdout.split()[-2:] == ["2", "True"]  # a bad profile: exit 2, as main says


def test_a_dry_run_leaves_its_audit_log_and_history_complete(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    run = ["run", "first-session", "--simulate", "--fast", "--headless", "--audit", str(audit)]
    result = subprocess.run(
        [sys.executable, "-m", "treadctl", *run],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env=_child_env(tmp_path / "home"),
    )
    assert result.returncode == 0, result.stderr
    lines = audit.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]  # every line whole
    assert records[-1]["kind"] == "end"
    databases = list((tmp_path / "home").rglob("*.sqlite*")) + list(
        (tmp_path / "home").rglob("*.db")
    )
    assert databases, "no history database written"
    with sqlite3.connect(databases[0]) as conn:
        (count,) = conn.execute("select count(*) from sessions").fetchone()
    assert count == 1
