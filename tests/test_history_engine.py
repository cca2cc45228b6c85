"""The recorder on a real session: the engine driving the simulated treadmill on virtual time,
then the history, a FIT export read back by fitdecode, and the totals compared."""

from __future__ import annotations

import io
from pathlib import Path

import fitdecode
import pytest

from simulators.bleak_backend import SimAir
from treadctl.events import EndStatus, EventBus, SessionEnded
from treadctl.history import db
from treadctl.history.export import export_session
from treadctl.history.recorder import attach_recorder
from treadctl.plan import build_plan
from treadctl.profile.loading import load_profile
from treadctl.safety_config import SafetyConfig
from treadctl.session.engine import Session, SessionOptions
from treadctl.simulated_link import simulated_link
from treadctl.virtual_time import run_virtual


def _run(db_path: Path) -> SessionEnded:
    profile = load_profile("first-session")
    safety = SafetyConfig()
    plan = build_plan(profile.name, profile.expand(), safety)

    async def main() -> SessionEnded:
        link, _treadmill = simulated_link(sim_air=SimAir())
        bus = EventBus()
        handle = attach_recorder(
            bus,
            profile_name="first-session",
            device="simulator",
            simulated=True,
            body_mass_kg=70.0,
            db_path=db_path,
        )
        session = Session(plan, link, bus, safety, SessionOptions(auto_confirm_turns=True))
        ended = await session.run()
        assert handle.close().complete
        return ended

    return run_virtual(main())


def test_a_simulated_session_is_recorded_and_exports(tmp_path: Path) -> None:
    path = tmp_path / "h.sqlite3"
    ended = _run(path)
    assert ended.status is EndStatus.COMPLETED and ended.summary is not None
    conn = db.connect(path)
    session = db.get_session(conn, 1)
    assert session is not None and session.finished
    assert session.backward_s == pytest.approx(ended.summary.backward_s)
    profile = load_profile("first-session")
    laps = db.get_laps(conn, 1)
    assert [lap.direction for lap in laps] == [b.direction for b in profile.expand()]
    samples = db.get_samples(conn, 1)
    assert len(samples) >= profile.total_duration_s  # one per second, turns included
    with fitdecode.FitReader(
        io.BytesIO(export_session(conn, 1, "fit")), check_crc=fitdecode.CrcCheck.ENABLED
    ) as reader:
        frames = [f for f in reader if isinstance(f, fitdecode.FitDataMessage)]
    fit_laps = [f for f in frames if f.name == "lap"]
    assert len(fit_laps) == len(laps)
    (fit_session,) = [f for f in frames if f.name == "session"]
    assert fit_session.get_value("total_distance") == pytest.approx(session.distance_m, abs=0.01)
    assert sum(f.get_value("total_timer_time") for f in fit_laps) == pytest.approx(
        session.duration_s, abs=0.01
    )
