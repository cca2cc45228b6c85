"""Prescriptions through the real command line: draft, import, locked caps in `config show` and in
a real simulated session, located one-line errors, and nothing half-installed."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from treadctl import cli
from treadctl.prescription.loading import PrescriptionInvalid, parse_prescription

SHIPPED = Path(__file__).resolve().parent.parent / "profiles"


def _main(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = cli.main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def _draft(capsys: pytest.CaptureFixture[str], tmp_path: Path, *extra: str) -> Path:
    target = tmp_path / "rx.toml"
    status, _, err = _main(
        capsys,
        "prescription",
        "new",
        "--program",
        "retro-start",
        "--title",
        "Knee rehab",
        "--notes",
        "Walk backward with the rails within reach.\nStop if the knee hurts more.",
        "-o",
        str(target),
        *extra,
    )
    assert status == 0, err
    return target


def _set_cap(path: Path, key: str, value: str) -> None:
    lines = path.read_text().splitlines()
    for index, line in enumerate(lines):
        if line.startswith(f"{key} ="):
            lines[index] = f"{key} = {value}"
            break
    else:
        raise AssertionError(key)
    path.write_text("\n".join(lines) + "\n")


def test_new_writes_a_commented_prescription_that_imports(
    isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _draft(capsys, tmp_path, "--person", "alice")
    text = target.read_text()
    data = tomllib.loads(text)
    assert data["prescription"]["person"] == "alice"
    assert data["prescription"]["title"] == "Knee rehab"
    assert "Stop if the knee hurts more." in data["prescription"]["notes"]
    assert data["caps"]["max_backward_speed_kmh"] == 4.0  # the current caps (defaults here)
    assert "# fastest belt speed walking backward" in text
    assert "# Retro start" in text  # the program's own comments came along
    assert set(data["profiles"]) == {"first-session", "retro-10", "alternating-30", "incline-retro"}
    assert data["profiles"]["retro-10"]["steps"][1]["speed"] == 1.6
    status, out, err = _main(capsys, "prescription", "import", str(target), "--person", "alice")
    assert status == 0, err
    assert "installed 'Knee rehab' for alice" in out


def test_new_prints_to_standard_output_without_a_file(
    isolated_home: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    status, out, _ = _main(capsys, "prescription", "new", "--program", "retro-start")
    assert status == 0
    parse_prescription(out, Path("stdout"))


def test_import_installs_program_and_profiles_and_locks_the_caps(
    isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _draft(capsys, tmp_path)
    _set_cap(target, "max_backward_speed_kmh", "1.2")
    _set_cap(target, "max_speed_kmh", "5.0")
    _set_cap(target, "watchdog_s", "2.0")
    status, _, err = _main(capsys, "prescription", "import", str(target), "--person", "alice")
    assert status == 0, err
    folder = isolated_home / "data" / "people" / "alice"
    assert (folder / "prescription.toml").read_text() == target.read_text()
    assert (folder / "profiles" / "retro-10.toml").is_file()
    assert (folder / "profiles" / "programs" / "retro-start.toml").is_file()
    # The walker loosens two caps and tightens one in their own configuration.
    (folder / "config.toml").write_text(
        "[safety]\nmax_speed_kmh = 7.0\nmax_backward_speed_kmh = 3.0\nwatchdog_s = 1.5\n"
    )
    status, out, _ = _main(capsys, "config", "show", "--json", "--person", "alice")
    body = json.loads(out)
    values, sources = body["values"], body["sources"]
    assert values["safety.max_speed_kmh"] == 5.0
    assert values["safety.max_backward_speed_kmh"] == 1.2
    assert values["safety.watchdog_s"] == 1.5  # tighter than prescribed: the walker's
    locked = f"prescription {folder / 'prescription.toml'} (locked)"
    assert sources["safety.max_speed_kmh"] == locked
    assert sources["safety.max_backward_speed_kmh"] == locked
    assert sources["safety.watchdog_s"] == str(folder / "config.toml")
    status, out, _ = _main(capsys, "config", "show", "--person", "alice")
    line = next(li for li in out.splitlines() if li.startswith("safety.max_backward_speed_kmh"))
    assert "1.2" in line and "prescription" in line and "locked" in line
    # --config FILE cannot loosen it either.
    loose = tmp_path / "loose.toml"
    loose.write_text("[safety]\nmax_backward_speed_kmh = 4.0\n")
    status, out, _ = _main(
        capsys, "--config", str(loose), "--person", "alice", "config", "show", "--json"
    )
    assert json.loads(out)["values"]["safety.max_backward_speed_kmh"] == 1.2
    # Another person is not affected.
    status, out, _ = _main(capsys, "config", "show", "--json", "--person", "bob")
    assert json.loads(out)["values"]["safety.max_backward_speed_kmh"] == 4.0
    status, out, _ = _main(capsys, "prescription", "show", "--person", "alice")
    assert "Knee rehab" in out and "Stop if the knee hurts more." in out
    assert "max_backward_speed_kmh = 1.2" in out


def test_a_real_session_walks_within_the_locked_caps(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    home = tmp_path / "home"
    monkeypatch.setenv("TREADCTL_HOME", str(home))
    target = _draft(capsys, tmp_path)
    _set_cap(target, "max_backward_speed_kmh", "1.2")
    _set_cap(target, "turn_speed_kmh", "0.8")
    assert cli.main(["prescription", "import", str(target), "--person", "alice"]) == 0
    folder = home / "data" / "people" / "alice"
    (folder / "config.toml").write_text("[safety]\nmax_backward_speed_kmh = 3.5\n")
    audit = tmp_path / "audit.jsonl"
    script = Path(sys.executable).with_name("treadctl")
    command = [str(script)] if script.exists() else [sys.executable, "-m", "treadctl"]
    done = subprocess.run(
        [
            *command,
            "run",
            "retro-10",
            "--simulate",
            "--fast",
            "--headless",
            "--person",
            "alice",
            "--audit",
            str(audit),
        ],
        env={**os.environ, "TREADCTL_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(
        "Notes from your prescription: Walk backward with the rails within reach. "
        "Stop if the knee hurts more."
    )
    events = [json.loads(line) for line in audit.read_text().splitlines()]
    clamps = [e for e in events if e["kind"] == "clamp" and e["field"] == "speed"]
    assert clamps and all(e["sent"] <= 1.2 for e in clamps)
    assert any(e["asked"] == 1.6 for e in clamps)  # retro-10 asks 1.6 km/h backward
    backward = [e for e in events if e["kind"] == "bout" and e["direction"] == "backward"]
    assert backward and all(e["speed_kmh"] <= 1.2 for e in backward)


def test_import_refuses_another_persons_prescription(
    isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _draft(capsys, tmp_path, "--person", "alice")
    status, _, err = _main(capsys, "prescription", "import", str(target), "--person", "bob")
    assert status == 2
    assert "this prescription is for 'alice', not bob; use --person alice" in err
    assert not (isolated_home / "data" / "people" / "bob" / "prescription.toml").exists()


def test_import_keeps_a_walkers_own_profile_of_the_same_name(
    isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _draft(capsys, tmp_path)
    own = isolated_home / "data" / "people" / "alice" / "profiles" / "retro-10.toml"
    own.parent.mkdir(parents=True)
    own.write_text((SHIPPED / "first-session.toml").read_text())
    status, out, _ = _main(capsys, "prescription", "import", str(target), "--person", "alice")
    assert status == 0
    backup = own.with_name("retro-10.toml.before-prescription")
    assert backup.read_text() == (SHIPPED / "first-session.toml").read_text()
    assert f"kept the previous file as {backup}" in out
    assert tomllib.loads(own.read_text())["name"] == "Retro 10"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            ("max_backward_speed_kmh = 4.0", "max_backwrd_speed_kmh = 4.0"),
            r":\d+: caps\.max_backwrd_speed_kmh: unknown key \(check the spelling\)",
        ),
        (
            ("max_backward_speed_kmh = 4.0", "max_backward_speed_kmh = 9.0"),
            r":\d+: caps\.max_backward_speed_kmh: must not be above max_speed_kmh \(8\)",
        ),
        (
            ("max_speed_kmh = 8.0", "max_speed_kmh = 30.0"),
            r":\d+: caps\.max_speed_kmh: at most 20",
        ),
        (
            ('profiles = ["retro-10"]', 'profiles = ["retro-11"]'),
            r":\d+: program\.phases\[2\]\.profiles: profile 'retro-11' is not in this prescription",
        ),
        (
            ('title = "Knee rehab"', 'titel = "Knee rehab"'),
            r":\d+: prescription\.titel: unknown key",
        ),
        (
            ("max_speed_kmh = 8.0", "max_speed_kmh = 8.0\nhr_ceiling_bpm = 300"),
            r":\d+: caps\.hr_ceiling_bpm: at most 220",
        ),
        (("\n[caps]\n", "\n[caps\n"), r":\d+: invalid TOML"),
    ],
)
def test_malformed_prescriptions_get_located_one_line_errors(
    isolated_home: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    edit: tuple[str, str],
    expected: str,
) -> None:
    import re

    target = _draft(capsys, tmp_path)
    text = target.read_text()
    assert edit[0] in text
    target.write_text(text.replace(edit[0], edit[1], 1))
    status, _, err = _main(capsys, "prescription", "import", str(target), "--person", "alice")
    assert status == 2
    assert err.startswith(f"treadctl: {target}:") and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert re.search(expected, err), err
    assert not (isolated_home / "data" / "people" / "alice").exists()  # nothing installed


def test_located_line_is_the_offending_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], isolated_home: Path
) -> None:
    target = _draft(capsys, tmp_path)
    text = target.read_text().replace("speed = 1.6", "speed = -1.6", 1)
    with pytest.raises(PrescriptionInvalid) as caught:
        parse_prescription(text, target)
    line = int(str(caught.value).split(":")[1])
    assert text.splitlines()[line - 1].strip().startswith("speed = -1.6")
    assert "profiles.retro-10.steps[2].speed" in str(caught.value)


def test_a_damaged_installed_prescription_stops_everything_with_a_clear_error(
    isolated_home: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = _draft(capsys, tmp_path)
    assert cli.main(["prescription", "import", str(target), "--person", "alice"]) == 0
    capsys.readouterr()
    installed = isolated_home / "data" / "people" / "alice" / "prescription.toml"
    installed.write_text(installed.read_text().replace("\n[caps]\n", "\n[caps\n", 1))
    status, _, err = _main(capsys, "config", "show", "--person", "alice")
    assert status == 2
    assert "the installed prescription cannot be read" in err and "invalid TOML" in err
