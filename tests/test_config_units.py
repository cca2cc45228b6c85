"""Caps in either unit, and `[display] units` with the older top-level `units` as its alias."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl.config import load_config
from treadctl.errors import ConfigError


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_caps_in_mph_become_kmh(tmp_path: Path) -> None:
    path = _write(tmp_path, "[safety]\nmax_speed_mph = 5\nmax_backward_speed_mph = 2\n")
    loaded = load_config(path)
    assert loaded.config.safety.max_speed_kmh == pytest.approx(8.047, abs=1e-3)
    assert loaded.config.safety.max_backward_speed_kmh == pytest.approx(3.219, abs=1e-3)
    assert loaded.sources["safety.max_speed_kmh"] == str(path)


def test_both_units_for_one_cap_is_a_located_error(tmp_path: Path) -> None:
    path = _write(tmp_path, "[safety]\nmax_speed_kmh = 6\nmax_speed_mph = 4\n")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert str(caught.value).startswith(f"{path}:3: safety.max_speed_mph: give either")


@given(st.floats(min_value=0.5, max_value=12.0))
def test_an_mph_cap_equals_the_kmh_cap(speed_mph: float) -> None:
    from treadctl.safety_config import SafetyConfig

    in_mph = SafetyConfig.model_validate(
        {"max_speed_mph": speed_mph, "max_backward_speed_kmh": 0.5, "turn_speed_kmh": 0.5}
    )
    assert in_mph.max_speed_kmh == pytest.approx(speed_mph * 1.609344, abs=1e-3)


def test_display_units_and_the_old_alias(tmp_path: Path) -> None:
    assert load_config(_write(tmp_path, '[display]\nunits = "mph"\n')).config.units == "mph"
    old = load_config(_write(tmp_path, 'units = "mph"\n')).config
    assert old.units == "mph" and old.display.units == "mph"
    same = load_config(_write(tmp_path, 'units = "mph"\n[display]\nunits = "mph"\n')).config
    assert same.units == "mph"
    with pytest.raises(ConfigError, match=r":1: units: says 'kmh' but \[display\] units"):
        load_config(_write(tmp_path, 'units = "kmh"\n[display]\nunits = "mph"\n'))
