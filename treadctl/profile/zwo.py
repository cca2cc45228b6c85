"""Import Zwift workout files (.zwo), the de-facto interchange format for structured workouts.

Run workouts give each block's target as a fraction (``Power``) of a pace zone (``pace``: 0 one
mile, 1 5 km, 2 10 km, 3 half marathon, 4 marathon); those zones become belt speeds from the
``[zones]`` configuration. Explicit targets win over zones: ``speed_kmh`` / ``speed_mph`` and
``incline`` (percent) attributes, or ``Slope`` / ``OnSlope`` / ``OffSlope`` (percent). Ramps
(Warmup, Cooldown, Ramp) use the mean of their low and high targets. A treadmill workout that
gives only a slope (no power, no speed) becomes incline bouts at the block's pace zone, or at the
slowest zone (``[zones] marathon_kmh``) when it names none. Repeat intervals (``IntervalsT``)
become a ``repeat`` block. Speeds are rounded to 0.1 km/h, which every treadmill can be sent.

Every bout is forward unless the block carries ``direction="backward"`` or the caller names bouts
to walk backward by their number in the unrolled list (``profile import --list`` shows it); a
repeat block whose rounds are not all marked alike is unrolled so each round can differ.

The result is an ordinary Profile, validated like a hand-written one; the plan clamps it later.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Collection
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from treadctl.direction import Direction
from treadctl.errors import ProfileError
from treadctl.profile.models import Profile
from treadctl.profile.zones import ZonesConfig
from treadctl.units import mph_to_kmh

SPEED_STEP_KMH = 0.1  # the device-independent resolution of imported speeds
_RAMPS = {"warmup", "cooldown", "ramp"}
_STEADY = {"steadystate", "solidstate", "freeride", "maxeffort"}


@dataclass
class _Step:
    """A bout, or a repeat block of bouts (``repeat`` > 0), as read from the file."""

    bouts: list[dict[str, Any]]
    repeat: int = 0

    def unrolled(self) -> list[dict[str, Any]]:
        rounds = max(1, self.repeat)
        return [dict(bout) for _ in range(rounds) for bout in self.bouts]


@dataclass(frozen=True)
class ZwoWorkout:
    name: str
    description: str
    steps: list[_Step]

    def numbered_bouts(self) -> list[dict[str, Any]]:
        """Every bout in walking order, as ``--backward`` numbers them (1-based)."""
        return [bout for step in self.steps for bout in step.unrolled()]


def read_zwo(path: Path, zones: ZonesConfig) -> ZwoWorkout:
    """The workout's blocks as bouts and repeat blocks (speeds in km/h)."""
    try:
        root = ElementTree.fromstring(path.read_bytes())
    except OSError as error:
        raise ProfileError(f"{path}: cannot read: {error}") from None
    except ElementTree.ParseError as error:
        line = error.position[0] if error.position else 1
        raise ProfileError(f"{path}:{line}: not a Zwift workout file: {error}") from None
    if root.tag != "workout_file":
        raise ProfileError(f"{path}:1: not a Zwift workout file (root is <{root.tag}>)")
    sport = (root.findtext("sportType") or "run").strip().lower()
    if sport != "run":
        raise ProfileError(f"{path}: a {sport} workout; only run workouts can be imported")
    workout = root.find("workout")
    if workout is None or len(workout) == 0:
        raise ProfileError(f"{path}: the workout has no blocks")
    steps = [step for block in workout if (step := _block_step(block, zones, path)) is not None]
    if not steps:
        raise ProfileError(f"{path}: the workout has no bouts")
    name = (root.findtext("name") or path.stem).strip() or path.stem
    return ZwoWorkout(name[:100], (root.findtext("description") or "").strip(), steps)


def import_zwo(
    path: Path,
    zones: ZonesConfig,
    backward_bouts: Collection[int] = (),
) -> Profile:
    """A Profile (units km/h) from a .zwo file; ``backward_bouts`` are 1-based bout numbers."""
    workout = read_zwo(path, zones)
    count = len(workout.numbered_bouts())
    for number in backward_bouts:
        if not 1 <= number <= count:
            raise ProfileError(
                f"bout {number} does not exist; the workout has {count} bouts "
                "(see `treadctl profile import --list FILE`)"
            )
    data = {
        "name": workout.name,
        "description": workout.description,
        "units": "kmh",
        "notes": f"Imported from {path.name}.",
        "steps": _mark_backward(workout.steps, set(backward_bouts)),
    }
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ProfileError(
            f"{path}: imported workout is not usable: {where}: {first['msg']}"
        ) from None


