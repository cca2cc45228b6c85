"""The session screen: keys reach the supervisor, quit stops the belt first, and the screen looks
right in its main states (snapshots at 80×24 with a fixed session time)."""

from __future__ import annotations

from typing import Any

import pytest
from textual.widgets import Static

from tests.test_tui_helpers import (
    LINK_LOST_EVENTS,
    PAUSE_EVENTS,
    TURN_EVENTS,
    FakeControls,
    make_app,
    steady_events,
    with_extra,
)
from treadctl.controls import RequestKind
from treadctl.direction import Direction
from treadctl.events import (
    Alarm,
    CommandSent,
    Countdown,
    EndStatus,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    SafetyEvent,
    SessionEnded,
    SessionEvent,
    Telemetry,
)
from treadctl.plan import build_plan
from treadctl.profile.bout import BoutSpec
from treadctl.safety_config import SafetyConfig
from treadctl.tui.alerts import alert_for
from treadctl.tui.confirm import ConfirmQuit
from treadctl.tui.help_screen import HelpScreen
from treadctl.tui.outline import outline_from_plan
from treadctl.tui.widgets.banners import AlertBanner, DirectionBanner
from treadctl.tui.widgets.bigtext import BigText
from treadctl.tui.widgets.status import live_data, state_text
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
    assert [r.source for r in controls.requests] == [
        "key:space",
        "key:plus",
        "key:minus",
        "key:n",
        "key:r",
        "key:enter",
        "key:s",
        "key:escape",
    ]
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


SIZES = [(60, 20), (80, 24), (100, 30), (160, 50)]
COUNTDOWN_EVENTS = [
    CommandSent(240.0, "stop"),
    PhaseChanged(240.0, PhaseName.PAUSED, bout_index=1, detail="paused by you"),
    Telemetry(241.0, 0.0, 1.0, 185.0, 11.0, 94),
    Countdown(249.0, 3, "restart"),
    Countdown(250.0, 2, "restart"),
]
ALARM_EVENTS = [
    SafetyEvent(240.0, "walker_stop", "stopped (by key)", "stop"),
    Telemetry(241.0, 1.4, 1.0, 185.0, 11.0, 94),
    Alarm(243.0, "not_stopping", "the belt is still moving 3 s after Stop"),
    Telemetry(244.5, 1.4, 1.0, 186.0, 11.0, 94),
]


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_steady(snap_compare, size: tuple[int, int]) -> None:
    app, _, _, _ = make_app(steady_events(), 215.0)
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_turn_around(snap_compare, size: tuple[int, int]) -> None:
    app, _, _, _ = make_app(with_extra(*TURN_EVENTS), 253.0)
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_countdown(snap_compare, size: tuple[int, int]) -> None:
    app, _, _, _ = make_app(with_extra(*COUNTDOWN_EVENTS), 250.5)
    assert snap_compare(app, terminal_size=size)


@pytest.mark.parametrize("size", SIZES, ids=lambda s: f"{s[0]}x{s[1]}")
def test_snapshot_alarm(snap_compare, size: tuple[int, int]) -> None:
    app, _, _, _ = make_app(with_extra(*ALARM_EVENTS), 245.0)
    assert snap_compare(app, terminal_size=size)


def test_snapshot_paused(snap_compare) -> None:
    app, _, _, _ = make_app(with_extra(*PAUSE_EVENTS), 242.0)
    assert snap_compare(app, terminal_size=SIZE)


def test_snapshot_link_lost(snap_compare) -> None:
    app, _, _, _ = make_app(with_extra(*LINK_LOST_EVENTS), 242.0)
    assert snap_compare(app, terminal_size=SIZE)


async def _shown(size: tuple[int, int], events: list[SessionEvent], now_s: float) -> dict[str, Any]:
    """What the screen shows at ``size``: each block-text widget's rows and its region."""
    app, _, _, _ = make_app(events, now_s)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        screen = app.session
        out: dict[str, Any] = {}
        for name in ("direction", "countdown", "alarm"):
            widget = screen.query_one(f"#{name}", BigText)
            out[name] = (widget.display, widget.block_rows(), widget.region)
        out["chart"] = screen.query_one("#chart-row").display
        out["lines"] = {
            name: screen.query_one(f"#{name}").region.height
            for name in ("status", "bout-label", "next", "times", "progress")
        }
        return out


async def test_direction_and_countdown_grow_with_the_terminal() -> None:
    rows = []
    for size in SIZES:
        shown = await _shown(size, steady_events(), 215.0)
        assert shown["direction"][0] and shown["direction"][1] >= 4, size  # block letters
        assert shown["countdown"][1] >= 4, size
        assert all(height == 1 for height in shown["lines"].values()), (size, shown["lines"])
        rows.append((shown["direction"][1], shown["countdown"][1]))
        assert shown["chart"] == (size[1] >= 40), size  # only with rows to spare
    assert rows == sorted(rows) and rows[-1][0] >= 3 * rows[0][0]
    assert rows[-1][1] >= 3 * rows[0][1]


