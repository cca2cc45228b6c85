"""`treadctl ftms decode/encode` via the dispatcher: JSON out; bad input is one line, exit 2."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

import pytest

from treadctl.cli import main
from treadctl.ftms.describe import parse_hex


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(["ftms", *argv])
    out, err = capsys.readouterr()
    return status, out, err


def _decoded(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, Any]:
    status, out, err = _run(capsys, "decode", *argv)
    assert (status, err) == (0, "")
    assert out.count("\n") == 1
    value: dict[str, Any] = json.loads(out)
    return value


@pytest.mark.parametrize(
    ("kind", "hex_", "expected"),
    [
        (
            "machine-status",
            "05 69 00",
            {"op_code": 5, "event": "target_speed_changed", "target_speed_kmh": 1.05},
        ),
        ("2ada", "04:00:00", {"op_code": 4, "event": "started_or_resumed_by_user"}),
        (
            "feature",
            "0x0814000000000000",
            {
                "machine_features": ["inclination", "heart_rate_measurement", "elapsed_time"],
                "target_settings": [],
            },
        ),
        (
            "2ACC",
            "08-14-00-00-00-00-00-00",
            {
                "machine_features": ["inclination", "heart_rate_measurement", "elapsed_time"],
                "target_settings": [],
            },
        ),
        (
            "speed-range",
            "6400d0070a00",
            {"minimum_kmh": 1.0, "maximum_kmh": 20.0, "increment_kmh": 0.1},
        ),
        (
            "0x2ad5",
            "e2ff96000500",
            {"minimum_pct": -3.0, "maximum_pct": 15.0, "increment_pct": 0.5},
        ),
        ("training-status", "0001", {"status": "idle", "status_code": 1}),
        (
            "control-point",
            "02e803",
            {"op_code": 2, "request": "set_target_speed", "speed_kmh": 10.0},
        ),
        ("2ad9", "0802", {"op_code": 8, "request": "pause"}),
        (
            "control-point",
            "(0x) 80-02-03",
            {
                "op_code": 128,
                "request_op_code": 2,
                "response_to": "set_target_speed",
                "result": "invalid_parameter",
                "result_code": 3,
            },
        ),
    ],
)
def test_decode_every_kind(
    capsys: pytest.CaptureFixture[str], kind: str, hex_: str, expected: dict[str, Any]
) -> None:
    assert _decoded(capsys, kind, hex_) == expected


def test_decode_treadmill_data_with_null_and_truncated(capsys: pytest.CaptureFixture[str]) -> None:
    assert _decoded(capsys, "2acd", "84242c019600000c000000007800") == {
        "flags": 9348,
        "more_data": False,
        "speed_kmh": 3.0,
        "total_distance_m": 150,
        "total_energy_kcal": 12,
        "energy_per_hour_kcal": 0,
        "energy_per_minute_kcal": 0,
        "elapsed_time_s": 120,
        "truncated": True,
    }
    na = _decoded(capsys, "treadmill-data", "0800 0000 ff7f 0000")
    assert na["inclination_pct"] is None
    assert na["ramp_angle_deg"] == 0.0


def test_several_hex_arguments_are_one_multi_notification_record(
    capsys: pytest.CaptureFixture[str],
) -> None:
    record = _decoded(
        capsys,
        "treadmill-data",
        "7f00ee02881300ceffe3ff640032000101",
        "801f2003f40158020a8c55080758029cfffa00",
    )
    assert record["flags"] == 8190
    assert record["speed_kmh"] == 8.0
    assert record["total_distance_m"] == 5000


def test_unquoted_single_bytes_are_one_frame(capsys: pytest.CaptureFixture[str]) -> None:
    assert _decoded(capsys, "treadmill-data", "00", "00", "2c", "01")["speed_kmh"] == 3.0
    assert _decoded(capsys, "control-point", "03", "ec", "ff")["incline_pct"] == -2.0


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["decode", "2acd", "zz"], "not hex"),
        (["decode", "2acd", "123"], "odd number of hex digits"),
        (["decode", "2acd", " : "], "no hex bytes"),
        (["decode", "2acd", "00"], "flags"),
        (["decode", "heart-rate", "00"], "unknown kind"),
        (["decode", "machine-status", "05"], "2-octet parameter"),
        (["decode", "control-point", "800209"], "reserved"),
        (["decode", "feature", "0814"], "8 octets"),
        (["decode", "treadmill-data", "0300e803", "0300e803"], "incomplete"),
        (["decode", "treadmill-data", "00002c01", "00002c01"], "ends the record"),
        (["encode", "set-speed", "700"], "outside 0..655.35"),
        (["encode", "set-incline", "abc"], "not a number"),
        (["encode", "set-speed"], "needs a value"),
        (["encode", "stop", "1"], "takes no value"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    status, out, err = _run(capsys, *argv)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert err.startswith("treadctl: ftms ")
    assert message in err
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("argv", "hex_"),
    [
        (["request-control"], "00"),
        (["reset"], "01"),
        (["set-speed", "3.5"], "025e01"),
        (["set-incline", "-2"], "03ecff"),
        (["start"], "07"),
        (["stop"], "0801"),
        (["pause"], "0802"),
    ],
)
def test_encode_prints_hex(capsys: pytest.CaptureFixture[str], argv: list[str], hex_: str) -> None:
    assert _run(capsys, "encode", *argv) == (0, hex_ + "\n", "")


def test_encoded_request_decodes_back(capsys: pytest.CaptureFixture[str]) -> None:
    _, hex_, _ = _run(capsys, "encode", "set-speed", "4.2")
    assert _decoded(capsys, "control-point", hex_.strip())["speed_kmh"] == 4.2


def test_unknown_request_is_an_argparse_error(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["ftms", "encode", "jump"])
    assert exited.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_ftms_without_action_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ftms"]) == 2
    assert "decode or encode" in capsys.readouterr().err


def test_parse_hex_accepts_the_usual_spellings() -> None:
    expected = bytes.fromhex("02e803")
    for text in ("02e803", "02 E8 03", "02:e8:03", "0x02e803", "0x02 0xe8 0x03", "(0x) 02-E8-03"):
        assert parse_hex(text) == expected


def test_ftms_path_imports_no_heavy_package() -> None:
    """`treadctl ftms` must stay quick to start: no textual, bleak, aiomqtt or pydantic."""
    probe = (
        "import sys\n"
        "from treadctl.cli import main\n"
        "main(['ftms', 'decode', '2acd', '00002c01'])\n"
        "print([m for m in ('textual', 'bleak', 'aiomqtt', 'pydantic') if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.splitlines()[-1] == "[]"
