"""Quirk presets, name detection, and DeviceLimits from published ranges (pure)."""

from __future__ import annotations

import pytest

from treadctl.ble.quirks import PRESETS, SPEC, DeviceQuirks, UnknownQuirk, combine, detect_quirks
from treadctl.ble.ranges import limits_from_ranges
from treadctl.ftms import InclineRange, SpeedRange
from treadctl.limits import DeviceLimits


def test_spec_has_no_quirks() -> None:
    assert DeviceQuirks() == SPEC
    assert SPEC.names() == ()


def test_combine_switches_on_each_preset() -> None:
    quirks = combine(["mph-range", " Start-Before-Speed ", "slow-response", ""])
    assert quirks.range_in_mph and quirks.start_before_speed
    assert quirks.response_timeout_s == PRESETS["slow-response"].response_timeout_s
    assert quirks.names() == ("start_before_speed", "range_in_mph", "response_timeout_s=5")


def test_unknown_preset_names_the_valid_ones() -> None:
    with pytest.raises(UnknownQuirk, match="choose from: spec, control-preamble"):
        combine(["teleport"])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("BFX_T9_1234", DeviceQuirks(speed_commands_in_mph=True)),
        ("WELLFIT TM 3", DeviceQuirks(request_control_twice=True)),
        ("ypoo-mini pro-22", DeviceQuirks(request_control_twice=True)),
        ("FS-8A1B2C", SPEC),
        ("CITYSPORTS-Linker", SPEC),
        (None, SPEC),
    ],
)
def test_detection_by_documented_names_only(name: str | None, expected: DeviceQuirks) -> None:
    assert detect_quirks(name) == expected


def test_limits_from_ranges() -> None:
    limits = limits_from_ranges(
        SpeedRange(1.0, 6.0, 0.5), InclineRange(-3.0, 12.0, 1.0), DeviceQuirks()
    )
    assert limits == DeviceLimits(1.0, 6.0, 0.5, -3.0, 12.0, 1.0, True)


def test_limits_in_mph_are_converted() -> None:
    limits = limits_from_ranges(SpeedRange(0.6, 3.8, 0.1), None, DeviceQuirks(range_in_mph=True))
    assert (limits.speed_min_kmh, limits.speed_max_kmh, limits.speed_increment_kmh) == (
        0.97,
        6.12,
        0.16,
    )
    assert not limits.supports_incline and limits.incline_max_pct == 0.0


def test_missing_or_nonsense_ranges_keep_conservative_defaults() -> None:
    limits = limits_from_ranges(SpeedRange(5.0, 1.0, 0.0), InclineRange(0, 0, 0), DeviceQuirks())
    defaults = DeviceLimits()
    assert limits.speed_max_kmh == defaults.speed_max_kmh
    assert not limits.supports_incline
    zero_step = limits_from_ranges(SpeedRange(0.5, 10.0, 0.0), None, DeviceQuirks())
    assert zero_step.speed_increment_kmh == defaults.speed_increment_kmh