def _mark_backward(steps: list[_Step], backward: set[int]) -> list[dict[str, Any]]:
    """The profile's ``steps`` with the numbered bouts walking backward. A repeat block keeps
    its shape when every round is marked alike; otherwise it is unrolled."""
    result: list[dict[str, Any]] = []
    number = 1
    for step in steps:
        rounds = max(1, step.repeat)
        size = len(step.bouts)
        marked = [
            {r for r in range(rounds) if number + r * size + i in backward} for i in range(size)
        ]
        number += rounds * size
        alike = all(len(rounds_marked) in (0, rounds) for rounds_marked in marked)
        if step.repeat and alike:
            bouts = [
                {**bout, **({"direction": "backward"} if marked[i] else {})}
                for i, bout in enumerate(step.bouts)
            ]
            result.append({"label": "Intervals", "repeat": step.repeat, "bouts": bouts})
            continue
        for r in range(rounds):
            for i, bout in enumerate(step.bouts):
                result.append({**bout, **({"direction": "backward"} if r in marked[i] else {})})
    return result


def _block_step(block: ElementTree.Element, zones: ZonesConfig, path: Path) -> _Step | None:
    kind = block.tag.lower()
    attributes = {key.lower(): value for key, value in block.attrib.items()}
    if kind == "intervalst":
        repeat = max(1, int(_number(attributes, "repeat", path, block.tag, default=1)))
        on = _bout(attributes, zones, path, block.tag, "on")
        off = _bout(attributes, zones, path, block.tag, "off")
        return _Step([on, off], repeat=repeat)
    if kind in _RAMPS or kind in _STEADY:
        return _Step([_bout(attributes, zones, path, block.tag, "")])
    if kind in {"textevent", "textnotification"}:
        return None
    raise ProfileError(f"{path}: <{block.tag}> blocks are not supported")


def _bout(
    attributes: dict[str, str], zones: ZonesConfig, path: Path, tag: str, prefix: str
) -> dict[str, Any]:
    duration_key = f"{prefix}duration" if prefix else "duration"
    duration_s = _number(attributes, duration_key, path, tag)
    bout: dict[str, Any] = {
        "label": tag if not prefix else f"{tag} {prefix}",
        "direction": attributes.get("direction", Direction.FORWARD.value).lower(),
        "duration": duration_s,
        "speed": round_speed_kmh(_speed_kmh(attributes, zones, path, tag, prefix)),
    }
    incline = _incline_text(attributes, prefix)
    if incline is not None:
        bout["incline"] = _number({"incline": incline}, "incline", path, tag)
    return bout


def round_speed_kmh(speed_kmh: float) -> float:
    """To the nearest 0.1 km/h (never to 0: the slowest is one step)."""
    steps = max(1, round(speed_kmh / SPEED_STEP_KMH))
    return round(steps * SPEED_STEP_KMH, 1)


def _incline_text(attributes: dict[str, str], prefix: str) -> str | None:
    keys = (f"{prefix}incline", f"{prefix}slope") if prefix else ()
    for key in (*keys, "incline", "slope"):
        if key in attributes:
            return attributes[key]
    return None


def _speed_kmh(
    attributes: dict[str, str], zones: ZonesConfig, path: Path, tag: str, prefix: str
) -> float:
    if "speed_kmh" in attributes:
        return _number(attributes, "speed_kmh", path, tag)
    if "speed_mph" in attributes:
        return mph_to_kmh(_number(attributes, "speed_mph", path, tag))
    pace = int(_number(attributes, "pace", path, tag, default=0))
    if prefix and f"{prefix}power" in attributes:
        fraction = _number(attributes, f"{prefix}power", path, tag)
    elif not prefix and "power" in attributes:
        fraction = _number(attributes, "power", path, tag)
    elif "powerlow" in attributes and "powerhigh" in attributes:
        low = _number(attributes, "powerlow", path, tag)
        fraction = (low + _number(attributes, "powerhigh", path, tag)) / 2
    elif _incline_text(attributes, prefix) is not None:
        # A slope-only treadmill block: walk it at its pace zone, or the slowest zone.
        return zones.for_pace(pace) if "pace" in attributes else zones.marathon_kmh
    else:
        raise ProfileError(f"{path}: <{tag}> has no speed or pace target")
    return zones.for_pace(pace) * fraction


def _number(
    attributes: dict[str, str], key: str, path: Path, tag: str, default: float | None = None
) -> float:
    raw = attributes.get(key)
    if raw is None:
        if default is not None:
            return default
        raise ProfileError(f"{path}: <{tag}> has no {key} attribute")
    try:
        return float(raw)
    except ValueError:
        raise ProfileError(f"{path}: <{tag}> {key}={raw!r} is not a number") from None