async def test_the_alarm_is_the_largest_thing_on_the_screen() -> None:
    for size in SIZES:
        shown = await _shown(size, with_extra(*ALARM_EVENTS), 245.0)
        visible, block_rows, region = shown["alarm"]
        assert visible and block_rows > 0, size
        assert not shown["direction"][0] and shown["countdown"][2].height == 0
        assert region.height >= size[1] // 2, (size, region)


async def test_a_countdown_shows_its_number_in_block_digits() -> None:
    app, _, bus, _ = make_app(with_extra(*COUNTDOWN_EVENTS), 250.5)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        countdown = app.session.query_one("#countdown", BigText)
        assert countdown.text == "2" and countdown.caption == "restarting in"
        bus.publish(Countdown(250.5, 0, "restart"))
        await pilot.pause()
        assert countdown.text == "GO"


# -- what a person saw when they ran it ------------------------------------------------------


async def test_the_quit_question_and_the_help_show_their_text() -> None:
    """Both dialogs once rendered as an empty box (their lines collapsed to zero width)."""
    app, _, _, _ = make_app(steady_events(), 215.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmQuit)
        for line in app.screen.query(Static):
            assert line.region.width > 10
        await pilot.press("n")
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        assert app.screen.query_one(Static).region.width > 40
        assert app.screen.query_one(Static).region.height > 10


def test_snapshot_quit_question(snap_compare) -> None:
    app, _, _, _ = make_app(steady_events(), 215.0)
    assert snap_compare(app, terminal_size=SIZE, press=["q"])


def _steady_then(*events: SessionEvent) -> SessionView:
    view = SessionView()
    for event in with_extra(*events):
        view = reduce(view, event)
    return view


def test_a_stop_the_walker_asked_for_is_not_a_fault() -> None:
    view = _steady_then(
        SafetyEvent(216.0, "walker_stop", "stopped. Re-arm to continue. (by key)", "stop"),
        PhaseChanged(216.5, PhaseName.PAUSED, detail="stopped. Re-arm to continue. (by key)"),
        Telemetry(217.0, 0.0, 1.0, 170.0, 11.0, 90),
    )
    alert = alert_for(view, 217.0, "kmh")
    assert alert is not None and alert.level == "paused"
    assert alert.title == "STOPPED — you pressed stop"
    assert "The belt is stopped." in alert.body and "r = re-arm" in alert.body
    assert "walker_stop" not in alert.title + alert.body
    assert state_text(view) == "STOPPED"


def test_fault_banners_say_what_happened_then_what_to_do() -> None:
    key = _steady_then(
        SafetyEvent(216.0, "safety_key", "the safety key was pulled. Re-insert it.", "stop"),
        Telemetry(216.5, 0.0, 1.0, 170.0, 11.0, 90),
    )
    alert = alert_for(key, 217.0, "kmh")
    assert alert is not None and alert.level == "fault"
    assert alert.title == "BELT STOPPED — the safety key was pulled"
    first, keys = alert.body.split("\n")
    assert first.startswith("Put the safety key back in") and keys.startswith("r = re-arm")
    assert state_text(key) == "FAULT"
    moving = reduce(key, Telemetry(217.0, 1.2, 1.0, 170.0, 11.0, 90))
    assert alert_for(moving, 217.0, "kmh").title.startswith("STOPPING THE BELT")  # type: ignore[union-attr]
    unknown = _steady_then(
        SafetyEvent(216.0, "new_reason", "something new happened", "stop"),
        Telemetry(216.5, 0.0, 1.0, 170.0, 11.0, 90),
    )
    alert = alert_for(unknown, 217.0, "kmh")
    assert alert is not None and alert.title == "BELT STOPPED — new reason"
    assert "Something new happened" in alert.body


def test_after_a_reconnect_the_banner_says_so() -> None:
    view = _steady_then(
        *LINK_LOST_EVENTS,
        LinkChanged(250.0, "reconnected"),
        PhaseChanged(250.5, PhaseName.PAUSED, detail="lost the treadmill; reconnecting."),
        Telemetry(251.0, 0.0, 1.0, 170.0, 11.0, 90),
    )
    alert = alert_for(view, 251.0, "kmh")
    assert alert is not None and alert.title.startswith("RECONNECTED")
    assert "reconnecting" not in alert.body.lower() and "r = re-arm" in alert.body


def test_a_belt_that_does_not_stop_is_shouted() -> None:
    message = "the belt is still moving after Stop; stop it at the console. (3 s)"
    view = _steady_then(SafetyEvent(216.0, "not_stopping", message, "stop"))
    alert = alert_for(view, 216.0, "kmh")
    assert alert is not None and alert.level == "fault" and "NOW" in alert.body
    ended = reduce(view, SessionEnded(217.0, EndStatus.SAFETY_STOP, "not_stopping"))
    assert alert_for(ended, 217.0, "kmh").title == "THE BELT DID NOT STOP"  # type: ignore[union-attr]


