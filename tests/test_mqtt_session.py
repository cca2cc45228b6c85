"""End to end: a simulated session published over MQTT, stopped by a command from MQTT.

The real engine, supervisor, FTMS client and simulator run on a real-time loop; a viewer on the
broker sees the session and presses "stop"; the simulated belt stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from pathlib import Path

import aiomqtt
import pytest

from simulators.bleak_backend import SimAir
from tests.mqtt_broker import TestBroker
from treadctl.controls import Request, RequestKind
from treadctl.events import CommandSent, EventBus, SafetyEvent, SessionEvent
from treadctl.mqtt.attach import attach_mqtt
from treadctl.mqtt.config import MqttCommandsConfig, MqttConfig
from treadctl.mqtt.publisher import Backoff
from treadctl.plan import build_plan
from treadctl.profile.loading import load_profile
from treadctl.safety_config import SafetyConfig
from treadctl.session.engine import Session, SessionOptions
from treadctl.simulated_link import simulated_link

pytestmark = pytest.mark.timeout(90)


async def _until(predicate: Callable[[], object], timeout_s: float = 20.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


async def test_stop_from_mqtt_stops_the_simulated_belt(tmp_path: Path) -> None:
    profile = load_profile("retro-10")
    safety = SafetyConfig()
    link, treadmill = simulated_link(sim_air=SimAir())
    plan = build_plan(profile.name, profile.expand(), safety)
    bus = EventBus()
    seen: list[SessionEvent] = []
    bus.subscribe(seen.append)
    session = Session(plan, link, bus, safety, SessionOptions(auto_confirm_turns=True))
    with TestBroker(tmp_path) as broker:
        config = MqttConfig(
            host=broker.host, port=broker.port, commands=MqttCommandsConfig(enabled=True)
        )
        attachment = attach_mqtt(bus, session, config, "sim-e2e", backoff=Backoff(0.05, 0.3))
        assert attachment is not None
        states: list[str] = []
        responses: list[dict[str, object]] = []
        telemetry: list[dict[str, object]] = []
        running = asyncio.create_task(session.run())
        async with aiomqtt.Client(broker.host, broker.port) as viewer:
            await viewer.subscribe("treadctl/sim-e2e/#", qos=1)

            async def collect() -> None:
                async for message in viewer.messages:
                    payload = message.payload
                    if not isinstance(payload, bytes) or not payload.startswith(b"{"):
                        continue
                    body = json.loads(payload)
                    if message.topic.matches("treadctl/sim-e2e/state"):
                        states.append(body["state"])
                    elif message.topic.matches("treadctl/sim-e2e/response"):
                        responses.append(body)
                    elif message.topic.matches("treadctl/sim-e2e/telemetry"):
                        telemetry.append(body)

            collector = asyncio.create_task(collect())
            try:
                # The viewer sees the session running and the belt moving, then presses stop.
                await _until(lambda: "running" in states and any(t["speed_kmh"] for t in telemetry))
                assert treadmill.belt_speed_kmh > 0
                await viewer.publish("treadctl/sim-e2e/command", b'{"command": "stop"}', qos=1)
                await _until(lambda: bool(responses))
                assert responses[0]["accepted"] is True
                await _until(lambda: treadmill.belt_speed_kmh == 0.0)
                await _until(lambda: states[-1] in ("fault", "paused"))
            finally:
                session.request(Request(RequestKind.QUIT, source="program"))
                with contextlib.suppress(asyncio.CancelledError):
                    await asyncio.wait_for(running, 15)
                await attachment.aclose()
                collector.cancel()
                await asyncio.gather(collector, return_exceptions=True)
    stops = [e for e in seen if isinstance(e, SafetyEvent) and e.reason == "walker_stop"]
    assert stops and "mqtt" in stops[0].message + str(stops[0])
    assert any(isinstance(e, CommandSent) and e.op == "stop" for e in seen)
