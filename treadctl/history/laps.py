"""Per-bout lap totals from a recorded session, shared by the exporters and ``history show``.

Laps tile the session: the first starts at session time 0 (the belt's start-up counts towards
the first bout) and the last ends at the session's end, so lap totals always add up to the
session's totals. Distances and energy at a lap boundary are those of the last sample at or
before it; the last lap takes the session's final figures.
"""

from __future__ import annotations

import bisect
from dataclasses import dataclass

from treadctl.direction import Direction
from treadctl.history.db import LapRecord, SampleRecord, SessionRecord


@dataclass(frozen=True)
class LapTotals:
    seq: int
    bout_index: int
    bout_count: int
    label: str
    direction: Direction
    start_t_s: float
    duration_s: float
    distance_m: float
    energy_kcal: float
    avg_speed_kmh: float
    max_speed_kmh: float
    avg_heart_rate_bpm: int | None
    max_heart_rate_bpm: int | None
    target_speed_kmh: float
    target_incline_pct: float

    @property
    def end_t_s(self) -> float:
        return self.start_t_s + self.duration_s

    @property
    def name(self) -> str:
        """What a lap is called in exports: direction first, since that is what matters."""
        text = f"{self.direction.capitalize()} {self.bout_index + 1}/{self.bout_count}"
        return f"{text} {self.label}" if self.label else text


def _value_at(times: list[float], values: list[float], t_s: float) -> float:
    i = bisect.bisect_right(times, t_s) - 1
    return values[i] if i >= 0 else 0.0


def lap_totals(
    session: SessionRecord, laps: list[LapRecord], samples: list[SampleRecord]
) -> list[LapTotals]:
    if not laps:
        # A session that never reached its first bout: one forward lap for the whole of it.
        laps = [
            LapRecord(
                seq=0,
                bout_index=0,
                bout_count=1,
                label="start-up",
                direction=Direction.FORWARD,
                start_t_s=0.0,
                end_t_s=session.duration_s,
                planned_duration_s=session.duration_s,
                target_speed_kmh=0.0,
                target_incline_pct=0.0,
            )
        ]
    times = [s.t_s for s in samples]
    distances = _carried([s.distance_m for s in samples])
    energies = _carried([s.energy_kcal for s in samples])
    end_s = max(session.duration_s, times[-1] if times else 0.0)
    result: list[LapTotals] = []
    for i, lap in enumerate(laps):
        start = 0.0 if i == 0 else lap.start_t_s
        last = i == len(laps) - 1
        end = end_s if last else laps[i + 1].start_t_s
        d0 = _value_at(times, distances, start) if i else 0.0
        e0 = _value_at(times, energies, start) if i else 0.0
        d1 = session.distance_m if last else _value_at(times, distances, end)
        e1 = session.energy_kcal if last else _value_at(times, energies, end)
        inside = [s for s in samples if start <= s.t_s < end or (last and s.t_s == end)]
        speeds = [s.speed_kmh for s in inside if s.speed_kmh is not None]
        rates = [s.heart_rate_bpm for s in inside if s.heart_rate_bpm]
        duration = max(0.0, end - start)
        distance = max(0.0, d1 - d0)
        result.append(
            LapTotals(
                seq=lap.seq,
                bout_index=lap.bout_index,
                bout_count=lap.bout_count,
                label=lap.label,
                direction=lap.direction,
                start_t_s=start,
                duration_s=duration,
                distance_m=distance,
                energy_kcal=max(0.0, e1 - e0),
                avg_speed_kmh=distance / duration * 3.6 if duration > 0 else 0.0,
                max_speed_kmh=max(speeds, default=0.0),
                avg_heart_rate_bpm=round(sum(rates) / len(rates)) if rates else None,
                max_heart_rate_bpm=max(rates) if rates else None,
                target_speed_kmh=lap.target_speed_kmh,
                target_incline_pct=lap.target_incline_pct,
            )
        )
    return result


def _carried(values: list[float | None]) -> list[float]:
    """Missing values carry the previous one forward (a record without a distance field)."""
    out: list[float] = []
    last = 0.0
    for value in values:
        if value is not None:
            last = value
        out.append(last)
    return out
