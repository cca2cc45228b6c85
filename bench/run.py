"""Run every bench/bench_*.py module and print one table. Figures, not pass/fail tests.

Each module exposes ``run() -> list[dict]`` with ``name``, ``value`` and ``unit``, and optionally
``ratio`` and ``peer`` when a comparable baseline exists.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent


def _load(path: Path) -> Any:
    spec = importlib.util.spec_from_file_location(path.stem, path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _format_value(value: float) -> str:
    """Three significant figures below 100 (0.512 s, 2.32 ms), whole numbers above."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}"


def main() -> int:
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # so the benches import this checkout's treadctl
    rows: list[tuple[str, str, str, str, str]] = []
    for path in sorted(HERE.glob("bench_*.py")):
        for figure in _load(path).run():
            ratio = figure.get("ratio")
            rows.append(
                (
                    path.stem.removeprefix("bench_"),
                    figure["name"],
                    _format_value(figure["value"]),
                    figure["unit"],
                    f"{ratio:.2f}x {figure['peer']}" if ratio is not None else "",
                )
            )
    print(
        f"# {time.strftime('%Y-%m-%d')}  Python {platform.python_version()}  "
        f"{platform.machine()}  {_cpus()} cores  load average {_load_average()}"
    )
    header = ("bench", "figure", "value", "unit", "ratio")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


def _cpus() -> int:
    return os.cpu_count() or 1


def _load_average() -> str:
    """Other work on the machine skews start-up figures most; print it beside them."""
    try:
        return " ".join(f"{x:.2f}" for x in os.getloadavg())
    except OSError:
        return "n/a"


if __name__ == "__main__":
    sys.exit(main())
