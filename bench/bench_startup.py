"""Whole-process start-up of `treadctl --help` and `treadctl ftms decode`, against bare Python.

Measured as a user's machine runs it: with bytecode caches. An environment that sets
PYTHONDONTWRITEBYTECODE (some sandboxes and CI images do) would otherwise recompile every module
on every start and roughly double the figure, so the package is byte-compiled once first.
"""

from __future__ import annotations

import compileall
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

REPETITIONS = 15
HEAVY = ("textual", "bleak", "aiomqtt", "pydantic")


def _treadctl() -> list[str]:
    """The installed console script next to this interpreter, else ``python -m treadctl``."""
    script = Path(sys.executable).with_name("treadctl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "treadctl"]


def _median_ms(argv: list[str]) -> float:
    subprocess.run(argv, check=True, capture_output=True)  # warm the OS file cache
    times = []
    for _ in range(REPETITIONS):
        start = time.perf_counter()
        subprocess.run(argv, check=True, capture_output=True)
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def _heavy_imports(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    )
    return result.stdout.split()


def _compile_package() -> None:
    root = Path(__file__).resolve().parent.parent
    for package in ("treadctl", "simulators"):
        compileall.compile_dir(root / package, quiet=1)


def run() -> list[dict[str, Any]]:
    _compile_package()
    bare = _median_ms([sys.executable, "-c", "pass"])
    help_ms = _median_ms([*_treadctl(), "--help"])
    decode_ms = _median_ms(
        [*_treadctl(), "ftms", "decode", "2acd", "8424960000000000000000000100010000"]
    )
    heavy = _heavy_imports(
        "from treadctl.cli import build_parser\nbuild_parser()\nimport treadctl.ftms.describe"
    )
    return [
        {"name": f"python -c pass (median of {REPETITIONS})", "value": bare, "unit": "ms"},
        {
            "name": f"treadctl --help (median of {REPETITIONS})",
            "value": help_ms,
            "unit": "ms",
            "ratio": help_ms / bare,
            "peer": "python -c pass",
        },
        {
            "name": "treadctl ftms decode 2acd … (median)",
            "value": decode_ms,
            "unit": "ms",
            "ratio": decode_ms / bare,
            "peer": "python -c pass",
        },
        {
            "name": "heavy modules imported by --help/ftms (" + ", ".join(HEAVY) + ")",
            "value": len(heavy),
            "unit": " ".join(heavy) or "none",
        },
    ]
