"""Helpers for the history, export and progress tests (no tests here): a scripted session fed
through a real EventBus into a real Recorder, as the session engine would publish it."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from treadctl.direction import Direction
from treadctl.energy import energy_kcal as model
from treadctl.events import (
    BoutStarted,
    EndStatus,
    EventBus,
    PhaseChanged,
    PhaseName,
    SessionEnded,
    SessionSummary,
    Telemetry,
)
from treadctl.history.recorder import RecordingHandle, attach_recorder

BODY_MASS_KG = 70.0


@dataclass(frozen=True)
class Bout:
    direction: Direction
    duration_s: int
    speed_kmh: float
    incline_pct: float = 0.0


ALTERNATING = (
    Bout(Direction.FORWARD, 120, 3.0),
    Bout(Direction.BACKWARD, 90, 1.5, 2.0),
    Bout(Direction.FORWARD, 120, 3.5),
    Bout(Direction.BACKWARD, 90, 1.8),
)


def feed(
    bus: EventBus,
    bouts: Sequence[Bout] = ALTERNATING,
    *,
    rate_hz: int = 1,
    heart_rate: bool = True,
    end: bool = True,
    profile_name: str = "alternating",
    on_tick: Callable[[float], None] | None = None,
) -> SessionSummary:
    """Publish a session: a start-up second, then the bouts with telemetry, then the end.

    Distance comes in the telemetry (as a treadmill reports it); energy does not, so the
    recorder's energy model fills it in; the summary's energy is the same model's, as the
    engine's would be.
    """
    t_s = 0.0
    distance_m = 0.0
    energy_kcal = model(Direction.FORWARD, 0.0, 0.0, 1.0, BODY_MASS_KG)  # the start-up second
    step_s = 1.0 / rate_hz
    bus.publish(PhaseChanged(0.0, PhaseName.STARTING))
    bus.publish(Telemetry(0.0, 0.0, 0.0, 0.0))
    t_s = 1.0
    backward_s = forward_s = 0.0
    for index, bout in enumerate(bouts):
        bus.publish(
            BoutStarted(
                t_s,
                index,
                len(bouts),
                f"bout {index + 1}",
                bout.direction,
                bout.duration_s,
                bout.speed_kmh,
                bout.incline_pct,
            )
        )
        for _ in range(bout.duration_s * rate_hz):
            hr = 90 + int(t_s) % 20 if heart_rate else None
            bus.publish(
                Telemetry(t_s, bout.speed_kmh, bout.incline_pct, round(distance_m, 2), None, hr)
            )
            if on_tick is not None:
                on_tick(t_s)
            distance_m += bout.speed_kmh / 3.6 * step_s
            energy_kcal += model(
                bout.direction, bout.speed_kmh, bout.incline_pct, step_s, BODY_MASS_KG
            )
            t_s += step_s
        if bout.direction is Direction.BACKWARD:
            backward_s += bout.duration_s
        else:
            forward_s += bout.duration_s
    summary = SessionSummary(
        profile_name,
        t_s,
        backward_s,
        forward_s + 1.0,
        distance_m,
        energy_kcal,
        len(bouts),
        len(bouts),
    )
    if end:
        bus.publish(Telemetry(t_s, 0.0, 0.0, round(distance_m, 2)))
        bus.publish(SessionEnded(t_s, EndStatus.COMPLETED, "all bouts done", summary))
    return summary


def record(
    db_path: Path,
    bouts: Sequence[Bout] = ALTERNATING,
    *,
    profile_name: str = "alternating",
    simulated: bool = True,
    started_at: datetime | None = None,
    **kwargs: object,
) -> RecordingHandle:
    """Record one scripted session into ``db_path``; returns the (closed) recorder."""
    bus = EventBus()
    recorder = attach_recorder(
        bus,
        profile_name=profile_name,
        device="simulator",
        simulated=simulated,
        body_mass_kg=BODY_MASS_KG,
        db_path=db_path,
    )
    if started_at is not None:
        recorder._wall_now = lambda: started_at.astimezone(UTC)
    feed(bus, bouts, profile_name=profile_name, **kwargs)  # type: ignore[arg-type]
    recorder.close()
    return recorder
