"""The big screen in a real headless browser, during a real simulated session in a child
process: the page follows the session live (its DOM text, a screenshot) and its Stop button
stops the belt through the supervisor (the audit log says so)."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import struct
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.browser_support import NO_BROWSER, Browser, find_chromium
from treadctl.session.audit import read_audit

pytestmark = pytest.mark.timeout(120)


def _start_session(tmp_path: Path, audit: Path) -> tuple[subprocess.Popen[str], str, list[str]]:
    argv = [
        sys.executable, "-m", "treadctl", "run", "first-session", "--simulate", "--headless",
        "--no-speech", "--display", "127.0.0.1:0", "--audit", str(audit),
    ]  # fmt: skip
    process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    lines: list[str] = []
    found = threading.Event()

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line)
            if "big screen:" in line:
                found.set()

    threading.Thread(target=read, daemon=True).start()
    assert found.wait(30), f"no big-screen address printed: {''.join(lines)}"
    url = re.search(r"http://\S+", next(li for li in lines if "big screen:" in li))
    assert url is not None
    return process, url.group(0), lines


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = struct.unpack(">II", data[16:24])
    return width, height


async def test_a_browser_follows_the_session_and_can_stop_it(tmp_path: Path) -> None:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip(NO_BROWSER)
    audit = tmp_path / "audit.jsonl"
    process, url, _lines = _start_session(tmp_path, audit)
    try:
        async with Browser(chromium) as browser:
            await browser.open(url)
            text = await browser.wait_for_text("FORWARD")
            assert "face the console" in text and "Warm-up" in text and "bout 1/8" in text
            assert "km/h" in text and "next: backward 1.3 km/h" in text and "live" in text
            # The belt's 3-2-1 first, then the bout's time left (m:ss).
            deadline = time.monotonic() + 20
            while True:
                first = await browser.evaluate("document.getElementById('countdown').textContent")
                if re.fullmatch(r"[45]:\d\d", first) or time.monotonic() > deadline:
                    break
                await asyncio.sleep(0.2)
            assert re.fullmatch(r"[45]:\d\d", first), first
            await asyncio.sleep(2.5)
            later = await browser.evaluate("document.getElementById('countdown').textContent")
            assert later != first  # live: the bout's time runs down
            speed = await browser.evaluate("document.getElementById('speed-now').textContent")
            assert re.fullmatch(r"\d\.\d", speed), speed
            shot = await browser.screenshot(tmp_path / "big-screen.png")
            assert _png_size(shot) == (1280, 720) and len(shot) > 10_000

            before = len(read_audit(audit))
            await browser.evaluate("document.getElementById('stop').click()")
            await browser.wait_for_text("Stop sent to the belt")
            await browser.wait_for_text("STOPPED")
            await browser.screenshot(tmp_path / "big-screen-stopped.png")
        after = read_audit(audit)[before:]
        assert any(r["kind"] == "command" and r["op"] == "stop" for r in after)
        decided = [r for r in after if r["kind"] == "request" and r["request"] == "stop"]
        if decided:  # the safety core's request records name the source
            assert decided[0]["source"] == "display"
        assert any(r["kind"] == "safety" for r in after)
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    assert read_audit(audit)[-1]["kind"] == "end"
    assert os.path.exists(tmp_path / "big-screen.png")


async def test_the_page_shows_the_alarm_over_everything_and_a_countdown(tmp_path: Path) -> None:
    chromium = find_chromium()
    if chromium is None:
        pytest.skip(NO_BROWSER)
    from tests.test_display_server import BOUTS, _view
    from treadctl.display.address import DisplayAddress
    from treadctl.display.model import display_state
    from treadctl.display.server import DisplayServer
    from treadctl.events import Alarm, Countdown, HeartRate

    server = DisplayServer(DisplayAddress("127.0.0.1", 0), "tok", require_token=True)
    server.start()
    try:
        counting = _view(Countdown(215.0, 3, "restart"), HeartRate(215.0, 101, "good", "strap"))
        server.publish(display_state(counting, 215.1, "kmh", BOUTS))
        async with Browser(chromium, 1024, 600) as browser:
            await browser.open(server.url())
            text = await browser.wait_for_text("restarting in")
            count = await browser.evaluate("document.getElementById('countdown').textContent")
            assert count == "3" and "101" in text and "BACKWARD" in text
            alarm = _view(Alarm(216.0, "not_stopping", "the belt is still moving"))
            server.publish(display_state(alarm, 216.0, "kmh", BOUTS))
            text = await browser.wait_for_text("THE BELT MAY NOT HAVE STOPPED")
            assert "pull the safety key" in text
            hidden = await browser.evaluate("document.getElementById('alarm').hidden")
            assert hidden is False
            shot = await browser.screenshot(tmp_path / "alarm.png")
            assert _png_size(shot) == (1024, 600)
            # The whole page is covered: the element at the centre is the alarm.
            top = await browser.evaluate(
                "document.elementFromPoint(innerWidth / 2, innerHeight / 2).closest('#alarm')"
                " !== null"
            )
            assert top is True
    finally:
        server.close()
