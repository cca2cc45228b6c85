"""Records a session from its event stream into the history database, as it happens.

Two halves, so the database can never stall the session (safety rule 14):

* ``Recorder`` is the bus listener. It runs on the session's loop, does only arithmetic (one
  sample per session second, distance and energy fall-backs, laps, pauses) and turns events into
  SQL operations, which it hands to a writer thread without waiting. It never raises.
* ``HistoryWriter`` runs those operations on the writer thread (``sink_thread.SinkThread``), in
  transactions of whatever has gathered (a tenth of a second's worth at most, so a killed process
  loses at most that). A failed transaction (the database locked by another program for longer
  than the busy timeout, a full disk, an I/O error) is rolled back and kept; it is tried again
  every second, and the recording catches up when the problem clears. Nothing is lost unless the
  problem outlasts the session's end and its close budget, and then the end of the session says
  how much.

A session that never sees ``SessionEnded`` keeps ``end_status`` NULL and is shown as interrupted.
Several sessions (processes) share one database: each writes its own rows in short transactions.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sqlite3
import sys
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

from treadctl.direction import Direction
from treadctl.events import (
    BoutStarted,
    EventBus,
    HeartRate,
    PhaseChanged,
    PhaseName,
    SessionEnded,
    SessionEvent,
    Telemetry,
)
from treadctl.history import db
from treadctl.history.sink_status import ProblemReporter
from treadctl.history.sink_thread import SinkReport, SinkThread

log = logging.getLogger(__name__)

EnergyModel = Callable[[Direction, float, float, float, float], float]
# One operation for the writer: SQL whose ?1 is the session id, and the other parameters.
Op = tuple[str, tuple[object, ...]]

_INSERT_SESSION = (
    "INSERT INTO sessions (started_at, profile_name, device, simulated, body_mass_kg)"
    " VALUES (?2, ?3, ?4, ?5, ?6)"
)
_INSERT_SAMPLE = (
    "INSERT OR REPLACE INTO samples (session_id, t_s, speed_kmh, incline_pct, distance_m,"
    " heart_rate_bpm, energy_kcal, lap_seq) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
)
_INSERT_LAP = (
    "INSERT INTO laps (session_id, seq, bout_index, bout_count, label, direction,"
    " start_t_s, planned_duration_s, target_speed_kmh, target_incline_pct)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
)
_CLOSE_LAP = "UPDATE laps SET end_t_s = ?2 WHERE session_id = ?1 AND seq = ?3"
_INSERT_PAUSE = "INSERT OR REPLACE INTO pauses (session_id, start_t_s, end_t_s) VALUES (?1, ?2, ?3)"
_END_SESSION = (
    "UPDATE sessions SET ended_at = ?2, end_status = ?3, end_reason = ?4, duration_s = ?5,"
    " backward_s = ?6, forward_s = ?7, distance_m = ?8, energy_kcal = ?9,"
    " bouts_completed = ?10, bouts_total = ?11 WHERE id = ?1"
)
_NUMBERS = (float, int)
_PAUSED = (PhaseName.PAUSED, PhaseName.RECONNECTING)
OPS_PER_TRANSACTION = 2000
BATCH_INTERVAL_S = 0.1  # a killed process loses at most about this much
CLOSE_TIMEOUT_S = 15.0  # at the end, wait this long for a locked or full database
OPEN_WAIT_S = 1.0  # at attach, wait this long to learn whether the database opens at all


def _default_energy_model() -> EnergyModel:
    from treadctl.energy import energy_kcal

    return energy_kcal


class HistoryWriter:
    """A ``BatchTarget``: runs a session's operations, one transaction per batch."""

    def __init__(self, path: Path | None) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = db.connect(path)
        from treadctl.history.device_info import ensure_table

        ensure_table(self._conn)
        self.session_id: int | None = None  # known once the session's row is committed

    def write(self, items: list[Op]) -> int:
        conn = self._conn
        if conn is None:
            raise sqlite3.ProgrammingError("the history database is closed")
        chunk = items[:OPS_PER_TRANSACTION]
        session_id = self.session_id
        conn.execute("BEGIN IMMEDIATE")
        try:
            for sql, params in chunk:
                if sql is _INSERT_SESSION:
                    cursor = conn.execute(sql, (None, *params))
                    session_id = int(cursor.lastrowid or 0)
                else:
                    conn.execute(sql, (session_id, *params))
            conn.execute("COMMIT")
        except BaseException:
            with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
                conn.execute("ROLLBACK")
            raise
        self.session_id = session_id
        return len(chunk)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None


