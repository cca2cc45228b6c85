"""The big screen's server in-process: addresses, the token rules, the live stream to many
viewers, Stop (POST only, token-checked, through the supervisor with source ``display``), and a
viewer that stops reading never holding up the session's side."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.test_tui_helpers import FakeControls, steady_events, with_extra
from treadctl.controls import RequestKind
from treadctl.direction import Direction
from treadctl.display.address import DisplayAddress, is_loopback, parse_display
from treadctl.display.attach import DisplayAttachment, announce, stop_requester
from treadctl.display.hub import QUEUE_SIZE, Hub
from treadctl.display.model import display_state
from treadctl.display.server import DisplayServer
from treadctl.errors import UsageError
from treadctl.events import (
    Alarm,
    Countdown,
    DisplayNotice,
    EndStatus,
    EventBus,
    HeartRate,
    PhaseChanged,
    PhaseName,
    SessionEnded,
)
from treadctl.plan import PlannedBout
from treadctl.view import SessionView, reduce

pytestmark = pytest.mark.timeout(60)

# -- addresses -----------------------------------------------------------------------------


def test_display_addresses() -> None:
    assert parse_display("8765") == DisplayAddress("127.0.0.1", 8765)
    assert parse_display("0.0.0.0:80") == DisplayAddress("0.0.0.0", 80)
    assert parse_display("[::1]:9000") == DisplayAddress("::1", 9000)
    assert parse_display("tv.local:9000").host == "tv.local"
    for bad in ("", "http", "1:2:3", ":80", "host:99999", "[::1]9000", "80.5"):
        with pytest.raises(UsageError):
            parse_display(bad)
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.20")
    assert not is_loopback("tv.local")
    assert DisplayAddress("::1", 80).url("t") == "http://[::1]:80/?token=t"


def test_a_lan_address_needs_the_token() -> None:
    assert DisplayServer(DisplayAddress("0.0.0.0", 0), "x").require_token
    assert DisplayServer(DisplayAddress("192.168.1.20", 0), "x").require_token
    assert not DisplayServer(DisplayAddress("127.0.0.1", 0), "x").require_token


def test_the_cli_checks_display_before_anything_connects(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from treadctl.cli import main

    status = main(["run", "first-session", "--simulate", "--fast", "--display", "nope:port"])
    assert status == 2
    assert "--display nope:port: the port must be a number" in capsys.readouterr().err


# -- the hub -------------------------------------------------------------------------------


@given(st.lists(st.one_of(st.text(max_size=5), st.none()), max_size=200))
def test_a_viewer_s_queue_is_bounded_and_keeps_the_newest(ops: list[str | None]) -> None:
    """``None`` is the viewer taking what it has; a string is an update."""
    hub = Hub()
    viewer = hub.join()
    last: str | None = None
    for op in ops:
        if op is None:
            taken = viewer.take()
            assert len(taken) <= QUEUE_SIZE
            if taken:
                assert taken[-1] == last
        else:
            hub.broadcast(op)
            last = op
            assert len(viewer.queue) <= QUEUE_SIZE and viewer.queue[-1] == op
    late = hub.join()
    assert list(late.queue) == ([last] if last is not None else [])


# -- the page's state ------------------------------------------------------------------------

BOUTS = [
    PlannedBout(i, label, d, dur, speed, 0.0, None, 0.25, 0.8, 3.0)
    for i, (label, d, dur, speed) in enumerate(
        [
            ("Warm-up", Direction.FORWARD, 180, 3.0),
            ("Backward easy", Direction.BACKWARD, 60, 1.5),
            ("Forward recovery", Direction.FORWARD, 120, 3.0),
        ]
    )
]


def _view(*events: Any) -> SessionView:
    view = SessionView()
    for event in with_extra(*events):
        view = reduce(view, event)
    return view


def test_the_state_the_page_shows() -> None:
    state = display_state(_view(), 215.0, "kmh", BOUTS, profile_name="Retro")
    assert state["direction"] == "backward" and state["facing"] == "face away from the console"
    assert state["speed"] == {"target": "1.5", "now": "1.5"} and state["unit"] == "km/h"
    assert state["clock"]["running"] and state["clock"]["left_s"] == pytest.approx(35.0)
    assert state["next"]["direction"] == "forward" and state["next"]["speed"] == "3.0"
    assert state["heart_rate"] == 96 and state["alarm"] is None and state["banner"] is None
    mph = display_state(_view(), 215.0, "mph", BOUTS)
    assert mph["unit"] == "mph" and mph["speed"]["now"] == "0.9"
    stale = display_state(_view(), 240.0, "kmh", BOUTS)  # no data for 25 s
    assert stale["speed"]["now"] is None and stale["speed"]["target"] == "1.5"


def test_countdown_alarm_heart_rate_and_end() -> None:
    counting = display_state(_view(Countdown(215.0, 3, "restart")), 215.2, "kmh", BOUTS)
    assert counting["countdown"] == {"text": "3", "caption": "restarting in"}
    alarm = _view(Alarm(216.0, "not_stopping", "the belt is still moving"))
    shown = display_state(alarm, 216.0, "kmh", BOUTS)["alarm"]
    assert shown["title"] == "THE BELT MAY NOT HAVE STOPPED" and "safety key" in shown["message"]
    cleared = reduce(alarm, Alarm(220.0, "not_stopping", "at rest", active=False))
    assert display_state(cleared, 220.0, "kmh", BOUTS)["alarm"] is None
    no_contact = reduce(_view(), HeartRate(215.0, None, "no_contact", "strap"))
    assert display_state(no_contact, 215.0, "kmh", BOUTS)["heart_rate"] is None
    ended = reduce(
        _view(), SessionEnded(300.0, EndStatus.COMPLETED, "completed", belt_at_rest=False)
    )
    state = display_state(ended, 300.0, "kmh", BOUTS)
    assert state["ended"] and state["banner"]["title"] == "SESSION COMPLETE"
    assert state["alarm"]["title"] == "THE BELT MAY NOT HAVE STOPPED"  # rest not confirmed
    turning = reduce(_view(), PhaseChanged(250.0, PhaseName.TURN, 2, 10.0, remaining_s=10.0))
    turn = display_state(turning, 252.0, "kmh", BOUTS)
    assert turn["direction"] == "forward" and turn["banner"]["title"] == "TURN AROUND"
    assert turn["clock"]["left_s"] == pytest.approx(8.0) and turn["next"]["after_turn"]


# -- the server ------------------------------------------------------------------------------


async def _served(
    controls: FakeControls | None = None, *, require_token: bool | None = None
) -> tuple[DisplayServer, str]:
    loop = asyncio.get_running_loop()
    requester = stop_requester(controls, loop) if controls is not None else None
    server = DisplayServer(
        DisplayAddress("127.0.0.1", 0), "s3cret-token", requester, require_token=require_token
    )
    server.start()
    return server, f"http://127.0.0.1:{server.port}"


async def _next_state(response: aiohttp.ClientResponse, timeout_s: float = 5.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        line = await asyncio.wait_for(response.content.readline(), timeout_s)
        if line.startswith(b"data: "):
            data = json.loads(line[6:])
            if data:
                return data
    raise AssertionError("no state on the stream")


async def test_many_viewers_follow_one_stream() -> None:
    server, base = await _served()
    try:
        server.publish({"t": 1.0, "direction": "forward"})
        async with aiohttp.ClientSession() as http:
            page = await http.get(f"{base}/")
            assert page.status == 200 and "s3cret-token" in await page.text()
            for asset in ("display.css", "display.js"):
                assert (await http.get(f"{base}/static/{asset}")).status == 200
            assert (await http.get(f"{base}/static/../server.py")).status == 404
            viewers = [await http.get(f"{base}/events") for _ in range(3)]
            for viewer in viewers:
                assert viewer.headers["Content-Type"] == "text/event-stream"
                assert (await _next_state(viewer))["t"] == 1.0  # the latest, at once
            server.publish({"t": 2.0, "direction": "backward"})
            for viewer in viewers:
                assert (await _next_state(viewer))["direction"] == "backward"
            viewers[0].close()  # a viewer leaves: the others go on
            server.publish({"t": 3.0})
            for viewer in viewers[1:]:
                assert (await _next_state(viewer))["t"] == 3.0
            state = await http.get(f"{base}/state")
            assert json.loads(await state.text())["t"] == 3.0
    finally:
        server.close()


async def test_stop_is_post_only_token_checked_and_goes_through_the_supervisor() -> None:
    controls = FakeControls()
    server, base = await _served(controls)
    try:
        async with aiohttp.ClientSession() as http:
            assert (await http.get(f"{base}/stop")).status == 405
            assert (await http.post(f"{base}/stop")).status == 403
            wrong = await http.post(f"{base}/stop", headers={"X-Treadctl-Token": "guess"})
            assert wrong.status == 403
            assert controls.requests == []
            reply = await http.post(f"{base}/stop", headers={"X-Treadctl-Token": "s3cret-token"})
            assert reply.status == 200 and (await reply.json())["accepted"] is True
    finally:
        server.close()
    assert [(r.kind, r.source) for r in controls.requests] == [(RequestKind.STOP, "display")]


async def test_a_refused_stop_says_why() -> None:
    controls = FakeControls(refuse={RequestKind.STOP: "the session has ended"})
    server, base = await _served(controls)
    try:
        async with aiohttp.ClientSession() as http:
            reply = await http.post(f"{base}/stop?token=s3cret-token")
            assert await reply.json() == {"accepted": False, "reason": "the session has ended"}
    finally:
        server.close()


async def test_on_the_network_every_route_needs_the_token() -> None:
    controls = FakeControls()
    server, base = await _served(controls, require_token=True)
    try:
        assert server.url().endswith("/?token=s3cret-token")
        async with aiohttp.ClientSession() as http:
            assert (await http.get(f"{base}/static/display.js")).status == 200  # no data in it
            for path in ("/", "/events", "/state"):
                assert (await http.get(f"{base}{path}")).status == 403, path
                bad = await http.get(f"{base}{path}?token=s3cret-tokeN")
                assert bad.status == 403, path
            assert (await http.get(f"{base}/?token=s3cret-token")).status == 200
            stream = await http.get(f"{base}/events?token=s3cret-token")
            assert stream.status == 200
            stream.close()
    finally:
        server.close()


async def test_a_sleeping_viewer_never_holds_up_the_session() -> None:
    """A viewer that connects and then never reads (a tablet gone to sleep): publishing stays
    instant on the session's side, its queue stays bounded, and an awake viewer is up to date."""
    server, base = await _served()
    sleeper = socket.create_connection(("127.0.0.1", server.port))
    sleeper.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sleeper.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n\r\n")
    try:
        async with aiohttp.ClientSession() as http:
            awake = await http.get(f"{base}/events")
            big = "x" * 20_000
            slowest = 0.0
            for n in range(400):
                started = time.perf_counter()
                server.publish({"t": float(n), "padding": big})
                slowest = max(slowest, time.perf_counter() - started)
            assert slowest < 0.05  # never waits for a viewer
            deadline = time.monotonic() + 10
            while True:
                state = await _next_state(awake)
                if state["t"] == 399.0 or time.monotonic() > deadline:
                    break
            assert state["t"] == 399.0
            queues = [len(v.queue) for v in server.hub.viewers]
            assert len(queues) == 2 and max(queues) <= QUEUE_SIZE
    finally:
        sleeper.close()
        server.close()


