"""Running totals for the session: distance, energy, time by direction, bouts completed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from treadctl.direction import Direction
from treadctl.events import SessionSummary

EnergyModel = Callable[[Direction, float, float, float, float], float]
MAX_SAMPLE_GAP_S = 5.0  # longer gaps (link loss, stale data) are not integrated


def _default_energy_model() -> EnergyModel:
    from treadctl.energy import energy_kcal

    def model(direction: Direction, speed: float, incline: float, dur: float, mass: float) -> float:
        return float(energy_kcal(direction, speed, incline, dur, mass))

    return model


@dataclass
class Totals:
    profile_name: str
    bouts_total: int
    body_mass_kg: float = 70.0
    distance_m: float = 0.0
    energy_kcal: float = 0.0
    backward_s: float = 0.0
    forward_s: float = 0.0
    bouts_completed: int = 0
    _last_t: float | None = None
    _last_machine_distance_m: float | None = None
    _energy: EnergyModel | None = None

    def add_sample(
        self,
        t: float,
        direction: Direction | None,
        speed_kmh: float | None,
        incline_pct: float | None,
        machine_distance_m: float | None,
    ) -> None:
        """Integrate one telemetry record into distance and energy."""
        dt = 0.0 if self._last_t is None else t - self._last_t
        self._last_t = t
        if not 0 < dt <= MAX_SAMPLE_GAP_S or speed_kmh is None:
            dt = 0.0
        if machine_distance_m is not None:
            last = self._last_machine_distance_m
            self._last_machine_distance_m = machine_distance_m
            if last is not None and machine_distance_m >= last:
                self.distance_m += machine_distance_m - last
        elif speed_kmh is not None:
            self.distance_m += speed_kmh / 3.6 * dt
        if dt > 0 and speed_kmh is not None and speed_kmh > 0 and direction is not None:
            if self._energy is None:
                self._energy = _default_energy_model()
            self.energy_kcal += self._energy(
                direction, speed_kmh, incline_pct or 0.0, dt, self.body_mass_kg
            )

    def add_bout_time(self, direction: Direction, seconds: float) -> None:
        if direction is Direction.BACKWARD:
            self.backward_s += seconds
        else:
            self.forward_s += seconds

    def summary(self, duration_s: float) -> SessionSummary:
        return SessionSummary(
            profile_name=self.profile_name,
            duration_s=round(duration_s, 3),
            backward_s=round(self.backward_s, 3),
            forward_s=round(self.forward_s, 3),
            distance_m=round(self.distance_m, 1),
            energy_kcal=round(self.energy_kcal, 2),
            bouts_completed=self.bouts_completed,
            bouts_total=self.bouts_total,
        )
