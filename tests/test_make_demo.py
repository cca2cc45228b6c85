"""``make demo`` dry-runs a session without writing into the user's own history."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from treadctl.history import db

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.skipif(shutil.which("make") is None, reason="make(1) is not installed")
def test_make_demo_uses_a_temporary_treadctl_home(tmp_path: Path) -> None:
    users_home = tmp_path / "users-home"  # what TREADCTL_HOME points at for the user
    users_home.mkdir()
    bin_dir = Path(sys.executable).parent
    done = subprocess.run(
        # -o: treat the venv as installed (no pip run); BIN: this test's interpreter
        ["make", "-s", "-o", f"{bin_dir}/.installed", "demo", f"BIN={bin_dir}"],
        cwd=REPO,
        env={**os.environ, "TREADCTL_HOME": str(users_home), "TMPDIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done
    assert list(users_home.iterdir()) == []  # nothing written into the user's folders
    match = re.search(r"temporary TREADCTL_HOME=(\S+)", done.stdout)
    assert match is not None, done.stdout
    demo_home = Path(match.group(1))
    assert demo_home.parent == tmp_path
    conn = db.connect(demo_home / "data" / db.DB_FILE_NAME)
    try:
        (session,) = db.list_sessions(conn)
    finally:
        conn.close()
    assert session.simulated and session.finished
    assert "session completed" in done.stdout
