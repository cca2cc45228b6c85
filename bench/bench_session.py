"""Session figures: a 60-minute profile on the virtual clock, and real-time command latencies.

* wall time of ``treadctl run`` on a 60-minute profile with --simulate --fast --headless
  (in-process, interpreter start-up excluded; target < 0.5 s): best and median of 5 runs;
* the same command as a whole process (start-up and imports included): median of 5 runs;
* on a real-time loop against the simulator: bout boundary → first Control Point write, and
  stop request / fault detection → Stop write (targets: p99 < 10 ms). The write time is when the
  supervisor hands the procedure to the client, so the (simulated) radio is excluded.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))  # the profile shared with bench_startup
from sixty_minutes import profile_60


@contextlib.contextmanager
def _scratch_home() -> Iterator[str]:
    """Point TREADCTL_HOME at a temporary folder for the duration, so bench runs neither write
    sessions into the user's history and audit folders nor time a history database they grew."""
    from treadctl.paths import HOME_ENV

    previous = os.environ.get(HOME_ENV)
    with tempfile.TemporaryDirectory() as home:
        os.environ[HOME_ENV] = home
        try:
            yield home
        finally:
            if previous is None:
                os.environ.pop(HOME_ENV, None)
            else:
                os.environ[HOME_ENV] = previous


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def bench_fast_60(runs: int = 5) -> list[float]:
    """Wall times of ``runs`` in-process runs (the first one also pays for the imports)."""
    from treadctl.wiring import RunOptions, run_session

    times = []
    with tempfile.TemporaryDirectory() as folder:
        profile = Path(folder) / "bench60.toml"
        profile.write_text(profile_60(), encoding="utf-8")
        for i in range(runs):
            options = RunOptions(
                profile=str(profile),
                simulate=True,
                fast=True,
                headless=True,
                audit=Path(folder) / f"audit{i}.jsonl",
            )
            start = time.perf_counter()
            with contextlib.redirect_stdout(io.StringIO()):
                status = run_session(options)
            times.append(time.perf_counter() - start)
            assert status == 0, status
    return times


def bench_process_60(runs: int = 5) -> list[float]:
    """Wall times of ``treadctl run PROFILE --simulate --fast --headless`` as a whole process."""
    command = [sys.executable, "-m", "treadctl"]  # this checkout's, not an installed script's
    root = str(Path(__file__).resolve().parent.parent)
    env = dict(
        os.environ, PYTHONPATH=os.pathsep.join(filter(None, (root, os.environ.get("PYTHONPATH"))))
    )
    times = []
    with tempfile.TemporaryDirectory() as folder:
        profile = Path(folder) / "bench60.toml"
        profile.write_text(profile_60(), encoding="utf-8")
        argv = [*command, "run", str(profile), "--simulate", "--fast", "--headless"]
        for i in range(runs):
            audit = ["--audit", str(Path(folder) / f"audit{i}.jsonl")]
            start = time.perf_counter()
            subprocess.run([*argv, *audit], check=True, capture_output=True, env=env)
            times.append(time.perf_counter() - start)
    return times


