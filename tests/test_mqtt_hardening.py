"""Remote commands as the README promises them, against a real broker (mosquitto where installed,
else the embedded amqtt; a test that needs something only mosquitto has says so when skipped).

Retained commands are never executed whenever they arrive; a flood cannot delay a stop; every
command refused at the MQTT layer reaches the audit log; stale retained state is replaced on
start; stale telemetry is dropped after an outage; a refused login or a TLS mismatch is one line
and no retry loop; two processes never knock each other off the broker, and a live session's
topic prefix is detected.
"""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from tests.mqtt_broker import TestBroker
from tests.test_mqtt_broker import FAST_BACKOFF, FakeControls, subscriber
from treadctl.controls import RequestKind
from treadctl.events import EventBus, Telemetry
from treadctl.mqtt.attach import MqttAttachment, attach_mqtt
from treadctl.mqtt.config import MqttCommandsConfig, MqttConfig
from treadctl.mqtt.connection import process_client_id
from treadctl.mqtt.publisher import MAX_TELEMETRY_AGE_S, Backoff
from treadctl.session.audit import AuditLog, read_audit

pytestmark = pytest.mark.timeout(90)
REPO = Path(__file__).resolve().parents[1]
ALL = MqttCommandsConfig(enabled=True, allow_nudge=True, allow_start=True)


@pytest.fixture
def broker(tmp_path: Path) -> Any:
    with TestBroker(tmp_path) as running:
        yield running


def _config(broker: TestBroker, **overrides: Any) -> MqttConfig:
    return MqttConfig(host=broker.host, port=broker.port, **overrides)


def _attach(bus: EventBus, controls: Any, config: MqttConfig, device: str) -> MqttAttachment:
    attachment = attach_mqtt(bus, controls, config, device, backoff=FAST_BACKOFF, now=lambda: 7.0)
    assert attachment is not None
    return attachment


async def _until(predicate: Any, timeout_s: float = 10.0) -> None:
    deadline = time.monotonic() + timeout_s
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


async def _online(broker: TestBroker, prefix: str) -> None:
    async with subscriber(broker, f"{prefix}/availability") as viewer:
        await viewer.wait_for(
            lambda: [m for m in viewer.on(f"{prefix}/availability") if m.payload == b"online"]
        )


def _needs_mosquitto(broker: TestBroker, what: str) -> None:
    if broker.kind != "mosquitto":
        pytest.skip(f"{what} needs mosquitto (not installed; the embedded amqtt broker lacks it)")


async def test_a_command_retained_during_the_session_is_never_executed(
    broker: TestBroker, tmp_path: Path
) -> None:
    _needs_mosquitto(broker, "MQTT 5 retain-as-published")
    controls = FakeControls()
    bus = EventBus()
    audit = AuditLog(tmp_path / "audit.jsonl").attach(bus)
    attachment = _attach(bus, controls, _config(broker, commands=ALL), "ret")
    try:
        await _online(broker, "treadctl/ret")
        await asyncio.sleep(0.3)  # subscribed to commands
        async with subscriber(broker, "treadctl/ret/response") as viewer:
            await viewer.client.publish("treadctl/ret/command", b"start", qos=1, retain=True)
            await viewer.client.publish("treadctl/ret/command", b"pause", qos=1)
            await viewer.wait_for(lambda: len(viewer.on("treadctl/ret/response")) >= 2)
            answers = viewer.json_on("treadctl/ret/response")
            # clearing a retained message (an empty retained payload) is not a command
            await viewer.client.publish("treadctl/ret/command", b"", qos=1, retain=True)
            await asyncio.sleep(0.3)
    finally:
        await attachment.aclose()
        audit.close()
    assert [r.kind for r in controls.requests] == [RequestKind.PAUSE]  # never the start
    (refused,) = [a for a in answers if not a["accepted"]]
    assert refused["command"] == "start" and "retain" in refused["reason"]
    decided = [e for e in read_audit(tmp_path / "audit.jsonl") if e["kind"] == "request"]
    assert decided == [
        {
            **decided[0],
            "request": "start",
            "source": "mqtt",
            "accepted": False,
            "t": 7.0,
        }
    ]
    assert "retain" in str(decided[0]["reason"])


async def test_a_retained_command_left_before_the_session_is_never_executed(
    broker: TestBroker,
) -> None:
    async with aiomqtt.Client(broker.host, broker.port) as client:
        await client.publish("treadctl/old/command", b"STOP", retain=True, qos=1)
    controls = FakeControls()
    async with subscriber(broker, "treadctl/old/response") as viewer:
        attachment = _attach(EventBus(), controls, _config(broker, commands=ALL), "old")
        try:
            await viewer.wait_for(lambda: viewer.on("treadctl/old/response"))
        finally:
            await attachment.aclose()
        await viewer.client.publish("treadctl/old/command", b"", qos=1, retain=True)
    assert controls.requests == []  # not even a stop: a retained one is replayed forever


