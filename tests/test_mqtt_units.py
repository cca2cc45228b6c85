"""MQTT building blocks without a broker: topics, payloads, discovery, commands, outbox, feed."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from treadctl.controls import Request, RequestKind, RequestResult
from treadctl.direction import Direction
from treadctl.events import (
    BoutStarted,
    CommandSent,
    EndStatus,
    PhaseChanged,
    PhaseName,
    SafetyEvent,
    SessionEnded,
    SessionSummary,
    Telemetry,
)
from treadctl.mqtt.commands import (
    MAX_SPEED_NUDGE_KMH,
    Accepted,
    Rejection,
    allowed_commands,
    parse_command,
    response_payload,
)
from treadctl.mqtt.config import MqttCommandsConfig, MqttConfig
from treadctl.mqtt.discovery import discovery_messages
from treadctl.mqtt.feed import SessionFeed
from treadctl.mqtt.outbox import Kind, Outbox, Outgoing
from treadctl.mqtt.topics import Topics, default_prefix, topic_id

BASIC = MqttCommandsConfig(enabled=True)
ALL = MqttCommandsConfig(enabled=True, allow_nudge=True, allow_start=True)


# --- topics and config ---------------------------------------------------------------------------


def test_device_ids_become_one_safe_topic_level() -> None:
    assert topic_id("AA:BB:CC:01") == "aa_bb_cc_01"
    assert topic_id("Clinic #2 / lane+1") == "clinic_2_lane_1"
    assert topic_id("///") == "treadmill"
    assert default_prefix("Sim 1") == "treadctl/sim_1"
    assert Topics("treadctl/x").command == "treadctl/x/command"


def test_config_rejects_wildcards_and_two_password_sources(tmp_path: Path) -> None:
    with pytest.raises(ValidationError):
        MqttConfig(host="h", topic_prefix="treadctl/+")
    with pytest.raises(ValidationError):
        MqttConfig(host="h", topic_prefix="/treadctl")
    with pytest.raises(ValidationError):
        MqttConfig(host="h", password="a", password_file=tmp_path / "p")
    assert not MqttConfig().enabled
    assert not MqttConfig(host="h").commands.enabled  # commands are off by default


# --- commands ----------------------------------------------------------------------------------


def test_commands_off_by_default_and_basic_set_when_on() -> None:
    assert allowed_commands(MqttCommandsConfig()) == ()
    assert set(allowed_commands(BASIC)) == {"stop", "pause"}
    nudge = MqttCommandsConfig(enabled=True, allow_nudge=True)
    assert set(allowed_commands(nudge)) == {"stop", "pause", "nudge_speed", "nudge_incline"}
    start = MqttCommandsConfig(enabled=True, allow_start=True)
    assert set(allowed_commands(start)) == {"stop", "pause", "resume", "start", "rearm"}


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        (b"stop", RequestKind.STOP),
        (b' {"command": "pause"} ', RequestKind.PAUSE),
        (b'{"command": "PAUSE", "id": "r1"}', RequestKind.PAUSE),
    ],
)
def test_basic_commands_become_mqtt_requests(payload: bytes, kind: RequestKind) -> None:
    outcome = parse_command(payload, BASIC)
    assert isinstance(outcome, Accepted)
    assert outcome.request.kind is kind
    assert outcome.request.source == "mqtt"
    assert outcome.request.value is None


@pytest.mark.parametrize(
    ("payload", "reason_part"),
    [
        (b'{"command": "stop"', "neither a command word nor valid JSON"),
        (b"[1, 2]", "must be an object"),
        (b'{"command": "launch"}', "unknown command"),
        (b"launch", "unknown command"),
        (b'{"cmd": "stop"}', "missing"),
        (b'{"command": "pause", "value": 3}', "takes no value"),
        (b'{"command": "pause", "force": true}', "unknown field"),
        (b"\xff\xfe", "UTF-8"),
        (b"x" * 5000, "larger than"),
        (b'{"command": "nudge_speed", "value": 5}', "within"),
        (b'{"command": "nudge_speed", "value": 0}', "non-zero"),
        (b'{"command": "nudge_speed", "value": "fast"}', "numeric"),
        (b'{"command": "nudge_speed", "value": true}', "numeric"),
        (b'{"command": "nudge_incline", "value": NaN}', "within"),
    ],
)
def test_bad_payloads_are_rejected_with_a_reason(payload: bytes, reason_part: str) -> None:
    outcome = parse_command(payload, ALL)
    assert isinstance(outcome, Rejection)
    assert reason_part in outcome.reason


def test_nudges_and_start_need_their_own_switch() -> None:
    for payload, switch in [
        (b'{"command": "nudge_speed", "value": 0.2}', "allow_nudge"),
        (b'{"command": "nudge_incline", "value": -1}', "allow_nudge"),
        (b"start", "allow_start"),
        (b"rearm", "allow_start"),
        (b"resume", "allow_start"),  # resuming sets the belt moving: a remote start
    ]:
        outcome = parse_command(payload, BASIC)
        assert isinstance(outcome, Rejection), payload
        assert switch in outcome.reason
    nudge = parse_command(b'{"command": "nudge_speed", "value": -0.3}', ALL)
    assert isinstance(nudge, Accepted)
    assert nudge.request.kind is RequestKind.NUDGE_SPEED
    assert nudge.request.value == pytest.approx(-0.3)


@pytest.mark.parametrize(
    "payload",
    [
        b"stop",
        b"STOP",
        b" Stop\n",
        b'"stop"',
        b'{"command": "STOP"}',
        b'{"command": "stop", "value": 3}',
        b'{"command": "Stop", "force": true, "id": "s1", "why": {"nested": [1, 2]}}',
    ],
)
def test_stop_gets_through_in_any_case_with_extra_fields(payload: bytes) -> None:
    outcome = parse_command(payload, BASIC)
    assert isinstance(outcome, Accepted), outcome
    assert outcome.request == Request(RequestKind.STOP, source="mqtt")


@given(st.text(alphabet="sStToOpP", min_size=4, max_size=4))
def test_every_letter_case_of_stop_is_a_stop(word: str) -> None:
    outcome = parse_command(word.encode(), BASIC)
    assert isinstance(outcome, Accepted) == (word.lower() == "stop")


def test_a_rejection_names_the_request_for_the_audit_log() -> None:
    retained = parse_command(b'{"command": "Start"}', ALL, retained=True)
    assert isinstance(retained, Rejection) and retained.request == "start"
    bad = parse_command(b"{oops", ALL)
    assert isinstance(bad, Rejection) and bad.request == "unknown"


def test_everything_is_disabled_when_commands_are_off() -> None:
    assert isinstance(parse_command(b"stop", MqttCommandsConfig()), Rejection)


def test_retained_commands_are_never_acted_on() -> None:
    outcome = parse_command(b"stop", BASIC, retained=True)
    assert isinstance(outcome, Rejection)
    assert "retain" in outcome.reason


@given(st.binary(max_size=2000))
def test_parse_never_raises(payload: bytes) -> None:
    outcome = parse_command(payload, ALL)
    if isinstance(outcome, Accepted) and outcome.request.value is not None:
        assert 0 < abs(outcome.request.value) <= 2.0


@given(st.floats(allow_nan=True, allow_infinity=True))
def test_speed_nudge_bounds(value: float) -> None:
    outcome = parse_command(json.dumps({"command": "nudge_speed", "value": value}).encode(), ALL)
    valid = value == value and 0 < abs(value) <= MAX_SPEED_NUDGE_KMH
    assert isinstance(outcome, Accepted) is valid


def test_response_echoes_id_and_supervisor_answer() -> None:
    outcome = parse_command(b'{"command": "stop", "id": "abc"}', BASIC)
    assert isinstance(outcome, Accepted)
    refused = response_payload(outcome, RequestResult(False, "not running"))
    assert refused == {"id": "abc", "command": "stop", "accepted": False, "reason": "not running"}
    rejection = parse_command(b'{"command": "fly", "id": 7}', BASIC)
    assert response_payload(rejection)["id"] == "7"
    assert response_payload(rejection)["accepted"] is False


# --- discovery -----------------------------------------------------------------------------------


def _discovery(commands: MqttCommandsConfig) -> dict[str, dict[str, object] | None]:
    messages = discovery_messages(Topics("treadctl/sim_1"), "Sim 1", commands)
    return {topic: (json.loads(payload) if payload else None) for topic, payload in messages}


def test_discovery_describes_one_device_with_sensors() -> None:
    configs = _discovery(MqttCommandsConfig())
    sensors = {
        t.split("/")[3]: c for t, c in configs.items() if t.startswith("homeassistant/sensor/")
    }
    assert set(sensors) == {
        "speed",
        "incline",
        "distance",
        "energy",
        "heart_rate",
        "bout",
        "direction",
        "remaining",
        "state",
    }
    speed = sensors["speed"]
    assert speed is not None
    assert speed["state_topic"] == "treadctl/sim_1/telemetry"
    assert speed["unit_of_measurement"] == "km/h"
    assert speed["value_template"] == "{{ value_json.speed_kmh }}"
    assert speed["availability_topic"] == "treadctl/sim_1/availability"
    state = sensors["state"]
    assert state is not None and state["state_topic"] == "treadctl/sim_1/state"
    assert "fault" in state["options"]  # type: ignore[operator]
    identifiers = {json.dumps(c["device"]) for c in sensors.values() if c is not None}
    assert len(identifiers) == 1  # one device
    assert len({c["unique_id"] for c in sensors.values() if c is not None}) == len(sensors)


def test_discovery_buttons_only_for_enabled_commands() -> None:
    off = _discovery(MqttCommandsConfig())
    buttons_off = {t: c for t, c in off.items() if "/button/" in t}
    assert buttons_off and all(c is None for c in buttons_off.values())  # removed, not created
    on = _discovery(BASIC)
    stop = on["homeassistant/button/sim_1/stop/config"]
    assert stop is not None
    assert stop["command_topic"] == "treadctl/sim_1/command"
    pressed = parse_command(str(stop["payload_press"]).encode(), BASIC)
    assert isinstance(pressed, Accepted) and pressed.request.kind is RequestKind.STOP


@pytest.mark.parametrize(
    ("commands", "buttons"),
    [
        (MqttCommandsConfig(), set()),
        (BASIC, {"stop", "pause"}),
        (MqttCommandsConfig(enabled=True, allow_nudge=True), {"stop", "pause"}),
        (MqttCommandsConfig(enabled=True, allow_start=True), {"stop", "pause", "resume"}),
    ],
)
def test_discovery_offers_only_buttons_that_can_work(
    commands: MqttCommandsConfig, buttons: set[str]
) -> None:
    configs = _discovery(commands)
    offered = {t.split("/")[3] for t, c in configs.items() if "/button/" in t and c is not None}
    assert offered == buttons
    for topic, config in configs.items():  # every offered button's press is accepted
        if "/button/" in topic and config is not None:
            pressed = parse_command(str(config["payload_press"]).encode(), commands)
            assert isinstance(pressed, Accepted), topic


def test_every_discovery_payload_carries_its_origin() -> None:
    from treadctl import __version__

    configs = _discovery(ALL)
    assert all(
        c["origin"] == {"name": "treadctl", "sw_version": __version__}
        for c in configs.values()
        if c is not None
    )


# --- outbox --------------------------------------------------------------------------------------


def _item(kind: Kind, n: int) -> Outgoing:
    return Outgoing(kind, f"t/{kind}", str(n).encode())


def test_outbox_drops_oldest_telemetry_first_and_keeps_events() -> None:
    box = Outbox(max_items=4)
    assert box.put(_item(Kind.EVENT, 1)) is True
    for n in range(10):
        assert box.put(_item(Kind.TELEMETRY, n)) is False
    box.put(_item(Kind.EVENT, 2))
    kept = [(i.kind, i.payload) for i in box.snapshot()]
    assert kept == [
        (Kind.EVENT, b"1"),
        (Kind.TELEMETRY, b"8"),
        (Kind.TELEMETRY, b"9"),
        (Kind.EVENT, b"2"),
    ]
    assert box.stats.telemetry_dropped == 8
    assert box.stats.events_dropped == 0


def test_outbox_stays_bounded_with_events_only_and_keeps_latest_state() -> None:
    box = Outbox(max_items=3)
    for n in range(5):
        box.put(_item(Kind.EVENT, n))
        box.put(_item(Kind.STATE, n))
    payloads = [(i.kind, i.payload) for i in box.snapshot()]
    assert len(payloads) == 3
    assert [p for k, p in payloads if k is Kind.STATE] == [b"4"]
    assert box.stats.events_dropped == 3


def test_put_back_skips_superseded_telemetry() -> None:
    box = Outbox()
    box.put(_item(Kind.TELEMETRY, 1))
    first = box.get()
    assert first is not None
    box.put(_item(Kind.TELEMETRY, 2))
    box.put_back(first)
    assert [i.payload for i in box.snapshot()] == [b"2"]
    event = _item(Kind.EVENT, 3)
    box.put_back(event)
    assert box.get() == event


# --- feed ----------------------------------------------------------------------------------------


def _bout(t_s: float, index: int, direction: Direction) -> BoutStarted:
    return BoutStarted(t_s, index, 4, f"bout {index + 1}", direction, 60.0, 1.5, 0.0)


def test_feed_publishes_one_telemetry_sample_per_session_second() -> None:
    feed = SessionFeed(Topics("p"))
    feed.on_event(_bout(0.0, 0, Direction.BACKWARD))
    samples = []
    for t_s in (0.0, 0.25, 0.5, 0.99, 1.0, 1.5, 2.9, 3.1, 3.2):
        for item in feed.on_event(Telemetry(t_s, speed_kmh=1.5, distance_m=t_s)):
            if item.kind is Kind.TELEMETRY:
                samples.append(json.loads(item.payload))
    assert [s["t_s"] for s in samples] == [0.0, 1.0, 2.9, 3.1]
    assert samples[-1]["remaining_s"] == pytest.approx(56.9)
    assert samples[-1]["bout"] == 1
    assert samples[-1]["direction"] == "backward"
    assert samples[-1]["distance_m"] == pytest.approx(3.1)


def test_feed_state_changes_and_events() -> None:
    feed = SessionFeed(Topics("p"))
    out = feed.on_event(_bout(0.0, 0, Direction.BACKWARD))
    assert [i.kind for i in out] == [Kind.EVENT, Kind.STATE]
    assert json.loads(out[0].payload)["bout"] == 1
    assert out[1].retain
    out = feed.on_event(PhaseChanged(1.0, PhaseName.RAMP, 0))
    assert json.loads(out[-1].payload)["state"] == "running"
    # a command changes nothing a viewer sees in the state, and is not an event for viewers
    assert feed.on_event(CommandSent(1.1, "set_speed", speed_kmh=1.2)) == []
    out = feed.on_event(SafetyEvent(2.0, "watchdog", "telemetry stale; belt stopped"))
    assert json.loads(out[0].payload)["kind"] == "safety"
    assert json.loads(out[1].payload)["state"] == "fault"
    summary = SessionSummary("p", 60, 40, 20, 30.0, 5.5, 1, 4)
    out = feed.on_event(SessionEnded(3.0, EndStatus.SAFETY_STOP, "watchdog", summary))
    end = json.loads(out[0].payload)
    assert end["kind"] == "end" and end["summary"]["bouts_total"] == 4
    assert json.loads(feed.state_message().payload)["state"] == "ended"
