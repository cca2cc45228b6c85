"""The control loop with every real sink attached: loop lag and stop latency, database locked.

A real-time session against the simulator, composed exactly as ``treadctl run --simulate
--headless`` composes it (``wiring.prepare`` and ``wiring.run_wired``, so ``attach_sinks``
attaches the real audit log, history recorder, headless printer and MQTT publisher; the printer
writes to /dev/null, MQTT goes to a real broker: mosquitto where installed, else the embedded
amqtt broker the tests use, ``tests/mqtt_broker.py``). A child process holds the history
database's write lock (``BEGIN IMMEDIATE``) for most of the run, as another program or another
session could.

* loop lag: a probe task on the session's loop asks to wake every 10 ms and records how late it
  woke (p50, p99, max). Anything that blocked the loop (a database wait, a disk write) shows here.
* stop → Stop write: the time from ``session.request(STOP)`` to the supervisor handing the Stop
  procedure to the link (the simulated radio excluded), then a re-arm and a wait for the belt to
  run again, repeated.

Figures, not a pass/fail test. Run with ``bench/run.py`` or on its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

PROBE_PERIOD_S = 0.01
LOCK_S = float(os.environ.get("BENCH_LOCK_S", "12"))
STOPS = int(os.environ.get("BENCH_STOPS", "25"))
PROFILE = """
name = "Bench outputs"
units = "kmh"

[[steps]]
label = "Walk"
direction = "forward"
duration = "30m"
speed = 2.5
"""
LOCKER = """
import sqlite3, sys, time
conn = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=30)
conn.execute("BEGIN IMMEDIATE")
print("locked", flush=True)
time.sleep(float(sys.argv[2]))
conn.execute("COMMIT")
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def _probe(lags: list[float], stop: asyncio.Event) -> None:
    loop = asyncio.get_running_loop()
    while not stop.is_set():
        due = loop.time() + PROBE_PERIOD_S
        await asyncio.sleep(PROBE_PERIOD_S)
        lags.append(max(0.0, loop.time() - due))


async def _session(
    home: Path, locked: bool, mqtt_port: int | None
) -> tuple[list[float], list[float]]:
    from treadctl import wiring
    from treadctl.controls import Request, RequestKind
    from treadctl.events import PhaseChanged, PhaseName, SessionEvent
    from treadctl.history import db

    profile = home / "bench.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    config = home / "bench-config.toml"
    mqtt = f'[mqtt]\nhost = "127.0.0.1"\nport = {mqtt_port}\n' if mqtt_port else ""
    config.write_text(mqtt, encoding="utf-8")
    db_path = home / "data" / db.DB_FILE_NAME
    db.connect(db_path).close()
    options = wiring.RunOptions(profile=str(profile), simulate=True, headless=True, config=config)
    wired = wiring.prepare(options)
    loop = asyncio.get_running_loop()
    stop_writes: list[float] = []
    original_stop = wired.link.stop

    def timed_stop(*args: Any) -> Any:
        stop_writes.append(loop.time())
        return original_stop(*args)

    wired.link.stop = timed_stop  # type: ignore[method-assign]
    running = asyncio.Event()

    def on_event(event: SessionEvent) -> None:
        if isinstance(event, PhaseChanged):
            if event.name in (PhaseName.RAMP, PhaseName.STEADY):
                running.set()
            else:
                running.clear()

    wired.bus.subscribe(on_event)
    lags: list[float] = []
    probing = asyncio.Event()
    session = loop.create_task(wiring.run_wired(wired))
    probe = loop.create_task(_probe(lags, probing))
    locker: subprocess.Popen[str] | None = None
    latencies: list[float] = []
    try:
        await asyncio.wait_for(running.wait(), 30)
        if locked:
            locker = subprocess.Popen(
                [sys.executable, "-c", LOCKER, str(db_path), str(LOCK_S)],
                stdout=subprocess.PIPE,
                text=True,
            )
            assert locker.stdout is not None
            await asyncio.to_thread(locker.stdout.readline)
        started = loop.time()
        for _ in range(STOPS):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(running.wait(), 15)
            await asyncio.sleep(0.3)
            asked = loop.time()
            wired.session.request(Request(RequestKind.STOP, source="key"))
            await asyncio.sleep(0.3)
            after = [t for t in stop_writes if t >= asked]
            if after:
                latencies.append(after[0] - asked)
            running.clear()
            wired.session.request(Request(RequestKind.REARM, source="key"))  # "key:r" soon
        while locked and loop.time() - started < LOCK_S + 1:
            await asyncio.sleep(0.1)  # keep the probe going through the whole lock
    finally:
        wired.session.request(Request(RequestKind.QUIT, source="key"))
        await session
        probing.set()
        await probe
        if locker is not None:
            await asyncio.to_thread(locker.wait, 30)
    return lags, latencies


@contextlib.contextmanager
def _broker(folder: Path) -> Iterator[int | None]:
    """A real broker's port; None (and a note on stderr) when neither broker can run here."""
    try:
        from tests.mqtt_broker import TestBroker

        broker = TestBroker(folder)
        broker.start()
    except Exception as error:  # no mosquitto and no amqtt: measure without MQTT, say so
        print(f"bench_outputs: no MQTT broker ({error}); MQTT not attached", file=sys.stderr)
        yield None
        return
    try:
        yield broker.port
    finally:
        broker.stop()


def _measure(locked: bool) -> tuple[list[float], list[float], bool]:
    from treadctl.paths import HOME_ENV

    previous = os.environ.get(HOME_ENV)
    with tempfile.TemporaryDirectory() as folder, open(os.devnull, "w") as devnull:
        os.environ[HOME_ENV] = folder
        try:
            with _broker(Path(folder)) as port, contextlib.redirect_stdout(devnull):
                lags, stops = asyncio.run(_session(Path(folder), locked, port))
                return lags, stops, port is not None
        finally:
            if previous is None:
                os.environ.pop(HOME_ENV, None)
            else:
                os.environ[HOME_ENV] = previous


def _spread(label: str, seconds: list[float]) -> list[dict[str, Any]]:
    """The p50 and p99 rows of ``label``, in milliseconds."""
    return [
        {"name": f"{label} {name}", "value": _percentile(seconds, q) * 1e3, "unit": "ms"}
        for name, q in (("p50", 0.5), ("p99", 0.99))
    ]


def run() -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for locked in (True, False):
        lags, stops, with_mqtt = _measure(locked)
        where = ("database locked" if locked else "database free") + (
            ", MQTT" if with_mqtt else ", no MQTT broker"
        )
        rows += _spread(f"all sinks, {where}: loop lag", lags)
        rows.append(
            {"name": f"all sinks, {where}: loop lag max", "value": max(lags) * 1e3, "unit": "ms"}
        )
        rows.append(
            {"name": f"all sinks, {where}: loop lag samples", "value": len(lags), "unit": ""}
        )
        if stops:
            rows += _spread(f"all sinks, {where}: stop → Stop write", stops)
            rows.append(
                {"name": f"all sinks, {where}: stops measured", "value": len(stops), "unit": ""}
            )
    return rows


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # treadctl and tests/
    start = time.perf_counter()
    for row in run():
        print(f"{row['name']}: {row['value']:.3f} {row['unit']}")
    print(f"({time.perf_counter() - start:.0f} s)")
