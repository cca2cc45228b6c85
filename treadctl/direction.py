"""Which way the walker faces on the belt."""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    """The belt runs one way; the walker faces the console (forward) or away (backward)."""

    FORWARD = "forward"
    BACKWARD = "backward"
