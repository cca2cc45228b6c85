"""The 60-minute profile both the session and the start-up benches run (not a bench itself)."""

from __future__ import annotations


def profile_60() -> str:
    """5 min warm-up, 10 x (2 min backward + 3 min forward), 5 min cool-down: 60 minutes."""
    steps = [("Warm-up", "forward", 5, 3.0)]
    for _ in range(10):
        steps += [("Backward", "backward", 2, 1.6), ("Forward", "forward", 3, 3.5)]
    steps.append(("Cool-down", "forward", 5, 2.5))
    text = 'name = "Bench 60"\nunits = "kmh"\n'
    for label, direction, minutes, speed in steps:
        text += (
            f'\n[[steps]]\nlabel = "{label}"\ndirection = "{direction}"\n'
            f'duration = "{minutes}m"\nspeed = {speed}\n'
        )
    return text
