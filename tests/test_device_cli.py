"""Quirks, Device Information and radios as a user meets them on the command line."""

from __future__ import annotations

import json
import os
import pty
import select
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from simulators.bleak_backend import SimAir
from treadctl.cli import main
from treadctl.session.audit import read_audit

ROOT = Path(__file__).resolve().parent.parent
NO_BUS = "unix:path=/nonexistent/treadctl-test-bus"
PROFILE = """
name = "Quirk test"
units = "kmh"

[[steps]]
label = "Walk"
direction = "forward"
duration = "20s"
speed = 2.0
"""


@pytest.fixture(autouse=True)
def clean_air() -> Iterator[None]:
    yield
    SimAir.default().clear()


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "walk.toml"
    path.write_text(PROFILE, encoding="utf-8")
    return path


def run_fast(profile: Path, audit: Path, *extra: str) -> int:
    return main(
        ["run", str(profile), "--simulate", "--fast", "--headless", "--audit", str(audit), *extra]
    )


# --- quirks applied in a run ----------------------------------------------------------------


def test_a_slow_treadmill_fails_without_the_quirk_and_completes_with_it(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Answers after 2.2 s (past the 2 s deadline): exit 3 at once; slow-response completes."""
    audit = tmp_path / "audit.jsonl"
    slow = ["--sim-personality", "very-slow-response"]
    assert run_fast(profile, audit, *slow, "--quirks", "spec") == 3
    events = read_audit(audit)
    assert float(str(events[-1]["t"])) < 10
    assert run_fast(profile, audit, *slow, "--quirks", "slow-response") == 0
    events = read_audit(audit)
    assert events[-1]["status"] == "completed"
    link = next(e for e in events if e["kind"] == "link")
    assert "response_timeout_s=5 (from --quirks)" in str(link["reason"])
    # The simulated device's real counterpart is known to need it: applied by default.
    assert run_fast(profile, audit, *slow) == 0
    link = next(e for e in read_audit(audit) if e["kind"] == "link")
    assert "(from simulator personality very-slow-response)" in str(link["reason"])
    capsys.readouterr()


def test_quirks_from_the_config_file_by_address_and_name_pattern(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    audit = tmp_path / "audit.jsonl"
    config.write_text(
        '[devices."treadctl*"]\nquirks = ["slow-response"]\nname = "Clinic 2"\n'
        "speed_max_kmh = 3.0\n",
        encoding="utf-8",
    )
    args = ["--sim-personality", "very-slow-response", "--config", str(config)]
    assert run_fast(profile, audit, *args) == 0
    events = read_audit(audit)
    reason = str(next(e for e in events if e["kind"] == "link")["reason"])
    assert reason.startswith("connected to Clinic 2 (treadctl sim)")
    assert 'response_timeout_s=5 (from config [devices."treadctl*"]' in reason
    assert "range from config" in reason
    speeds = [
        float(str(e["speed_kmh"]))
        for e in events
        if e["kind"] == "command" and e["op"] == "set_speed"
    ]
    assert max(speeds) <= 3.0
    # --quirks replaces the configuration's: the slow treadmill fails again.
    assert run_fast(profile, audit, *args, "--quirks", "spec") == 3
    capsys.readouterr()


def test_link_writes_of_a_quirk_are_in_the_audit_log(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = tmp_path / "audit.jsonl"
    assert run_fast(profile, audit, "--quirks", "control-preamble") == 0
    events = read_audit(audit)
    # The supervisor logs the client's own writes as commands with source "link: <why>",
    # each followed by the treadmill's answer.
    own = [e for e in events if e["kind"] == "command" and str(e["source"]).startswith("link")]
    assert {e["op"] for e in own} == {"request_control", "start"}
    assert all("control-preamble" in str(e["source"]) for e in own)
    answers = [e for e in events if e["kind"] == "response"]
    assert len(answers) >= len([e for e in events if e["kind"] == "command"])
    capsys.readouterr()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--quirks", "warp"], "unknown device quirk 'warp'"),
        (["--transport", "tcp-client:127.0.0.1:1"], "--simulate runs the simulator"),
    ],
)
def test_bad_quirks_or_radio_on_run_is_one_line(
    profile: Path, extra: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", str(profile), "--simulate", "--headless", *extra]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_bad_adapter_name_is_one_line(profile: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["run", str(profile), "--device", "AA:BB:CC:DD:EE:FF", "--adapter", "usb"]) == 2
    assert "bad adapter 'usb'" in capsys.readouterr().err


def test_a_bad_devices_table_is_a_config_error(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[devices."AA:BB:CC:DD:EE:FF"]\nquirks = ["warp"]\n', encoding="utf-8")
    assert main(["run", str(profile), "--simulate", "--headless", "--config", str(config)]) == 2
    [line] = capsys.readouterr().err.strip().splitlines()
    assert "config.toml:2" in line and "unknown quirk 'warp'" in line


# --- no Bluetooth: one line, exit 2, before any screen ----------------------------------------


def test_run_device_without_bluetooth_is_one_line_before_any_screen(profile: Path) -> None:
    """On a terminal (where the session UI would open), with no D-Bus system bus."""
    env = {**os.environ, "DBUS_SYSTEM_BUS_ADDRESS": NO_BUS, "TERM": "xterm-256color"}
    leader, follower = pty.openpty()
    process = subprocess.Popen(
        [sys.executable, "-m", "treadctl", "run", str(profile), "--device", "AA:BB:CC:DD:EE:FF"],
        cwd=ROOT,
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
    )
    os.close(follower)
    output = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        ready, _, _ = select.select([leader], [], [], 0.5)
        if ready:
            try:
                chunk = os.read(leader, 4096)
            except OSError:
                break
            if not chunk:
                break
            output += chunk
        elif process.poll() is not None:
            break
    process.wait(timeout=30)
    os.close(leader)
    text = output.decode("utf-8", errors="replace")
    assert process.returncode == 2
    assert text.strip().splitlines() == [
        "treadctl: Bluetooth is not available on this machine (no D-Bus system bus, so no BlueZ);"
        " try --simulate to use the built-in treadmill simulator"
    ]
    assert "\x1b[?1049h" not in text  # the terminal UI never took the screen


# --- probe ----------------------------------------------------------------------------------


def test_probe_reports_device_information_and_audits_its_writes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = tmp_path / "probe.jsonl"
    args = ["probe", "--simulate", "--quirks", "request-control-twice", "--audit", str(audit)]
    assert main([*args, "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["device_information"] == {
        "manufacturer": "treadctl",
        "model": "SIM-1",
        "serial_number": "SIM-0001",
        "hardware_revision": "1.0",
        "firmware_revision": "1.0.0",
        "software_revision": None,
    }
    writes = report["control_point_writes"]
    assert [(w["op"], w["result"]) for w in writes] == [("request_control", "success")] * 2
    assert "request-control-twice" in writes[1]["why"]
    lines = [json.loads(line) for line in audit.read_text().splitlines()]
    logged = [r for r in lines if r["kind"] == "control_point_write"]
    assert len(logged) == 2 and {r["result"] for r in logged} == {"success"}
    assert "probe: ask for control" in logged[0]["why"]  # in the order written
    assert "request-control-twice" in logged[1]["why"]
    assert report["audit_log"] == str(audit)


def test_probe_default_audit_log_sits_beside_the_session_folders(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["probe", "--simulate"]) == 0
    out = capsys.readouterr().out
    assert "device information: manufacturer 'treadctl', model 'SIM-1'" in out
    assert "control point write: request_control (probe: ask for control) -> success" in out
    [path] = (isolated_home).rglob("probe.jsonl")
    assert path.parent.parent.name == "sessions" and "probe" in path.parent.name
    assert f"audit log: {path}" in out
    kinds = [json.loads(line)["kind"] for line in path.read_text().splitlines()]
    assert kinds.count("control_point_write") == 1 and "link" in kinds


@pytest.mark.parametrize(
    ("personality", "quirk"),
    [("very-slow-response", "slow-response"), ("mph-range", "mph-range")],
)
def test_probe_suggests_the_quirks_it_observed(
    personality: str, quirk: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # mph-range: the simulator names itself an FS-BT-T4, so pass spec quirks to see the guess.
    args = ["probe", "--simulate", "--sim-personality", personality, "--quirks", "spec"]
    assert main(args) == 0  # connected, whatever control answered
    out = capsys.readouterr().out
    assert f"suggested quirk: {quirk} - " in out
    assert f"--quirks {quirk}" in out


def test_probe_without_device_information(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--simulate", "--sim-personality", "no-device-information"]) == 0
    assert "device information: none" in capsys.readouterr().out


def test_known_device_matched_on_device_information(capsys: pytest.CaptureFixture[str]) -> None:
    """The mph-range simulator reports model FS-BT-T4; with no quirks given the known-device
    table picks mph-range from that Device Information string."""
    from treadctl.ble.client import FtmsClient
    from treadctl.simulated_link import SIM_ADDRESS, add_simulated_treadmill
    from treadctl.virtual_time import run_virtual

    async def scenario() -> tuple[tuple[str, ...], str, float]:
        from simulators.bleak_backend import SimBleakClient, SimBleakScanner

        add_simulated_treadmill("mph-range")
        client = FtmsClient(
            SIM_ADDRESS, client_backend=SimBleakClient, scanner_backend=SimBleakScanner
        )
        info = await client.connect()
        await client.disconnect()
        return info.quirks, info.quirk_source, info.limits.speed_max_kmh

    quirks, source, top_kmh = run_virtual(scenario())
    assert quirks == ("range_in_mph",)
    assert "known-device table: FITSHOW FS-BT-T4" in source
    assert top_kmh == pytest.approx(6.12)


# --- devices, scan, sim -----------------------------------------------------------------------


def test_devices_lists_presets_known_devices_with_sources_and_config(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[devices."AA:BB:CC:DD:EE:FF"]\nquirks = ["slow-response"]\n')
    assert main(["devices", "--json", "--config", str(config)]) == 0
    data = json.loads(capsys.readouterr().out)
    assert "slow-response" in data["presets"]
    assert all(d["source"] and d["quirks"] for d in data["known_devices"])
    assert {"Bowflex T9", "WELLFIT TM treadmills"} <= {d["device"] for d in data["known_devices"]}
    assert data["configured"] == {"AA:BB:CC:DD:EE:FF": {"quirks": ["slow-response"]}}
    assert main(["devices", "--config", str(config)]) == 0
    text = capsys.readouterr().out
    assert "source: github.com/cagnulein/qdomyos-zwift issue #4904" in text
    assert "\"AA:BB:CC:DD:EE:FF\": quirks = ['slow-response']" in text


def test_scan_shows_the_quirks_that_would_apply(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--simulate", "--timeout", "1", "--quirks", "mph-commands"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split()[-1] == "QUIRKS" and lines[1].endswith("speed_commands_in_mph")


def test_sim_on_a_missing_usb_dongle_is_one_line() -> None:
    run = subprocess.run(
        [sys.executable, "-m", "treadctl", "sim", "--transport", "usb:0", "--duration", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2, run.stderr
    [line] = run.stderr.strip().splitlines()
    assert line.startswith("treadctl: cannot open transport 'usb:0'")
    assert "Traceback" not in run.stderr


# --- Device Information in the history and the FIT file -------------------------------------


def test_device_information_reaches_the_history_and_the_fit_device_info(
    profile: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import io

    import fitdecode

    from treadctl.history import db
    from treadctl.history.device_info import load
    from treadctl.history.export import export_session

    assert run_fast(profile, tmp_path / "audit.jsonl") == 0
    conn = db.connect()
    session_id = db.latest_session_id(conn)
    assert session_id is not None
    assert load(conn, session_id) == {
        "manufacturer": "treadctl",
        "model": "SIM-1",
        "serial_number": "SIM-0001",
        "hardware_revision": "1.0",
        "firmware_revision": "1.0.0",
    }
    data = export_session(conn, session_id, "fit")
    conn.close()
    infos = []
    with fitdecode.FitReader(io.BytesIO(data)) as reader:
        for frame in reader:
            if isinstance(frame, fitdecode.FitDataMessage) and frame.name == "device_info":
                infos.append({f.name: f.value for f in frame.fields})
    [info] = infos
    assert info["product_name"] == "SIM-1" and info["device_index"] == 1
    assert info["descriptor"] == "treadctl, firmware 1.0.0, hardware 1.0, serial SIM-0001"
    assert info["source_type"] == "bluetooth_low_energy"
    capsys.readouterr()
