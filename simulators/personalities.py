"""How a simulated treadmill behaves: one settings record, and named presets of real quirks.

A personality is plain data (a :class:`SimConfig`), so a test can take a preset and change one
field with :func:`dataclasses.replace`. The presets reproduce behaviour documented for real
FTMS treadmills (ranges in mph, 0.5 km/h steps, padded status frames, slow indications, ...);
``spec`` is the compliant default.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Literal

SpeedRangeUnit = Literal["kmh", "mph"]
HeartRateMode = Literal["grips", "no-contact"]


@dataclass(frozen=True)
class SimConfig:
    """Every knob of the simulated treadmill. Defaults: a compliant home treadmill."""

    name: str = "spec"
    description: str = "compliant FTMS treadmill (the default)"
    # Ranges the belt really has, in km/h and %.
    speed_min_kmh: float = 0.5
    speed_max_kmh: float = 16.0
    speed_increment_kmh: float = 0.1
    incline_min_pct: float = 0.0
    incline_max_pct: float = 15.0
    incline_increment_pct: float = 0.5
    supports_incline: bool = True
    # The unit of the numbers in the Supported Speed Range characteristic ("mph" is a quirk:
    # the device writes mph values into the km/h fields, the belt itself still obeys km/h).
    speed_range_unit: SpeedRangeUnit = "kmh"
    # Belt physics.
    acceleration_kmh_per_s: float = 0.8
    deceleration_kmh_per_s: float = 1.0
    safety_deceleration_kmh_per_s: float = 4.0
    incline_rate_pct_per_s: float = 1.0
    # Control Point and notifications.
    response_delay_s: float = 0.05
    data_interval_s: float = 1.0
    status_pad_to: int = 0
    default_att_mtu: int = 23
    # Quirks.
    needs_start_before_speed: bool = False
    # What the belt does when the link to the controlling client drops: stop after this many
    # seconds, or keep running (None). Default: stop after a moment, like a typical console.
    stop_after_disconnect_s: float | None = 2.0
    # After a treadmill-side disconnect, how long until it accepts connections again.
    reconnect_delay_s: float = 2.0
    console_speed_step_kmh: float = 2.0
    # The walker, for energy and heart rate.
    walker_mass_kg: float = 75.0
    resting_heart_rate_bpm: int = 70
    # "grips": the heart-rate field carries an estimate while the belt moves and is left out
    # at 0 km/h (legal: a field may be absent from any record); "no-contact": always present
    # and 0 bpm, as consoles send when no hand is on the grips.
    heart_rate: HeartRateMode = "grips"
    # Device Information Service (0x180A) strings; None leaves a characteristic out, and
    # device_information=False leaves the whole service out.
    device_information: bool = True
    manufacturer: str | None = "treadctl"
    model: str | None = "SIM-1"
    serial_number: str | None = "SIM-0001"
    hardware_revision: str | None = "1.0"
    firmware_revision: str | None = "1.0.0"
    software_revision: str | None = None


_SPEC = SimConfig()

PERSONALITIES: dict[str, SimConfig] = {
    p.name: p
    for p in (
        _SPEC,
        replace(
            _SPEC,
            name="needs-start-before-speed",
            description="acknowledges speed targets but ignores them until the belt runs",
            needs_start_before_speed=True,
        ),
        replace(
            _SPEC,
            name="half-kmh-steps",
            description="speed in 0.5 km/h increments from 1.0 km/h (walking pad)",
            speed_min_kmh=1.0,
            speed_max_kmh=6.0,
            speed_increment_kmh=0.5,
        ),
        replace(
            _SPEC,
            name="no-incline",
            description="no incline: no inclination range, feature bit or target",
            supports_incline=False,
            incline_max_pct=0.0,
        ),
        replace(
            _SPEC,
            name="mph-range",
            description="Supported Speed Range written in mph (0.6-3.8 step 0.1) in km/h fields",
            speed_min_kmh=0.6 * 1.609344,
            speed_max_kmh=3.8 * 1.609344,
            speed_increment_kmh=0.1,
            speed_range_unit="mph",
            # What the FITSHOW FS-BT-T4 controller that does this reports (github.com/justintout/
            # treadmill README): the known-device table matches on this model string.
            manufacturer="FITSHOW",
            model="FS-BT-T4",
            hardware_revision="1.0",
            firmware_revision=None,
            software_revision="1.2.6",
        ),
        replace(
            _SPEC,
            name="padded-status",
            description="Fitness Machine Status frames padded with zero bytes to 3 octets",
            status_pad_to=3,
        ),
        replace(
            _SPEC,
            name="keeps-running-on-disconnect",
            description="the belt keeps running at its target when the link drops",
            stop_after_disconnect_s=None,
        ),
        replace(
            _SPEC,
            name="stops-on-disconnect",
            description="the belt stops at once when the link drops",
            stop_after_disconnect_s=0.0,
        ),
        replace(
            _SPEC,
            name="slow-response",
            description="Control Point indications arrive about 1 s after each write",
            response_delay_s=1.0,
        ),
        replace(
            _SPEC,
            name="very-slow-response",
            description="Control Point indications arrive 2.2 s after each write (past the "
            "default 2 s deadline: needs the slow-response quirk)",
            response_delay_s=2.2,
        ),
        replace(
            _SPEC,
            name="fast-data",
            description="Treadmill Data every 0.48 s (walking pad)",
            data_interval_s=0.48,
        ),
        replace(
            _SPEC,
            name="no-hr-contact",
            description="heart-rate field always present, 0 bpm (no hand on the grips)",
            heart_rate="no-contact",
        ),
        replace(
            _SPEC,
            name="no-device-information",
            description="no Device Information Service (0x180A)",
            device_information=False,
        ),
        replace(
            _SPEC,
            name="negative-incline",
            description="incline from -6 % to +15 % in 1 % steps",
            incline_min_pct=-6.0,
            incline_increment_pct=1.0,
        ),
    )
}


class UnknownPersonality(ValueError):
    """A personality name that is not one of the presets."""


def personality(name: str) -> SimConfig:
    """The preset called ``name``; raises :class:`UnknownPersonality` with the valid names."""
    try:
        return PERSONALITIES[name]
    except KeyError:
        names = ", ".join(PERSONALITIES)
        raise UnknownPersonality(f"unknown personality {name!r}; choose one of: {names}") from None


def describe_personalities() -> list[tuple[str, str]]:
    """(name, description) for each preset, in a stable order."""
    return [(p.name, p.description) for p in PERSONALITIES.values()]