async def _latencies(bouts: int, stops: int) -> tuple[list[float], list[float]]:
    from simulators.bleak_backend import SimAir
    from treadctl.controls import Request, RequestKind
    from treadctl.direction import Direction
    from treadctl.events import EventBus, PhaseChanged, PhaseName, SafetyEvent, SessionEvent
    from treadctl.plan import build_plan
    from treadctl.profile.bout import BoutSpec
    from treadctl.safety_config import SafetyConfig
    from treadctl.session.engine import Session, SessionOptions
    from treadctl.simulated_link import simulated_link

    loop = asyncio.get_running_loop()
    link, sim = simulated_link("spec", sim_air=SimAir())
    writes: list[tuple[float, str]] = []
    for name in ("set_speed", "set_incline", "stop", "start", "pause"):
        original = getattr(link, name)

        def wrapped(*args: Any, _original: Any = original, _name: str = name) -> Any:
            writes.append((loop.time(), _name))
            return _original(*args)

        setattr(link, name, wrapped)
    safety = SafetyConfig(max_acceleration_kmh_per_s=2.0, max_backward_acceleration_kmh_per_s=2.0)
    specs = [
        BoutSpec(i, f"b{i}", Direction.FORWARD, 0.6, 3.0 + 0.1 * (i % 2), float(i % 2))
        for i in range(bouts)
    ]
    plan = build_plan("bench", specs, safety, None)
    bus = EventBus()
    boundaries: list[float] = []
    faults: list[float] = []
    seen_bouts: set[int] = set()

    def listen(event: SessionEvent) -> None:
        if (
            isinstance(event, PhaseChanged)
            and event.name in (PhaseName.RAMP, PhaseName.STEADY)
            and event.bout_index is not None
            and event.bout_index not in seen_bouts
            and event.duration_s is not None
        ):
            seen_bouts.add(event.bout_index)
            boundaries.append(loop.time() + event.duration_s)
        if isinstance(event, SafetyEvent) and event.action == "stop":
            faults.append(loop.time())

    bus.subscribe(listen)
    session = Session(plan, link, bus, safety, SessionOptions())
    task = loop.create_task(session.run())
    while len(seen_bouts) < bouts and not task.done():
        await asyncio.sleep(0.05)
    bout_latencies = []
    for boundary in boundaries[:-1]:
        after = [t for t, _ in writes if t >= boundary - 1e-4]
        if after:
            bout_latencies.append(max(0.0, after[0] - boundary))
    await task
    # Stop requests and fault detections in a session that keeps running.
    link2, sim2 = simulated_link("spec", sim_air=SimAir())
    writes.clear()
    for name in ("stop",):
        original = getattr(link2, name)

        def wrapped2(*args: Any, _original: Any = original) -> Any:
            writes.append((loop.time(), "stop"))
            return _original(*args)

        setattr(link2, name, wrapped2)
    long_plan = build_plan("bench", [BoutSpec(0, "w", Direction.FORWARD, 3600, 3, 0)], safety)
    bus2 = EventBus()
    faults.clear()
    bus2.subscribe(listen)
    session2 = Session(long_plan, link2, bus2, safety, SessionOptions())
    task2 = loop.create_task(session2.run())
    await asyncio.sleep(1.0)
    requests: list[float] = []
    for _ in range(stops):
        requests.append(loop.time())
        session2.request(Request(RequestKind.STOP, source="key"))
        await asyncio.sleep(0.15)
        session2.request(Request(RequestKind.REARM, source="key"))
        await asyncio.sleep(0.25)
    session2.request(Request(RequestKind.QUIT, source="key"))
    await task2
    stop_latencies = []
    for t in requests:
        after = [w for w, _ in writes if w >= t]
        if after:
            stop_latencies.append(after[0] - t)
    sim.close()
    sim2.close()
    return bout_latencies, stop_latencies


def run() -> list[dict[str, Any]]:
    with _scratch_home():
        return _run()


def _run() -> list[dict[str, Any]]:
    in_process = bench_fast_60()
    whole = bench_process_60()
    rows: list[dict[str, Any]] = [
        {
            "name": "session: 60-min profile, --simulate --fast --headless",
            "value": min(in_process),
            "unit": "s",
        },
        {
            "name": "session: 60-min profile, in-process median of 5",
            "value": statistics.median(in_process),
            "unit": "s",
        },
        {
            "name": "session: 60-min profile, whole process median of 5",
            "value": statistics.median(whole),
            "unit": "s",
        },
    ]
    bout_lat, stop_lat = asyncio.run(_latencies(bouts=40, stops=40))
    for label, values in (
        ("bout boundary → first write", bout_lat),
        ("stop → Stop write", stop_lat),
    ):
        if values:
            rows.append(
                {
                    "name": f"session: {label} p50",
                    "value": _percentile(values, 0.5) * 1e3,
                    "unit": "ms",
                }
            )
            rows.append(
                {
                    "name": f"session: {label} p99",
                    "value": _percentile(values, 0.99) * 1e3,
                    "unit": "ms",
                }
            )
    return rows


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']:.3f} {row['unit']}")
