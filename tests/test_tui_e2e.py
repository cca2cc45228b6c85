"""End to end: the session screen driving a real engine on the simulated treadmill."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from simulators.bleak_backend import SimAir
from treadctl.ble.simulate import simulated_link
from treadctl.config import SafetyConfig
from treadctl.events import EventBus
from treadctl.plan import build_plan
from treadctl.profile.loading import load_profile
from treadctl.session.engine import Session, SessionOptions
from treadctl.tui.app import SessionApp
from treadctl.tui.outline import outline_from_plan
from treadctl.tui.sound import SilentCues

pytestmark = pytest.mark.timeout(90)


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
