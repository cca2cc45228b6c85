"""Every simulator fault and every quirk personality, end to end through the real bleak front end.

Each fault must end with the belt stopped in the simulator's own state, the right end status, a
complete audit trail, and the supervisor's invariants intact.
"""

from __future__ import annotations

from typing import Any

import pytest

from simulators.faults import FaultKind
from simulators.personalities import PERSONALITIES
from tests.session_support import SIMPLE, bouts_of, check_invariants, run_session
from treadctl.controls import Request, RequestKind
from treadctl.events import CommandSent, EndStatus, LinkChanged, SafetyEvent
from treadctl.virtual_time import run_virtual

FAULT_AT_S = 150  # inside the backward bout of SIMPLE (after the turn)

EXPECTED_REASON = {
    FaultKind.DISCONNECT: "link_lost",
    FaultKind.STALE: "watchdog",
    FaultKind.SAFETY_KEY: "safety_key",
    FaultKind.CONSOLE_STOP: "console_stop",
    FaultKind.RUNAWAY: "runaway",
    FaultKind.REJECT_COMMANDS: "command_failed",
    FaultKind.CONTROL_LOST: "control_lost",
}


@pytest.mark.parametrize("kind", list(EXPECTED_REASON), ids=str)
def test_fault_ends_in_a_safety_stop_with_the_belt_stopped(kind: FaultKind) -> None:
    spec = f"{kind}@{FAULT_AT_S}"
    if kind is FaultKind.REJECT_COMMANDS:
        spec = f"{kind}@100"  # before the turn, so the next command meets it
    out = run_virtual(run_session(faults=[spec]))
    assert out.ended.status is EndStatus.SAFETY_STOP
    assert out.ended.reason == EXPECTED_REASON[kind]
    assert out.speed_after_kmh == pytest.approx(0.0, abs=0.05)
    if kind is not FaultKind.REJECT_COMMANDS:
        assert not out.running_at_end
    reasons = [e.reason for e in out.of(SafetyEvent) if e.action == "stop"]
    assert EXPECTED_REASON[kind] in reasons
    assert {"command", "response", "status", "link", "data", "bout", "phase", "safety", "end"} <= (
        out.kinds() | {"status"}
    )
    check_invariants(out)


def test_disconnect_reconnects_and_sends_stop_first() -> None:
    out = run_virtual(run_session(faults=[f"disconnect@{FAULT_AT_S}"]))
    links = [e.event for e in out.of(LinkChanged)]
    assert links[:3] == ["connected", "disconnected", "reconnected"]
    reconnected_t = next(e.t_s for e in out.of(LinkChanged) if e.event == "reconnected")
    after = [c.op for c in out.commands() if c.t_s >= reconnected_t]
    assert after[0] in ("request_control", "stop")
    assert "stop" in after[:2]
    assert not set(after) & {"start", "set_speed", "set_incline"}


def test_session_clock_freezes_while_the_link_is_lost() -> None:
    out = run_virtual(run_session(faults=[f"disconnect@{FAULT_AT_S}"]))
    lost = next(e for e in out.of(LinkChanged) if e.event == "disconnected")
    back = next(e for e in out.of(LinkChanged) if e.event == "reconnected")
    assert back.t_s - lost.t_s < 0.5  # the simulator is offline ~2 s of loop time


def test_rearm_after_a_console_stop_resumes_from_a_ramp() -> None:
    rearmed: list[float] = []

    def actions(session: Any, bus: Any, event: Any) -> None:
        if isinstance(event, SafetyEvent) and event.reason == "console_stop":
            loop = __import__("asyncio").get_running_loop()

            def rearm() -> None:
                rearmed.append(session.now())
                assert session.request(Request(RequestKind.REARM, source="key")).accepted

            loop.call_later(5.0, rearm)

    out = run_virtual(run_session(faults=[f"console-stop@{FAULT_AT_S}"], actions=actions))
    assert out.ended.status is EndStatus.COMPLETED
    assert rearmed
    after = [c for c in out.commands("start", "set_speed") if c.t_s >= rearmed[0]]
    assert after[0].op == "start"
    assert after[1].speed_kmh == pytest.approx(out.session.plan.start_speed_kmh)
    check_invariants(out, rearm_times=rearmed)


def test_remote_rearm_after_a_safety_key_is_refused() -> None:
    answers: list[bool] = []

    def actions(session: Any, bus: Any, event: Any) -> None:
        if isinstance(event, SafetyEvent) and event.reason == "safety_key":
            answers.append(session.request(Request(RequestKind.REARM, source="mqtt")).accepted)

    out = run_virtual(run_session(faults=[f"safety-key@{FAULT_AT_S}"], actions=actions))
    assert answers == [False]
    assert out.ended.status is EndStatus.SAFETY_STOP
    check_invariants(out)


def test_console_speed_change_within_the_caps_is_adopted() -> None:
    bouts = bouts_of(("forward", 300, 3.0, 0.0))
    out = run_virtual(run_session(bouts, faults=["console-speed-up@120"]))
    assert out.ended.status is EndStatus.COMPLETED
    adopted = [e for e in out.of(SafetyEvent) if e.action == "adopt"]
    assert adopted and "5" in adopted[0].message


def test_console_speed_change_above_the_caps_stops_the_belt() -> None:
    bouts = bouts_of(("backward", 300, 3.0, 0.0))
    out = run_virtual(run_session(bouts, faults=["console-speed-up@120"]))
    assert out.ended.status is EndStatus.SAFETY_STOP
    assert out.ended.reason == "console_overspeed"
    assert out.speed_after_kmh == pytest.approx(0.0, abs=0.05)


def test_ignore_commands_during_a_ramp_is_caught() -> None:
    out = run_virtual(run_session(faults=["ignore-commands@100+60"]))
    assert out.ended.status is EndStatus.SAFETY_STOP
    assert out.ended.reason == "ignore_commands"
    assert out.speed_after_kmh == pytest.approx(0.0, abs=0.05)


@pytest.mark.parametrize("personality", list(PERSONALITIES))
def test_each_personality_completes_within_the_invariants(personality: str) -> None:
    out = run_virtual(run_session(personality=personality))
    assert out.ended.status is EndStatus.COMPLETED, out.ended
    assert out.ended.summary is not None and out.ended.summary.bouts_completed == 3
    assert not out.running_at_end
    check_invariants(out)
    assert out.commands("set_speed")


def test_quit_request_stops_the_belt_and_ends_interrupted() -> None:
    def actions(session: Any, bus: Any, event: Any) -> None:
        if isinstance(event, CommandSent) and event.op == "set_speed" and event.t_s > 60:
            session.request(Request(RequestKind.QUIT, source="key"))

    out = run_virtual(run_session(SIMPLE, actions=actions))
    assert out.ended.status is EndStatus.INTERRUPTED
    assert not out.running_at_end
    assert out.commands("stop")


def test_an_unexpected_exception_stops_the_belt(monkeypatch: pytest.MonkeyPatch) -> None:
    from treadctl.session.engine import Session

    original = Session._drive_target
    calls: list[int] = []

    def failing(self: Session, bout: Any, *, source: str) -> Any:
        calls.append(1)
        if len(calls) == 3:  # the third bout: the belt is running
            raise RuntimeError("engine bug")
        return original(self, bout, source=source)

    monkeypatch.setattr(Session, "_drive_target", failing)
    out = run_virtual(run_session(SIMPLE))
    assert out.ended.status is EndStatus.SAFETY_STOP
    assert out.ended.reason.startswith("internal_error")
    assert not out.running_at_end
    assert out.commands("stop")[-1].source == "exit"
