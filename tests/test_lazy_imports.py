"""What loads when: ``treadctl --help`` and the start screen's first paint stay quick because the
heavy packages load only when needed. Checked in a fresh child process through ``sys.modules``
(behaviour, not timing), so a stray module-level import shows up here before it shows in a bench.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# The simulator's own command line (``simulators.cli``, argparse only) builds ``treadctl sim``'s
# options, so ``simulators`` itself loads with ``--help``; its belt model and backends must not.
HEAVY = (
    "textual",
    "bleak",
    "aiomqtt",
    "pydantic",
    "simulators.treadmill",
    "simulators.bleak_backend",
    "bumble",
    "sqlite3",
)


def _last_line_of_child(probe: str, env: dict[str, str] | None = None) -> str:
    """Run ``probe`` with ``python -c`` in a fresh child; the last line it printed."""
    result = subprocess.run(
        [sys.executable, "-c", probe],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
        cwd=ROOT,
        env=env,
    )
    return result.stdout.splitlines()[-1]


def loaded_after(code: str) -> list[str]:
    """The heavy top-level packages in ``sys.modules`` after running ``code`` in a child."""
    probe = f"import sys\n{code}\nprint([m for m in {HEAVY!r} if m in sys.modules])"
    found: list[str] = ast.literal_eval(_last_line_of_child(probe))
    return found


def test_help_loads_no_heavy_package() -> None:
    code = (
        "import contextlib, io\n"
        "from treadctl.cli import main\n"
        "with contextlib.redirect_stdout(io.StringIO()), contextlib.suppress(SystemExit):\n"
        "    main(['--help'])\n"
    )
    assert loaded_after(code) == []


def test_start_screen_module_loads_textual_but_not_pydantic_or_bleak() -> None:
    """The start screen paints before the profiles and configuration (pydantic), the session
    screen and the Bluetooth scan (bleak) are loaded."""
    code = "import treadctl.tui.app, treadctl.tui.start_screen\n"
    assert loaded_after(code) == ["textual"]


def test_start_screen_does_not_import_the_session_screen() -> None:
    code = (
        "import sys\nimport treadctl.tui.app, treadctl.tui.start_screen\n"
        "print('treadctl.tui.session_screen' in sys.modules)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.strip() == "False"


def _plugin_scan_after_check(env_value: str | None) -> str:
    """Run ``treadctl profile check`` in a child through ``cli.main``; say whether pydantic
    scanned the installed packages for plugins (its cache is filled only by that scan)."""
    import os

    env = {k: v for k, v in os.environ.items() if k != "PYDANTIC_DISABLE_PLUGINS"}
    if env_value is not None:
        env["PYDANTIC_DISABLE_PLUGINS"] = env_value
    probe = (
        "import contextlib, io, treadctl.cli\n"
        "with contextlib.redirect_stdout(io.StringIO()):\n"
        "    status = treadctl.cli.main(['profile', 'check', 'profiles/alternating-30.toml'])\n"
        "from pydantic.plugin import _loader\n"
        "print(status, 'scanned' if _loader._plugins is not None else 'not scanned')"
    )
    return _last_line_of_child(probe, env)


def test_treadctl_does_not_scan_installed_packages_for_pydantic_plugins() -> None:
    assert _plugin_scan_after_check(None) == "0 not scanned"


def test_a_pydantic_plugin_setting_of_the_users_own_is_kept() -> None:
    assert _plugin_scan_after_check("") == "0 scanned"  # empty: pydantic reads it as enabled