async def test_a_port_in_use_is_a_one_line_error() -> None:
    server, _ = await _served()
    try:
        second = DisplayServer(DisplayAddress("127.0.0.1", server.port), "t")
        with pytest.raises(UsageError, match="cannot listen there"):
            second.start()
    finally:
        server.close()


# -- attached to a bus ---------------------------------------------------------------------------


class _Recorder:
    def __init__(self) -> None:
        self.states: list[dict[str, Any]] = []
        self.require_token = True
        self.token = "tok"
        self.closed = False

    def publish(self, state: dict[str, Any]) -> None:
        self.states.append(state)

    def url(self) -> str:
        return "http://192.168.1.20:8765/?token=tok"

    def close(self) -> None:
        self.closed = True


def test_events_become_states_and_the_address_is_announced_once() -> None:
    import io

    recorder = _Recorder()
    bus = EventBus()
    seen: list[Any] = []
    bus.subscribe(seen.append)
    attachment = DisplayAttachment(recorder, "kmh", lambda: BOUTS).attach(bus)
    for event in steady_events():
        bus.publish(event)
    assert recorder.states[-1]["direction"] == "backward"
    telemetry = sum(1 for e in steady_events() if e.kind == "data")
    assert len(recorder.states) < len(steady_events()) + 1 <= telemetry + 20
    out = io.StringIO()
    announce(recorder, bus, headless=True, out=out)
    printed = out.getvalue()
    assert printed.count("big screen: http://192.168.1.20:8765/?token=tok") == 1
    assert "▀" in printed or "█" in printed  # the QR code
    notice = next(e for e in seen if isinstance(e, DisplayNotice))
    assert "tok" not in json.dumps(notice.to_json())  # the audit log keeps no token
    attachment.close()
    assert recorder.closed


