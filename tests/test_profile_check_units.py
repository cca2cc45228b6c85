"""`profile check` in the user's units: the device line, the caps and the clamps."""

from __future__ import annotations

from pathlib import Path

import pytest

from treadctl.cli import main

FAST = 'name = "Fast"\n[[steps]]\ndirection = "backward"\nduration = "1m"\nspeed = 6.0\n'


@pytest.mark.parametrize(
    ("config", "device", "caps", "clamp"),
    [
        (
            "",
            "speed 0.5-16 km/h step 0.1",
            "caps: forward 8 km/h / 10 %, backward 4 km/h / 6 %",
            "cap 4.0 km/h",
        ),
        (
            '[display]\nunits = "mph"\n[safety]\nmax_speed_mph = 5\nmax_backward_speed_mph = 2\n',
            "speed 0.3-9.9 mph step 0.06",
            "caps: forward 5 mph / 10 %, backward 2 mph / 6 %",
            "backward speed cap 2 mph",
        ),
    ],
)
def test_check_follows_units(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    config: str,
    device: str,
    caps: str,
    clamp: str,
) -> None:
    profile = tmp_path / "fast.toml"
    profile.write_text(FAST)
    config_path = tmp_path / "config.toml"
    config_path.write_text(config)
    assert main(["profile", "check", str(profile), "--simulate", "--config", str(config_path)]) == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    device_line = next(line for line in lines if line.startswith("  device:"))
    assert device in device_line
    assert caps in out
    assert clamp in out
    if "mph" in config:
        assert "km/h" not in out
