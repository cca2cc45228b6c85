"""Remote and repeated requests stay bounded (safety core with issue 13's remote points).

Nudges add up to at most ``max_nudge_*`` of the bout's target and are taken at most once per
``nudge_interval_s``; a remotely paused headless session ends after ``pause_timeout_s``; an
accepted remote start is logged as remote, never as the plan.
"""

from __future__ import annotations

from typing import Any

from tests.session_support import bouts_of, run_session
from treadctl.controls import Request, RequestKind, key_source
from treadctl.events import EndStatus, RequestDecided, SafetyStateChanged, Telemetry
from treadctl.session.engine import SessionOptions
from treadctl.virtual_time import run_virtual

WARM_UP = bouts_of(("forward", 300, 3.0, 0.0))


def test_1500_presses_cannot_walk_a_warm_up_to_the_cap() -> None:
    def actions(session: Any, _bus: Any, event: Any) -> None:
        if isinstance(event, Telemetry) and 20 < event.t_s < 200:
            for _ in range(10):  # ten presses a second, 1800 in all
                session.request(Request(RequestKind.NUDGE_SPEED, 0.1, source=key_source("plus")))

    out = run_virtual(run_session(WARM_UP, actions=actions))
    speeds = [c.speed_kmh or 0.0 for c in out.commands("set_speed")]
    assert max(speeds) <= 3.0 + 1.0 + 1e-9  # the bout's 3 km/h plus the 1 km/h bound
    nudges = [e for e in out.of(RequestDecided) if e.request == "nudge_speed"]
    accepted = [e for e in nudges if e.accepted]
    assert len(nudges) > 1000 and len(accepted) <= (200 - 20) + 1  # one a second at most
    assert any("one nudge at a time" in e.reason for e in nudges if not e.accepted)


def test_a_remotely_paused_headless_session_ends_after_its_bound() -> None:
    paused: list[float] = []

    def actions(session: Any, _bus: Any, event: Any) -> None:
        if isinstance(event, Telemetry) and event.t_s > 30 and not paused:
            paused.append(event.t_s)
            assert session.request(Request(RequestKind.PAUSE, source="mqtt")).accepted

    options = SessionOptions(rearm_timeout_s=30.0, pause_timeout_s=120.0, auto_confirm_turns=True)
    out = run_virtual(run_session(WARM_UP, actions=actions, options=options))
    assert out.ended.status is EndStatus.SAFETY_STOP
    assert 120.0 <= out.ended.t_s - paused[0] <= 125.0
    assert out.ended.belt_at_rest and not out.running_at_end


def test_an_accepted_remote_start_is_logged_as_remote() -> None:
    stopped: list[float] = []

    def actions(session: Any, _bus: Any, event: Any) -> None:
        if isinstance(event, Telemetry) and event.t_s > 30 and not stopped:
            stopped.append(event.t_s)
            session.request(Request(RequestKind.STOP, source="mqtt"))
        later = isinstance(event, Telemetry) and stopped and event.t_s > stopped[0] + 10
        sup = session.supervisor
        if later and sup is not None and sup.held:
            session.request(Request(RequestKind.START, source="mqtt"))

    options = SessionOptions(rearm_timeout_s=60.0, auto_confirm_turns=True, allow_remote_start=True)
    out = run_virtual(run_session(WARM_UP, actions=actions, options=options))
    starts = [e for e in out.of(RequestDecided) if e.request == "start" and e.accepted]
    assert starts and all(e.source == "mqtt" for e in starts)
    rearmed = [e for e in out.of(SafetyStateChanged) if e.state == "countdown"]
    assert any("mqtt" in e.cause for e in rearmed)
    assert out.ended.status is EndStatus.COMPLETED


def test_a_remote_start_never_clears_a_fault() -> None:
    def actions(session: Any, _bus: Any, event: Any) -> None:
        if isinstance(event, Telemetry) and event.t_s > 60:
            session.request(Request(RequestKind.START, source="mqtt"))

    options = SessionOptions(rearm_timeout_s=30.0, auto_confirm_turns=True, allow_remote_start=True)
    out = run_virtual(
        run_session(WARM_UP, faults=["safety-key@40+5"], actions=actions, options=options)
    )
    starts = [e for e in out.of(RequestDecided) if e.request == "start"]
    assert starts and not any(e.accepted for e in starts)
    assert out.ended.status is EndStatus.SAFETY_STOP