def test_pause_and_turn_banners_do_not_repeat_themselves() -> None:
    paused = _steady_then(PhaseChanged(216.0, PhaseName.PAUSED, detail="paused"))
    assert alert_for(paused, 216.0, "kmh").title == "PAUSED"  # type: ignore[union-attr]
    turning = _steady_then(
        PhaseChanged(
            250.0,
            PhaseName.TURN,
            bout_index=2,
            duration_s=5.0,
            remaining_s=5.0,
            detail="turn to walk",
        )
    )
    alert = alert_for(turning, 251.0, "kmh", phase_detail="turn to walk forward")
    assert alert is not None and alert.body == "walk on in 0:04"
    alert = alert_for(turning, 251.0, "kmh", phase_detail="press a key when you have turned round")
    assert alert is not None and alert.body.endswith("press a key when you have turned round")


def test_measured_values_are_not_shown_once_they_are_stale() -> None:
    view = _steady_then()
    assert live_data(view, 215.0)
    assert not live_data(view, 230.0)  # no data for 15 s
    assert not live_data(_steady_then(*LINK_LOST_EVENTS), 242.0)
    assert not live_data(reduce(view, SessionEnded(216.0, EndStatus.COMPLETED, "done")), 216.0)


async def test_after_the_end_only_q_and_help_are_offered() -> None:
    app, controls, bus, _ = make_app(steady_events(), 215.0)
    async with app.run_test(size=SIZE) as pilot:
        bus.publish(SessionEnded(216.0, EndStatus.COMPLETED, "completed"))
        await pilot.pause()
        await pilot.press("space", "n", "plus")
        shown = {
            b.binding.action
            for b in app.screen.active_bindings.values()
            if b.binding.show and b.enabled
        }
        assert controls.kinds == []
        assert not any("toggle_pause" in action or "nudge" in action for action in shown)
        assert any("quit_session" in action for action in shown)


async def test_heart_rate_trust_and_the_ceiling_banner_are_on_the_screen() -> None:
    import io

    from rich.console import Console

    from treadctl.events import HeartRate
    from treadctl.tui.widgets.readouts import Readouts

    def text_of(widget: Static) -> str:
        console = Console(width=80, record=True, file=io.StringIO())
        console.print(widget.content)
        return console.export_text()

    app, _, bus, _ = make_app(steady_events(), 215.0)
    async with app.run_test(size=SIZE) as pilot:
        bus.publish(HeartRate(215.0, 112, "good", "strap"))
        await pilot.pause()
        app.session.redraw()
        readouts = text_of(app.session.query_one(Readouts))
        assert "112" in readouts
        bus.publish(HeartRate(216.0, None, "frozen", "strap"))
        message = "heart rate not trusted (frozen reading): the heart-rate ceiling is not active"
        bus.publish(SafetyEvent(216.0, "hr_untrusted", message, "report"))
        bus.publish(PhaseChanged(217.0, PhaseName.STEADY, bout_index=1, remaining_s=30.0))
        await pilot.pause()
        app.session.redraw()
        await pilot.pause()
        readouts = text_of(app.session.query_one(Readouts))
        assert "frozen" in readouts and "112" not in readouts
        assert "ceiling is not active" in text_of(app.session.query_one("#message", Static))


async def test_the_voice_and_the_big_screen_say_their_notices_once() -> None:
    from treadctl.display.qr import qr_rows
    from treadctl.events import DisplayNotice, VoiceNotice

    app, _, bus, _ = make_app(steady_events(), 215.0)
    url = "http://192.168.1.20:8765/?token=abc"
    async with app.run_test(size=(100, 40)) as pilot:
        bus.publish(VoiceNotice(0.0, "voice: no speech program found; sudo apt install espeak-ng"))
        bus.publish(DisplayNotice(0.0, f"big screen: {url}", "\n".join(qr_rows(url) or ()), "abc"))
        await pilot.pause()
        messages = [n.message for n in app._notifications]
    assert len(messages) == 2
    assert "apt install espeak-ng" in messages[0]
    assert url in messages[1] and "█" in messages[1]
    assert app.session.view == make_app(steady_events(), 215.0)[0].session.view  # no state


async def test_ctrl_c_stops_at_once_then_asks_and_a_second_ctrl_c_quits() -> None:
    app, controls, _, _ = make_app(steady_events(), 215.0)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert [(r.kind, r.source) for r in controls.requests] == [(RequestKind.STOP, "key:ctrl+c")]
        assert isinstance(app.screen, ConfirmQuit)
        footer = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
        assert {"y", "n", "escape"} <= footer
        await pilot.press("n")
        assert app.screen is app.session and len(controls.requests) == 1
        await pilot.press("ctrl+c")
        await pilot.press("ctrl+c")
        await pilot.pause()
    assert [(r.kind, r.source) for r in controls.requests][-2:] == [
        (RequestKind.STOP, "key:ctrl+c"),
        (RequestKind.QUIT, "key:ctrl+c"),
    ]


async def test_a_turn_count_in_keeps_the_turn_banner() -> None:
    events = with_extra(TURN_EVENTS[0], Countdown(252.0, 3, "turn"))
    app, _, _, _ = make_app(events, 252.2)
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        banner = app.session.query_one(AlertBanner)
        assert banner.has_class("turn") and "TURN AROUND" in str(banner.render())
        countdown = app.session.query_one("#countdown", BigText)
        assert countdown.text == "3" and countdown.caption == "turn around in"
