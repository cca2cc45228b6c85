"""``treadctl clinic``: the clinic screen and its MQTT follower, on Textual's event loop.

The follower subscribes to every treadmill's topics under the root, folds each message into the
board and redraws; a lost broker is shown in the status line and retried every few seconds. This
process never runs a session, so sharing the UI's loop with the network is fine here.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
from typing import Any

import aiomqtt

from treadctl.mqtt.config import MqttConfig
from treadctl.mqtt.connection import connection_settings
from treadctl.tui.app import TreadctlApp
from treadctl.tui.clinic_model import Board
from treadctl.tui.clinic_screen import ClinicScreen, monotonic_s

RETRY_S = 2.0


class ClinicApp(TreadctlApp):
    def __init__(self, config: MqttConfig, root: str = "treadctl") -> None:
        super().__init__()
        settings = connection_settings(config, "clinic")
        # Its own client id, always: sharing a session's id would make the broker drop it.
        client_id = f"treadctl-clinic-{socket.gethostname()}-{os.getpid()}"
        self.settings = dataclasses.replace(settings, client_id=client_id)
        self.board = Board(root)
        self.client: aiomqtt.Client | None = None
        self.screen_: ClinicScreen | None = None

    def on_mount(self) -> None:
        self.screen_ = ClinicScreen(self.board, self._publish, monotonic_s)
        self.push_screen(self.screen_, lambda _: self.exit())
        self.run_worker(self._follow(), exclusive=True, name="mqtt-follow")
        self.set_interval(1.0, self._tick)

    def _tick(self) -> None:
        if self.screen_ is not None:
            self.screen_.refresh_board()

    def _make_client(self) -> aiomqtt.Client:
        s = self.settings
        tls = aiomqtt.TLSParameters(ca_certs=s.ca_file) if s.tls else None
        return aiomqtt.Client(
            s.host,
            s.port,
            username=s.username,
            password=s.password,
            identifier=s.client_id,
            keepalive=s.keepalive_s,
            timeout=s.timeout_s,
            tls_params=tls,
        )

    async def _follow(self) -> None:
        where = f"{self.settings.host}:{self.settings.port}"
        while True:
            try:
                async with self._make_client() as client:
                    self.client = client
                    for topic in self.board.subscriptions():
                        await client.subscribe(topic, qos=1)
                    self._status(f"following {self.board.root}/# on {where}")
                    async for message in client.messages:
                        payload = message.payload if isinstance(message.payload, bytes) else b""
                        if self.board.apply(str(message.topic), payload, monotonic_s()):
                            self._status(None)
            except aiomqtt.MqttError as error:
                self.client = None
                self._status(f"broker {where} unavailable ({error}); retrying")
            await asyncio.sleep(RETRY_S)

    def _status(self, text: str | None) -> None:
        if self.screen_ is None:
            return
        if text is None:
            self.screen_.refresh_board()
        else:
            self.screen_.set_status(text)

    async def _publish(self, topic: str, payload: bytes) -> None:
        if self.client is None:
            raise RuntimeError("not connected to the broker")
        await self.client.publish(topic, payload, qos=1, retain=False)

    async def action_quit(self) -> None:
        with contextlib.suppress(Exception):
            self.exit()


def run_clinic(config: MqttConfig, root: str = "treadctl") -> Any:
    return ClinicApp(config, root).run()
