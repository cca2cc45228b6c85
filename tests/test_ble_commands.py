"""`treadctl scan --simulate` and `treadctl probe --simulate` as a user runs them."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest

from simulators.bleak_backend import SimAir
from treadctl.cli import main


@pytest.fixture(autouse=True)
def clean_air() -> Iterator[None]:
    yield
    SimAir.default().clear()


def test_scan_simulate_prints_a_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--simulate", "--timeout", "1"]) == 0
    out = capsys.readouterr()
    lines = out.out.splitlines()
    assert lines[0].split() == ["NAME", "ADDRESS", "SIGNAL", "TYPE"]
    assert "treadctl sim" in lines[1] and "SIM-TREADMILL-1" in lines[1]
    assert "-58 dBm" in lines[1] and lines[1].endswith("treadmill")
    assert "treadctl probe SIM-TREADMILL-1" in out.err


def test_scan_simulate_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["scan", "--simulate", "--json", "--all"]) == 0
    [machine] = json.loads(capsys.readouterr().out)
    assert machine["address"] == "SIM-TREADMILL-1"
    assert machine["machine_types"] == ["treadmill"]
    assert machine["rssi_dbm"] == -58


def test_scan_rejects_a_bad_timeout(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as caught:
        main(["scan", "--timeout", "soon"])
    assert caught.value.code == 2
    assert "not a number of seconds" in capsys.readouterr().err


def test_probe_simulate_text_report(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--simulate"]) == 0
    text = capsys.readouterr().out
    assert "connected: treadctl sim (SIM-TREADMILL-1)" in text
    assert "Supported Speed Range" in text and "read: 32 00 40 06 0a 00" in text
    assert "request control: granted (80 00 01)" in text
    assert "first data record: {" in text
    assert "machine type treadmill" in text


def test_probe_simulate_mph_range_json(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--simulate", "--sim-personality", "mph-range", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["connected"] is True
    assert report["quirks"] == ["range_in_mph"]
    assert report["decoded"]["speed_range_as_read"]["maximum_kmh"] == 3.8
    assert report["decoded"]["speed_range_kmh"]["maximum_kmh"] == pytest.approx(6.12)
    assert report["request_control"].startswith("granted")
    assert report["environment"]["bleak"]


def test_probe_without_incline(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "--simulate", "--sim-personality", "no-incline", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["limits"]["supports_incline"] is False
    assert "incline_range" not in report["decoded"]


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["probe", "--simulate", "--sim-personality", "rocket"], "unknown personality 'rocket'"),
        (["probe"], "needs the treadmill's ADDRESS or NAME"),
        (["probe", "--simulate", "--quirks", "warp"], "unknown device quirk 'warp'"),
    ],
)
def test_probe_bad_input_is_one_line(
    argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert words in err and len(err.strip().splitlines()) == 1
