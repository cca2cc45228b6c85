"""The clinic view against several real simulated sessions on a real broker.

Three walkers (alice, bob, carol) each run ``treadctl --person NAME run retro-10 --simulate
--headless`` as a real child process in real time, publishing to one broker (alice and carol
under a topic prefix of their own, bob under a dry run's default, which names him). The clinic
app (Textual's pilot) must list all three with person, profile, bout, direction and speed. Its
Stop for alice goes through alice's own remote-command rules (commands on: accepted, her belt
stops and her row becomes an alarm, first). Carol has remote commands off, so her treadmill does
not listen: the clinic says the stop went unanswered, loudly, while her belt keeps going.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.mqtt_broker import TestBroker
from treadctl.mqtt.config import MqttConfig
from treadctl.mqtt.topics import topic_id
from treadctl.tui.clinic_app import ClinicApp

pytestmark = pytest.mark.timeout(120)

PEOPLE = {"alice": True, "bob": True, "carol": False}  # name -> remote commands on


def _treadmill_id(person: str) -> str:
    """bob keeps the default topic of a dry run (the host name and his name); the others set one."""
    if person == "bob":
        return topic_id(f"simulator-{socket.gethostname()}-bob")
    return f"{person}-treadmill"


def _write_config(home: Path, person: str, port: int, commands: bool) -> None:
    folder = home / "data" / "people" / person
    folder.mkdir(parents=True, exist_ok=True)
    own_topic = (
        ""
        if person == "bob"
        else f'topic_prefix = "treadctl/{person}-treadmill"\nclient_id = "treadctl-{person}"\n'
    )
    (folder / "config.toml").write_text(
        "[mqtt]\n"
        'host = "127.0.0.1"\n'
        f"port = {port}\n"
        f"{own_topic}"
        "discovery = false\n"
        "[mqtt.commands]\n"
        f"enabled = {'true' if commands else 'false'}\n",
        encoding="utf-8",
    )


def _command() -> list[str]:
    script = Path(sys.executable).with_name("treadctl")
    return [str(script)] if script.exists() else [sys.executable, "-m", "treadctl"]


@pytest.fixture
def sessions(tmp_path: Path) -> Iterator[tuple[TestBroker, dict[str, subprocess.Popen[bytes]]]]:
    home = tmp_path / "home"
    with TestBroker(tmp_path) as broker:
        env = {**os.environ, "TREADCTL_HOME": str(home)}
        running: dict[str, subprocess.Popen[bytes]] = {}
        try:
            for person, commands in PEOPLE.items():
                _write_config(home, person, broker.port, commands)
                running[person] = subprocess.Popen(
                    [
                        *_command(),
                        "--person",
                        person,
                        "run",
                        "retro-10",
                        "--simulate",
                        "--headless",
                    ],
                    env=env,
                    stdout=subprocess.DEVNULL,
                    stderr=(tmp_path / f"{person}.log").open("wb"),
                )
            yield broker, running
        finally:
            for process in running.values():
                if process.poll() is None:
                    process.send_signal(signal.SIGTERM)
            for process in running.values():
                try:
                    process.wait(20)
                except subprocess.TimeoutExpired:
                    process.kill()
                    process.wait(5)


async def _until(predicate: Callable[[], object], timeout_s: float = 40.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.1)


async def test_clinic_follows_three_sessions_and_stops_one(
    sessions: tuple[TestBroker, dict[str, subprocess.Popen[bytes]]],
) -> None:
    broker, _ = sessions
    app = ClinicApp(MqttConfig(host=broker.host, port=broker.port))
    async with app.run_test(size=(160, 30)) as pilot:
        board = app.board

        def moving(person: str) -> bool:
            treadmill = board.treadmills.get(_treadmill_id(person))
            return bool(treadmill and treadmill.speed_kmh and treadmill.state == "running")

        await _until(lambda: all(moving(p) for p in PEOPLE))
        for person in PEOPLE:
            treadmill = board.treadmills[_treadmill_id(person)]
            assert treadmill.person == person
            assert treadmill.profile == "Retro 10"
            assert treadmill.bout is not None and treadmill.bout_count == 3
            assert treadmill.direction in ("forward", "backward")
            assert treadmill.online is True
        screen = app.screen_
        assert screen is not None
        screen.refresh_board()
        await pilot.pause()
        assert sorted(screen.order) == sorted(_treadmill_id(p) for p in PEOPLE)

        # Stop alice by her row number, as the physiotherapist would.
        number = screen.order.index("alice-treadmill") + 1
        await pilot.press(str(number))
        await _until(
            lambda: (board.treadmills["alice-treadmill"].last_response or "").startswith(
                "stop accepted"
            )
        )
        await _until(lambda: board.treadmills["alice-treadmill"].state in ("fault", "paused"))
        await _until(lambda: board.treadmills["alice-treadmill"].speed_kmh == 0.0)
        screen.refresh_board()
        await pilot.pause()
        assert screen.order[0] == "alice-treadmill"  # the alarm comes first
        banner = str(screen.query_one("#clinic-alarms").render())
        assert "alice" in banner and "ALARM" in banner

        # Carol's treadmill has remote commands off: it does not listen, so the stop goes
        # unanswered; the clinic says so, loudly, and her belt keeps going.
        carol = screen.order.index("carol-treadmill") + 1
        await pilot.press(str(carol))
        carol_row = board.treadmills["carol-treadmill"]
        assert carol_row.pending_command == "stop"
        await _until(
            lambda: (
                "not answered"
                in (screen.board.treadmills["carol-treadmill"].alarm_text(screen.clock()) or "")
            )
        )
        screen.refresh_board()
        await pilot.pause()
        assert "carol" in str(screen.query_one("#clinic-alarms").render())
        assert moving("carol") and moving("bob")
        assert board.treadmills[_treadmill_id("bob")].last_response is None  # nothing sent to bob
        await pilot.press("q")
