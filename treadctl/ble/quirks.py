"""Device quirks as configuration: one record read by the client, never per-device branches.

Real FTMS treadmills deviate from the spec in a few recurring ways (reference.md §10). Each way is
one field here; named presets combine them, and :func:`detect_quirks` picks presets from the
known-device table (:mod:`treadctl.ble.known_devices`) only where a source documents the device.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields, replace
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from treadctl.ble.device_config import DeviceSettings
    from treadctl.units import SpeedUnit

DEFAULT_RESPONSE_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class DeviceQuirks:
    """How a device departs from the spec. The defaults describe a compliant treadmill."""

    # Request Control + Start before every Set Target Speed / Inclination (Technogym MyRun).
    control_preamble_before_targets: bool = False
    # Speed targets are acknowledged but ignored until the belt runs (3G Cardio Pro Runner X).
    start_before_speed: bool = False
    # The Supported Speed Range holds mph values in its km/h fields (FITSHOW FS-BT-T4).
    range_in_mph: bool = False
    # Treadmill Data and target-speed status report mph in the km/h fields (Bowflex T9 setting).
    reports_mph: bool = False
    # Set Target Speed is interpreted as mph by the device (Horizon T202, Bowflex T9).
    speed_commands_in_mph: bool = False
    # Request Control must be sent twice, half a second apart (WELLFIT TM, SW*, YPOO-MINI PRO).
    request_control_twice: bool = False
    # How long to wait for a Control Point write plus its 0x80 indication.
    response_timeout_s: float = DEFAULT_RESPONSE_TIMEOUT_S

    @property
    def speed_unit(self) -> SpeedUnit:
        """The unit the device reads Set Target Speed in (the request itself stays km/h)."""
        return "mph" if self.speed_commands_in_mph else "kmh"

    def names(self) -> tuple[str, ...]:
        """The quirks that are switched on, by field name (for DeviceInfo and the audit log)."""
        active: list[str] = []
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, bool) and value:
                active.append(f.name)
        if self.response_timeout_s != DEFAULT_RESPONSE_TIMEOUT_S:
            active.append(f"response_timeout_s={self.response_timeout_s:g}")
        return tuple(active)


SPEC = DeviceQuirks()

PRESETS: dict[str, DeviceQuirks] = {
    "spec": SPEC,
    "control-preamble": replace(SPEC, control_preamble_before_targets=True),
    "start-before-speed": replace(SPEC, start_before_speed=True),
    "mph-range": replace(SPEC, range_in_mph=True),
    "reports-mph": replace(SPEC, reports_mph=True),
    "mph-commands": replace(SPEC, speed_commands_in_mph=True),
    "request-control-twice": replace(SPEC, request_control_twice=True),
    "slow-response": replace(SPEC, response_timeout_s=5.0),
}


class UnknownQuirk(ValueError):
    """A quirk preset name that does not exist."""


def combine(preset_names: Iterable[str]) -> DeviceQuirks:
    """One record with every listed preset switched on (``spec`` contributes nothing)."""
    result = SPEC
    for raw in preset_names:
        name = raw.strip().lower()
        if not name:
            continue
        preset = PRESETS.get(name)
        if preset is None:
            valid = ", ".join(PRESETS)
            raise UnknownQuirk(f"unknown device quirk {raw!r}; choose from: {valid}")
        changes = {
            f.name: getattr(preset, f.name)
            for f in fields(preset)
            if getattr(preset, f.name) != getattr(SPEC, f.name)
        }
        result = replace(result, **changes)
    return result


def detect_quirks(
    advertised_name: str | None, manufacturer: str | None = None, model: str | None = None
) -> DeviceQuirks:
    """Quirks the known-device table documents for this device; the spec behaviour otherwise."""
    return detect(advertised_name, manufacturer, model)[0]


def detect(
    advertised_name: str | None, manufacturer: str | None = None, model: str | None = None
) -> tuple[DeviceQuirks, str]:
    """``detect_quirks`` and where they came from, in words (for DeviceInfo and the audit log)."""
    from treadctl.ble.known_devices import matching

    entries = matching(advertised_name, manufacturer, model)
    if not entries:
        return SPEC, ""
    quirks = combine(q for entry in entries for q in entry.quirks)
    devices = "; ".join(f"{entry.device} ({entry.source})" for entry in entries)
    return quirks, f"known-device table: {devices}"


@dataclass(frozen=True)
class Resolved:
    """The quirks for one device, where they came from, and its ``[devices]`` table if any."""

    quirks: DeviceQuirks
    source: str  # "" when no quirk is on
    settings_key: str = ""
    settings: DeviceSettings | None = None


def resolve(
    address: str | None,
    name: str | None,
    manufacturer: str | None = None,
    model: str | None = None,
    *,
    given: DeviceQuirks | None = None,
    given_source: str = "--quirks",
    device_settings: Mapping[str, DeviceSettings] | None = None,
    target: str = "",
    fallback: DeviceQuirks | None = None,
    fallback_source: str = "",
) -> Resolved:
    """The most specific source wins: ``given`` (``--quirks``), then the ``[devices."KEY"]``
    table that fits (address, then name pattern; ``target`` is the name the user dialled), then
    ``fallback`` (what a simulator personality's real counterpart needs), then the known-device
    table (name, Device Information). A table's ``response_timeout_s`` applies on top of
    whichever won."""
    from treadctl.ble.device_config import settings_for

    devices = device_settings or {}
    found = settings_for(devices, address, name)
    if found is None and target:
        found = settings_for(devices, target, target)
    key, settings = found if found is not None else ("", None)
    if given is not None:
        quirks, source = given, given_source
    elif settings is not None and settings.quirks is not None:
        quirks, source = combine(settings.quirks), f'config [devices."{key}"]'
    elif fallback is not None:
        quirks, source = fallback, fallback_source
    else:
        quirks, source = detect(name, manufacturer, model)
    if settings is not None and settings.response_timeout_s is not None:
        quirks = replace(quirks, response_timeout_s=settings.response_timeout_s)
        source = "; ".join(s for s in (source, f'config [devices."{key}"]') if s)
    return Resolved(quirks, source if quirks.names() else "", key, settings)
