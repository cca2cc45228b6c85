"""`treadctl run`: exit statuses, the audit log, and graceful ends on signals in a child process."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from treadctl.cli import main
from treadctl.session.audit import read_audit

ROOT = Path(__file__).resolve().parent.parent

PROFILE = """
name = "Signal test"
units = "kmh"

[[steps]]
label = "Walk"
direction = "forward"
duration = "10m"
speed = 3.0
"""


SHIPPED = sorted(path.stem for path in (ROOT / "profiles").glob("*.toml"))


@pytest.mark.parametrize("profile", SHIPPED)
def test_every_shipped_profile_dry_runs_to_completion(
    profile: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = tmp_path / "audit.jsonl"
    status = main(["run", profile, "--simulate", "--fast", "--headless", "--audit", str(audit)])
    assert status == 0
    events = read_audit(audit)
    assert events[-1]["kind"] == "end" and events[-1]["status"] == "completed"
    kinds = {e["kind"] for e in events}
    assert {"command", "response", "link", "data", "bout", "phase", "end"} <= kinds
    assert all(isinstance(e["t"], float | int) for e in events)
    bouts = [e for e in events if e["kind"] == "bout"]
    summary = events[-1]["summary"]
    assert isinstance(summary, dict)
    assert summary["bouts_completed"] == summary["bouts_total"] == len(bouts) > 0
    out = capsys.readouterr().out
    assert f"bout 1/{len(bouts)}" in out and "session completed" in out


def test_the_shipped_library_is_found() -> None:
    assert {"first-session", "alternating-30", "retro-10", "incline-retro"} <= set(SHIPPED)


@pytest.mark.parametrize(
    ("fault", "reason", "exit_status", "at_rest"),
    [
        ("safety-key@300", "safety_key", 3, True),
        # The data never comes back: nothing can confirm the belt stopped, so exit 4.
        ("stale@300", "watchdog", 4, False),
        ("disconnect@300", "link_lost", 3, True),
    ],
)
def test_a_fault_exits_3_with_a_complete_audit_log(
    tmp_path: Path, fault: str, reason: str, exit_status: int, at_rest: bool
) -> None:
    audit = tmp_path / "audit.jsonl"
    argv = ["run", "retro-10", "--simulate", "--fast", "--headless", "--audit", str(audit)]
    assert main([*argv, "--sim-fault", fault]) == exit_status
    events = read_audit(audit)
    end = {"kind": "end", "status": "safety_stop", "reason": reason, "belt_at_rest": at_rest}
    assert events[-1] == {**events[-1], **end}
    assert any(e["kind"] == "safety" and e["reason"] == reason for e in events)
    stops = [e for e in events if e["kind"] == "command" and e["op"] == "stop"]
    assert stops


def test_the_audit_log_defaults_to_the_session_folder(isolated_home: Path) -> None:
    assert main(["run", "retro-10", "--simulate", "--fast", "--headless"]) == 0
    logs = list((isolated_home / "data" / "sessions").glob("*/audit.jsonl"))
    assert len(logs) == 1
    assert read_audit(logs[0])[-1]["kind"] == "end"


@pytest.mark.parametrize(
    "argv",
    [
        ["run", "no-such-profile", "--simulate", "--fast", "--headless"],
        ["run", "retro-10", "--fast", "--headless", "--device", "AA:BB:CC:DD:EE:FF"],
        ["run", "retro-10", "--simulate", "--headless", "--sim-fault", "melt@3"],
        ["run", "retro-10", "--simulate", "--headless", "--sim-personality", "nope"],
    ],
)
def test_bad_input_exits_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    assert main(argv) == 2
    assert "Traceback" not in capsys.readouterr().err


def _child(tmp_path: Path) -> tuple[subprocess.Popen[str], Path]:
    profile = tmp_path / "signal.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    env = {**os.environ, "TREADCTL_HOME": str(tmp_path / "home"), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "treadctl", "run", str(profile), "--simulate", "--headless"]
    child = subprocess.Popen(
        [*argv, "--audit", str(audit)],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    return child, audit


def _wait_for_belt(audit: Path, timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if audit.exists():
            for line in audit.read_text(encoding="utf-8").splitlines():
                event = json.loads(line)
                if event["kind"] == "command" and event["op"] == "set_speed":
                    return
        time.sleep(0.05)
    raise AssertionError("the child never started the belt")


@pytest.mark.timeout(60)
@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_a_signal_stops_the_belt_before_exiting(tmp_path: Path, signum: int) -> None:
    child, audit = _child(tmp_path)
    try:
        _wait_for_belt(audit)
        time.sleep(0.5)
        child.send_signal(signum)
        _out, err = child.communicate(timeout=20)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == 130, err
    events = read_audit(audit)
    stop_index = next(
        i
        for i, e in enumerate(events)
        if e["kind"] == "command" and e["op"] == "stop" and e["source"] == "exit"
    )
    answer = next(e for e in events[stop_index:] if e["kind"] == "response" and e["op"] == "stop")
    assert answer["result"] == "success"
    moving = [e for e in events[stop_index:] if e["kind"] == "command" and e["op"] != "stop"]
    assert not moving
    assert events[-1]["kind"] == "end" and events[-1]["status"] == "interrupted"
    assert "Traceback" not in err


def test_the_last_line_says_how_the_session_ended_in_words() -> None:
    from treadctl.events import EndStatus, SessionEnded
    from treadctl.session.headless import describe

    assert describe(SessionEnded(10.0, EndStatus.COMPLETED, "completed")) == "session completed"
    stopped = describe(SessionEnded(10.0, EndStatus.SAFETY_STOP, "safety_key"))
    assert stopped == "session ended in a safety stop: safety key"
    assert describe(SessionEnded(3.0, EndStatus.INTERRUPTED, "signal")) == (
        "session interrupted: signal"
    )
