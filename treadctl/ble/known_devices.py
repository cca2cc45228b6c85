"""The known-device table: treadmills whose departures from FTMS are documented in public.

Each entry is a fact another project or a user report documented, with where it was documented;
no code from those projects is used. ``pattern`` is a case-insensitive shell pattern
(``fnmatch``) matched against the advertised name, or against a Device Information string where
``field`` says so. An entry without a pattern is documented for a device whose advertised name is
not known: ``treadctl devices`` lists it so the user can set its quirks by hand.

Pure data and matching: no bleak, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Literal

MatchField = Literal["name", "manufacturer", "model"]


@dataclass(frozen=True)
class KnownDevice:
    device: str  # what people call it
    quirks: tuple[str, ...]  # preset names (treadctl.ble.quirks.PRESETS)
    fact: str  # what was documented, in our words
    source: str  # where: an issue thread or a project file
    pattern: str | None = None  # None: no documented advertised name, not matched automatically
    field: MatchField = "name"

    def matches(self, name: str | None, manufacturer: str | None, model: str | None) -> bool:
        if self.pattern is None:
            return False
        value = {"name": name, "manufacturer": manufacturer, "model": model}[self.field]
        return bool(value) and fnmatchcase(str(value).upper(), self.pattern.upper())


QDOMYOS = "github.com/cagnulein/qdomyos-zwift"

KNOWN_DEVICES: tuple[KnownDevice, ...] = (
    KnownDevice(
        "Bowflex T9",
        ("mph-commands",),
        "interprets Set Target Speed as mph",
        f"{QDOMYOS} issue #4904; src/devices/horizontreadmill/horizontreadmill.cpp (forceSpeed)",
        "BFX_T9_*",
    ),
    KnownDevice(
        "WELLFIT TM treadmills",
        ("request-control-twice",),
        "needs Request Control twice, about 0.5 s apart, before it obeys",
        f"{QDOMYOS} src/devices/horizontreadmill/horizontreadmill.cpp (btinit)",
        "WELLFIT TM*",
    ),
    KnownDevice(
        "YPOO-MINI PRO walking pads",
        ("request-control-twice",),
        "needs Request Control twice, about 0.5 s apart (and a vendor unlock treadctl does not "
        "send: FTMS control may stay refused)",
        f"{QDOMYOS} src/devices/horizontreadmill/horizontreadmill.cpp (btinit)",
        "YPOO-MINI PRO*",
    ),
    KnownDevice(
        "SW treadmills",
        ("request-control-twice",),
        "needs Request Control twice, about 0.5 s apart",
        f"{QDOMYOS} src/devices/horizontreadmill/horizontreadmill.cpp (btinit)",
        "SW*",
    ),
    KnownDevice(
        "FITSHOW FS-BT-T4 controller (DBT walking pad)",
        ("mph-range",),
        "the Supported Speed Range holds mph values (0.6-3.8 step 0.1) in its km/h fields",
        "github.com/justintout/treadmill README (Device Information: FS-BT-T4)",
        "FS-BT-T4*",
        "model",
    ),
    KnownDevice(
        "Technogym MyRun",
        ("control-preamble",),
        "needs Request Control and Start before every speed and incline target",
        f"{QDOMYOS} src/devices/horizontreadmill/horizontreadmill.cpp (forceSpeed, forceIncline)",
    ),
    KnownDevice(
        "3G Cardio Pro Runner X",
        ("start-before-speed",),
        "acknowledges speed targets but ignores them until the belt runs",
        f"{QDOMYOS} issue #3382",
    ),
    KnownDevice(
        "Horizon / JFTM T202",
        ("mph-commands",),
        "interprets Set Target Speed as mph",
        f"{QDOMYOS} issue #4904",
    ),
)


def matching(
    name: str | None,
    manufacturer: str | None = None,
    model: str | None = None,
    table: Iterable[KnownDevice] = KNOWN_DEVICES,
) -> list[KnownDevice]:
    """The entries whose pattern matches this device (in table order)."""
    return [entry for entry in table if entry.matches(name, manufacturer, model)]
