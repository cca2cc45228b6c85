"""Whole-process figures as ratios to bare ``python -c pass``, measured side by side in one loop.

Every repetition runs bare Python and each measured command once, in turn, so other work on the
machine weighs on both alike; the ratio of the medians is the figure, the milliseconds are given
beside it. The commands:

* ``treadctl --help`` and ``treadctl ftms decode`` (whole process);
* ``treadctl run PROFILE --simulate --fast --headless``: launch → its first bout line on stdout;
* the same on a 60-minute profile, launch → exit;
* first paint in a pseudo-terminal: the smallest Textual app (one ``Static``) and ``treadctl``'s
  start screen, both signalling on a pipe once painted (``TREADCTL_FIRST_PAINT_FD``, see
  ``treadctl/tui/first_paint.py``); the treadctl/Textual ratio is the figure.

Children run ``python -m treadctl`` with this checkout first on ``PYTHONPATH`` and a temporary
``TREADCTL_HOME``. Measured as a user's machine runs it, with bytecode caches: an environment
that sets PYTHONDONTWRITEBYTECODE would otherwise recompile every module on every start, so the
package is byte-compiled once first.
"""

from __future__ import annotations

import compileall
import contextlib
import fcntl
import os
import pty
import select
import statistics
import struct
import subprocess
import sys
import tempfile
import termios
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the profile shared with bench_session
from sixty_minutes import profile_60

ROOT = Path(__file__).resolve().parent.parent
REPETITIONS = 11
# simulators.cli (argparse only) builds `treadctl sim`'s options; the belt model must not load.
HEAVY = ("textual", "bleak", "aiomqtt", "pydantic", "simulators.treadmill")
TIMEOUT_S = 60.0
SMALLEST_APP = """
import os
from textual.app import App, ComposeResult
from textual.widgets import Static

class Smallest(App[None]):
    def compose(self) -> ComposeResult:
        yield Static("treadctl")

    def on_mount(self) -> None:
        self.call_after_refresh(self.painted)

    def painted(self) -> None:
        os.write(int(os.environ["TREADCTL_FIRST_PAINT_FD"]), b"painted\\n")

Smallest().run()
"""
TARGETS = {  # the ceilings, as ratios
    "treadctl --help": 5.0,
    "run --simulate --fast --headless: first bout line": 15.0,
    "60-minute --fast dry run, whole process": 30.0,
    "first paint: start screen / smallest Textual app": 1.3,
}


def _env(home: str) -> dict[str, str]:
    env = dict(os.environ, TREADCTL_HOME=home, COLUMNS="120", LINES="40", TERM="xterm-256color")
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def _treadctl(*args: str) -> list[str]:
    return [sys.executable, "-m", "treadctl", *args]


def _whole(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, check=True, capture_output=True, env=env, timeout=TIMEOUT_S)
    return time.perf_counter() - start


def _until_line(argv: list[str], env: dict[str, str], marker: bytes) -> float:
    """Launch → the first stdout line containing ``marker``; the process is then killed."""
    start = time.perf_counter()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env)
    assert child.stdout is not None
    try:
        for line in child.stdout:
            if marker in line:
                return time.perf_counter() - start
        raise RuntimeError(f"{argv}: no line with {marker!r}")
    finally:
        child.kill()
        child.wait()


@contextlib.contextmanager
def _pty() -> Iterator[int]:
    """A 120x40 pseudo-terminal whose output is drained (a full pty would block the app)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    stop = threading.Event()

    def drain() -> None:
        while not stop.is_set():
            ready, _, _ = select.select([master], [], [], 0.05)
            if ready:
                try:
                    os.read(master, 65536)
                except OSError:
                    return

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        yield slave
    finally:
        stop.set()
        reader.join()
        os.close(slave)
        os.close(master)


def _first_paint(argv: list[str], env: dict[str, str]) -> float:
    """Launch on a terminal → the app's ``painted`` line on a pipe; the app is then killed."""
    read_end, write_end = os.pipe()
    env = dict(env, TREADCTL_FIRST_PAINT_FD=str(write_end))
    with _pty() as terminal:
        start = time.perf_counter()
        child = subprocess.Popen(
            argv,
            stdin=terminal,
            stdout=terminal,
            stderr=terminal,
            env=env,
            pass_fds=(write_end,),
            start_new_session=True,
        )
        os.close(write_end)
        try:
            ready, _, _ = select.select([read_end], [], [], TIMEOUT_S)
            if not ready or not os.read(read_end, 64):
                raise RuntimeError(f"{argv}: no first paint")
            return time.perf_counter() - start
        finally:
            os.close(read_end)
            child.kill()
            child.wait()


def _heavy_imports(code: str, env: dict[str, str]) -> list[str]:
    probe = f"import sys\n{code}\nprint(' '.join(m for m in {HEAVY!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True, env=env
    )
    return result.stdout.split()


def _compile_package() -> None:
    for package in ("treadctl", "simulators"):
        compileall.compile_dir(ROOT / package, quiet=1)


