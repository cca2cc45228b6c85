"""One clamp, one rounding, one plan: what the screen shows is what the belt is driven to."""

from __future__ import annotations

from tests.session_support import bouts_of, run_session
from treadctl.direction import Direction
from treadctl.events import BoutStarted, PlanAdjusted
from treadctl.tui.outline import Outline, Segment
from treadctl.virtual_time import run_virtual


def test_the_adjusted_plan_is_the_driven_plan_on_a_coarse_treadmill() -> None:
    # mph-range: a treadmill with a coarser speed grid than the default plan assumed.
    bouts = bouts_of(("forward", 30, 3.05, 0.0), ("backward", 30, 1.33, 0.0))
    out = run_virtual(run_session(bouts, personality="mph-range"))
    [adjusted] = out.of(PlanAdjusted)
    shown = {index: speed for index, speed, _incline in adjusted.targets}
    for bout in out.of(BoutStarted):
        assert bout.speed_kmh == shown[bout.index]
    commanded = [c.speed_kmh or 0.0 for c in out.commands("set_speed") if c.source == "plan"]
    assert max(commanded) == max(shown.values())


def test_the_outline_takes_the_adjusted_targets() -> None:
    outline = Outline(
        "x",
        (
            Segment("bout", 0, 60, Direction.FORWARD, 0, "a", 3.0, 0.0),
            Segment("turn", 60, 5, Direction.BACKWARD, 1),
            Segment("bout", 65, 60, Direction.BACKWARD, 1, "b", 1.3, 0.0),
        ),
    )
    adjusted = outline.with_targets([(0, 3.2, 0.0), (1, 1.6, 1.0)])
    assert [s.speed_kmh for s in adjusted.bouts] == [3.2, 1.6]
    assert adjusted.bouts[1].incline_pct == 1.0
    assert adjusted.segments[1] == outline.segments[1]