async def test_stop_overtakes_a_flood_of_other_commands(broker: TestBroker) -> None:
    controls = FakeControls()
    attachment = _attach(EventBus(), controls, _config(broker, commands=ALL), "flood")
    try:
        await _online(broker, "treadctl/flood")
        await asyncio.sleep(0.3)
        async with aiomqtt.Client(broker.host, broker.port) as client:
            for _ in range(400):
                await client.publish(
                    "treadctl/flood/command", b'{"command": "nudge_speed", "value": 0.1}'
                )
            await client.publish("treadctl/flood/command", b'{"command": "Stop", "why": "x"}')
        await _until(lambda: RequestKind.STOP in [r.kind for r in controls.requests])
    finally:
        await attachment.aclose()
    kinds = [r.kind for r in controls.requests]
    # 400 nudges went in first; the stop was taken long before the last of them.
    assert kinds.index(RequestKind.STOP) < 100, kinds.index(RequestKind.STOP)


async def test_every_mqtt_layer_rejection_is_in_the_audit_log(
    broker: TestBroker, tmp_path: Path
) -> None:
    controls = FakeControls()
    bus = EventBus()
    audit = AuditLog(tmp_path / "audit.jsonl").attach(bus)
    config = _config(broker, commands=MqttCommandsConfig(enabled=True))
    attachment = _attach(bus, controls, config, "aud")
    payloads = [b"{not json", b'{"command": "nudge_speed", "value": 0.1}', b"start", b"fly"]
    try:
        await _online(broker, "treadctl/aud")
        await asyncio.sleep(0.3)
        async with subscriber(broker, "treadctl/aud/response") as viewer:
            for payload in payloads:
                await viewer.client.publish("treadctl/aud/command", payload, qos=1)
            await viewer.wait_for(lambda: len(viewer.on("treadctl/aud/response")) >= 4)
        await _until(lambda: audit.lines >= 4)
    finally:
        await attachment.aclose()
        audit.close()
    assert controls.requests == []
    decided = [e for e in read_audit(tmp_path / "audit.jsonl") if e["kind"] == "request"]
    assert [(e["request"], e["source"], e["accepted"]) for e in decided] == [
        ("unknown", "mqtt", False),
        ("nudge_speed", "mqtt", False),
        ("start", "mqtt", False),
        ("unknown", "mqtt", False),
    ]
    reasons = [str(e["reason"]) for e in decided]
    assert "JSON" in reasons[0] and "allow_nudge" in reasons[1] and "allow_start" in reasons[2]
    assert "unknown command" in reasons[3]
    assert all(str(e["wall"]).endswith("Z") for e in decided)


async def test_stale_retained_state_and_availability_are_replaced_on_start(
    broker: TestBroker,
) -> None:
    # What a killed process (or one whose will never fired) leaves behind.
    async with aiomqtt.Client(broker.host, broker.port) as client:
        await client.publish("treadctl/stale/state", b'{"state": "running"}', retain=True, qos=1)
        await client.publish("treadctl/stale/availability", b"online", retain=True, qos=1)
    attachment = _attach(EventBus(), FakeControls(), _config(broker), "stale")
    try:
        await _until(lambda: attachment.connections >= 1)  # a stale "online" does not block it
        await asyncio.sleep(0.3)
        async with subscriber(broker, "treadctl/stale/state") as viewer:
            await viewer.wait_for(lambda: viewer.json_on("treadctl/stale/state"))
            assert viewer.json_on("treadctl/stale/state")[-1]["state"] == "idle"
    finally:
        await attachment.aclose()


async def test_telemetry_older_than_a_few_seconds_is_dropped_after_an_outage(
    broker: TestBroker,
) -> None:
    _needs_mosquitto(broker, "restarting the broker under a connected client")
    bus = EventBus()
    attachment = _attach(bus, FakeControls(), _config(broker), "gap")
    try:
        await _until(lambda: attachment.connections >= 1)
        await asyncio.to_thread(broker.stop)
        for t_s in range(10):
            bus.publish(Telemetry(float(t_s), speed_kmh=1.0))
        await asyncio.sleep(MAX_TELEMETRY_AGE_S + 0.5)
        bus.publish(Telemetry(10.0, speed_kmh=1.5))
        await asyncio.to_thread(broker.start)
        async with subscriber(broker, "treadctl/gap/telemetry") as viewer:
            await _until(lambda: attachment.connections >= 2)
            await asyncio.sleep(0.5)
            bus.publish(Telemetry(11.0, speed_kmh=1.5))
            await viewer.wait_for(lambda: viewer.json_on("treadctl/gap/telemetry"))
            seen = [s["t_s"] for s in viewer.json_on("treadctl/gap/telemetry")]
    finally:
        await attachment.aclose()
    assert attachment._publisher is not None and attachment._publisher.stale_dropped >= 9
    assert all(t_s >= 10.0 for t_s in seen), seen  # never a burst of the past


