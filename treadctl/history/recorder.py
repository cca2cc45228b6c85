"""Records a session from its event stream into the history database, as it happens.

The recorder is an ``EventBus`` listener: quick, synchronous and never raising (a full disk must
not stop the supervisor from stopping the belt; the error is logged and recording stops). Samples
are committed in small batches — every ``commit_every_samples`` samples or ``commit_every_s``
seconds of wall time, whichever comes first — so a killed process loses at most a second or two of
samples, while a ``--fast`` run (thousands of samples per wall second) is not slowed by a commit
per sample. A session that never sees ``SessionEnded`` keeps ``end_status`` NULL and is shown as
interrupted.
"""

from __future__ import annotations

import logging
import math
import sqlite3
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from treadctl.direction import Direction
from treadctl.events import (
    BoutStarted,
    EventBus,
    HeartRate,
    SessionEnded,
    SessionEvent,
    Telemetry,
)
from treadctl.history import db

log = logging.getLogger(__name__)

EnergyModel = Callable[[Direction, float, float, float, float], float]


_INSERT_SAMPLE = (
    "INSERT OR REPLACE INTO samples (session_id, t_s, speed_kmh, incline_pct, distance_m,"
    " heart_rate_bpm, energy_kcal, lap_seq) VALUES (?, ?, ?, ?, ?, ?, ?, ?)"
)
_NUMBERS = (float, int)


def _default_energy_model() -> EnergyModel:
    from treadctl.energy import energy_kcal

    return energy_kcal


