"""The session screen: keys reach the supervisor, quit stops the belt first, and the screen looks
right in its main states (snapshots at 80×24 with a fixed session time)."""

from __future__ import annotations

from tests.test_tui_helpers import (
    LINK_LOST_EVENTS,
    PAUSE_EVENTS,
    TURN_EVENTS,
    FakeControls,
    make_app,
    steady_events,
    with_extra,
)
from treadctl.config import SafetyConfig
from treadctl.controls import RequestKind
from treadctl.direction import Direction
from treadctl.events import EndStatus, PhaseChanged, PhaseName, SessionEnded
from treadctl.plan import build_plan
from treadctl.profile.bout import BoutSpec
from treadctl.tui.alerts import alert_for
from treadctl.tui.outline import outline_from_plan
from treadctl.tui.widgets.banners import AlertBanner, DirectionBanner
from treadctl.view import SessionView, reduce

SIZE = (80, 24)


async def test_keys_send_requests_to_the_supervisor() -> None:
    app, controls, _, _ = make_app(steady_events(), 215.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("space", "plus", "minus", "n", "r", "enter", "s", "escape")
    assert controls.kinds == [
        RequestKind.TOGGLE_PAUSE,
        RequestKind.NUDGE_SPEED,
        RequestKind.NUDGE_SPEED,
        RequestKind.SKIP,
        RequestKind.REARM,
        RequestKind.CONFIRM_TURN,
        RequestKind.STOP,
        RequestKind.STOP,
    ]
    assert all(r.source == "key" for r in controls.requests)
    assert [r.value for r in controls.requests[1:3]] == [0.1, -0.1]


async def test_nudge_is_in_the_walkers_units() -> None:
    app, controls, _, _ = make_app(steady_events(), 215.0)
    app.session.units = "mph"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
    assert controls.requests[0].value == round(0.1 * 1.609344, 3)


async def test_escape_stops_the_belt_even_from_the_help_screen() -> None:
    app, controls, _, _ = make_app(steady_events(), 215.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("question_mark")
        assert app.screen.__class__.__name__ == "HelpScreen"
        await pilot.press("escape")
        assert app.screen is app.session
    assert controls.kinds == [RequestKind.STOP]


async def test_refusal_is_shown() -> None:
    controls = FakeControls(refuse={RequestKind.NUDGE_SPEED: "at the backward cap (4.0 km/h)"})
    app, _, _, _ = make_app(steady_events(), 215.0, controls)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("plus")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
    assert messages == ["at the backward cap (4.0 km/h)"]


async def test_quit_while_belt_moves_asks_then_stops_first() -> None:
    app, controls, _, _ = make_app(steady_events(), 215.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        assert app.screen.__class__.__name__ == "ConfirmQuit"
        await pilot.press("n")  # keep walking: nothing sent
        assert controls.kinds == []
        await pilot.press("q", "y")
        await pilot.pause()
    assert controls.kinds == [RequestKind.QUIT]
    assert app.return_code == 0


async def test_escape_in_the_quit_dialog_stops_the_belt() -> None:
    app, controls, _, _ = make_app(steady_events(), 215.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q", "escape")
        assert app.screen is app.session
    assert controls.kinds == [RequestKind.STOP]


async def test_quit_with_the_belt_stopped_does_not_ask() -> None:
    app, controls, _, _ = make_app(with_extra(*PAUSE_EVENTS), 242.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert controls.kinds == [RequestKind.QUIT]


async def test_ctrl_q_also_stops_the_belt_first() -> None:
    app, controls, _, _ = make_app(steady_events(), 215.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+q")
        await pilot.pause()
    assert controls.kinds == [RequestKind.QUIT]


async def test_events_from_the_bus_update_the_screen_and_sound_cues() -> None:
    app, _, bus, cues = make_app([], 0.0)
    async with app.run_test(size=SIZE) as pilot:
        for event in steady_events():
            bus.publish(event)
        await pilot.pause()
        assert app.session.query_one(DirectionBanner).has_class("backward")
        bus.publish(TURN_EVENTS[0])
        await pilot.pause()
        banner = app.session.query_one(AlertBanner)
        assert banner.display and banner.has_class("turn")
        assert "face the console" in str(banner.render())
    spoken = [text for kind, text in cues.heard if kind == "alert"]
    assert any("Turn around" in text and "face away" in text for text in spoken)
    assert any("face the console" in text for text in spoken)


def test_alerts_say_what_happened_and_what_to_do() -> None:
    view = SessionView()
    for event in with_extra(*LINK_LOST_EVENTS):
        view = reduce(view, event)
    alert = alert_for(view, 242.0, "kmh")
    assert alert is not None and alert.level == "link"
    assert "r = re-arm" in alert.body
    view = reduce(view, SessionEnded(300.0, EndStatus.COMPLETED, "done"))
    ended = alert_for(view, 300.0, "kmh")
    assert ended is not None and ended.level == "ended" and "q = leave" in ended.body
    steady = SessionView()
    for event in steady_events():
        steady = reduce(steady, event)
    assert alert_for(steady, 215.0, "kmh") is None
    paused = reduce(steady, PhaseChanged(216.0, PhaseName.PAUSED))
    assert alert_for(paused, 216.0, "kmh").title.startswith("PAUSED")  # type: ignore[union-attr]


def test_outline_follows_the_plan() -> None:
    bouts = [
        BoutSpec(0, "Backward", Direction.BACKWARD, 60, 1.5, 0.0),
        BoutSpec(1, "Forward", Direction.FORWARD, 120, 3.0, 0.0),
    ]
    plan = build_plan("Two", bouts, SafetyConfig(turn_hold_s=5.0))
    outline = outline_from_plan(plan)
    assert outline.name == "Two"
    assert [s.kind for s in outline.segments] == ["turn", "bout", "turn", "bout"]
    assert outline.total_s == plan.total_duration_s == 190.0
    assert outline.next_bout(0) is not None and outline.next_bout(0).speed_kmh == 3.0  # type: ignore[union-attr]


# -- snapshots -------------------------------------------------------------------------------


def test_snapshot_steady(snap_compare) -> None:
    app, _, _, _ = make_app(steady_events(), 215.0)
    assert snap_compare(app, terminal_size=SIZE)


def test_snapshot_turn_around(snap_compare) -> None:
    app, _, _, _ = make_app(with_extra(*TURN_EVENTS), 253.0)
    assert snap_compare(app, terminal_size=SIZE)


def test_snapshot_paused(snap_compare) -> None:
    app, _, _, _ = make_app(with_extra(*PAUSE_EVENTS), 242.0)
    assert snap_compare(app, terminal_size=SIZE)


def test_snapshot_link_lost(snap_compare) -> None:
    app, _, _, _ = make_app(with_extra(*LINK_LOST_EVENTS), 242.0)
    assert snap_compare(app, terminal_size=SIZE)


def test_snapshot_steady_large(snap_compare) -> None:
    app, _, _, _ = make_app(steady_events(), 215.0)
    assert snap_compare(app, terminal_size=(120, 36))
