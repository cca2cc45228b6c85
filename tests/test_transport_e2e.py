"""Two processes over bumble's TCP virtual link: ``treadctl sim`` serves a treadmill, a separate
``treadctl run --transport tcp-client:...`` walks a whole session on it; the audit log must hold
every Control Point write the simulator executed, and the quirks from the configuration."""

from __future__ import annotations

import json
import os
import selectors
import signal
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest

pytest.importorskip("bumble", reason="the TCP virtual link needs bumble (pip install '.[sim]')")

from treadctl.session.audit import read_audit

ROOT = Path(__file__).resolve().parent.parent
SIM_ADDRESS = "F0:F0:F0:F0:F0:01"
PROFILE = """
name = "Two processes"
units = "kmh"

[[steps]]
label = "Walk"
direction = "forward"
duration = "8s"
speed = 1.5
"""
CONFIG = f"""
[devices."{SIM_ADDRESS}"]
name = "Hallway treadmill"
quirks = ["control-preamble", "request-control-twice"]
"""
# The simulator's words for each procedure (simulators.treadmill), as audit-log op names.
SIM_OPS = (
    ("request control", "request_control"),
    ("set target speed", "set_speed"),
    ("set target incline", "set_incline"),
    ("start", "start"),
    ("resume", "start"),
    ("stop", "stop"),
    ("pause", "pause"),
    ("reset", "reset"),
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def treadctl(*args: str) -> list[str]:
    return [sys.executable, "-m", "treadctl", *args]


class Sim:
    """``treadctl sim`` in its own process, its output collected line by line."""

    def __init__(self, port: int, *extra: str) -> None:
        self.transport = f"tcp-server:127.0.0.1:{port}"
        self.process = subprocess.Popen(
            treadctl("sim", "--transport", self.transport, "--show-commands", *extra),
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=os.environ.copy(),
        )
        self.lines: list[str] = []

    def wait_ready(self, timeout_s: float = 30.0) -> None:
        assert self.process.stdout is not None
        selector = selectors.DefaultSelector()
        selector.register(self.process.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if not selector.select(timeout=0.5):
                continue
            line = self.process.stdout.readline()
            if not line:
                break
            self.lines.append(line.rstrip("\n"))
            if "virtual link" in line:
                return
        raise AssertionError(f"treadctl sim did not come up: {self.lines}")

    def stop(self) -> list[str]:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            out, _ = self.process.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            out, _ = self.process.communicate()
        self.lines += out.splitlines()
        return self.lines

    def executed_ops(self) -> Counter[str]:
        ops: Counter[str] = Counter()
        for line in self.lines:
            if not line.startswith("command "):
                continue
            what = line.split(": ", 1)[1]
            for words, op in SIM_OPS:
                if what.startswith(words):
                    ops[op] += 1
                    break
            else:
                raise AssertionError(f"unknown simulator command line {line!r}")
        return ops


@pytest.fixture
def sim() -> Iterator[Sim]:
    server = Sim(free_port())
    try:
        server.wait_ready()
        yield server
    finally:
        server.stop()


def test_a_whole_session_across_two_processes(sim: Sim, tmp_path: Path) -> None:
    profile = tmp_path / "walk.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    config = tmp_path / "config.toml"
    config.write_text(CONFIG, encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    transport = sim.transport.replace("tcp-server", "tcp-client")
    run = subprocess.run(
        treadctl(
            "run",
            str(profile),
            "--config",
            str(config),
            "--transport",
            transport,
            "--headless",
            "--audit",
            str(audit),
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env=os.environ.copy(),
    )
    assert run.returncode == 0, run.stdout + run.stderr
    assert "session completed" in run.stdout
    sim.stop()

    events = read_audit(audit)
    assert events[-1]["kind"] == "end" and events[-1]["status"] == "completed"
    [connected] = [e for e in events if e["kind"] == "link" and e["event"] == "connected"]
    reason = str(connected["reason"])
    assert "Hallway treadmill" in reason and "model SIM-1" in reason
    assert "control_preamble_before_targets, request_control_twice" in reason
    assert f'config [devices."{SIM_ADDRESS}"]' in reason

    own = [e for e in events if e["kind"] == "command" and str(e["source"]).startswith("link")]
    assert any("control-preamble" in str(e["source"]) for e in own)
    assert any("request-control-twice" in str(e["source"]) for e in own)

    # Every write the treadmill executed is in the log: the supervisor's commands plus the
    # client's own writes, op by op.
    logged: Counter[str] = Counter()
    for event in events:
        if event["kind"] == "command":
            logged[str(event["op"])] += 1
    executed = sim.executed_ops()
    assert executed["set_speed"] > 3 and executed["request_control"] >= 4
    assert logged == executed, json.dumps({"logged": logged, "executed": executed})


def test_no_treadmill_on_the_transport_is_one_line(tmp_path: Path, isolated_home: Path) -> None:
    """Checked before the session starts: no audit log, no screen."""
    profile = tmp_path / "walk.toml"
    profile.write_text(PROFILE, encoding="utf-8")
    run = subprocess.run(
        treadctl(
            "run", str(profile), "--transport", f"tcp-client:127.0.0.1:{free_port()}", "--headless"
        ),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("treadctl: cannot open the bumble transport 'tcp-client:127.0.0.1:")
    assert not list(isolated_home.rglob("audit.jsonl"))


def test_scan_and_probe_over_the_transport_match_device_information(tmp_path: Path) -> None:
    """A simulator that names itself a FITSHOW FS-BT-T4 in its Device Information: over real
    GATT, probe reads it and the known-device table applies mph-range from the model string."""
    server = Sim(free_port(), "--manufacturer", "FITSHOW", "--model", "FS-BT-T4")
    try:
        server.wait_ready()
        transport = server.transport.replace("tcp-server", "tcp-client")
        scan = subprocess.run(
            treadctl("scan", "--transport", transport, "--timeout", "1", "--json"),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert scan.returncode == 0, scan.stderr
        [machine] = json.loads(scan.stdout)
        assert machine["address"] == SIM_ADDRESS and machine["machine_types"] == ["treadmill"]
        audit = tmp_path / "probe.jsonl"
        probe = subprocess.run(
            treadctl(
                "probe", "--transport", transport, "--json", "--listen", "1", "--audit", str(audit)
            ),
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert probe.returncode == 0, probe.stderr
        report = json.loads(probe.stdout)
        assert report["device_information"]["manufacturer"] == "FITSHOW"
        assert report["device_information"]["model"] == "FS-BT-T4"
        assert report["quirks"] == ["range_in_mph"]
        assert "known-device table: FITSHOW FS-BT-T4" in report["quirk_source"]
        assert [w["result"] for w in report["control_point_writes"]] == ["success"]
        logged = [json.loads(line) for line in audit.read_text().splitlines()]
        assert [r["op"] for r in logged if r["kind"] == "control_point_write"] == [
            "request_control"
        ]
    finally:
        lines = server.stop()
    assert [line for line in lines if line.startswith("command ")] == [
        "command client-1: request control -> success"
    ]