class Recorder:
    """Writes one session: its row, a lap per bout and one sample per session second."""

    def __init__(
        self,
        conn: sqlite3.Connection,
        *,
        profile_name: str,
        device: str,
        simulated: bool,
        body_mass_kg: float | None,
        wall_now: Callable[[], datetime] = db.now_utc,
        monotonic_s: Callable[[], float] = time.monotonic,
        energy_model: EnergyModel | None = None,
        commit_every_samples: int = 10,
        commit_every_s: float = 1.0,
    ) -> None:
        self._conn: sqlite3.Connection | None = conn
        self._profile_name = profile_name
        self._device = device
        self._simulated = simulated
        self._body_mass_kg = body_mass_kg
        self._wall_now = wall_now
        self._monotonic_s = monotonic_s
        self._energy_model = energy_model if energy_model is not None else _default_energy_model()
        # The built-in model is pure and cannot raise on numbers, so its share of a record that
        # carries its own energy (and distance), which replaces the sums at once, can be skipped.
        self._pure_energy_model = energy_model is None and (
            body_mass_kg is None or body_mass_kg.__class__ in _NUMBERS
        )
        self._commit_every_samples = commit_every_samples
        self._commit_every_s = commit_every_s
        self.session_id: int | None = None
        self._started_at: datetime | None = None
        self._lap_seq: int | None = None
        self._lap_bout_index: int | None = None
        self._direction = Direction.FORWARD
        self._last_second: int | None = None
        self._last_t_s: float | None = None
        self._last_speed_kmh = 0.0
        self._last_incline_pct = 0.0
        self._distance_m = 0.0
        self._energy_kcal = 0.0
        self._in_transaction = False
        self._pending = 0
        self._last_commit_s = monotonic_s()
        self._unsubscribe: Callable[[], None] | None = None
        # Heart rate from HeartRate events (trusted only) once any arrives; before that the
        # treadmill's own field, where 0 (no contact) is never recorded as a value.
        self._hr_seen = False
        self._hr_bpm: int | None = None

    # --- listener ---------------------------------------------------------------------------

    def __call__(self, event: SessionEvent) -> None:
        if self._conn is None:
            return
        try:
            self._handle(event)
        except Exception:
            log.exception("recording stopped: the history database could not be written")
            self.close()

    def _handle(self, event: SessionEvent) -> None:
        if isinstance(event, HeartRate):
            self._hr_seen, self._hr_bpm = True, event.bpm
        elif isinstance(event, Telemetry):
            if self.session_id is None:
                self._ensure_session(event.t_s)
            self._on_telemetry(event)
        elif isinstance(event, BoutStarted):
            self._ensure_session(event.t_s)
            self._on_bout(event)
        elif isinstance(event, SessionEnded):
            if self.session_id is not None:
                self._on_end(event)
            self.close()
            return
        self._maybe_commit()

    # --- writers ----------------------------------------------------------------------------

    def _write(self, sql: str, params: tuple[object, ...]) -> sqlite3.Cursor:
        assert self._conn is not None
        if not self._in_transaction:
            self._conn.execute("BEGIN")
            self._in_transaction = True
        return self._conn.execute(sql, params)

    def _ensure_session(self, t_s: float) -> None:
        if self.session_id is not None:
            return
        # Whole seconds: FIT and TCX timestamps are whole seconds too.
        self._started_at = (self._wall_now() - timedelta(seconds=t_s)).replace(microsecond=0)
        cursor = self._write(
            "INSERT INTO sessions (started_at, profile_name, device, simulated, body_mass_kg)"
            " VALUES (?, ?, ?, ?, ?)",
            (
                self._started_at.isoformat(),
                self._profile_name,
                self._device,
                int(self._simulated),
                self._body_mass_kg,
            ),
        )
        self.session_id = int(cursor.lastrowid or 0)
        self.flush()  # the session exists on disk from its first second

    def _on_bout(self, event: BoutStarted) -> None:
        if self._lap_bout_index == event.index:
            return  # the same bout announced again (after a resume): one lap
        self._close_lap(event.t_s)
        seq = 0 if self._lap_seq is None else self._lap_seq + 1
        self._write(
            "INSERT INTO laps (session_id, seq, bout_index, bout_count, label, direction,"
            " start_t_s, planned_duration_s, target_speed_kmh, target_incline_pct)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                self.session_id,
                seq,
                event.index,
                event.count,
                event.label,
                str(event.direction),
                event.t_s,
                event.duration_s,
                event.speed_kmh,
                event.incline_pct,
            ),
        )
        self._lap_seq = seq
        self._lap_bout_index = event.index
        self._direction = event.direction
        self.flush()

    def _close_lap(self, t_s: float) -> None:
        if self._lap_seq is not None:
            self._write(
                "UPDATE laps SET end_t_s = ? WHERE session_id = ? AND seq = ?",
                (t_s, self.session_id, self._lap_seq),
            )

    def _on_telemetry(self, event: Telemetry) -> None:
        t_s = event.t_s
        distance_m = event.distance_m
        energy_kcal = event.energy_kcal
        if (
            distance_m is not None
            and energy_kcal is not None
            and self._pure_energy_model
            and self._last_speed_kmh.__class__ in _NUMBERS
            and self._last_incline_pct.__class__ in _NUMBERS
        ):
            # Both sums _integrate would add to are replaced just below: only its clock moves.
            self._last_t_s = t_s
        else:
            self._integrate(t_s)
        if event.speed_kmh is not None:
            self._last_speed_kmh = event.speed_kmh
        if event.incline_pct is not None:
            self._last_incline_pct = event.incline_pct
        if distance_m is not None:
            self._distance_m = distance_m
        if energy_kcal is not None:
            self._energy_kcal = energy_kcal
        second = math.floor(t_s)
        if self._last_second is not None and second <= self._last_second:
            return
        self._last_second = second
        self._write(
            _INSERT_SAMPLE,
            (
                self.session_id,
                t_s,
                event.speed_kmh,
                event.incline_pct,
                round(self._distance_m, 2),
                self._hr_bpm if self._hr_seen else (event.heart_rate_bpm or None),
                round(self._energy_kcal, 3)
                if energy_kcal is not None or self._has_energy(event)
                else None,
                self._lap_seq,
            ),
        )
        self._pending += 1

    def _has_energy(self, event: Telemetry) -> bool:
        if event.energy_kcal is not None:
            return True
        return self._energy_model is not None and self._body_mass_kg is not None

    def _integrate(self, t_s: float) -> None:
        """Fallbacks for what the telemetry leaves out: distance from speed, energy from the
        energy model, over the interval since the previous record (at its speed and incline)."""
        previous_t_s, self._last_t_s = self._last_t_s, t_s
        if previous_t_s is None or t_s <= previous_t_s:
            return
        dt_s = t_s - previous_t_s
        self._distance_m += self._last_speed_kmh / 3.6 * dt_s
        if self._energy_model is not None and self._body_mass_kg is not None:
            self._energy_kcal += self._energy_model(
                self._direction,
                self._last_speed_kmh,
                self._last_incline_pct,
                dt_s,
                self._body_mass_kg,
            )

    def _on_end(self, event: SessionEnded) -> None:
        assert self._started_at is not None
        self._close_lap(event.t_s)
        self.flush()
        assert self._conn is not None
        laps = db.get_laps(self._conn, self.session_id or 0)
        by_direction = db.directional_seconds(laps, event.t_s)
        summary = event.summary
        duration_s = summary.duration_s if summary else event.t_s
        self._write(
            "UPDATE sessions SET ended_at = ?, end_status = ?, end_reason = ?, duration_s = ?,"
            " backward_s = ?, forward_s = ?, distance_m = ?, energy_kcal = ?,"
            " bouts_completed = ?, bouts_total = ? WHERE id = ?",
            (
                (self._started_at + timedelta(seconds=duration_s)).isoformat(),
                str(event.status),
                event.reason,
                duration_s,
                summary.backward_s if summary else by_direction[Direction.BACKWARD],
                summary.forward_s if summary else by_direction[Direction.FORWARD],
                summary.distance_m if summary else self._distance_m,
                summary.energy_kcal if summary else self._energy_kcal,
                summary.bouts_completed if summary else len(laps),
                summary.bouts_total if summary else (laps[-1].bout_count if laps else 0),
                self.session_id,
            ),
        )
        self.flush()

    # --- durability -------------------------------------------------------------------------

    def _maybe_commit(self) -> None:
        if not self._in_transaction:
            return
        due = self._monotonic_s() - self._last_commit_s >= self._commit_every_s
        if due or self._pending >= self._commit_every_samples:
            self.flush()

    def flush(self) -> None:
        """Commit what has been written so far."""
        if self._conn is not None and self._in_transaction:
            self._conn.execute("COMMIT")
            self._in_transaction = False
        self._pending = 0
        self._last_commit_s = self._monotonic_s()

    def close(self) -> None:
        """Commit and let go of the database (idempotent); stops listening if attached."""
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None
        if self._conn is None:
            return
        try:
            self.flush()
        except sqlite3.Error:
            log.exception("the last samples could not be saved")
        finally:
            self._conn.close()
            self._conn = None


def attach_recorder(
    bus: EventBus,
    *,
    profile_name: str,
    device: str,
    simulated: bool,
    body_mass_kg: float | None,
    db_path: Path | None = None,
) -> Recorder:
    """Record the session published on ``bus`` into the history database (the default one in
    the user data folder unless ``db_path`` is given). Call ``close()`` if the session ends
    without a ``SessionEnded`` event; it is also called on ``SessionEnded``."""
    recorder = Recorder(
        db.connect(db_path),
        profile_name=profile_name,
        device=device,
        simulated=simulated,
        body_mass_kg=body_mass_kg,
    )
    recorder._unsubscribe = bus.subscribe(recorder)
    return recorder
