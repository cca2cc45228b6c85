"""Heart rate end to end: `treadctl run --simulate --fast --headless` with a simulated strap.

The real CLI, the real bleak front end over the simulator's backend for both the treadmill and
the strap, the real agent, recorder and exporters; on the virtual clock.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fitdecode
import pytest

from simulators.bleak_backend import SimAir
from simulators.strap import STRAP_ADDRESS
from treadctl.cli import main
from treadctl.history import db
from treadctl.session.audit import read_audit

LONG_WALK = """
name = "HR walk"
units = "kmh"

[[steps]]
label = "Walk"
direction = "forward"
duration = "8m"
speed = 3.0

[[steps]]
label = "Walk more"
direction = "forward"
duration = "4m"
speed = 3.2
"""


@pytest.fixture(autouse=True)
def _no_strap_left_on_the_air() -> Iterator[None]:
    """The CLI puts its simulated strap on the process-wide air; later tests must not see it."""
    yield
    SimAir.default().remove(STRAP_ADDRESS)


def _run(
    tmp_path: Path, *extra: str, config: str | None = None
) -> tuple[int, list[dict[str, Any]]]:
    profile = tmp_path / "hr-walk.toml"
    profile.write_text(LONG_WALK, encoding="utf-8")
    audit = tmp_path / "audit.jsonl"
    argv = ["run", str(profile), "--simulate", "--fast", "--headless", "--audit", str(audit)]
    if config is not None:
        path = tmp_path / "config.toml"
        path.write_text(config, encoding="utf-8")
        argv += ["--config", str(path)]
    status = main([*argv, *extra])
    return status, read_audit(audit)


def _hr(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e["kind"] == "hr"]


def _samples() -> list[db.SampleRecord]:
    conn = db.connect()
    try:
        session_id = db.latest_session_id(conn)
        assert session_id is not None
        return db.get_samples(conn, session_id)
    finally:
        conn.close()


def test_a_dry_run_shows_records_and_exports_heart_rate(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, events = _run(tmp_path, "--sim-hr", "90,120@60,150@300")
    assert status == 0
    strap = SimAir.default().find(STRAP_ADDRESS)
    assert strap is not None and strap.server.connections == []  # disconnected at the end
    out = capsys.readouterr().out
    assert "heart rate 90 bpm (strap)" in out and "heart rate 150 bpm (strap)" in out
    readings = _hr(events)
    assert readings and {e["source"] for e in readings} == {"strap"}
    good = [e for e in readings if e["trust"] == "good"]
    assert len(good) > 600  # about one a second for a 12-minute walk
    assert max(e["bpm"] for e in good) == 150
    around_60 = [e["bpm"] for e in good if 55 <= e["t"] <= 65]
    assert around_60 and all(110 <= bpm <= 125 for bpm in around_60)
    rates = [s.heart_rate_bpm for s in _samples()]
    assert sum(r is not None for r in rates) > 600 and 0 not in rates
    assert max(r for r in rates if r is not None) == 150

    tcx = tmp_path / "walk.tcx"
    fit = tmp_path / "walk.fit"
    csv_file = tmp_path / "walk.csv"
    assert main(["export", "last", "--format", "tcx", "-o", str(tcx)]) == 0
    assert main(["export", "last", "--format", "fit", "-o", str(fit)]) == 0
    assert main(["export", "last", "--format", "csv", "-o", str(csv_file)]) == 0
    tcx_text = "".join(line.strip() for line in tcx.read_text(encoding="utf-8").splitlines())
    assert "<HeartRateBpm><Value>150</Value></HeartRateBpm>" in tcx_text
    assert ",150," in csv_file.read_text(encoding="utf-8")
    fit_rates = []
    with fitdecode.FitReader(io.BytesIO(fit.read_bytes())) as reader:
        for frame in reader:
            is_record = isinstance(frame, fitdecode.FitDataMessage) and frame.name == "record"
            if is_record and frame.get_value("heart_rate", fallback=None) is not None:
                fit_rates.append(frame.get_value("heart_rate"))
    assert len(fit_rates) > 600 and max(fit_rates) == 150


def _trusts(events: list[dict[str, Any]]) -> list[tuple[float, str, int | None]]:
    return [(e["t"], e["trust"], e["bpm"]) for e in _hr(events)]


def test_frozen_strap_is_flagged_and_never_recorded(tmp_path: Path) -> None:
    status, events = _run(tmp_path, "--sim-hr", "100,130@400", "--sim-hr-fault", "frozen@120")
    assert status == 0
    frozen = [t for t, trust, _ in _trusts(events) if trust == "frozen"]
    assert frozen and 170 <= frozen[0] <= 200  # 60 s of the same value with no RR
    assert all(bpm is None for _, trust, bpm in _trusts(events) if trust != "good")
    samples = {round(s.t_s): s.heart_rate_bpm for s in _samples()}
    assert all(samples.get(t) is None for t in range(int(frozen[0]) + 2, int(frozen[0]) + 60))


def test_contact_lost_shows_no_number_and_records_no_zero(tmp_path: Path) -> None:
    status, events = _run(tmp_path, "--sim-hr", "95", "--sim-hr-fault", "contact-lost@120+60")
    assert status == 0
    trusts = _trusts(events)
    lost = [t for t, trust, _ in trusts if trust == "no_contact"]
    assert lost and 115 <= lost[0] <= 125 and 170 <= lost[-1] <= 185
    assert any(trust == "good" and t > 190 for t, trust, _ in trusts)  # contact is back
    assert all(bpm is None for _, trust, bpm in trusts if trust == "no_contact")
    assert 0 not in {s.heart_rate_bpm for s in _samples()}


def test_a_dropped_strap_is_link_lost_then_reconnects_on_its_own(tmp_path: Path) -> None:
    status, events = _run(tmp_path, "--sim-hr", "100", "--sim-hr-fault", "drop@120+30")
    assert status == 0  # a lost strap never stops the session by itself
    trusts = _trusts(events)
    lost = [t for t, trust, _ in trusts if trust == "link_lost"]
    assert lost and 118 <= lost[0] <= 124
    assert any(trust == "good" and t > lost[-1] for t, trust, _ in trusts)
    assert lost[-1] < 200


def test_battery_low_is_reported(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, events = _run(tmp_path, "--sim-hr", "100", "--sim-hr-fault", "battery-low@60")
    assert status == 0
    reports = [e for e in events if e["kind"] == "safety" and e["reason"] == "hr_battery_low"]
    assert len(reports) == 1 and reports[0]["t"] >= 55
    assert "battery" in capsys.readouterr().out


CEILING_CONFIG = """
[safety]
hr_ceiling_bpm = 120
hr_ceiling_margin_bpm = 10
hr_ceiling_stop_s = 30
"""


def test_untrusted_heart_rate_with_a_ceiling_gives_a_banner(tmp_path: Path) -> None:
    status, events = _run(
        tmp_path, "--sim-hr", "100", "--sim-hr-fault", "drop@100+30", config=CEILING_CONFIG
    )
    assert status == 0
    banners = [e for e in events if e["kind"] == "safety" and e["reason"] == "hr_untrusted"]
    assert banners and banners[0]["action"] == "report"
    assert "ceiling is not active" in banners[0]["message"]
    assert any(e["kind"] == "safety" and e["reason"] == "hr_trusted" for e in events)


def test_require_hr_stops_the_belt_when_the_strap_drops(tmp_path: Path) -> None:
    config = "[safety]\nrequire_hr = true\n"
    status, events = _run(
        tmp_path, "--sim-hr", "100", "--sim-hr-fault", "drop@120+600", config=config
    )
    assert status == 3  # headless: nobody re-arms, so the session ends in a safety stop
    required = [e for e in events if e["kind"] == "safety" and e["reason"] == "hr_required"]
    assert required and 118 <= required[0]["t"] <= 125
    stops = [e for e in events if e["kind"] == "command" and e["op"] == "stop"]
    assert any(e["t"] >= required[0]["t"] for e in stops)


def test_the_ceiling_stops_the_belt_above_ceiling_plus_margin(tmp_path: Path) -> None:
    # 90 bpm rising to 160 by 60 s: above 130 from about 34 s; 30 s later: Stop.
    status, events = _run(tmp_path, "--sim-hr", "90,160@60", config=CEILING_CONFIG)
    assert status == 3
    ceiling = [e for e in events if e["kind"] == "safety" and e["reason"] == "hr_ceiling"]
    stop_asked = [e for e in ceiling if "stopping the belt" in e["message"]]
    assert stop_asked and 60 <= stop_asked[0]["t"] <= 70
    stops = [e for e in events if e["kind"] == "command" and e["op"] == "stop"]
    assert any(stop_asked[0]["t"] <= e["t"] <= stop_asked[0]["t"] + 2 for e in stops)
    rest = [e for e in events if e["kind"] == "data" and e["t"] > stop_asked[0]["t"] + 15]
    assert rest and all(e["speed_kmh"] == 0 for e in rest)  # and it stays stopped


def _belt_after(events: list[dict[str, Any]], t_s: float) -> list[float]:
    return [
        e["speed_kmh"]
        for e in events
        if e["kind"] == "data" and e["t"] >= t_s and e["speed_kmh"] is not None
    ]


def test_the_ceiling_holds_then_slows_the_belt_and_never_speeds_it_up(tmp_path: Path) -> None:
    # 125 bpm from the start: above the ceiling (120), under ceiling + margin (130): no Stop,
    # but the speed is held, then stepped down; the second bout (3.2 km/h) must not raise it.
    status, events = _run(tmp_path, "--sim-hr", "125", config=CEILING_CONFIG)
    assert status == 0
    refused = [e for e in events if e["kind"] == "safety" and e["reason"] == "hr_limit_refused"]
    assert not refused
    first_limit = next(e for e in events if e["kind"] == "safety" and e["reason"] == "hr_ceiling")
    speeds = _belt_after(events, first_limit["t"] + 2)
    assert speeds and max(speeds) <= 3.0 + 0.05
    assert min(_belt_after(events, first_limit["t"] + 60)) < 3.0


@pytest.mark.parametrize(
    "extra",
    [
        ["--sim-hr", "abc"],
        ["--sim-hr", "90,120"],
        ["--sim-hr", "90,120@60,100@30"],
        ["--sim-hr-fault", "melt@3"],
        ["--sim-hr-fault", "frozen"],
    ],
)
def test_bad_strap_input_exits_2(
    tmp_path: Path, extra: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    status, _ = _run_bad(tmp_path, extra)
    assert status == 2
    err = capsys.readouterr().err
    assert "Traceback" not in err and err.strip().count("\n") == 0


def _run_bad(tmp_path: Path, extra: list[str]) -> tuple[int, None]:
    profile = tmp_path / "hr-walk.toml"
    profile.write_text(LONG_WALK, encoding="utf-8")
    return main(["run", str(profile), "--simulate", "--fast", "--headless", *extra]), None


def test_sim_hr_needs_simulate(capsys: pytest.CaptureFixture[str]) -> None:
    argv = ["run", "retro-10", "--headless", "--device", "AA:BB:CC:DD:EE:FF", "--sim-hr", "90"]
    assert main(argv) == 2
    assert "--sim-hr" in capsys.readouterr().err


def test_scan_and_probe_find_and_read_the_simulated_strap(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["scan", "--hr", "--simulate", "--timeout", "1", "--json"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [f["address"] for f in found] == ["SIM-HR-STRAP-1"]
    assert main(["probe", "--hr", "--simulate", "--listen", "3", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["connected"] and report["body_sensor_location"] == "chest"
    assert report["battery_pct"] == 87
    assert len(report["measurements"]) >= 2
    assert all(m["contact_detected"] and m["rr_intervals_s"] for m in report["measurements"])
    assert main(["probe", "--hr", "--simulate", "--listen", "2"]) == 0
    assert "body sensor location: chest" in capsys.readouterr().out


def test_probe_hr_without_a_device_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--hr"]) == 2
    assert "scan --hr" in capsys.readouterr().err


@pytest.mark.timeout(90)
async def test_heart_rate_over_mqtt_with_its_trust_and_discovery(tmp_path: Path) -> None:
    import asyncio
    import contextlib

    import aiomqtt

    from tests.mqtt_broker import TestBroker

    with TestBroker(tmp_path) as broker:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[mqtt]\nhost = "{broker.host}"\nport = {broker.port}\n', encoding="utf-8"
        )
        telemetry: list[dict[str, Any]] = []
        discovery: dict[str, bytes] = {}
        async with aiomqtt.Client(broker.host, broker.port) as viewer:
            await viewer.subscribe("#", qos=1)

            async def collect() -> None:
                async for message in viewer.messages:
                    topic = str(message.topic)
                    payload = message.payload if isinstance(message.payload, bytes) else b""
                    if topic.startswith("homeassistant/") and "/heart_rate/" in topic:
                        discovery[topic] = payload
                    elif topic.endswith("/telemetry") and payload.startswith(b"{"):
                        telemetry.append(json.loads(payload))

            collector = asyncio.create_task(collect())
            try:
                argv = [
                    "run", "retro-10", "--simulate", "--fast", "--headless",
                    "--config", str(config), "--sim-hr", "104",
                ]  # fmt: skip
                assert await asyncio.to_thread(main, argv) == 0
                deadline = asyncio.get_running_loop().time() + 10
                while not (discovery and any("heart_rate_trust" in t for t in telemetry)):
                    assert asyncio.get_running_loop().time() < deadline, "no heart rate seen"
                    await asyncio.sleep(0.05)
            finally:
                collector.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await collector
    assert any(payload for payload in discovery.values())  # announced: a source exists
    good = [t for t in telemetry if t.get("heart_rate_trust") == "good"]
    assert good and {t["heart_rate_bpm"] for t in good} == {104}
    assert all(
        t["heart_rate_bpm"] is None
        for t in telemetry
        if t.get("heart_rate_trust") != "good" and "heart_rate_trust" in t
    )


def test_the_program_weeks_ceiling_applies_to_its_sessions(
    tmp_path: Path, isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from datetime import UTC, datetime

    from tests.history_support import Bout, record
    from treadctl.direction import Direction

    programs = isolated_home / "profiles" / "programs"
    programs.mkdir(parents=True)
    (programs / "hr-prog.toml").write_text(
        'name = "HR prog"\n'
        '[[phases]]\nweeks = 2\nsessions_per_week = 3\nprofiles = ["retro-10"]\n'
        "hr_ceiling_bpm = 108\n",
        encoding="utf-8",
    )
    record(
        db.default_db_path(),
        (Bout(Direction.BACKWARD, 600, 1.6),),
        profile_name="retro-10",
        simulated=False,
        started_at=datetime.now(UTC),
    )
    argv = ["run", "retro-10", "--simulate", "--fast", "--headless", "--sim-hr", "100"]
    assert main(argv) == 0
    assert "heart-rate ceiling 108 bpm (from program week 1 of HR prog)" in capsys.readouterr().out


def test_a_profiles_ceiling_overrides_the_configuration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    profile = tmp_path / "capped.toml"
    profile.write_text(LONG_WALK.replace('units = "kmh"', 'units = "kmh"\nhr_ceiling_bpm = 111'))
    config = tmp_path / "config.toml"
    config.write_text(CEILING_CONFIG, encoding="utf-8")
    argv = ["run", str(profile), "--simulate", "--fast", "--headless", "--sim-hr", "100"]
    assert main([*argv, "--config", str(config)]) == 0
    assert "heart-rate ceiling 111 bpm (from profile)" in capsys.readouterr().out


def test_a_dry_run_with_a_strap_in_a_child_process(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    env = {**os.environ, "TREADCTL_HOME": str(tmp_path / "home")}
    argv = ["run", "retro-10", "--simulate", "--fast", "--headless", "--sim-hr", "95,125@300"]
    done = subprocess.run(
        [sys.executable, "-m", "treadctl", *argv, "--effort", "5", "--pain", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "heart rate 95 bpm (strap)" in done.stdout
    assert "heart rate 125 bpm (strap)" in done.stdout
    assert "check-in for session 1: effort 5/10, pain 1/10" in done.stdout
    assert "Traceback" not in done.stderr
