"""Global options work in any position, for every command (safety core, contract point 9).

``treadctl --config strict.toml run …`` used to drop the whole file: each sub-command's own copy of
``--config`` reset the value to its default. A physiotherapist's backward cap then became the
built-in one with exit 0 and no warning. Checked here for every command and both positions, and
end to end: the strict file's backward cap is what the belt is driven to.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from treadctl.cli import COMMAND_MODULES, build_parser, main

# The smallest valid argument list after each command's name (its sub-action, a file, ...).
ARGS: dict[str, list[str]] = {
    "run": ["retro-10", "--simulate"],
    "profile": ["list"],
    "scan": ["--simulate"],
    "probe": ["--simulate"],
    "devices": [],
    "sim": [],
    "history": [],
    "export": ["last"],
    "progress": [],
    "config": ["show"],
    "ftms": ["decode", "treadmill-data", "00"],
    "hr": ["suggest", "--age", "70"],
    "prescription": ["show"],
    "report": [],
    "clinic": [],
    "completion": ["bash"],
}


def test_every_command_is_covered() -> None:
    assert set(ARGS) == set(COMMAND_MODULES)


@pytest.mark.parametrize("command", sorted(ARGS))
@pytest.mark.parametrize("position", ["before", "after"])
def test_config_is_kept_in_either_position(command: str, position: str) -> None:
    parser = build_parser()
    rest = ARGS[command]
    if position == "before":
        argv = ["--config", "strict.toml", command, *rest]
    else:
        argv = [command, *rest, "--config", "strict.toml"]
    args = parser.parse_args(argv)
    assert args.config == "strict.toml"


@pytest.mark.parametrize("command", sorted(ARGS))
def test_the_later_config_wins_when_given_twice(command: str) -> None:
    args = build_parser().parse_args(
        ["--config", "first.toml", command, *ARGS[command], "--config", "second.toml"]
    )
    assert args.config == "second.toml"


STRICT = """
[safety]
max_backward_speed_kmh = 1.0
turn_speed_kmh = 0.8
"""


@pytest.mark.parametrize("position", ["before", "after"])
def test_a_strict_config_before_or_after_run_caps_the_backward_belt(
    tmp_path: Path, position: str, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "strict.toml"
    config.write_text(STRICT, encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    run = ["run", "retro-10", "--simulate", "--fast", "--headless", "--audit", str(audit)]
    flag = ["--config", str(config)]
    argv = [*flag, *run] if position == "before" else [*run, *flag]
    assert main(argv) == 0
    events = [json.loads(line) for line in audit.read_text(encoding="utf-8").splitlines()]
    clamps = [e for e in events if e["kind"] == "clamp" and e["field"] == "speed"]
    assert clamps and all(e["sent"] <= 1.0 + 1e-9 for e in clamps)
    backward = False
    speeds: list[float] = []
    for event in events:
        if event["kind"] == "bout":
            backward = event["direction"] == "backward"
        if backward and event["kind"] == "command" and event["op"] == "set_speed":
            speeds.append(event["speed_kmh"])
    assert speeds and max(speeds) <= 1.0 + 1e-9
    capsys.readouterr()
