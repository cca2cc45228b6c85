"""Import Zwift workout files (.zwo), the de-facto interchange format for structured workouts.

Run workouts give each block's target as a fraction (``Power``) of a pace zone (``pace``: 0 one
mile, 1 5 km, 2 10 km, 3 half marathon, 4 marathon); those zones become belt speeds from the
``[zones]`` configuration. Explicit targets win over zones: ``speed_kmh`` / ``speed_mph`` and
``incline`` (percent) attributes, or ``Slope`` (percent). Ramps (Warmup, Cooldown, Ramp) use the
mean of their low and high targets. Every bout is forward unless the block carries
``direction="backward"`` or the caller names bouts to walk backward.

The result is an ordinary Profile, validated like a hand-written one; the plan clamps it later.
"""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Collection
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from treadctl.config import ZonesConfig
from treadctl.direction import Direction
from treadctl.errors import ProfileError
from treadctl.profile.models import Profile
from treadctl.units import mph_to_kmh

_RAMPS = {"warmup", "cooldown", "ramp"}
_STEADY = {"steadystate", "solidstate", "freeride", "maxeffort"}


def import_zwo(
    path: Path,
    zones: ZonesConfig,
    backward_bouts: Collection[int] = (),
) -> Profile:
    """A Profile (units km/h) from a .zwo file; ``backward_bouts`` are 1-based bout numbers."""
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
    bouts: list[dict[str, Any]] = []
    for block in workout:
        bouts.extend(_block_bouts(block, zones, path))
    for number in backward_bouts:
        if not 1 <= number <= len(bouts):
            raise ProfileError(f"bout {number} does not exist; the workout has {len(bouts)} bouts")
        bouts[number - 1]["direction"] = Direction.BACKWARD.value
    name = (root.findtext("name") or path.stem).strip() or path.stem
    data = {
        "name": name[:100],
        "description": (root.findtext("description") or "").strip(),
        "units": "kmh",
        "notes": f"Imported from {path.name}.",
        "steps": bouts,
    }
    try:
        return Profile.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise ProfileError(
            f"{path}: imported workout is not usable: {where}: {first['msg']}"
        ) from None


def _block_bouts(
    block: ElementTree.Element, zones: ZonesConfig, path: Path
) -> list[dict[str, Any]]:
    kind = block.tag.lower()
    attributes = {key.lower(): value for key, value in block.attrib.items()}
    if kind == "intervalst":
        repeat = int(_number(attributes, "repeat", path, block.tag, default=1))
        on = _bout(attributes, zones, path, block.tag, "on")
        off = _bout(attributes, zones, path, block.tag, "off")
        return [dict(bout) for _ in range(max(1, repeat)) for bout in (on, off)]
    if kind in _RAMPS or kind in _STEADY:
        return [_bout(attributes, zones, path, block.tag, "")]
    if kind in {"textevent", "textnotification"}:
        return []
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
        "speed": round(_speed_kmh(attributes, zones, path, tag, prefix), 2),
    }
    incline = attributes.get("incline", attributes.get("slope"))
    if incline is not None:
        bout["incline"] = _number({"incline": incline}, "incline", path, tag)
    return bout


def _speed_kmh(
    attributes: dict[str, str], zones: ZonesConfig, path: Path, tag: str, prefix: str
) -> float:
    if "speed_kmh" in attributes:
        return _number(attributes, "speed_kmh", path, tag)
    if "speed_mph" in attributes:
        return mph_to_kmh(_number(attributes, "speed_mph", path, tag))
    pace = int(_number(attributes, "pace", path, tag, default=0))
    if prefix:
        fraction = _number(attributes, f"{prefix}power", path, tag)
    elif "power" in attributes:
        fraction = _number(attributes, "power", path, tag)
    elif "powerlow" in attributes and "powerhigh" in attributes:
        low = _number(attributes, "powerlow", path, tag)
        fraction = (low + _number(attributes, "powerhigh", path, tag)) / 2
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
