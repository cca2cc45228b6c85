"""The session's plan as the UI draws it: bouts and turn-arounds laid out on a time line.

Built from a ``treadctl.plan.Plan`` (read by attribute, so the UI depends only on the fields it
draws) or directly in tests. Pure; no Textual.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from treadctl.direction import Direction

if TYPE_CHECKING:  # the plan (and pydantic behind it) loads with a session, not the start screen
    from treadctl.plan import Plan


@dataclass(frozen=True)
class Segment:
    """One stretch of the planned time line: a bout, or the turn-around before one."""

    kind: str  # "bout" or "turn"
    start_s: float
    duration_s: float
    direction: Direction
    bout_index: int
    label: str = ""
    speed_kmh: float = 0.0
    incline_pct: float = 0.0

    @property
    def end_s(self) -> float:
        return self.start_s + self.duration_s


@dataclass(frozen=True)
class Outline:
    name: str
    segments: tuple[Segment, ...]

    @property
    def total_s(self) -> float:
        return self.segments[-1].end_s if self.segments else 0.0

    def with_targets(self, targets: Iterable[tuple[int, float, float]]) -> Outline:
        """The same time line with each bout's target as the session will drive it
        (``PlanAdjusted``: ``(bout index, speed_kmh, incline_pct)``)."""
        by_index = {index: (speed, incline) for index, speed, incline in targets}
        segments = tuple(
            replace(s, speed_kmh=by_index[s.bout_index][0], incline_pct=by_index[s.bout_index][1])
            if s.kind == "bout" and s.bout_index in by_index
            else s
            for s in self.segments
        )
        return Outline(self.name, segments)

    @property
    def bouts(self) -> tuple[Segment, ...]:
        return tuple(s for s in self.segments if s.kind == "bout")

    def bout(self, index: int | None) -> Segment | None:
        for segment in self.bouts:
            if segment.bout_index == index:
                return segment
        return None

    def next_bout(self, index: int | None) -> Segment | None:
        """The bout after ``index`` (the first bout when ``index`` is None)."""
        bouts = self.bouts
        if index is None:
            return bouts[0] if bouts else None
        for position, segment in enumerate(bouts):
            if segment.bout_index == index:
                return bouts[position + 1] if position + 1 < len(bouts) else None
        return None

    def turn_before(self, index: int) -> Segment | None:
        for segment in self.segments:
            if segment.kind == "turn" and segment.bout_index == index:
                return segment
        return None

    def position_s(
        self, *, bout_index: int | None, bout_elapsed_s: float, turning: bool, turn_elapsed_s: float
    ) -> float:
        """Where on the planned time line the session is."""
        if bout_index is None:
            return 0.0
        if turning:
            upcoming = self.next_bout(bout_index)
            turn = self.turn_before(upcoming.bout_index) if upcoming else None
            if turn is not None:
                return turn.start_s + min(turn.duration_s, turn_elapsed_s)
        bout = self.bout(bout_index)
        if bout is None:
            return 0.0
        return bout.start_s + min(bout.duration_s, bout_elapsed_s)


def outline_from_bouts(name: str, bouts: Iterable[Segment], turn_s: float = 0.0) -> Outline:
    """Lay bouts end to end, with a ``turn_s`` turn-around wherever the direction changes."""
    segments: list[Segment] = []
    t = 0.0
    previous: Direction | None = None
    for bout in bouts:
        if previous is not None and bout.direction != previous and turn_s > 0:
            segments.append(Segment("turn", t, turn_s, bout.direction, bout.bout_index))
            t += turn_s
        segments.append(
            Segment(
                "bout",
                t,
                bout.duration_s,
                bout.direction,
                bout.bout_index,
                bout.label,
                bout.speed_kmh,
                bout.incline_pct,
            )
        )
        t += bout.duration_s
        previous = bout.direction
    return Outline(name, tuple(segments))


def outline_from_plan(plan: Plan, name: str = "") -> Outline:
    """An ``Outline`` from a plan's bouts and turn-arounds, in order."""
    from treadctl.plan import TurnAround

    segments: list[Segment] = []
    t = 0.0
    for item in plan.items:
        if isinstance(item, TurnAround):
            segments.append(Segment("turn", t, item.hold_s, item.to_direction, item.before_bout))
            t += item.hold_s
        else:
            segments.append(
                Segment(
                    "bout",
                    t,
                    item.duration_s,
                    item.direction,
                    item.index,
                    item.label,
                    item.speed_kmh,
                    item.incline_pct,
                )
            )
            t += item.duration_s
    plan_name = name or plan.profile_name
    return Outline(plan_name, tuple(segments))
