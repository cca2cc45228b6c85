"""Durations as people write them: ``"5m"``, ``"90s"``, ``"1m30s"``, ``"1h"`` or seconds."""

from __future__ import annotations

import re

_PART = re.compile(r"(\d+(?:\.\d+)?)\s*(h|m|s)")
_UNIT_S = {"h": 3600.0, "m": 60.0, "s": 1.0}
_ORDER = "hms"


def parse_duration_s(value: object) -> float:
    """Seconds in ``value``; ValueError with a reason a person can act on otherwise."""
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or text like '5m', '90s', '1m30s'")
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        seconds = _parse_text(value)
    else:
        raise ValueError("a duration is a number of seconds or text like '5m', '90s', '1m30s'")
    if not seconds > 0:
        raise ValueError(f"duration must be positive, got {value!r}")
    return seconds


def _parse_text(value: str) -> float:
    text = value.strip().lower().replace(" ", "")
    if re.fullmatch(r"\d+(?:\.\d+)?", text):
        return float(text)
    position = 0
    total_s = 0.0
    last_unit = -1
    for match in _PART.finditer(text):
        unit_rank = _ORDER.index(match.group(2))
        if match.start() != position or unit_rank <= last_unit:
            break
        total_s += float(match.group(1)) * _UNIT_S[match.group(2)]
        position = match.end()
        last_unit = unit_rank
    if position != len(text) or position == 0:
        raise ValueError(f"cannot read duration {value!r}; write it like '5m', '90s' or '1m30s'")
    return total_s


def format_duration_text(duration_s: float) -> str:
    """The shortest hand-written form: 300 -> "5m", 90 -> "1m30s", 3600 -> "1h"."""
    total = round(duration_s)
    if abs(duration_s - total) > 1e-9:
        return f"{duration_s:g}s"
    hours, rest = divmod(total, 3600)
    minutes, seconds = divmod(rest, 60)
    text = (f"{hours}h" if hours else "") + (f"{minutes}m" if minutes else "")
    text += f"{seconds}s" if seconds or not text else ""
    return text
