"""The codec's own exceptions, so callers can catch malformed bytes without catching bugs."""

from __future__ import annotations


class DecodeError(ValueError):
    """Bytes that cannot be decoded: too short, a bad parameter, an unknown result code."""


class EncodeError(ValueError):
    """A value that cannot be put on the wire: out of the field's range, or inconsistent."""
