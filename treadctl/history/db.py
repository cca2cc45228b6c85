"""The session history database: one SQLite file in the user data folder.

WAL journal with ``synchronous=NORMAL``: a committed transaction survives a killed process and an
interrupted write never corrupts the file (SQLite rolls the unfinished transaction back when the
file is next opened). The schema is versioned with ``PRAGMA user_version``; each migration runs in
its own transaction, so an old file is brought up to date the first time a newer treadctl opens it.
The read API returns plain dataclasses so the commands, exporters and the UI share one model.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from treadctl.direction import Direction
from treadctl.errors import TreadctlError

DB_FILE_NAME = "history.sqlite3"
BUSY_TIMEOUT_MS = 5000

# Each entry brings the schema from version i to i + 1. Never edit a released entry: append.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE sessions (
        id INTEGER PRIMARY KEY,
        started_at TEXT NOT NULL,          -- ISO 8601 UTC: the wall time of session time 0
        ended_at TEXT,                      -- started_at + duration; NULL until the session ends
        profile_name TEXT NOT NULL,
        device TEXT NOT NULL,
        simulated INTEGER NOT NULL,
        body_mass_kg REAL,
        end_status TEXT,                    -- completed, safety_stop, interrupted; NULL: unfinished
        end_reason TEXT NOT NULL DEFAULT '',
        duration_s REAL,
        backward_s REAL,
        forward_s REAL,
        distance_m REAL,
        energy_kcal REAL,
        bouts_completed INTEGER,
        bouts_total INTEGER
    );
    CREATE TABLE laps (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        seq INTEGER NOT NULL,               -- 0-based order within the session
        bout_index INTEGER NOT NULL,
        bout_count INTEGER NOT NULL,
        label TEXT NOT NULL,
        direction TEXT NOT NULL,
        start_t_s REAL NOT NULL,
        end_t_s REAL,                       -- NULL while the bout runs (or after a kill)
        planned_duration_s REAL NOT NULL,
        target_speed_kmh REAL NOT NULL,
        target_incline_pct REAL NOT NULL,
        PRIMARY KEY (session_id, seq)
    );
    CREATE TABLE samples (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        t_s REAL NOT NULL,                  -- session time, one sample per session second
        speed_kmh REAL,
        incline_pct REAL,
        distance_m REAL,
        heart_rate_bpm INTEGER,
        energy_kcal REAL,
        lap_seq INTEGER,                    -- the lap running at t_s (NULL before the first bout)
        PRIMARY KEY (session_id, t_s)
    ) WITHOUT ROWID;
    CREATE INDEX sessions_started_at ON sessions(started_at);
    """,
    """
    CREATE TABLE pauses (
        session_id INTEGER NOT NULL REFERENCES sessions(id) ON DELETE CASCADE,
        start_t_s REAL NOT NULL,            -- session time the belt was paused (or the link lost)
        end_t_s REAL,                       -- NULL while paused (or after a kill)
        PRIMARY KEY (session_id, start_t_s)
    ) WITHOUT ROWID;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


class HistoryError(TreadctlError):
    """The history file is from a newer treadctl or cannot be read (the commands print the
    message and exit 2 instead of a traceback). ``passing``: the cause may go away by itself
    (locked by another program, a full disk, an I/O error), so a recorder waits and retries."""

    def __init__(self, message: str, *, passing: bool = False) -> None:
        super().__init__(message)
        self.passing = passing


def default_db_path() -> Path:
    from treadctl.paths import data_dir

    return data_dir() / DB_FILE_NAME


def connect(path: Path | None = None) -> sqlite3.Connection:
    """Open (creating if needed) and migrate the database; autocommit mode, explicit BEGIN."""
    db_path = path if path is not None else default_db_path()
    db_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        conn = sqlite3.connect(db_path, isolation_level=None, timeout=BUSY_TIMEOUT_MS / 1000)
    except sqlite3.Error as error:
        raise HistoryError(f"cannot open the history database {db_path}: {error}") from None
    try:
        conn.row_factory = sqlite3.Row
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA foreign_keys=ON")
        migrate(conn)
    except HistoryError:
        conn.close()
        raise
    except sqlite3.DatabaseError as error:
        conn.close()
        # "database is locked" and friends are passing; "file is not a database" is not.
        passing = isinstance(error, sqlite3.OperationalError)
        advice = "" if passing else "; move it aside"
        raise HistoryError(
            f"the history database {db_path} cannot be read ({error}){advice}", passing=passing
        ) from None
    return conn


def migrate(conn: sqlite3.Connection) -> None:
    version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    if version > SCHEMA_VERSION:
        raise HistoryError(
            f"the history database is from a newer treadctl (schema {version}); please upgrade"
        )
    for target in range(version, SCHEMA_VERSION):
        conn.execute("BEGIN IMMEDIATE")
        try:
            # Re-check under the write lock: another process may have migrated meanwhile.
            if int(conn.execute("PRAGMA user_version").fetchone()[0]) != target:
                conn.execute("ROLLBACK")
                continue
            for statement in _statements(MIGRATIONS[target]):
                conn.execute(statement)
            conn.execute(f"PRAGMA user_version = {target + 1}")
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    """Split a migration into statements (``executescript`` would commit behind our back)."""
    lines = [line.split("--", 1)[0] for line in script.splitlines()]
    return [part.strip() for part in "\n".join(lines).split(";") if part.strip()]


# --- read API -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionRecord:
    id: int
    started_at: datetime
    ended_at: datetime | None
    profile_name: str
    device: str
    simulated: bool
    body_mass_kg: float | None
    end_status: str  # completed, safety_stop, interrupted ("interrupted" also for a killed run)
    end_reason: str
    finished: bool  # False: no SessionEnded was recorded (killed, crashed, or still running)
    duration_s: float
    backward_s: float
    forward_s: float
    distance_m: float
    energy_kcal: float
    bouts_completed: int
    bouts_total: int


@dataclass(frozen=True)
class LapRecord:
    seq: int
    bout_index: int
    bout_count: int
    label: str
    direction: Direction
    start_t_s: float
    end_t_s: float | None
    planned_duration_s: float
    target_speed_kmh: float
    target_incline_pct: float


@dataclass(frozen=True)
class SampleRecord:
    t_s: float
    speed_kmh: float | None
    incline_pct: float | None
    distance_m: float | None
    heart_rate_bpm: int | None
    energy_kcal: float | None
    lap_seq: int | None


def parse_utc(text: str) -> datetime:
    value = datetime.fromisoformat(text)
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def list_sessions(conn: sqlite3.Connection, *, limit: int | None = None) -> list[SessionRecord]:
    """Newest first."""
    sql = "SELECT id FROM sessions ORDER BY started_at DESC, id DESC"
    params: tuple[int, ...] = ()
    if limit is not None:
        sql += " LIMIT ?"
        params = (limit,)
    ids = [int(row["id"]) for row in conn.execute(sql, params)]
    return [record for record in (get_session(conn, i) for i in ids) if record is not None]


def latest_session_id(conn: sqlite3.Connection) -> int | None:
    row = conn.execute(
        "SELECT id FROM sessions ORDER BY started_at DESC, id DESC LIMIT 1"
    ).fetchone()
    return None if row is None else int(row["id"])


def get_laps(conn: sqlite3.Connection, session_id: int) -> list[LapRecord]:
    rows = conn.execute("SELECT * FROM laps WHERE session_id = ? ORDER BY seq", (session_id,))
    return [
        LapRecord(
            seq=row["seq"],
            bout_index=row["bout_index"],
            bout_count=row["bout_count"],
            label=row["label"],
            direction=Direction(row["direction"]),
            start_t_s=row["start_t_s"],
            end_t_s=row["end_t_s"],
            planned_duration_s=row["planned_duration_s"],
            target_speed_kmh=row["target_speed_kmh"],
            target_incline_pct=row["target_incline_pct"],
        )
        for row in rows
    ]


def get_samples(conn: sqlite3.Connection, session_id: int) -> list[SampleRecord]:
    rows = conn.execute(
        "SELECT t_s, speed_kmh, incline_pct, distance_m, heart_rate_bpm, energy_kcal, lap_seq"
        " FROM samples WHERE session_id = ? ORDER BY t_s",
        (session_id,),
    )
    return [SampleRecord(*tuple(row)) for row in rows]


def get_pauses(conn: sqlite3.Connection, session_id: int) -> list[tuple[float, float | None]]:
    """Pauses as (start, end) in session time, in order; end None: still paused at the end."""
    rows = conn.execute(
        "SELECT start_t_s, end_t_s FROM pauses WHERE session_id = ? ORDER BY start_t_s",
        (session_id,),
    )
    return [(float(row["start_t_s"]), row["end_t_s"]) for row in rows]


def paused_seconds(
    pauses: list[tuple[float, float | None]], start_t_s: float, end_t_s: float
) -> float:
    """Seconds of ``pauses`` inside [start_t_s, end_t_s] (an open pause runs to ``end_t_s``)."""
    total = 0.0
    for pause_start, pause_end in pauses:
        stop = end_t_s if pause_end is None else min(pause_end, end_t_s)
        total += max(0.0, stop - max(pause_start, start_t_s))
    return total


def get_session(conn: sqlite3.Connection, session_id: int) -> SessionRecord | None:
    """One session; an unfinished one gets its totals from its laps and samples."""
    row = conn.execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
    if row is None:
        return None
    started_at = parse_utc(row["started_at"])
    finished = row["end_status"] is not None
    if finished and row["duration_s"] is not None:
        return SessionRecord(
            id=row["id"],
            started_at=started_at,
            ended_at=parse_utc(row["ended_at"]) if row["ended_at"] else None,
            profile_name=row["profile_name"],
            device=row["device"],
            simulated=bool(row["simulated"]),
            body_mass_kg=row["body_mass_kg"],
            end_status=row["end_status"],
            end_reason=row["end_reason"],
            finished=True,
            duration_s=row["duration_s"],
            backward_s=row["backward_s"] or 0.0,
            forward_s=row["forward_s"] or 0.0,
            distance_m=row["distance_m"] or 0.0,
            energy_kcal=row["energy_kcal"] or 0.0,
            bouts_completed=row["bouts_completed"] or 0,
            bouts_total=row["bouts_total"] or 0,
        )
    totals = _totals_from_rows(conn, session_id)
    return SessionRecord(
        id=row["id"],
        started_at=started_at,
        ended_at=None,
        profile_name=row["profile_name"],
        device=row["device"],
        simulated=bool(row["simulated"]),
        body_mass_kg=row["body_mass_kg"],
        end_status=row["end_status"] or "interrupted",
        end_reason=row["end_reason"] or "no end recorded (the program was killed or crashed)",
        finished=finished,
        duration_s=totals.duration_s,
        backward_s=totals.backward_s,
        forward_s=totals.forward_s,
        distance_m=totals.distance_m,
        energy_kcal=totals.energy_kcal,
        bouts_completed=totals.bouts_completed,
        bouts_total=totals.bouts_total,
    )


@dataclass(frozen=True)
class _Totals:
    duration_s: float
    backward_s: float
    forward_s: float
    distance_m: float
    energy_kcal: float
    bouts_completed: int
    bouts_total: int


def _totals_from_rows(conn: sqlite3.Connection, session_id: int) -> _Totals:
    last = conn.execute(
        "SELECT t_s, distance_m, energy_kcal FROM samples WHERE session_id = ?"
        " ORDER BY t_s DESC LIMIT 1",
        (session_id,),
    ).fetchone()
    duration_s = float(last["t_s"]) if last else 0.0
    laps = get_laps(conn, session_id)
    by_direction = directional_seconds(laps, duration_s)
    return _Totals(
        duration_s=duration_s,
        backward_s=by_direction[Direction.BACKWARD],
        forward_s=by_direction[Direction.FORWARD],
        distance_m=float(last["distance_m"] or 0.0) if last else 0.0,
        energy_kcal=float(last["energy_kcal"] or 0.0) if last else 0.0,
        bouts_completed=sum(1 for lap in laps if lap.end_t_s is not None),
        bouts_total=laps[-1].bout_count if laps else 0,
    )


def directional_seconds(laps: list[LapRecord], end_t_s: float) -> dict[Direction, float]:
    """Seconds spent in backward and forward bouts; an open lap runs to ``end_t_s``."""
    totals = {Direction.BACKWARD: 0.0, Direction.FORWARD: 0.0}
    for lap in laps:
        end = lap.end_t_s if lap.end_t_s is not None else end_t_s
        totals[lap.direction] += max(0.0, end - lap.start_t_s)
    return totals


def now_utc() -> datetime:
    return datetime.now(UTC)


def resolve_session_id(conn: sqlite3.Connection, ref: str) -> int:
    """``ref`` is a session id or ``last``; raises UsageError with what to try instead."""
    from treadctl.errors import UsageError

    if ref.strip().lower() == "last":
        latest = latest_session_id(conn)
        if latest is None:
            raise UsageError("no sessions recorded yet; run one first (try --simulate)")
        return latest
    try:
        session_id = int(ref)
    except ValueError:
        raise UsageError(
            f"{ref!r} is not a session id; use a number from `treadctl history` or 'last'"
        ) from None
    if conn.execute("SELECT 1 FROM sessions WHERE id = ?", (session_id,)).fetchone() is None:
        raise UsageError(f"there is no session {session_id}; see `treadctl history`")
    return session_id
