"""The clinic board (pure): folding MQTT messages, alarms first whatever the message order."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl import cli
from treadctl.tui.clinic_model import ANSWER_S, STALE_S, Attention, Board


def _state(**fields: object) -> bytes:
    body = {
        "state": "running",
        "phase": "steady",
        "bout": 2,
        "bout_count": 3,
        "bout_label": "Retro block",
        "direction": "backward",
        "bout_target_speed_kmh": 1.6,
        "link": "connected",
        "safety_reason": None,
        "safety_message": None,
        "end_status": None,
        "person": "alice",
        "profile": "Retro 10",
    }
    body.update(fields)
    return json.dumps(body).encode()


def test_a_treadmill_is_folded_from_its_topics() -> None:
    board = Board()
    assert board.apply("treadctl/t1/availability", b"online", 0.0) == "t1"
    board.apply("treadctl/t1/state", _state(), 0.0)
    board.apply(
        "treadctl/t1/telemetry",
        json.dumps({"speed_kmh": 1.58, "heart_rate_bpm": 96, "state": "running"}).encode(),
        1.0,
    )
    treadmill = board.treadmills["t1"]
    assert (treadmill.person, treadmill.profile, treadmill.bout, treadmill.bout_count) == (
        "alice",
        "Retro 10",
        2,
        3,
    )
    assert (treadmill.direction, treadmill.speed_kmh, treadmill.heart_rate_bpm) == (
        "backward",
        1.58,
        96,
    )
    assert treadmill.attention(1.5) is Attention.NORMAL
    assert board.command_topic("t1") == "treadctl/t1/command"


def test_foreign_and_malformed_messages_are_ignored() -> None:
    board = Board()
    assert board.apply("homeassistant/sensor/x/config", b"{}", 0.0) is None
    assert board.apply("treadctl/t1/command", b'{"command":"stop"}', 0.0) is None
    assert board.apply("treadctl/t1/state", b"not json", 0.0) is None
    assert board.apply("treadctl/t1/availability", b"maybe", 0.0) is None
    assert board.apply("treadctl/a/b/state", _state(), 0.0) is None
    assert board.treadmills == {}


def test_alarms_name_what_happened() -> None:
    board = Board()
    board.apply("treadctl/t1/availability", b"online", 0.0)
    board.apply("treadctl/t1/telemetry", b'{"speed_kmh": 1.6}', 0.0)
    board.apply("treadctl/t1/state", _state(), 0.0)
    assert board.alarms(STALE_S + 1)[0][1] == f"no telemetry for {STALE_S + 1:.0f} s"
    board.apply(
        "treadctl/t1/state",
        _state(
            state="fault", safety_reason="safety_key", safety_message="the safety key was pulled"
        ),
        1.0,
    )
    assert board.alarms(1.0)[0][1] == "safety stop: the safety key was pulled"
    board.apply("treadctl/t1/state", _state(), 2.0)
    board.apply("treadctl/t1/availability", b"offline", 2.0)
    assert board.alarms(2.0)[0][1] == "went offline in the middle of a session"
    board.apply("treadctl/t1/state", _state(state="ended", end_status="completed"), 3.0)
    assert board.alarms(3.0) == []


def test_an_unanswered_stop_becomes_an_alarm() -> None:
    board = Board()
    board.apply("treadctl/t1/state", _state(), 0.0)
    board.sent("t1", "stop", 10.0)
    assert board.alarms(10.0 + ANSWER_S / 2) == []
    assert "stop not answered" in board.alarms(10.0 + ANSWER_S + 0.1)[0][1]
    board.apply("treadctl/t1/response", b'{"command":"stop","accepted":true,"reason":""}', 11.0)
    assert board.treadmills["t1"].last_response == "stop accepted"
    assert board.alarms(20.0) == []


_STATES = st.sampled_from(["running", "paused", "turn", "fault", "reconnecting", "ended"])


@given(
    st.lists(
        st.tuples(st.sampled_from(["a", "b", "c", "d"]), _STATES, st.booleans()),
        min_size=1,
        max_size=30,
    )
)
def test_alarms_always_come_first(messages: list[tuple[str, str, bool]]) -> None:
    board = Board()
    for treadmill_id, state, safety in messages:
        reason = "watchdog" if safety else None
        board.apply(
            f"treadctl/{treadmill_id}/state", _state(state=state, safety_reason=reason), 0.0
        )
    ranks = [t.attention(0.0) for t in board.rows(0.0)]
    assert ranks == sorted(ranks, reverse=True)
    alarmed = {t.id for t, _ in board.alarms(0.0)}
    assert alarmed == {t.id for t in board.rows(0.0) if t.attention(0.0) is Attention.ALARM}


def test_clinic_needs_a_broker(isolated_home: object, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["clinic"]) == 2
    assert "which broker? Set host in [mqtt]" in capsys.readouterr().err
    assert cli.main(["clinic", "--host", "127.0.0.1", "--root", "a/#"]) == 2
    assert "--root must be a topic" in capsys.readouterr().err
