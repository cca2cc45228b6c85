"""Fixed-point little-endian scalars: the one place that turns numbers into bytes and back."""

from __future__ import annotations

import math

from treadctl.ftms.errors import EncodeError

_RANGES: dict[tuple[int, bool], tuple[int, int]] = {}


def raw_range(size: int, signed: bool) -> tuple[int, int]:
    """Smallest and largest integer a field of ``size`` octets holds."""
    cached = _RANGES.get((size, signed))
    if cached is None:
        cached = _RANGES[size, signed] = _raw_range(size, signed)
    return cached


def _raw_range(size: int, signed: bool) -> tuple[int, int]:
    if signed:
        half = 1 << (8 * size - 1)
        return -half, half - 1
    return 0, (1 << (8 * size)) - 1


def to_raw(
    name: str, value: object, divisor: int, size: int, signed: bool, reserved: int | None = None
) -> int:
    """Scale ``value`` to the field's integer, refusing what the field cannot carry.

    ``reserved`` is the spec's "data not available" code, which a real value must not collide with.
    """
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise EncodeError(f"{name} must be a number, got {value!r}")
    low, high = raw_range(size, signed)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise EncodeError(f"{name} must be finite, got {value!r}")
        scaled = value * divisor  # a finite value this large overflows, as far outside as any
        raw = round(scaled) if math.isfinite(scaled) else high + 1
    else:
        raw = value * divisor
    if reserved is not None and raw == reserved:
        high = reserved - 1 if reserved == high else high
        low = reserved + 1 if reserved == low else low
    if not low <= raw <= high:
        raise EncodeError(f"{name} {value} is outside {_fmt(low, divisor)}..{_fmt(high, divisor)}")
    return raw


def pack(raw: int, size: int, signed: bool) -> bytes:
    return raw.to_bytes(size, "little", signed=signed)


def _fmt(raw: int, divisor: int) -> str:
    return str(raw) if divisor == 1 else f"{raw / divisor:g}"