def test_only_a_refused_connect_counts_as_a_refused_login() -> None:
    from aiomqtt.exceptions import MqttConnectError
    from paho.mqtt.packettypes import PacketTypes
    from paho.mqtt.reasoncodes import ReasonCode

    from treadctl.mqtt.publisher import permanent_failure

    assert permanent_failure(MqttConnectError(5)) is not None
    bad_login = ReasonCode(PacketTypes.CONNACK, identifier=134)
    assert permanent_failure(MqttConnectError(bad_login)) is not None
    # a publish while the connection is down: rc 4 is "not connected", retried
    assert permanent_failure(aiomqtt.MqttCodeError(4, "not connected")) is None
    assert permanent_failure(aiomqtt.MqttError("[Errno 111] Connection refused")) is None


def test_reconnection_backoff_stays_short() -> None:
    delays = Backoff().delays_s()
    first = [next(delays) for _ in range(20)]
    assert first[0] <= 0.6 and max(first) <= 5.0 * 1.2


async def test_a_refused_login_is_one_line_and_no_retry(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with TestBroker(tmp_path, users={"walker": "right"}) as secured:
        _needs_mosquitto(secured, "a broker with a password file")
        bus = EventBus()
        config = _config(secured, username="walker", password="wrong")
        attachment = _attach(bus, FakeControls(), config, "pw")
        await _until(lambda: not attachment._thread.is_alive(), 10.0)  # gave up, did not loop
        for t_s in range(100):
            bus.publish(Telemetry(float(t_s), 1.0))  # the session runs on
        await attachment.aclose()
    assert attachment.connections == 0
    err = capsys.readouterr().err
    assert err.count("refused treadctl's login") == 1, err
    assert "MQTT is off for this session" in err and "Traceback" not in err


async def test_a_tls_mismatch_is_one_line_and_no_retry(
    broker: TestBroker, capsys: pytest.CaptureFixture[str]
) -> None:
    _needs_mosquitto(broker, "a broker that drops a TLS hello on its plain port")
    attachment = _attach(EventBus(), FakeControls(), _config(broker, tls=True), "tls")
    await _until(lambda: not attachment._thread.is_alive(), 10.0)
    await attachment.aclose()
    err = capsys.readouterr().err
    assert err.count("TLS handshake with the MQTT broker failed") == 1, err
    assert "check tls, port and ca_file" in err


# --- two processes -----------------------------------------------------------------------------

CHILD = """
import asyncio, json, sys
from treadctl.controls import RequestResult
from treadctl.events import EventBus
from treadctl.mqtt.attach import attach_mqtt
from treadctl.mqtt.config import MqttConfig

class Controls:
    def request(self, request):
        return RequestResult(True)

async def main():
    config = MqttConfig.model_validate_json(sys.argv[1])
    attachment = attach_mqtt(EventBus(), Controls(), config, "lane-1")
    for _ in range(int(float(sys.argv[2]) * 20)):
        if attachment.connections:
            print("connected", flush=True)
            break
        await asyncio.sleep(0.05)
    await asyncio.sleep(float(sys.argv[2]))
    publisher = attachment._publisher
    print(json.dumps({"connections": attachment.connections}), flush=True)
    await attachment.aclose()

asyncio.run(main())
"""


def _child(config: MqttConfig, seconds: float) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", CHILD, config.model_dump_json(), str(seconds)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _last_json(out: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(out.strip().splitlines()[-1])
    return result


def test_two_processes_never_knock_each_other_off_and_a_live_prefix_is_reported(
    broker: TestBroker,
) -> None:
    config = _config(broker, client_id="clinic-pc")  # the same configured identity for all
    first = _child(config, 6.0)
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "connected"
    same_prefix = _child(config, 2.0)  # the same device: the same topic prefix
    other_prefix = _child(config.model_copy(update={"topic_prefix": "clinic/lane-2"}), 2.0)
    out_same, err_same = same_prefix.communicate(timeout=30)
    out_other, _ = other_prefix.communicate(timeout=30)
    out_first, _ = first.communicate(timeout=30)
    assert "is in use by another live session" in err_same
    assert err_same.count("is in use by another live session") == 1
    assert _last_json(out_same)["connections"] == 0  # it published nothing
    assert _last_json(out_other)["connections"] == 1
    # The first session stayed connected the whole time: nobody took its identity.
    assert _last_json(out_first)["connections"] == 1


def test_each_process_has_its_own_client_identity() -> None:
    assert process_client_id(None, "AA:BB") != process_client_id(None, "AA:CC")
    assert process_client_id(None, "AA:BB").endswith(f"-{os.getpid()}")
    assert process_client_id("clinic-pc", "x") == f"clinic-pc-{os.getpid()}"