def _has_textual() -> bool:
    import importlib.util

    return importlib.util.find_spec("textual") is not None


def measure(repetitions: int | None = None) -> dict[str, list[float]]:
    """Seconds per repetition for each command, bare Python interleaved between them."""
    repetitions = repetitions or int(os.environ.get("BENCH_REPETITIONS", REPETITIONS))
    _compile_package()
    with tempfile.TemporaryDirectory() as home:
        env = _env(home)
        profile = Path(home) / "bench60.toml"
        profile.write_text(profile_60(), encoding="utf-8")
        smallest = Path(home) / "smallest_app.py"
        smallest.write_text(SMALLEST_APP, encoding="utf-8")
        audit = str(Path(home) / "audit.jsonl")
        run = ["run", "alternating-30", "--simulate", "--fast", "--headless", "--audit", audit]
        run60 = ["run", str(profile), "--simulate", "--fast", "--headless", "--audit", audit]
        bare = [sys.executable, "-c", "pass"]
        decode = _treadctl("ftms", "decode", "2acd", "8424960000000000000000000100010000")
        commands: dict[str, Callable[[], float]] = {
            "treadctl --help": lambda: _whole(_treadctl("--help"), env),
            "treadctl ftms decode 2acd …": lambda: _whole(decode, env),
            "run --simulate --fast --headless: first bout line": lambda: _until_line(
                _treadctl(*run), env, b"] bout 1/"
            ),
            "60-minute --fast dry run, whole process": lambda: _whole(_treadctl(*run60), env),
        }
        if _has_textual():
            commands["first paint: smallest Textual app"] = lambda: _first_paint(
                [sys.executable, str(smallest)], env
            )
            commands["first paint: treadctl start screen"] = lambda: _first_paint(_treadctl(), env)
        times: dict[str, list[float]] = {"python -c pass": [], **{name: [] for name in commands}}
        for measure_once in (lambda: _whole(bare, env), *commands.values()):
            measure_once()  # warm the OS file cache and the bytecode
        for _ in range(repetitions):
            for name, measure_once in commands.items():
                times["python -c pass"].append(_whole(bare, env))
                times[name].append(measure_once())
                _PAIRED[name].append(times[name][-1] / times["python -c pass"][-1])
        _HEAVY_SEEN[:] = _heavy_imports("import treadctl.cli\ntreadctl.cli.build_parser()", env)
    return times


_HEAVY_SEEN: list[str] = []
# Each repetition's ratio to the `python -c pass` run just before it: their spread shows how
# much a ratio moves from run to run on this machine (the table's figure is the medians' ratio).
_PAIRED: defaultdict[str, list[float]] = defaultdict(list)


def run() -> list[dict[str, Any]]:
    times = measure()
    bare = statistics.median(times["python -c pass"])
    rows: list[dict[str, Any]] = [
        {
            "name": f"python -c pass (median of {len(times['python -c pass'])})",
            "value": bare * 1e3,
            "unit": "ms",
        }
    ]
    for name, values in times.items():
        if name == "python -c pass" or name.startswith("first paint"):
            continue
        median = statistics.median(values)
        rows.append(_ratio_row(name, median, bare, "python -c pass", _PAIRED[name]))
    paint_app = times.get("first paint: smallest Textual app")
    paint_start = times.get("first paint: treadctl start screen")
    if paint_app and paint_start:
        app_s, start_s = statistics.median(paint_app), statistics.median(paint_start)
        rows.append(_ratio_row("first paint: smallest Textual app", app_s, bare, "python -c pass"))
        rows.append(
            _ratio_row(
                "first paint: start screen / smallest Textual app",
                start_s,
                app_s,
                "smallest Textual app",
                [start / app for start, app in zip(paint_start, paint_app, strict=True)],
            )
        )
    rows.append(
        {
            "name": "heavy modules imported by `import treadctl.cli` (" + ", ".join(HEAVY) + ")",
            "value": len(_HEAVY_SEEN),
            "unit": " ".join(_HEAVY_SEEN) or "none",
        }
    )
    return rows


def _ratio_row(
    name: str, value_s: float, peer_s: float, peer: str, paired: list[float] | None = None
) -> dict[str, Any]:
    row: dict[str, Any] = {
        "name": f"{name} (median)",
        "value": value_s * 1e3,
        "unit": "ms",
        "ratio": value_s / peer_s,
        "peer": peer,
    }
    if paired and len(paired) >= 4:
        q1, _, q3 = statistics.quantiles(paired, n=4)
        row["spread"] = (q1, q3)
    if name in TARGETS:
        row["target"] = TARGETS[name]
    return row


if __name__ == "__main__":
    for row in run():
        ratio = f"  {row['ratio']:.2f}x {row['peer']}" if "ratio" in row else ""
        target = f"  (target <= {row['target']}x)" if "target" in row else ""
        print(f"{row['name']}: {row['value']:.1f} {row['unit']}{ratio}{target}")
