"""End to end: the session screen driving a real engine on the simulated treadmill."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from simulators.bleak_backend import SimAir
from treadctl.controls import Request, RequestResult
from treadctl.direction import Direction
from treadctl.events import EndStatus, EventBus, PhaseName
from treadctl.plan import build_plan
from treadctl.profile.bout import BoutSpec
from treadctl.profile.loading import load_profile
from treadctl.safety_config import SafetyConfig
from treadctl.session.engine import Session, SessionOptions
from treadctl.simulated_link import simulated_link
from treadctl.tui.app import SessionApp
from treadctl.tui.confirm import ConfirmQuit
from treadctl.tui.outline import outline_from_plan
from treadctl.tui.sound import SilentCues
from treadctl.tui.widgets.banners import AlertBanner, DirectionBanner
from treadctl.view import SessionState

pytestmark = pytest.mark.timeout(90)


class KeySources:
    """Passes every request on to the session and records the source the screen named."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.sources: list[str] = []

    def request(self, request: Request) -> RequestResult:
        self.sources.append(request.source)
        return self.session.request(request)


async def _until(predicate: Callable[[], bool], timeout_s: float = 30.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_escape_stops_the_simulated_belt_and_q_quits() -> None:
    profile = load_profile("first-session")
    safety = SafetyConfig()
    link, treadmill = simulated_link(sim_air=SimAir())
    plan = build_plan(profile.name, profile.expand(), safety)
    bus = EventBus()
    session = Session(plan, link, bus, safety, SessionOptions(auto_confirm_turns=True))
    app = SessionApp(
        outline_from_plan(plan),
        bus,
        session,
        session.now,
        run_engine=session.run,
        cues=SilentCues(),
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(lambda: treadmill.belt_speed_kmh > 0)
        await pilot.press("escape")
        await _until(lambda: treadmill.belt_speed_kmh == 0.0)
        await _until(lambda: app.session.view.state.value in ("fault", "paused"))
        await pilot.press("q")
        if app.screen.__class__.__name__ == "ConfirmQuit":
            await pilot.press("y")
        await _until(lambda: not app.engine_running())
    assert treadmill.belt_speed_kmh == 0.0
    assert session.ended is not None


def _banner_text(app: SessionApp) -> str:
    banner = app.session.query_one(AlertBanner)
    return str(banner.render()) if banner.display else ""


async def test_a_real_session_turns_pauses_stops_rearms_and_quits() -> None:
    """The walk a person does: a bout, pause and resume, a turn-around with its countdown, the
    next bout the other way, Esc (the simulated belt really stops), r, then q → y."""
    safety = SafetyConfig(turn_hold_s=2.0)
    bouts = [
        BoutSpec(0, "Forward first", Direction.FORWARD, 8, 2.0, 0.0),
        BoutSpec(1, "Then backward", Direction.BACKWARD, 60, 1.5, 0.0, "short steps"),
    ]
    plan = build_plan("Two bouts", bouts, safety)
    link, treadmill = simulated_link(sim_air=SimAir())
    bus = EventBus()
    session = Session(plan, link, bus, safety, SessionOptions())
    controls = KeySources(session)
    app = SessionApp(
        outline_from_plan(plan),
        bus,
        controls,
        session.now,
        run_engine=session.run,
        cues=SilentCues(),
    )
    view = lambda: app.session.view  # noqa: E731
    async with app.run_test(size=(80, 24)) as pilot:
        await _until(lambda: view().bout_index == 0 and treadmill.belt_speed_kmh > 0.5)
        assert app.session.query_one(DirectionBanner).has_class("forward")

        # Pause: the belt stops and the bout's countdown holds still; space again resumes.
        await pilot.press("space")
        await _until(lambda: view().phase is PhaseName.PAUSED and treadmill.belt_speed_kmh == 0)
        assert _banner_text(app).startswith("PAUSED")
        held = view().bout_remaining_s(session.now())
        await asyncio.sleep(0.6)
        assert view().bout_remaining_s(session.now()) == pytest.approx(held, abs=0.05)
        # A resume, like a re-arm, is taken only once a reading says the belt is at rest (the
        # simulated belt stopping is not enough): wait for that reading, which under load can
        # come later than the 0.6 s above.
        supervisor = session.supervisor
        assert supervisor is not None
        await _until(supervisor.at_rest)
        await pilot.press("space")
        await _until(lambda: view().state is SessionState.RUNNING and treadmill.belt_speed_kmh > 0)

        # The turn-around: its banner says which way to face and counts down.
        await _until(lambda: view().phase is PhaseName.TURN)
        await pilot.pause()
        text = _banner_text(app)
        assert "TURN AROUND — face away from the console" in text and "walk on in 0:0" in text
        assert app.session.query_one(AlertBanner).has_class("turn")
        await _until(lambda: view().bout_index == 1 and view().phase is not PhaseName.TURN)
        await pilot.pause()
        assert app.session.query_one(DirectionBanner).has_class("backward")
        assert not app.session.query_one(AlertBanner).display

        # Esc stops the belt for real; the banner says so and what to do; r carries on.
        await _until(lambda: treadmill.belt_speed_kmh > 0.5)
        await pilot.press("escape")
        await _until(lambda: treadmill.belt_speed_kmh == 0.0)
        await _until(lambda: view().state is SessionState.FAULT)
        await pilot.pause()
        assert "you pressed stop" in _banner_text(app) and "r = re-arm" in _banner_text(app)
        # A re-arm is taken only once the telemetry says the belt is at rest, not before.
        await _until(supervisor.at_rest)
        await pilot.press("r")
        await _until(lambda: view().state is SessionState.RUNNING and treadmill.belt_speed_kmh > 0)

        # q while the belt moves asks (and the question is readable); y stops the belt, then quits.
        await pilot.press("q")
        await pilot.pause()
        assert isinstance(app.screen, ConfirmQuit)
        assert app.screen.query_one("#confirm-title").region.width > 0
        await pilot.press("y")
        await _until(lambda: not app.engine_running())
    assert session.ended is not None and session.ended.status is EndStatus.INTERRUPTED
    assert controls.sources == ["key:space", "key:space", "key:escape", "key:r", "key:y"]
    # The engine ends once Stop is acknowledged; the belt coasts down to a halt from there.
    await _until(lambda: treadmill.belt_speed_kmh == 0.0, timeout_s=5.0)
