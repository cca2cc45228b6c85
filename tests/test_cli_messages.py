"""Messages a new user meets, through the real `treadctl` program (child processes): "Did you
mean …?", JSON listings, deleting profiles, the help of `profile new`, ZWO import numbers."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from treadctl.paths import shipped_profiles_dir

REPO = Path(__file__).resolve().parent.parent


def treadctl(home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "treadctl", *args],
        capture_output=True,
        text=True,
        input=stdin,
        env={**os.environ, "TREADCTL_HOME": str(home), "PYTHONPATH": str(REPO)},
        cwd=REPO,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["hstory"], "Did you mean 'history'?"),
        (["profile", "lst"], "Did you mean 'list'?"),
        (["config", "pth"], "Did you mean 'path'?"),
        (["profile", "new", "x", "--shape", "blok"], "Did you mean 'block'?"),
    ],
)
def test_mistyped_commands(isolated_home: Path, argv: list[str], hint: str) -> None:
    result = treadctl(isolated_home, *argv)
    assert result.returncode == 2
    assert hint in result.stderr and "Traceback" not in result.stderr


def test_mistyped_profile_names(isolated_home: Path) -> None:
    result = treadctl(isolated_home, "profile", "show", "alternatng-30")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        "treadctl: no profile named 'alternatng-30'. Did you mean 'alternating-30'? "
        "See `treadctl profile list`."
    )
    far = treadctl(isolated_home, "run", "qqqq", "--simulate", "--headless")
    assert far.returncode == 2 and "Did you mean" not in far.stderr
    assert "no profile named 'qqqq'" in far.stderr


def test_profile_list_json(isolated_home: Path) -> None:
    result = treadctl(isolated_home, "profile", "list", "--json")
    assert result.returncode == 0
    body = json.loads(result.stdout)
    by_slug = {p["slug"]: p for p in body["profiles"]}
    shipped = {path.stem for path in shipped_profiles_dir().glob("*.toml")}
    assert shipped <= set(by_slug)
    entry = by_slug["alternating-30"]
    assert entry["origin"] == "shipped" and entry["valid"] and entry["duration_s"] == 1800
    assert {p["slug"] for p in body["programs"]} >= {"retro-start"}


@pytest.mark.parametrize("flag", ["--list-personalities", "--list-faults"])
def test_sim_lists_as_json(isolated_home: Path, flag: str) -> None:
    result = treadctl(isolated_home, "sim", flag, "--json")
    assert result.returncode == 0
    items = json.loads(result.stdout)
    assert items and all(set(item) == {"name", "description"} for item in items)
    text = treadctl(isolated_home, "sim", flag).stdout
    assert all(item["name"] in text for item in items)


def test_profile_delete(isolated_home: Path) -> None:
    assert treadctl(isolated_home, "profile", "copy", "retro-10", "Mine").returncode == 0
    mine = isolated_home / "profiles" / "mine.toml"
    asked = treadctl(isolated_home, "profile", "delete", "mine")  # no terminal to ask on
    assert asked.returncode == 2 and "--yes" in asked.stderr and mine.exists()
    done = treadctl(isolated_home, "profile", "delete", "mine", "--yes")
    assert done.returncode == 0 and not mine.exists()
    assert done.stdout.strip() == f"deleted {mine}"
    refused = treadctl(isolated_home, "profile", "delete", "retro-10", "--yes")
    assert refused.returncode == 2 and "shipped profile and cannot be deleted" in refused.stderr
    assert (shipped_profiles_dir() / "retro-10.toml").exists()


def test_deleting_a_copy_brings_back_the_shipped_one(isolated_home: Path) -> None:
    assert treadctl(isolated_home, "profile", "copy", "retro-10").returncode == 0
    done = treadctl(isolated_home, "profile", "delete", "retro-10", "-y")
    assert done.returncode == 0 and "the shipped retro-10 is used again" in done.stdout


def test_profile_new_help_shows_defaults_and_a_description(isolated_home: Path) -> None:
    text = " ".join(treadctl(isolated_home, "profile", "new", "--help").stdout.split())
    assert "warm-up, then ROUNDS rounds" in text
    for default in ("(default: 6)", "(default: 2m)", "(default: 4m)", "(default: alternating)"):
        assert default in text
    assert "1.3 km/h" in text and "0.8 mph" in text


ZWO = """<?xml version="1.0"?>
<workout_file>
  <name>Hills</name>
  <sportType>run</sportType>
  <workout>
    <SteadyState Duration="240" speed_kmh="3.04"/>
    <IntervalsT Repeat="3" OnDuration="60" OffDuration="90" OnSlope="4" OffSlope="0"/>
    <SteadyState Duration="120" Slope="2" pace="3"/>
  </workout>
</workout_file>
"""


def test_zwo_list_then_import(isolated_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "hills.zwo"
    source.write_text(ZWO)
    listed = treadctl(isolated_home, "profile", "import", str(source), "--list")
    assert listed.returncode == 0, listed.stderr
    rows = [line.split() for line in listed.stdout.splitlines()[2:-1]]
    assert [row[0] for row in rows] == [str(n) for n in range(1, 9)]
    assert rows[1][4] == "4.0%" and rows[2][4] == "0.0%"  # slope-only on / off
    assert not (isolated_home / "profiles").exists()  # --list writes nothing
    done = treadctl(isolated_home, "profile", "import", str(source), "--backward", "2,4,6")
    assert done.returncode == 0, done.stderr
    text = (isolated_home / "profiles" / "hills.toml").read_text()
    assert "repeat = 3" in text  # IntervalsT stays a repeat block
    shown = json.loads(treadctl(isolated_home, "profile", "show", "hills", "--json").stdout)
    timeline = shown["timeline"]
    assert [b["direction"] for b in timeline] == [
        "forward", "backward", "forward", "backward", "forward", "backward", "forward", "forward"
    ]  # fmt: skip
    assert timeline[0]["speed_kmh"] == 3.0  # rounded to 0.1 km/h
    assert [b["incline_pct"] for b in timeline[1:3]] == [4.0, 0.0]
    assert all(round(b["speed_kmh"], 1) == b["speed_kmh"] for b in timeline)


def test_zwo_rounds_marked_differently_are_unrolled(isolated_home: Path, tmp_path: Path) -> None:
    source = tmp_path / "hills.zwo"
    source.write_text(ZWO)
    done = treadctl(isolated_home, "profile", "import", str(source), "--backward", "2")
    assert done.returncode == 0, done.stderr
    shown = json.loads(treadctl(isolated_home, "profile", "show", "hills", "--json").stdout)
    directions = [b["direction"] for b in shown["timeline"]]
    assert directions.count("backward") == 1 and directions[1] == "backward"
    wrong = treadctl(isolated_home, "profile", "import", str(source), "--backward", "9")
    assert wrong.returncode == 2 and "--list" in wrong.stderr


def test_config_before_or_after_the_command(isolated_home: Path, tmp_path: Path) -> None:
    config = tmp_path / "mine.toml"
    config.write_text('[display]\nunits = "mph"\n')
    for argv in (
        ["--config", str(config), "config", "show"],
        ["config", "show", "--config", str(config)],
    ):
        shown = treadctl(isolated_home, *argv)
        assert shown.returncode == 0, shown.stderr
        assert f"# configuration file: {config}" in shown.stdout
        assert "display.units" in shown.stdout and '"mph"' in shown.stdout
    assert treadctl(isolated_home, "--config", str(config), "config", "path").stdout.strip() == str(
        config
    )
