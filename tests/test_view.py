"""SessionView: the one reading of the event stream that the UI, MQTT and headless output share."""

from __future__ import annotations

from functools import reduce as fold

from treadctl.direction import Direction
from treadctl.events import (
    BoutStarted,
    CommandSent,
    EndStatus,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    SafetyEvent,
    SessionEnded,
    SessionEvent,
    Telemetry,
)
from treadctl.view import SessionState, SessionView, reduce


def _fold(events: list[SessionEvent]) -> SessionView:
    return fold(reduce, events, SessionView())


def _bout(t_s: float, index: int, direction: Direction = Direction.BACKWARD) -> BoutStarted:
    return BoutStarted(
        t_s=t_s,
        index=index,
        count=4,
        label=f"bout {index}",
        direction=direction,
        duration_s=120.0,
        speed_kmh=1.3,
        incline_pct=0.0,
        cue="Hold the rails",
    )


def test_bout_countdown_follows_the_session_clock() -> None:
    view = _fold([_bout(10.0, 0), PhaseChanged(t_s=10.0, name=PhaseName.RAMP, bout_index=0)])
    assert view.state is SessionState.RUNNING
    assert view.direction is Direction.BACKWARD
    assert view.bout_remaining_s(10.0) == 120.0
    assert view.bout_remaining_s(70.0) == 60.0
    assert view.bout_remaining_s(500.0) == 0.0


def test_turn_phase_has_its_own_countdown() -> None:
    view = _fold(
        [PhaseChanged(t_s=5.0, name=PhaseName.TURN, bout_index=1, duration_s=5.0, remaining_s=5.0)]
    )
    assert view.state is SessionState.TURN
    assert view.phase_remaining_s(7.0) == 3.0


def test_safety_stop_shows_as_fault_until_the_walker_rearms() -> None:
    view = _fold(
        [
            _bout(0.0, 0),
            PhaseChanged(t_s=0.0, name=PhaseName.STEADY, bout_index=0),
            SafetyEvent(t_s=30.0, reason="safety_key", message="Safety key pulled", action="stop"),
            PhaseChanged(t_s=30.0, name=PhaseName.PAUSED, bout_index=0),
        ]
    )
    assert view.state is SessionState.FAULT
    assert view.safety_message == "Safety key pulled"
    rearmed = reduce(view, PhaseChanged(t_s=40.0, name=PhaseName.RAMP, bout_index=0))
    assert rearmed.state is SessionState.RUNNING
    assert rearmed.safety_message is None


def test_a_refused_request_is_shown_without_faulting_the_session() -> None:
    view = _fold(
        [
            PhaseChanged(t_s=0.0, name=PhaseName.STEADY, bout_index=0),
            SafetyEvent(t_s=1.0, reason="cap", message="Already at the cap", action="refuse"),
        ]
    )
    assert view.state is SessionState.RUNNING
    assert view.safety_message == "Already at the cap"


def test_link_loss_means_reconnecting() -> None:
    view = _fold([LinkChanged(t_s=3.0, event="disconnected", reason="treadmill went away")])
    assert view.state is SessionState.RECONNECTING
    assert view.link == "disconnected"


def test_targets_and_measurements_are_kept_apart() -> None:
    view = _fold(
        [
            CommandSent(t_s=1.0, op="set_speed", speed_kmh=1.3),
            Telemetry(t_s=2.0, speed_kmh=1.1, incline_pct=0.0, distance_m=5.0, energy_kcal=0.4),
            Telemetry(t_s=3.0, speed_kmh=1.3, incline_pct=None, distance_m=None, energy_kcal=None),
        ]
    )
    assert view.target_speed_kmh == 1.3
    assert view.measured_speed_kmh == 1.3
    assert view.distance_m == 5.0  # a record without distance keeps the last known value
    assert view.speed_history == ((2.0, 1.1), (3.0, 1.3))
    assert view.telemetry_age_s(4.5) == 1.5
    stopped = reduce(view, CommandSent(t_s=4.0, op="stop"))
    assert stopped.target_speed_kmh == 0.0


def test_session_end_is_final() -> None:
    view = _fold([SessionEnded(t_s=99.0, status=EndStatus.SAFETY_STOP, reason="watchdog")])
    assert view.state is SessionState.ENDED
    assert view.end_status is EndStatus.SAFETY_STOP
    assert view.end_reason == "watchdog"


def test_audit_json_has_time_and_kind() -> None:
    line = _bout(12.34567, 2).to_json()
    assert line["t"] == 12.346
    assert line["kind"] == "bout"
    assert line["direction"] == "backward"
    assert line["index"] == 2


def test_a_pause_freezes_the_bout_countdown() -> None:
    view = _fold(
        [
            _bout(0.0, 0),
            PhaseChanged(t_s=0.0, name=PhaseName.RAMP, bout_index=0, remaining_s=120.0),
            PhaseChanged(t_s=30.0, name=PhaseName.PAUSED, bout_index=0),
        ]
    )
    assert view.bout_remaining_s(30.0) == 90.0
    assert view.bout_remaining_s(300.0) == 90.0  # paused: nothing counts down
    resumed = reduce(view, PhaseChanged(t_s=300.0, name=PhaseName.RAMP, bout_index=0))
    assert resumed.bout_remaining_s(310.0) == 80.0
    assert resumed.bout_elapsed_s(310.0) == 40.0


def test_an_extension_reported_by_the_engine_lengthens_the_bout() -> None:
    view = _fold(
        [
            _bout(0.0, 0),
            PhaseChanged(t_s=0.0, name=PhaseName.STEADY, bout_index=0, remaining_s=120.0),
            # at t=100 the walker adds a minute: 20 s were left, now 80 s
            PhaseChanged(t_s=100.0, name=PhaseName.STEADY, bout_index=0, remaining_s=80.0),
        ]
    )
    assert view.bout_remaining_s(110.0) == 70.0
    assert view.bout_duration_s == 180.0
    assert view.bout_elapsed_s(110.0) == 110.0


def test_a_lost_link_freezes_the_bout_countdown() -> None:
    view = _fold(
        [
            _bout(0.0, 0),
            PhaseChanged(t_s=0.0, name=PhaseName.STEADY, bout_index=0, remaining_s=120.0),
            PhaseChanged(t_s=50.0, name=PhaseName.RECONNECTING, bout_index=0),
        ]
    )
    assert view.bout_remaining_s(90.0) == 70.0
