"""A real MQTT broker for the tests, on 127.0.0.1 and a free port.

mosquitto when it is installed (CI installs it), otherwise amqtt, a pure-Python broker, running on
its own thread and event loop so the code under test shares nothing with it but a TCP port. Either
can be stopped and started again on the same port, which is how the tests restart the broker in
the middle of a session. Neither keeps retained messages across a restart (no persistence), like
a broker that crashed.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"
START_TIMEOUT_S = 10.0


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _wait_listening(port: int, *, up: bool) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((HOST, port), timeout=0.2):
                if up:
                    return
        except OSError:
            if not up:
                return
        time.sleep(0.02)
    raise RuntimeError(f"broker on port {port} did not {'start' if up else 'stop'}")


class TestBroker:
    """Start with ``start()``; ``stop()`` and ``start()`` again to restart on the same port."""

    __test__ = False  # not a pytest test class

    def __init__(
        self, workdir: Path, kind: str | None = None, *, users: dict[str, str] | None = None
    ) -> None:
        """``users``: name -> password; anonymous clients are then refused (mosquitto only)."""
        self.kind = kind or ("mosquitto" if shutil.which("mosquitto") else "amqtt")
        self.users = users
        self.host = HOST
        self.port = free_port()
        self._workdir = workdir
        self._process: subprocess.Popen[bytes] | None = None
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._broker: Any = None

    def start(self) -> None:
        if self.kind == "mosquitto":
            self._start_mosquitto()
        else:
            self._start_amqtt()
        _wait_listening(self.port, up=True)

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait(5)
            self._process = None
        if self._loop is not None and self._thread is not None:
            future = asyncio.run_coroutine_threadsafe(self._broker.shutdown(), self._loop)
            future.result(10)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = self._thread = self._broker = None
        _wait_listening(self.port, up=False)

    def __enter__(self) -> TestBroker:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- mosquitto ----------------------------------------------------------------------------

    def _start_mosquitto(self) -> None:
        conf = self._workdir / "mosquitto.conf"
        auth = "allow_anonymous true\n"
        if self.users is not None:
            passwords = self._workdir / "mosquitto.passwd"
            passwords.write_text("")
            for user, password in self.users.items():
                subprocess.run(
                    ["mosquitto_passwd", "-b", str(passwords), user, password],
                    check=True,
                    capture_output=True,
                )
            auth = f"allow_anonymous false\npassword_file {passwords}\n"
            if os.geteuid() == 0:  # else mosquitto drops to its own user, who cannot read it
                auth += "user root\n"
        conf.write_text(f"listener {self.port} {HOST}\n{auth}persistence false\nlog_dest stderr\n")
        self._process = subprocess.Popen(
            ["mosquitto", "-c", str(conf)],
            stdout=subprocess.DEVNULL,
            stderr=(self._workdir / "mosquitto.log").open("ab"),
        )

    # --- amqtt ----------------------------------------------------------------------------------

    def _start_amqtt(self) -> None:
        from amqtt.broker import Broker

        # amqtt logs every readiness probe (a connect without CONNECT) as an error.
        logging.getLogger("amqtt").setLevel(logging.CRITICAL)
        loop = asyncio.new_event_loop()
        config = {
            "listeners": {"default": {"type": "tcp", "bind": f"{HOST}:{self.port}"}},
            "plugins": {
                "amqtt.plugins.authentication.AnonymousAuthPlugin": {"allow_anonymous": True}
            },
        }
        started = threading.Event()
        failure: list[BaseException] = []

        async def boot() -> None:
            try:
                self._broker = Broker(config, loop=loop)
                await self._broker.start()
            except BaseException as error:
                failure.append(error)
            finally:
                started.set()

        def main() -> None:
            asyncio.set_event_loop(loop)
            booting = loop.create_task(boot())
            loop.run_forever()
            booting.cancel()
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

        self._loop = loop
        self._thread = threading.Thread(target=main, name="amqtt-broker", daemon=True)
        self._thread.start()
        if not started.wait(START_TIMEOUT_S) or failure:
            raise RuntimeError(f"amqtt did not start: {failure}")
