"""The session screen's keys in a real child process under a pseudo-terminal: Ctrl-C stops the
belt at once (a Stop command in the audit log, from the key ``ctrl+c``), then asks about quitting;
``y`` quits. ``treadctl run PROFILE --simulate`` in real time, the way a walker runs it."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import pty
import struct
import subprocess
import sys
import termios
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

pytestmark = pytest.mark.timeout(120)


class Terminal:
    """A child process on a pseudo-terminal of ``cols`` × ``rows``; its output is drained by a
    thread (a full pty would block the child)."""

    def __init__(self, argv: list[str], cols: int = 80, rows: int = 24) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {**os.environ, "TERM": "xterm-256color", "COLUMNS": str(cols), "LINES": str(rows)}
        self.process = subprocess.Popen(
            argv, stdin=slave, stdout=slave, stderr=slave, env=env, start_new_session=True
        )
        os.close(slave)
        self.master = master
        self.output = bytearray()
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        while True:
            try:
                chunk = os.read(self.master, 65536)
            except OSError:
                return
            if not chunk:
                return
            self.output.extend(chunk)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        os.close(self.master)


def _records(path: Path) -> list[dict[str, object]]:
    if not path.exists():
        return []
    out = []
    for line in path.read_text().splitlines():
        with contextlib.suppress(json.JSONDecodeError):  # a line being written
            out.append(json.loads(line))
    return out


def _ended(path: Path) -> bool:
    return any(r["kind"] == "end" for r in _records(path))


def _until(predicate: Callable[[], bool], timeout_s: float, what: str) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_ctrl_c_stops_the_belt_then_asks(tmp_path: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    treadctl = [sys.executable, "-m", "treadctl"]
    terminal = Terminal(
        [*treadctl, "run", "first-session", "--simulate", "--no-speech", "--audit", str(audit)]
    )
    try:

        def moving() -> bool:
            return any(
                r["kind"] == "data" and (r.get("speed_kmh") or 0) > 0.5  # type: ignore[operator]
                for r in _records(audit)
            )

        _until(moving, 60, "the simulated belt to move")
        before = len(_records(audit))
        terminal.send(b"\x03")  # Ctrl-C, as a raw terminal delivers it: a key, not a signal

        def stop_sent() -> bool:
            return any(
                r["kind"] == "command" and r["op"] == "stop" for r in _records(audit)[before:]
            )

        _until(stop_sent, 10, "a Stop command after Ctrl-C")
        _until(lambda: b"Quit the session?" in terminal.output, 10, "the quit question")
        assert terminal.process.poll() is None  # stopped, not gone: the walker is asked first
        after = _records(audit)[before:]
        stop = next(r for r in after if r["kind"] == "command" and r["op"] == "stop")
        decided = [r for r in after if r["kind"] == "request" and r["request"] == "stop"]
        if decided:  # the safety core's request records name the key
            assert decided[0]["source"] == "key:ctrl+c"
        last_before = _records(audit)[before - 1]
        assert float(stop["t"]) - float(last_before["t"]) < 2.0  # type: ignore[arg-type]
        terminal.send(b"y")
        _until(lambda: _ended(audit), 30, "the session to end after y")
        # After the session the check-in asks about effort and pain (Enter skips each question).
        deadline = time.monotonic() + 30
        while terminal.process.poll() is None and time.monotonic() < deadline:
            terminal.send(b"\r")
            time.sleep(0.5)
        assert terminal.process.poll() is not None, "treadctl did not exit after the check-in"
    finally:
        terminal.close()
    records = _records(audit)
    assert records[-1]["kind"] == "end"
    assert records[-1]["status"] == "interrupted"
    assert terminal.process.returncode == 130  # interrupted by the walker