def test_the_qr_code_reads_back_as_the_address(tmp_path: Path) -> None:
    """Drawn as the terminal shows it (a block is a light module), a real decoder reads it."""
    import shutil
    import subprocess

    from treadctl.display.qr import qr_rows

    url = "http://192.168.1.20:8765/?token=Zq3-8xYb_T0kenT0ken12"
    rows = qr_rows(url)
    assert rows is not None and len({len(row) for row in rows}) == 1
    zbarimg = shutil.which("zbarimg")
    if zbarimg is None:
        pytest.skip(
            "zbarimg is not installed (apt-get install zbar-tools): could not check that the "
            "QR code decodes to the address"
        )
    scale = 6
    pixels = []
    for row in rows:
        top = [255 if ch in "█▀" else 0 for ch in row]
        bottom = [255 if ch in "█▄" else 0 for ch in row]
        pixels += [top, bottom]
    image = tmp_path / "qr.pgm"
    with image.open("wb") as out:
        out.write(b"P5 %d %d 255\n" % (len(rows[0]) * scale, len(pixels) * scale))
        for line in pixels:
            wide = bytes(v for v in line for _ in range(scale))
            out.write(wide * scale)
    decoded = subprocess.run([zbarimg, "-q", "--raw", str(image)], capture_output=True, text=True)
    assert decoded.stdout.strip() == url
