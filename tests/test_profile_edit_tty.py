"""`profile edit` on a terminal (a real pseudo-terminal): a file that is not valid TOML cannot be
shown in the table, so it goes to $EDITOR on a temporary copy, as the editor promises."""

from __future__ import annotations

import os
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
FIXER = (
    "import pathlib, sys\np = pathlib.Path(sys.argv[1])\n"
    "p.write_text(p.read_text().replace('speed = = 1', 'speed = 1.5'))\n"
)


def _run_on_a_terminal(
    argv: list[str], env: dict[str, str], timeout_s: float = 60.0
) -> tuple[int, str]:
    master, slave = os.openpty()
    child = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env, cwd=REPO)
    os.close(slave)
    output = b""
    deadline = time.monotonic() + timeout_s
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.2)
            if ready:
                try:
                    chunk = os.read(master, 4096)
                except OSError:
                    break
                if not chunk:
                    break
                output += chunk
            elif child.poll() is not None:
                break
        return child.wait(timeout=10), output.decode("utf-8", "replace")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
        os.close(master)


@pytest.mark.skipif(os.name != "posix", reason="pseudo-terminals")
def test_invalid_toml_goes_to_the_external_editor(isolated_home: Path) -> None:
    folder = isolated_home / "profiles"
    folder.mkdir()
    broken = folder / "broken.toml"
    broken.write_text(
        'name = "Broken"\n[[steps]]\ndirection = "forward"\nduration = 60\nspeed = = 1\n'
    )
    fixer = isolated_home / "fixer.py"
    fixer.write_text(FIXER)
    env = {
        **os.environ,
        "TREADCTL_HOME": str(isolated_home),
        "EDITOR": f"{sys.executable} {fixer}",
        "PYTHONPATH": str(REPO),
        "TERM": "xterm",
    }
    env.pop("VISUAL", None)
    status, output = _run_on_a_terminal(
        [sys.executable, "-m", "treadctl", "profile", "edit", "broken"], env
    )
    assert status == 0, output
    assert f"{broken}:5: invalid TOML" in output
    assert "not valid TOML, so it opens in $EDITOR instead" in output
    assert "speed = 1.5" in broken.read_text()