def describe_db_error(error: BaseException) -> str:
    text = str(error) or type(error).__name__
    if "locked" in text or "busy" in text:
        return "the history database is locked by another program"
    if "full" in text:
        return "the disk is full"
    if "disk I/O error" in text:
        return "a disk I/O error (is the disk full?)"
    return text


class Recorder:
    """Turns one session's events into a session row, a lap per bout, pauses and one sample per
    session second, and hands them to ``sink`` (``SinkThread.put``) without waiting."""

    def __init__(
        self,
        sink: Callable[..., bool],
        *,
        profile_name: str,
        device: str,
        simulated: bool,
        body_mass_kg: float | None,
        wall_now: Callable[[], datetime] = db.now_utc,
        energy_model: EnergyModel | None = None,
    ) -> None:
        self._sink = sink
        self._profile_name = profile_name
        self._device = device
        self._simulated = simulated
        self._body_mass_kg = body_mass_kg
        self._wall_now = wall_now
        self._energy_model = energy_model if energy_model is not None else _default_energy_model()
        # The built-in model is pure and cannot raise on numbers, so its share of a record that
        # carries its own energy (and distance), which replaces the sums at once, can be skipped.
        self._pure_energy_model = energy_model is None and (
            body_mass_kg is None or body_mass_kg.__class__ in _NUMBERS
        )
        self.started = False
        self.ended = False
        self.samples = 0  # samples handed to the writer
        self._started_at: datetime | None = None
        self._lap_seq: int | None = None
        self._lap_bout_index: int | None = None
        self._laps: list[tuple[Direction, float, float | None, int]] = []
        self._pause_start_s: float | None = None
        self._direction = Direction.FORWARD
        self._last_second: int | None = None
        self._last_t_s: float | None = None
        self._last_speed_kmh = 0.0
        self._last_incline_pct = 0.0
        self._distance_m = 0.0
        self._energy_kcal = 0.0
        self._unsubscribe: Callable[[], None] | None = None
        # Heart rate from HeartRate events (trusted only) once any arrives; before that the
        # treadmill's own field, where 0 (no contact) is never recorded as a value.
        self._hr_seen = False
        self._hr_bpm: int | None = None
        self.on_end: Callable[[], None] | None = None

    # --- listener ---------------------------------------------------------------------------

    def __call__(self, event: SessionEvent) -> None:
        if self.ended:
            return
        try:
            self._handle(event)
        except Exception:  # a bug here must not stop the session; the writer keeps its rows
            log.exception("the history recorder failed on %s", event.kind)

    def _handle(self, event: SessionEvent) -> None:
        if isinstance(event, HeartRate):
            self._hr_seen, self._hr_bpm = True, event.bpm
        elif isinstance(event, Telemetry):
            if not self.started:
                self._ensure_session(event.t_s)
            self._on_telemetry(event)
        elif isinstance(event, BoutStarted):
            self._ensure_session(event.t_s)
            self._on_bout(event)
        elif isinstance(event, PhaseChanged):
            if self.started:
                self._on_phase(event)
        elif isinstance(event, SessionEnded):
            if self.started:
                self._on_end(event)
            self.ended = True
            self.detach()
            if self.on_end is not None:
                self.on_end()  # the writer writes the rest and ends; close() collects the report

    def note(self, sql: str, params: tuple[object, ...]) -> None:
        """A further row of this session (its ``?1`` is the session id), written in order by the
        writer thread, after the session's own row."""
        self._put(sql, params)

    def _put(self, sql: str, params: tuple[object, ...], *, droppable: bool = False) -> bool:
        return bool(self._sink((sql, params), droppable=droppable))

    # --- operations -------------------------------------------------------------------------

    def _ensure_session(self, t_s: float) -> None:
        if self.started:
            return
        self.started = True
        # Whole seconds: FIT and TCX timestamps are whole seconds too.
        self._started_at = (self._wall_now() - timedelta(seconds=t_s)).replace(microsecond=0)
        self._put(
            _INSERT_SESSION,
            (
                self._started_at.isoformat(),
                self._profile_name,
                self._device,
                int(self._simulated),
                self._body_mass_kg,
            ),
        )

    def _on_bout(self, event: BoutStarted) -> None:
        if self._lap_bout_index == event.index:
            return  # the same bout announced again (after a resume): one lap
        self._close_lap(event.t_s)
        seq = 0 if self._lap_seq is None else self._lap_seq + 1
        self._put(
            _INSERT_LAP,
            (
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
        self._laps.append((event.direction, event.t_s, None, event.count))
        self._lap_seq = seq
        self._lap_bout_index = event.index
        self._direction = event.direction

    def _close_lap(self, t_s: float) -> None:
        if self._lap_seq is not None:
            self._put(_CLOSE_LAP, (t_s, self._lap_seq))
            direction, start_t_s, _, count = self._laps[-1]
            self._laps[-1] = (direction, start_t_s, t_s, count)

    def _on_phase(self, event: PhaseChanged) -> None:
        """Pauses (and link outages) are kept, so exports can leave them out of timer time."""
        if event.name in _PAUSED:
            if self._pause_start_s is None:
                self._pause_start_s = event.t_s
                self._put(_INSERT_PAUSE, (event.t_s, None))
        elif self._pause_start_s is not None:
            self._end_pause(event.t_s)

    def _end_pause(self, t_s: float) -> None:
        if self._pause_start_s is not None:
            self._put(_INSERT_PAUSE, (self._pause_start_s, t_s))
            self._pause_start_s = None

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
        self._put(
            _INSERT_SAMPLE,
            (
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
            droppable=True,
        )
        self.samples += 1

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

    def _directional_seconds(self, end_t_s: float) -> dict[Direction, float]:
        totals = {Direction.BACKWARD: 0.0, Direction.FORWARD: 0.0}
        for direction, start_t_s, lap_end_t_s, _ in self._laps:
            end = lap_end_t_s if lap_end_t_s is not None else end_t_s
            totals[direction] += max(0.0, end - start_t_s)
        return totals

    def _on_end(self, event: SessionEnded) -> None:
        assert self._started_at is not None
        self._close_lap(event.t_s)
        self._end_pause(event.t_s)
        by_direction = self._directional_seconds(event.t_s)
        summary = event.summary
        duration_s = summary.duration_s if summary else event.t_s
        self._put(
            _END_SESSION,
            (
                (self._started_at + timedelta(seconds=duration_s)).isoformat(),
                str(event.status),
                event.reason,
                duration_s,
                summary.backward_s if summary else by_direction[Direction.BACKWARD],
                summary.forward_s if summary else by_direction[Direction.FORWARD],
                summary.distance_m if summary else self._distance_m,
                summary.energy_kcal if summary else self._energy_kcal,
                summary.bouts_completed if summary else len(self._laps),
                summary.bouts_total if summary else (self._laps[-1][3] if self._laps else 0),
            ),
        )

    def detach(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
            self._unsubscribe = None


class RecordingHandle:
    """What ``attach_recorder`` returns: the listener and its writer thread."""

    def __init__(self, recorder: Recorder, writer: SinkThread[Op], db_path: Path) -> None:
        self.recorder = recorder
        self.writer = writer
        self.db_path = db_path
        self.report: SinkReport | None = None

    @property
    def _wall_now(self) -> Callable[[], datetime]:
        return self.recorder._wall_now

    @_wall_now.setter
    def _wall_now(self, value: Callable[[], datetime]) -> None:
        self.recorder._wall_now = value

    @property
    def session_id(self) -> int | None:
        """The session's row id, once its first transaction is committed."""
        target = self.writer._target
        return target.session_id if isinstance(target, HistoryWriter) else None

    def flush(self, timeout_s: float = 10.0) -> bool:
        """Wait until everything so far is committed (tests, tools)."""
        return self.writer.wait_idle(timeout_s)

    def finish(self) -> None:
        """Stop listening and let the writer write what is left and end (does not wait)."""
        self.recorder.detach()
        self.writer.finish()

    def close(self, timeout_s: float = CLOSE_TIMEOUT_S) -> SinkReport:
        """Stop listening, write what is left (waiting at most ``timeout_s``), report losses."""
        if self.report is None:
            self.recorder.detach()
            if self.writer.waiting and self.writer.problem and timeout_s >= 1.0:
                print(
                    f"treadctl: waiting up to {timeout_s:.0f} s for the history to be written"
                    f" ({self.writer.problem})",
                    file=sys.stderr,
                    flush=True,
                )
            self.report = self.writer.close(timeout_s)
        return self.report


def attach_recorder(
    bus: EventBus,
    *,
    profile_name: str,
    device: str,
    simulated: bool,
    body_mass_kg: float | None,
    db_path: Path | None = None,
    loop: asyncio.AbstractEventLoop | None = None,
    now: Callable[[], float] | None = None,
    retry_s: float = 1.0,
    max_samples: int | None = None,
) -> RecordingHandle:
    """Record the session published on ``bus`` into the history database (the default one in
    the user data folder unless ``db_path`` is given).

    Raises ``db.HistoryError`` when the database cannot be used at all (not a database, from a
    newer treadctl, an unwritable folder), so the caller can say so before the session starts.
    A database that is merely locked by another program is waited for in the background.
    With ``loop`` (the session's), problems are also published on ``bus`` as ``OutputProblem``.
    Call ``close()`` after the session; it returns what, if anything, was lost.
    """
    path = db_path if db_path is not None else db.default_db_path()
    reporter = ProblemReporter("history", f"the history ({path.name})", bus=bus, loop=loop, now=now)
    extra = {} if max_samples is None else {"max_items": max_samples}
    writer: SinkThread[Op] = SinkThread(
        "history",
        lambda: HistoryWriter(path),
        on_problem=reporter,
        describe_error=describe_db_error,
        retry_s=retry_s,
        batch_interval_s=BATCH_INTERVAL_S,
        **extra,
    )
    writer.first_attempt.wait(OPEN_WAIT_S)
    error = writer.open_error
    if error is not None and not _passing(error):
        writer.close(0.1)
        if isinstance(error, db.HistoryError):
            raise error
        raise db.HistoryError(f"cannot open the history database {path}: {error}")
    recorder = Recorder(
        writer.put,
        profile_name=profile_name,
        device=device,
        simulated=simulated,
        body_mass_kg=body_mass_kg,
    )
    recorder.on_end = writer.finish
    recorder._unsubscribe = bus.subscribe(recorder)
    return RecordingHandle(recorder, writer, path)


def _passing(error: BaseException) -> bool:
    """A database locked by another process, a full disk or an I/O error is waited for (and
    retried in the background); a file that is not a database, or from a newer treadctl, is not."""
    if isinstance(error, db.HistoryError):
        return error.passing
    return isinstance(error, sqlite3.OperationalError)
