"""Every way out sends Stop first (the safety core's contract, point 6), in real child processes.

Each test starts ``python -m treadctl run … --simulate --headless`` in real time, waits until the
belt is driven (a ``set_speed`` in the audit log), then leaves the way a user or the system would:
a signal (SIGINT, SIGTERM, SIGHUP from a closed terminal, SIGQUIT), a closed output pipe, Ctrl-Z
and ``fg``, a link that never comes back. The audit log must show Stop before the end, nothing
moving after it, an honest end record and exit status, and no traceback.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent

PROFILE = """
name = "Ways out"
units = "kmh"

[[steps]]
label = "Walk"
direction = "forward"
duration = "10m"
speed = 3.0
"""


def _read(audit: Path) -> list[dict[str, Any]]:
    if not audit.exists():
        return []
    events = []
    for line in audit.read_text(encoding="utf-8").splitlines():
        if line.strip():
            events.append(json.loads(line))
    return events


def _start(
    tmp_path: Path, *extra: str, stdout: Any = subprocess.PIPE, stderr: Any = subprocess.PIPE
) -> tuple[subprocess.Popen[str], Path]:
    profile = tmp_path / "walk.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    env = {**os.environ, "TREADCTL_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "treadctl", "run", str(profile), "--simulate", "--headless"]
    child = subprocess.Popen(
        [*argv, "--audit", str(audit), *extra],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=stdout,
        stderr=stderr,
        text=True,
    )
    return child, audit


def _wait_for(audit: Path, predicate: Any, timeout_s: float = 25.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if any(predicate(e) for e in _read(audit)):
            return
        time.sleep(0.05)
    raise AssertionError(f"the child never reached the expected point: {_read(audit)[-5:]}")


def _driven(event: dict[str, Any]) -> bool:
    return event.get("kind") == "command" and event.get("op") == "set_speed"


def _assert_stopped_first(events: list[dict[str, Any]], *, at_rest: bool = True) -> None:
    stops = [
        i
        for i, e in enumerate(events)
        if e["kind"] == "command" and e["op"] == "stop" and e["source"] in ("exit", "safety")
    ]
    assert stops, "no Stop was sent on the way out"
    first = stops[0]
    moving = [
        e
        for e in events[first:]
        if e["kind"] == "command" and e["op"] in ("start", "set_speed", "set_incline")
    ]
    assert not moving, f"the belt was driven after Stop: {moving}"
    end = events[-1]
    assert end["kind"] == "end"
    assert end["belt_at_rest"] is at_rest


def _finish(child: subprocess.Popen[str], timeout_s: float = 40.0) -> tuple[str, str]:
    try:
        out, err = child.communicate(timeout=timeout_s)
    finally:
        if child.poll() is None:
            child.kill()
    return out or "", err or ""


@pytest.mark.timeout(90)
@pytest.mark.parametrize("name", ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT"])
def test_each_signal_stops_the_belt_before_the_process_ends(tmp_path: Path, name: str) -> None:
    child, audit = _start(tmp_path)
    _wait_for(audit, _driven)
    time.sleep(0.3)
    child.send_signal(getattr(signal, name))
    out, err = _finish(child)
    assert child.returncode == 130, err
    events = _read(audit)
    _assert_stopped_first(events)
    assert events[-1]["status"] == "interrupted"
    assert any(
        e["kind"] == "request" and e["request"] == "quit" and e["source"] == f"signal:{name}"
        for e in events
    )
    assert "Traceback" not in err
    assert out.strip().splitlines()[-1].startswith("session interrupted")


@pytest.mark.timeout(90)
def test_a_closed_stdout_pipe_stops_the_belt_and_ends_without_a_traceback(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    child, audit = _start(tmp_path, stdout=write_end)
    os.close(write_end)
    _wait_for(audit, _driven)
    os.close(read_end)  # the reader is gone (``treadctl run … | head -1`` after its line)
    _out, err = _finish(child)
    events = _read(audit)
    _assert_stopped_first(events)
    assert any(
        e["kind"] == "request" and e["source"] == "signal:SIGPIPE" and e["request"] == "quit"
        for e in events
    ), "a closed output must end the session (through the door)"
    assert child.returncode == 130
    assert "Traceback" not in err and "BrokenPipe" not in err


@pytest.mark.timeout(90)
def test_a_closed_stderr_does_not_stop_a_signal_from_stopping_the_belt(tmp_path: Path) -> None:
    read_end, write_end = os.pipe()
    child, audit = _start(tmp_path, stderr=write_end)
    os.close(write_end)
    os.close(read_end)  # nobody reads stderr: the signal handler's notice must not matter
    _wait_for(audit, _driven)
    child.send_signal(signal.SIGTERM)
    _finish(child)
    assert child.returncode == 130
    _assert_stopped_first(_read(audit))


@pytest.mark.timeout(90)
def test_ctrl_z_stops_the_belt_before_suspending_and_needs_a_rearm(tmp_path: Path) -> None:
    child, audit = _start(tmp_path)
    _wait_for(audit, _driven)
    time.sleep(0.3)
    child.send_signal(signal.SIGTSTP)
    deadline = time.monotonic() + 10
    stopped = False
    while time.monotonic() < deadline:  # the process suspends itself once Stop is written
        with open(f"/proc/{child.pid}/stat", encoding="ascii") as stat:
            if stat.read().split(")")[-1].split()[0] == "T":
                stopped = True
                break
        time.sleep(0.05)
    assert stopped, "the process did not suspend"
    events = _read(audit)
    stop = [e for e in events if e["kind"] == "command" and e["op"] == "stop"]
    assert stop, "Stop must be written before the process suspends"
    answered = [e for e in events if e["kind"] == "response" and e["op"] == "stop"]
    assert answered, "Stop must be answered before the process suspends"
    child.send_signal(signal.SIGCONT)
    # Continued: the halt is latched (key-only), nothing restarts the belt; then we quit.
    time.sleep(3.0)
    child.send_signal(signal.SIGTERM)
    _out, err = _finish(child)
    events = _read(audit)
    suspended = next(e for e in events if e["kind"] == "safety" and e["reason"] == "suspended")
    after = [
        e
        for e in events
        if e["t"] >= suspended["t"] and e["kind"] == "command" and e["op"] in ("start", "set_speed")
    ]
    assert not after, f"the belt restarted by itself after Ctrl-Z: {after}"
    assert "Traceback" not in err


@pytest.mark.timeout(120)
def test_quit_while_the_link_is_lost_for_good_says_the_belt_may_be_moving(tmp_path: Path) -> None:
    # The treadmill drops the link and does not come back for 10 minutes: Stop cannot be sent.
    child, audit = _start(tmp_path, "--sim-fault", "disconnect@6+600")
    _wait_for(audit, lambda e: e.get("kind") == "link" and e.get("event") == "disconnected")
    child.send_signal(signal.SIGTERM)
    out, err = _finish(child, timeout_s=60)
    assert child.returncode == 4, err
    events = _read(audit)
    assert events[-1]["kind"] == "end" and events[-1]["belt_at_rest"] is False
    last = out.strip().splitlines()[-1]
    assert last.startswith("THE BELT MAY STILL BE MOVING") and "console stop" in last
    assert "Traceback" not in err
