"""MQTT against a real broker (mosquitto if installed, else embedded amqtt) on 127.0.0.1.

The code under test runs its MQTT client on its own thread (as in a session); the test's loop plays
the engine: it publishes events on the bus and answers requests through fake controls.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import aiomqtt
import pytest

from tests.mqtt_broker import TestBroker
from treadctl.controls import Request, RequestKind, RequestResult
from treadctl.direction import Direction
from treadctl.events import (
    BoutStarted,
    EndStatus,
    EventBus,
    PhaseChanged,
    PhaseName,
    SessionEnded,
    SessionSummary,
    Telemetry,
)
from treadctl.mqtt.attach import MqttAttachment, attach_mqtt
from treadctl.mqtt.config import MqttCommandsConfig, MqttConfig
from treadctl.mqtt.publisher import Backoff

pytestmark = pytest.mark.timeout(60)

WAIT_S = 8.0
FAST_BACKOFF = Backoff(initial_s=0.05, max_s=0.3)
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[TestBroker]:
    with TestBroker(tmp_path) as running:
        yield running


class Subscriber:
    """A viewer: collects every message on its filters."""

    def __init__(self, client: aiomqtt.Client) -> None:
        self.client = client
        self.messages: list[aiomqtt.Message] = []
        self._arrived = asyncio.Event()

    async def collect(self) -> None:
        async for message in self.client.messages:
            self.messages.append(message)
            self._arrived.set()

    def on(self, topic: str) -> list[aiomqtt.Message]:
        return [m for m in self.messages if m.topic.matches(topic)]

    def json_on(self, topic: str) -> list[Any]:
        return [json.loads(_bytes(m)) for m in self.on(topic) if _bytes(m)]

    async def wait_for(self, predicate: Callable[[], Any], timeout_s: float = WAIT_S) -> Any:
        deadline = asyncio.get_running_loop().time() + timeout_s
        while not (result := predicate()):
            remaining_s = deadline - asyncio.get_running_loop().time()
            if remaining_s <= 0:
                topics = [str(m.topic) for m in self.messages]
                raise AssertionError(f"timed out; saw {len(topics)} messages: {topics[-20:]}")
            self._arrived.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), min(remaining_s, 0.1))
        return result


def _bytes(message: aiomqtt.Message) -> bytes:
    return message.payload if isinstance(message.payload, bytes) else str(message.payload).encode()


async def _subscriber(broker: TestBroker, *filters: str) -> AsyncIterator[Subscriber]:
    async with aiomqtt.Client(broker.host, broker.port, identifier=None) as client:
        for topic_filter in filters:
            await client.subscribe(topic_filter, qos=1)
        viewer = Subscriber(client)
        task = asyncio.create_task(viewer.collect())
        try:
            yield viewer
        finally:
            task.cancel()
            await asyncio.gather(task, return_exceptions=True)


subscriber = contextlib.asynccontextmanager(_subscriber)


class FakeControls:
    """Stands in for the session: records requests, answers with ``answer``; checks it is
    called on the engine's own thread (the test's loop)."""

    def __init__(self, answer: RequestResult | None = None) -> None:
        self.answer = answer or RequestResult(True)
        self.requests: list[Request] = []
        self.thread_ok = True
        self._loop = asyncio.get_running_loop()

    def request(self, request: Request) -> RequestResult:
        try:
            self.thread_ok &= asyncio.get_running_loop() is self._loop
        except RuntimeError:
            self.thread_ok = False
        self.requests.append(request)
        return self.answer


def _config(broker: TestBroker, **overrides: Any) -> MqttConfig:
    return MqttConfig(host=broker.host, port=broker.port, **overrides)


def _attach(
    bus: EventBus, controls: FakeControls, config: MqttConfig, device_id: str
) -> MqttAttachment:
    attachment = attach_mqtt(bus, controls, config, device_id, backoff=FAST_BACKOFF)
    assert attachment is not None
    return attachment


def _bout(t_s: float, index: int, direction: Direction) -> BoutStarted:
    return BoutStarted(t_s, index, 3, f"bout {index + 1}", direction, 30.0, 1.5, 0.0)


def _summary() -> SessionSummary:
    return SessionSummary("retro-30", 90.0, 60.0, 30.0, 41.0, 6.5, 3, 3)


def _json(message: aiomqtt.Message) -> Any:
    return json.loads(_bytes(message))


# --- publishing ------------------------------------------------------------------------------


async def test_topics_payloads_and_one_hertz_telemetry(broker: TestBroker) -> None:
    bus = EventBus()
    async with subscriber(broker, "treadctl/#") as viewer:
        attachment = _attach(bus, FakeControls(), _config(broker), "Lane 1")
        await viewer.wait_for(lambda: viewer.on("treadctl/lane_1/availability"))
        bus.publish(_bout(0.0, 0, Direction.BACKWARD))
        bus.publish(PhaseChanged(0.0, PhaseName.RAMP, 0))
        for step in range(31):  # 3 s of session time at 10 Hz
            t_s = step / 10
            bus.publish(
                Telemetry(
                    t_s,
                    speed_kmh=1.5,
                    incline_pct=1.0,
                    distance_m=t_s * 0.4,
                    energy_kcal=t_s / 10,
                    heart_rate_bpm=95,
                )
            )
        bus.publish(PhaseChanged(3.0, PhaseName.TURN, 0, duration_s=5.0, remaining_s=5.0))
        bus.publish(SessionEnded(3.5, EndStatus.COMPLETED, "done", _summary()))
        await viewer.wait_for(
            lambda: (
                viewer.json_on("treadctl/lane_1/event")[-1:]
                and viewer.json_on("treadctl/lane_1/event")[-1]["kind"] == "end"
            )
        )
        await attachment.aclose()
        await viewer.wait_for(
            lambda: _bytes(viewer.on("treadctl/lane_1/availability")[-1]) == b"offline"
        )

    assert [_bytes(m) for m in viewer.on("treadctl/lane_1/availability")] == [b"online", b"offline"]
    samples = viewer.json_on("treadctl/lane_1/telemetry")
    assert [s["t_s"] for s in samples] == [0.0, 1.0, 2.0, 3.0]  # one per session second
    last = samples[-1]
    assert last["speed_kmh"] == 1.5 and last["incline_pct"] == 1.0
    assert last["distance_m"] == pytest.approx(1.2) and last["energy_kcal"] == pytest.approx(0.3)
    assert last["heart_rate_bpm"] == 95 and last["bout"] == 1
    assert last["direction"] == "backward" and last["remaining_s"] == pytest.approx(27.0)
    events = viewer.json_on("treadctl/lane_1/event")
    assert [e["kind"] for e in events] == ["bout", "phase", "phase", "end"]
    assert events[2]["name"] == "turn"
    assert events[3]["summary"]["distance_m"] == 41.0
    # The state is "latest wins" (a pending one is replaced), so only the last is certain.
    states = viewer.json_on("treadctl/lane_1/state")
    assert states[-1]["state"] == "ended" and states[-1]["end_status"] == "completed"


async def _running_state(broker: TestBroker, topic_filter: str) -> Subscriber:
    async with subscriber(broker, topic_filter) as viewer:
        await viewer.wait_for(
            lambda: [s for s in viewer.json_on("treadctl/sim-2/state") if s["state"] == "running"]
        )
        return viewer


async def test_state_and_availability_are_retained(broker: TestBroker) -> None:
    bus = EventBus()
    attachment = _attach(bus, FakeControls(), _config(broker), "sim-2")
    bus.publish(_bout(0.0, 1, Direction.FORWARD))
    bus.publish(PhaseChanged(0.5, PhaseName.STEADY, 1))
    try:
        await _running_state(broker, "treadctl/sim-2/#")  # the controller has published it
        # A viewer arriving now gets the state and "online" at once, from the broker's store.
        late = await _running_state(broker, "treadctl/sim-2/#")
    finally:
        await attachment.aclose()
    state = late.on("treadctl/sim-2/state")
    assert len(state) == 1 and state[0].retain
    assert _json(state[0])["bout"] == 2 and _json(state[0])["direction"] == "forward"
    availability = late.on("treadctl/sim-2/availability")
    assert len(availability) == 1 and availability[0].retain
    assert _bytes(availability[0]) == b"online"


async def test_last_will_marks_a_crashed_controller_offline(
    broker: TestBroker, tmp_path: Path
) -> None:
    script = tmp_path / "controller.py"
    script.write_text(
        "import asyncio, sys\n"
        "from treadctl.controls import RequestResult\n"
        "from treadctl.events import EventBus\n"
        "from treadctl.mqtt.attach import attach_mqtt\n"
        "from treadctl.mqtt.config import MqttConfig\n"
        "class C:\n"
        "    def request(self, r): return RequestResult(True)\n"
        "async def main():\n"
        f"    cfg = MqttConfig(host='{broker.host}', port={broker.port}, keepalive_s=5)\n"
        "    attach_mqtt(EventBus(), C(), cfg, 'crashy')\n"
        "    await asyncio.sleep(60)\n"
        "asyncio.run(main())\n"
    )
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    async with subscriber(broker, "treadctl/crashy/availability") as viewer:
        process = subprocess.Popen([sys.executable, str(script)], env=env)
        try:
            await viewer.wait_for(lambda: viewer.on("treadctl/crashy/availability"))
            assert _bytes(viewer.on("treadctl/crashy/availability")[0]) == b"online"
            process.send_signal(signal.SIGKILL)  # no chance to say goodbye
            await viewer.wait_for(lambda: len(viewer.on("treadctl/crashy/availability")) >= 2)
        finally:
            process.kill()
            process.wait()
    assert _bytes(viewer.on("treadctl/crashy/availability")[-1]) == b"offline"


async def test_home_assistant_discovery(broker: TestBroker) -> None:
    bus = EventBus()
    config = _config(broker, commands=MqttCommandsConfig(enabled=True))
    async with subscriber(broker, "homeassistant/#") as viewer:
        attachment = _attach(bus, FakeControls(), config, "lane-3")
        try:
            await viewer.wait_for(lambda: viewer.on("homeassistant/button/lane-3/resume/config"))
        finally:
            await attachment.aclose()
    configs = {str(m.topic): m for m in viewer.messages}
    async with subscriber(broker, "homeassistant/sensor/lane-3/speed/config") as late:
        await late.wait_for(lambda: late.messages)  # retained: Home Assistant may start later
    assert late.messages[0].retain
    sensors = {t.split("/")[3] for t in configs if t.startswith("homeassistant/sensor/lane-3/")}
    assert {
        "speed",
        "incline",
        "distance",
        "energy",
        "heart_rate",
        "bout",
        "direction",
        "remaining",
        "state",
    } <= sensors
    stop = _json(configs["homeassistant/button/lane-3/stop/config"])
    assert stop["command_topic"] == "treadctl/lane-3/command"
    assert stop["device"]["identifiers"] == ["treadctl_lane-3"]


# --- commands ----------------------------------------------------------------------------------


async def _command_round(
    broker: TestBroker,
    commands: MqttCommandsConfig,
    payloads: list[bytes],
    controls: FakeControls,
    *,
    expect_answers: bool = True,
    retain: bool = False,
) -> list[Any]:
    bus = EventBus()
    attachment = _attach(bus, controls, _config(broker, commands=commands), "cmd")
    try:
        async with subscriber(broker, "treadctl/cmd/#") as viewer:
            await viewer.wait_for(lambda: viewer.on("treadctl/cmd/availability"))
            await asyncio.sleep(0.2)  # the command subscription follows "online"
            for payload in payloads:
                await viewer.client.publish("treadctl/cmd/command", payload, qos=1, retain=retain)
            if expect_answers:
                await viewer.wait_for(
                    lambda: len(viewer.on("treadctl/cmd/response")) >= len(payloads)
                )
            else:
                await asyncio.sleep(1.0)
            return viewer.json_on("treadctl/cmd/response")
    finally:
        await attachment.aclose()


async def test_accepted_commands_reach_the_session_as_mqtt_requests(broker: TestBroker) -> None:
    controls = FakeControls()
    answers = await _command_round(
        broker,
        MqttCommandsConfig(enabled=True, allow_start=True),
        [b'{"command": "pause", "id": "a"}', b"resume", b'{"command": "stop", "id": "c"}'],
        controls,
    )
    # A stop may overtake commands still waiting (stops go first), so compare as sets.
    assert sorted(r.kind for r in controls.requests) == sorted(
        [RequestKind.PAUSE, RequestKind.RESUME, RequestKind.STOP]
    )
    assert all(r.source == "mqtt" for r in controls.requests)
    assert controls.thread_ok  # answered on the engine's loop, not the MQTT thread
    assert sorted((str(a["id"]), a["command"], a["accepted"]) for a in answers) == [
        ("None", "resume", True),
        ("a", "pause", True),
        ("c", "stop", True),
    ]


async def test_nudges_pass_to_the_supervisor_which_may_refuse(broker: TestBroker) -> None:
    controls = FakeControls(RequestResult(False, "at the backward speed cap"))
    answers = await _command_round(
        broker,
        MqttCommandsConfig(enabled=True, allow_nudge=True),
        [b'{"command": "nudge_speed", "value": 0.5}'],
        controls,
    )
    assert controls.requests == [Request(RequestKind.NUDGE_SPEED, 0.5, source="mqtt")]
    assert answers == [
        {
            "id": None,
            "command": "nudge_speed",
            "accepted": False,
            "reason": "at the backward speed cap",
        }
    ]


async def test_invalid_and_disabled_commands_are_answered_and_never_reach_the_session(
    broker: TestBroker,
) -> None:
    controls = FakeControls()
    payloads = [
        b"{not json",
        b'{"command": "self_destruct"}',
        b'{"command": "nudge_speed", "value": 9}',
        b'{"command": "nudge_speed", "value": 0.1}',
        b"start",
        b"stop",
    ]
    answers = await _command_round(broker, MqttCommandsConfig(enabled=True), payloads, controls)
    assert [r.kind for r in controls.requests] == [RequestKind.STOP]  # only the valid one
    # The stop may overtake the others (stops go first); the rest keep their order.
    (stop,) = [a for a in answers if a["command"] == "stop"]
    assert stop["accepted"] is True
    rest = [a for a in answers if a is not stop]
    assert [a["accepted"] for a in rest] == [False] * 5
    reasons = [a["reason"] for a in rest]
    assert "JSON" in reasons[0] and "unknown command" in reasons[1]
    assert "not enabled" in reasons[2] and "allow_nudge" in reasons[3]
    assert "allow_start" in reasons[4]


async def test_out_of_range_nudge_is_rejected(broker: TestBroker) -> None:
    controls = FakeControls()
    answers = await _command_round(
        broker,
        MqttCommandsConfig(enabled=True, allow_nudge=True),
        [b'{"command": "nudge_incline", "value": 40}'],
        controls,
    )
    assert controls.requests == []
    assert answers[0]["accepted"] is False and "within" in answers[0]["reason"]


async def test_commands_off_means_not_even_listening(broker: TestBroker) -> None:
    controls = FakeControls()
    answers = await _command_round(
        broker, MqttCommandsConfig(enabled=False), [b"stop"], controls, expect_answers=False
    )
    assert controls.requests == [] and answers == []


async def test_retained_command_on_the_broker_is_never_acted_on(broker: TestBroker) -> None:
    # Someone left a retained "start" on the command topic; a controller connecting later must
    # not start the belt (the broker replays retained messages on every subscribe).
    async with aiomqtt.Client(broker.host, broker.port) as client:
        await client.publish("treadctl/cmd/command", b"start", retain=True, qos=1)
    controls = FakeControls()
    bus = EventBus()
    config = _config(broker, commands=MqttCommandsConfig(enabled=True, allow_start=True))
    async with subscriber(broker, "treadctl/cmd/response") as viewer:
        attachment = _attach(bus, controls, config, "cmd")
        try:
            await viewer.wait_for(lambda: viewer.on("treadctl/cmd/response"))
        finally:
            await attachment.aclose()
    assert controls.requests == []
    answer = viewer.json_on("treadctl/cmd/response")[0]
    assert answer["accepted"] is False and "retain" in answer["reason"]


# --- reliability -------------------------------------------------------------------------------


def _timed_publish(bus: EventBus, event: Any, worst_s: list[float]) -> None:
    start = time.perf_counter()
    bus.publish(event)
    worst_s[0] = max(worst_s[0], time.perf_counter() - start)


async def test_broker_restart_mid_session(broker: TestBroker) -> None:
    bus = EventBus()
    worst_s = [0.0]
    attachment = _attach(bus, FakeControls(), _config(broker), "restart")
    try:
        async with subscriber(broker, "treadctl/restart/#") as viewer:
            await viewer.wait_for(lambda: viewer.on("treadctl/restart/availability"))
            _timed_publish(bus, _bout(0.0, 0, Direction.BACKWARD), worst_s)
            _timed_publish(bus, Telemetry(0.0, speed_kmh=1.0), worst_s)
            await viewer.wait_for(lambda: viewer.on("treadctl/restart/telemetry"))
        await asyncio.to_thread(broker.stop)
        # The session carries on while the broker is away: 2 bouts and 40 s of telemetry.
        for t_s in range(1, 41):
            _timed_publish(bus, Telemetry(float(t_s), speed_kmh=1.2), worst_s)
            if t_s == 20:
                _timed_publish(bus, _bout(20.0, 1, Direction.FORWARD), worst_s)
            await asyncio.sleep(0.005)
        assert len(attachment.outbox) <= 256
        await asyncio.to_thread(broker.start)
        async with subscriber(broker, "treadctl/restart/#") as viewer:
            await viewer.wait_for(lambda: viewer.json_on("treadctl/restart/event"))
            await viewer.wait_for(
                lambda: [
                    s for s in viewer.json_on("treadctl/restart/telemetry") if s["t_s"] == 40.0
                ]
            )
            # retained availability and state are back although the broker forgot them
            await viewer.wait_for(lambda: viewer.on("treadctl/restart/state"))
            assert _bytes(viewer.on("treadctl/restart/availability")[-1]) == b"online"
            assert viewer.json_on("treadctl/restart/state")[-1]["bout"] == 2
            # the event from the outage was kept and delivered after the reconnect
            bouts = [e["bout"] for e in viewer.json_on("treadctl/restart/event")]
            assert bouts == [2]
        assert attachment.connections >= 2
    finally:
        await attachment.aclose()
    assert worst_s[0] < 0.05, f"bus.publish took {worst_s[0] * 1000:.1f} ms"


async def test_absent_broker_never_blocks_the_session(tmp_path: Path) -> None:
    from tests.mqtt_broker import free_port

    bus = EventBus()
    config = MqttConfig(host="127.0.0.1", port=free_port())  # nothing listens there
    attachment = _attach(bus, FakeControls(), config, "lonely")
    worst_s = [0.0]
    for t_s in range(2000):
        _timed_publish(bus, Telemetry(t_s / 4, speed_kmh=1.0), worst_s)
    _timed_publish(bus, SessionEnded(500.0, EndStatus.COMPLETED, "done", _summary()), worst_s)
    start = time.perf_counter()
    await attachment.aclose(timeout_s=2.0)
    assert time.perf_counter() - start < 2.5
    assert worst_s[0] < 0.05
    assert len(attachment.outbox) <= 256
    kinds = [item.kind for item in attachment.outbox.snapshot()]
    assert "event" in kinds  # the end of the session is kept, telemetry made room


# --- a fleet ------------------------------------------------------------------------------------


async def test_fleet_of_treadmills_on_one_broker(broker: TestBroker) -> None:
    devices = [f"clinic-{n}" for n in range(1, 5)]
    buses = {device: EventBus() for device in devices}
    async with subscriber(broker, "treadctl/+/telemetry", "treadctl/+/availability") as viewer:
        attachments = [
            _attach(bus, FakeControls(), _config(broker), device) for device, bus in buses.items()
        ]
        try:
            await viewer.wait_for(lambda: len(viewer.on("treadctl/+/availability")) >= 4)
            for t_s in range(3):
                for n, bus in enumerate(buses.values()):
                    bus.publish(Telemetry(float(t_s), speed_kmh=1.0 + n / 10))
            await viewer.wait_for(lambda: len(viewer.on("treadctl/+/telemetry")) >= 12)
        finally:
            await asyncio.gather(*(a.aclose() for a in attachments))
    seen: dict[str, list[float]] = {}
    for message in viewer.on("treadctl/+/telemetry"):
        seen.setdefault(str(message.topic).split("/")[1], []).append(_json(message)["speed_kmh"])
    assert sorted(seen) == devices
    assert {device: set(speeds) for device, speeds in seen.items()} == {
        device: {round(1.0 + n / 10, 2)} for n, device in enumerate(devices)
    }
