"""An opt-in signal for the start-up benchmark: one line on a file descriptor once the start
screen has been painted. ``bench/bench_startup.py`` times the same signal from the smallest
Textual app, so the two first paints are measured the same way. Unset, it costs one lookup."""

from __future__ import annotations

import contextlib
import os

FIRST_PAINT_ENV = "TREADCTL_FIRST_PAINT_FD"


def wanted() -> bool:
    return FIRST_PAINT_ENV in os.environ


def signal_first_paint() -> None:
    """Write ``painted`` to the descriptor named by the environment, once."""
    fd = os.environ.pop(FIRST_PAINT_ENV, None)
    if fd is None:
        return
    with contextlib.suppress(OSError, ValueError):
        os.write(int(fd), b"painted\n")
