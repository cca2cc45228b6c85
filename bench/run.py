"""Run every bench/bench_*.py module and print one table. Figures, not pass/fail tests.

Each module exposes ``run() -> list[dict]`` with ``name``, ``value`` and ``unit``, and optionally
``ratio`` and ``peer`` when a comparable baseline exists, and ``spread`` (the quartiles of the
repetitions' own ratios) where the bench pairs each run with its baseline.
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
    load_before = _load_average()
    rows: list[tuple[str, str, str, str, str, str]] = []
    only = set(sys.argv[1:])  # e.g. `bench/run.py startup`: only bench_startup.py
    for path in sorted(HERE.glob("bench_*.py")):
        if only and path.stem.removeprefix("bench_") not in only:
            continue
        for figure in _load(path).run():
            ratio = figure.get("ratio")
            rows.append(
                (
                    path.stem.removeprefix("bench_"),
                    figure["name"],
                    _format_value(figure["value"]),
                    figure["unit"],
                    _ratio_text(ratio, figure) if ratio is not None else "",
                    _verdict(ratio, figure.get("target")),
                )
            )
    print(
        f"# {time.strftime('%Y-%m-%d')}  {_cpu_model()}  {platform.machine()}  {_cpus()} cores  "
        f"Python {platform.python_version()}  load average {load_before} at the start, "
        f"{_load_average()} at the end (1, 5, 15 min)"
    )
    header = ("bench", "figure", "value", "unit", "ratio", "target")
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    for row in [header, tuple("-" * w for w in widths), *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)))
    return 0


def _ratio_text(ratio: float, figure: dict[str, Any]) -> str:
    """``26.2x python -c pass, runs 24.9-27.7x``: the ratio, and the middle half of the
    repetitions' own ratios where the bench paired them."""
    text = f"{ratio:.2f}x {figure['peer']}"
    spread = figure.get("spread")
    if spread is not None:
        text += f", runs {spread[0]:.1f}-{spread[1]:.1f}x"
    return text


def _verdict(ratio: float | None, target: float | None) -> str:
    if ratio is None or target is None:
        return ""
    return f"<= {target:g}x: {'met' if ratio <= target else 'missed'}"


def _cpu_model() -> str:
    """The CPU's name (Linux /proc/cpuinfo), else what platform knows."""
    try:
        for line in Path("/proc/cpuinfo").read_text(encoding="utf-8").splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown CPU"


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
