"""`treadctl profile ...` and `treadctl config ...` through the real command line."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from treadctl.cli import main
from treadctl.config import load_config

ZWO = """<?xml version="1.0"?>
<workout_file>
  <name>Zone walk</name>
  <sportType>run</sportType>
  <workout>
    <Warmup Duration="300" PowerLow="0.5" PowerHigh="0.7" pace="4"/>
    <SteadyState Duration="120" speed_kmh="1.3" incline="5"/>
    <IntervalsT Repeat="2" OnDuration="60" OffDuration="60" OnPower="0.5" OffPower="0.8" pace="4"/>
  </workout>
</workout_file>
"""


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_list_shows_library_with_times(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "profile", "list")
    assert status == 0
    line = next(x for x in out.splitlines() if x.startswith("alternating-30"))
    assert "30:00" in line and "12:00" in line and "shipped" in line
    assert "retro-start" in out


def test_show_json_totals(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "profile", "show", "alternating-30", "--json")
    assert status == 0
    body = json.loads(out)
    totals = body["totals"]
    assert totals["duration_s"] == 1800
    assert totals["backward_s"] == 720 and totals["forward_s"] == 1080
    assert totals["distance_m"] == pytest.approx(
        1.3 / 3.6 * 720 + (3.0 * 960 + 2.5 * 120) / 3.6, abs=0.1
    )
    assert totals["energy_kcal"] > 0
    assert len(body["timeline"]) == 14
    assert body["timeline"][1]["start_s"] == 240


def test_show_table_and_chart(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "profile", "show", "first-session")
    assert status == 0
    assert "backward" in out and "kcal" in out and "<" in out


def test_validate_good_and_bad(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\n\n[[steps]]\ndirection = "forward"\nduration = "1m"\nsped = 3\n')
    status, out, err = run(capsys, "profile", "validate", "alternating-30", str(bad))
    assert status == 2
    assert "ok" in out
    assert f"{bad}:6: steps[1].sped: unknown key" in err
    assert "Traceback" not in err
    status, _, _ = run(capsys, "profile", "validate", "alternating-30", "retro-10")
    assert status == 0


def test_validate_every_shipped_file(capsys: pytest.CaptureFixture[str]) -> None:
    from treadctl.paths import shipped_profiles_dir

    files = [str(p) for p in shipped_profiles_dir().glob("**/*.toml")]
    status, _, err = run(capsys, "profile", "validate", *files)
    assert status == 0, err


def test_show_bad_profile_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "x"\nsteps = []\n')
    status, _, err = run(capsys, "profile", "show", str(bad))
    assert status == 2
    assert err.count("\n") == 1 and f"{bad}:2: steps:" in err


def test_new_then_show(capsys: pytest.CaptureFixture[str], isolated_home: Path) -> None:
    status, out, _ = run(
        capsys, "profile", "new", "My Walk", "--rounds", "3", "--backward", "1m", "--incline", "2"
    )
    assert status == 0
    path = isolated_home / "profiles" / "my-walk.toml"
    assert path.is_file() and path.read_text().startswith("# My Walk")
    status, out, _ = run(capsys, "profile", "show", "my-walk", "--json")
    totals = json.loads(out)["totals"]
    assert totals["backward_s"] == 180
    assert totals["duration_s"] == 4 * 60 + 3 * (60 + 120) + 2 * 60
    status, _, err = run(capsys, "profile", "new", "My Walk")
    assert status == 2 and "already exists" in err


def test_new_with_absurd_speed_is_rejected(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "profile", "new", "Fast", "--backward-speed", "50")
    assert status == 2 and "speed" in err


def test_copy_keeps_comments_and_renames(
    capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    status, _, _ = run(capsys, "profile", "copy", "retro-10", "My Retro")
    assert status == 0
    text = (isolated_home / "profiles" / "my-retro.toml").read_text()
    assert text.startswith("# Retro 10")
    assert 'name = "My Retro"' in text
    status, _, err = run(capsys, "profile", "copy", "retro-10", "My Retro")
    assert status == 2 and "already exists" in err


def test_edit_runs_editor_then_validates(
    capsys: pytest.CaptureFixture[str], isolated_home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    run(capsys, "profile", "copy", "retro-10")
    # A scripted "editor" that introduces a typo.
    script = isolated_home / "editor.py"
    script.write_text(
        "import sys, pathlib\np = pathlib.Path(sys.argv[1])\n"
        "p.write_text(p.read_text().replace('speed = 1.6', 'sped = 1.6'))\n"
    )
    monkeypatch.setenv("EDITOR", f"{sys.executable} {script}")
    monkeypatch.delenv("VISUAL", raising=False)
    monkeypatch.setitem(sys.modules, "treadctl.tui.editor", None)  # no TUI editor
    before = (isolated_home / "profiles" / "retro-10.toml").read_text()
    status, _, err = run(capsys, "profile", "edit", "retro-10")
    assert status == 2
    assert "sped: unknown key" in err
    assert "not saved" in err  # visudo-style: the file itself is untouched
    assert (isolated_home / "profiles" / "retro-10.toml").read_text() == before


def test_import_zwo(
    capsys: pytest.CaptureFixture[str], isolated_home: Path, tmp_path: Path
) -> None:
    source = tmp_path / "zone.zwo"
    source.write_text(ZWO)
    status, out, err = run(capsys, "profile", "import", str(source), "--backward", "2")
    assert status == 0, err
    status, out, _ = run(capsys, "profile", "show", "zone-walk", "--json")
    timeline = json.loads(out)["timeline"]
    assert len(timeline) == 6
    zones = load_config().config.zones
    assert timeline[0]["speed_kmh"] == pytest.approx(round(zones.marathon_kmh * 0.6, 1))
    assert timeline[1]["direction"] == "backward"
    assert (timeline[1]["speed_kmh"], timeline[1]["incline_pct"]) == (1.3, 5.0)
    assert all(b["direction"] == "forward" for i, b in enumerate(timeline) if i != 1)


def test_import_rejects_bike_workouts(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    source = tmp_path / "bike.zwo"
    source.write_text(ZWO.replace(">run<", ">bike<"))
    status, _, err = run(capsys, "profile", "import", str(source))
    assert status == 2 and "only run workouts" in err


def test_check_lists_clamps_before_anything_moves(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fast = tmp_path / "fast.toml"
    fast.write_text(
        'name = "Fast"\n[[steps]]\ndirection = "backward"\nduration = "1m"\nspeed = 6.0\n'
        "incline = 8\n"
    )
    status, out, _ = run(capsys, "profile", "check", str(fast), "--simulate")
    assert status == 0
    assert "backward speed cap 4.0 km/h" in out
    assert "backward incline cap 6.0 %" in out
    assert "turn around to walk backward: belt stopped" in out
    status, out, _ = run(capsys, "profile", "check", str(fast), "--simulate", "--json")
    plan = json.loads(out)
    assert [item["kind"] for item in plan["items"]] == ["turn", "bout"]
    assert plan["items"][1]["speed_kmh"] == 4.0


def test_check_device_without_bluetooth_is_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/treadctl-test-bus")
    status, _, err = run(capsys, "profile", "check", "retro-10", "--device", "AA:BB:CC:DD:EE:FF")
    assert status == 2
    assert "Bluetooth is not available" in err and "--simulate" in err
    assert "Traceback" not in err


def test_config_init_then_show(capsys: pytest.CaptureFixture[str], isolated_home: Path) -> None:
    status, out, _ = run(capsys, "config", "init")
    assert status == 0
    path = isolated_home / "config" / "config.toml"
    text = path.read_text()
    assert "# " in text and "[safety]" in text
    loaded = load_config(path)
    assert loaded.config == load_config(isolated_home / "config" / "config.toml").config
    assert loaded.sources["safety.max_backward_speed_kmh"] == str(path)
    status, out, _ = run(capsys, "config", "show")
    assert "safety.max_backward_speed_kmh" in out and str(path) in out
    status, _, err = run(capsys, "config", "init")
    assert status == 2 and "--force" in err


def test_config_show_sources_and_secret(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text('body_mass_kg = 80\n[mqtt]\nhost = "h"\npassword = "hunter2"\n')
    _, out, _ = run(capsys, "config", "show", "--config", str(path), "--json")
    body = json.loads(out)
    assert body["values"]["body_mass_kg"] == 80
    assert body["sources"]["body_mass_kg"] == str(path)
    assert body["sources"]["units"] == "default"
    assert "hunter2" not in out


def test_config_errors_are_located(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text("[safety]\nmax_backward_speed_kmh = 12\n")
    status, _, err = run(capsys, "config", "show", "--config", str(path))
    assert status == 2
    assert err.startswith(f"treadctl: {path}:2: safety.max_backward_speed_kmh:")
