"""The user configuration: defaults, sources, validation with located errors."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from treadctl.config import Config, load_config
from treadctl.errors import ConfigError
from treadctl.paths import config_dir, default_config_path
from treadctl.safety_config import SafetyConfig


def test_defaults_are_gentle_for_a_backward_beginner() -> None:
    safety = SafetyConfig()
    assert safety.max_backward_speed_kmh <= 4.0
    assert safety.max_backward_speed_kmh < safety.max_speed_kmh
    assert safety.max_backward_acceleration_kmh_per_s < safety.max_acceleration_kmh_per_s
    assert safety.max_backward_incline_pct < safety.max_incline_pct
    assert 0 < safety.turn_speed_kmh <= safety.max_backward_speed_kmh
    assert safety.watchdog_s <= 5


def test_missing_default_file_gives_defaults_from_default_source(isolated_home: Path) -> None:
    loaded = load_config()
    assert loaded.path == isolated_home / "config" / "config.toml" == default_config_path()
    assert loaded.config == Config()
    assert set(loaded.sources.values()) == {"default"}
    assert "safety.max_backward_speed_kmh" in loaded.sources
    assert "mqtt.commands.enabled" in loaded.sources


def test_file_values_and_their_sources(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('units = "mph"\n[safety]\nmax_backward_speed_kmh = 3.0\n[mqtt]\nhost = "h"\n')
    loaded = load_config(path)
    assert loaded.config.units == "mph"
    assert loaded.config.safety.max_backward_speed_kmh == 3.0
    assert loaded.config.mqtt.host == "h"
    assert loaded.sources["safety.max_backward_speed_kmh"] == str(path)
    assert loaded.sources["safety.max_speed_kmh"] == "default"
    assert loaded.sources["units"] == str(path)


def test_explicit_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="not found"):
        load_config(tmp_path / "nope.toml")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("units = 'kmh'\n[safety]\nmax_sped_kmh = 3\n", ":3: safety.max_sped_kmh: unknown key"),
        ("[safety]\nmax_speed_kmh = 5\nmax_backward_speed_kmh = 6\n", ":3: safety.max_backward"),
        ("[safety]\nwatchdog_s = -1\n", ":2: safety.watchdog_s: must be more than 0 s"),
        ("units = 'furlongs'\n", ":1: units:"),
        ("[safety\n", ":1: invalid TOML"),
        ("[safety]\nturn_speed_kmh = 5.0\n", ":2: safety.turn_speed_kmh: must not be above"),
    ],
)
def test_bad_files_give_one_located_line(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    message = str(caught.value)
    assert message.startswith(str(path))
    assert expected in message
    assert "\n" not in message


def test_backward_caps_cannot_exceed_forward_caps() -> None:
    with pytest.raises(ValidationError):
        SafetyConfig(max_incline_pct=4.0, max_backward_incline_pct=5.0)
    with pytest.raises(ValidationError):
        SafetyConfig(max_acceleration_kmh_per_s=0.2, max_backward_acceleration_kmh_per_s=0.3)


def test_absurd_values_rejected() -> None:
    with pytest.raises(ValidationError):
        SafetyConfig(max_speed_kmh=80)
    with pytest.raises(ValidationError):
        SafetyConfig(watchdog_s=60)


def test_home_env_moves_every_folder(isolated_home: Path) -> None:
    from treadctl.paths import data_dir, user_profiles_dir

    assert config_dir() == isolated_home / "config"
    assert data_dir() == isolated_home / "data"
    assert user_profiles_dir() == isolated_home / "profiles"


def test_shipped_profiles_found_from_the_source_tree() -> None:
    from treadctl.paths import shipped_profiles_dir

    assert (shipped_profiles_dir() / "alternating-30.toml").is_file()
