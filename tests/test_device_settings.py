"""Pure parts: the [devices] tables, which source of quirks wins, the known-device table, the
Device Information strings, and the simulator's fidelity points."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulators import SimulatedTreadmill, personality
from simulators.gatt_server import FtmsGattServer
from simulators.wire import treadmill_record
from treadctl import ftms
from treadctl.ble.device_config import (
    MAX_INCLINE_PCT,
    MAX_SPEED_KMH,
    DeviceSettings,
    settings_for,
)
from treadctl.ble.device_info import DeviceInformation, decode_string, from_reads
from treadctl.ble.known_devices import KNOWN_DEVICES, matching
from treadctl.ble.quirks import PRESETS, SPEC, DeviceQuirks, combine, resolve
from treadctl.config import load_config
from treadctl.errors import ConfigError
from treadctl.limits import ABSOLUTE_MAX_INCLINE_PCT, ABSOLUTE_MAX_SPEED_KMH, DeviceLimits
from treadctl.virtual_time import run_virtual

ADDRESS = "AA:BB:CC:DD:EE:01"


def test_limits_match_the_main_configs() -> None:
    assert (MAX_SPEED_KMH, MAX_INCLINE_PCT) == (ABSOLUTE_MAX_SPEED_KMH, ABSOLUTE_MAX_INCLINE_PCT)


def test_config_file_devices_tables(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        f'[devices."{ADDRESS}"]\nname = "Hall"\nquirks = ["Slow-Response"]\n'
        'speed_min_kmh = 1.0\nspeed_max_kmh = 6.0\n\n[devices."WELLFIT*"]\nquirks = []\n',
        encoding="utf-8",
    )
    devices = load_config(path).config.devices
    assert devices[ADDRESS].quirks == ("slow-response",)
    assert devices["WELLFIT*"].quirks == ()
    assert settings_for(devices, ADDRESS.lower(), "WELLFIT TM 3") == (ADDRESS, devices[ADDRESS])
    assert settings_for(devices, "11:22:33:44:55:66", "wellfit tm 3") == (
        "WELLFIT*",
        devices["WELLFIT*"],
    )
    assert settings_for(devices, "11:22:33:44:55:66", "Other") is None


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('[devices."X"]\nspeed_min_kmh = 5\nspeed_max_kmh = 4\n', "must be below speed_max_kmh"),
        ('[devices."X"]\nspeed_max_kmh = 40\n', "at most 20"),
        ('[devices."X"]\nturbo = true\n', "turbo"),
    ],
)
def test_bad_devices_tables_are_one_config_error(tmp_path: Path, body: str, message: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(body, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load_config(path)


def test_range_override_applies_and_keeps_sense() -> None:
    limits = DeviceLimits()
    assert DeviceSettings(speed_max_kmh=6.0).apply(limits).speed_max_kmh == 6.0
    assert DeviceSettings().apply(limits) is limits
    # One bound above the device's other bound: the device's range is kept.
    assert DeviceSettings(speed_min_kmh=17.0).apply(limits) == limits
    no_incline = DeviceLimits(incline_max_pct=0.0, supports_incline=False)
    assert DeviceSettings(incline_max_pct=5.0).apply(no_incline).supports_incline


PRESET_NAMES = st.lists(st.sampled_from(sorted(PRESETS)), max_size=3)
NAMES = st.sampled_from(["BFX_T9_01", "WELLFIT TM 3", "treadctl sim", "SWX1", ""])


@given(
    given_names=st.none() | PRESET_NAMES,
    table_names=st.none() | PRESET_NAMES,
    timeout=st.none() | st.floats(0.5, 30.0),
    name=NAMES,
    by_address=st.booleans(),
)
def test_the_most_specific_source_wins(
    given_names: list[str] | None,
    table_names: list[str] | None,
    timeout: float | None,
    name: str,
    by_address: bool,
) -> None:
    settings = DeviceSettings(
        quirks=None if table_names is None else tuple(table_names), response_timeout_s=timeout
    )
    key = ADDRESS if by_address else (name or "x") + "*"
    given_quirks = None if given_names is None else combine(given_names)
    result = resolve(ADDRESS, name, given=given_quirks, device_settings={key: settings})
    matched = by_address or bool(name)
    if given_quirks is not None:
        expected = given_quirks
    elif matched and table_names is not None:
        expected = combine(table_names)
    else:
        expected = combine(q for e in matching(name) for q in e.quirks)
    if matched and timeout is not None:
        expected = DeviceQuirks(**{**expected.__dict__, "response_timeout_s": timeout})
    assert result.quirks == expected
    assert bool(result.source) == bool(expected.names())
    if given_quirks is not None and expected.names():
        assert result.source.startswith("--quirks")


def test_known_table_entries_are_documented_and_use_real_presets() -> None:
    for entry in KNOWN_DEVICES:
        assert entry.source and entry.fact and entry.quirks
        assert all(q in PRESETS for q in entry.quirks)
    assert [e.device for e in matching("bfx_t9_123")] == ["Bowflex T9"]
    assert [e.device for e in matching("x", "FITSHOW", "FS-BT-T4 v1")] == [
        "FITSHOW FS-BT-T4 controller (DBT walking pad)"
    ]
    assert matching("FS-8A1B2C") == [] and matching(None) == []
    assert resolve(None, "treadctl sim").quirks == SPEC


@pytest.mark.parametrize(
    ("raw", "text"),
    [
        (b"FITSHOW", "FITSHOW"),
        (b"FS-BT-T4\x00\x00\x00", "FS-BT-T4"),
        (b"  1.2.6 \r\n", "1.2.6"),
        (b"Caf\xe9", "Café"),  # Latin-1 where UTF-8 fails
        (b"\x00\x00", None),
        (b"", None),
        ("Ünïcode".encode(), "Ünïcode"),
    ],
)
def test_device_information_strings(raw: bytes, text: str | None) -> None:
    assert decode_string(raw) == text


@given(st.binary(max_size=80))
def test_device_information_decoding_never_fails(raw: bytes) -> None:
    text = decode_string(raw)
    assert text is None or (text == text.strip() and text.isprintable() and len(text) <= 64)


def test_device_information_record() -> None:
    reads = {ftms.uuid16(0x2A29): b"ACME", ftms.uuid16(0x2A26): b"2.0"}
    info = from_reads(reads)
    assert info == DeviceInformation(manufacturer="ACME", firmware_revision="2.0")
    assert not info.empty and DeviceInformation().empty


# --- simulator fidelity -----------------------------------------------------------------------


def test_reported_speed_follows_the_belt_not_the_target_grid() -> None:
    async def scenario() -> float | None:
        tm = SimulatedTreadmill(personality("half-kmh-steps"))
        tm.request_control("c")
        tm.start("c")  # target 1.0 km/h from rest at 0.8 km/h/s
        await asyncio.sleep(0.85)
        record = treadmill_record(tm.snapshot(), tm.config)
        tm.close()
        return record.speed_kmh

    assert run_virtual(scenario()) == pytest.approx(0.68)


def test_start_with_padding_after_the_op_code_is_accepted() -> None:
    async def scenario() -> list[bytes]:
        tm = SimulatedTreadmill()
        server = FtmsGattServer(tm)
        answers: list[bytes] = []

        class Link:
            def notify(self, uuid: str, data: bytes) -> None: ...
            def notify_many(self, uuid: str, frames: list[bytes]) -> None: ...
            async def indicate(self, uuid: str, data: bytes) -> None:
                answers.append(data)

            def drop(self, reason: str) -> None: ...

        conn = server.connect(Link())
        server.write_cccd(conn, ftms.CONTROL_POINT_UUID, b"\x02\x00")
        for request in (b"\x00\x00", b"\x07\x00\x00"):
            server.write(conn, ftms.CONTROL_POINT_UUID, request, with_response=True)
            await asyncio.sleep(0.2)
        server.close()
        tm.close()
        return answers

    assert run_virtual(scenario()) == [b"\x80\x00\x01", b"\x80\x07\x01"]


def test_heart_rate_absent_at_rest_and_zero_without_contact() -> None:
    async def scenario() -> tuple[int | None, int | None, int | None]:
        grips = SimulatedTreadmill()
        no_contact = SimulatedTreadmill(personality("no-hr-contact"))
        at_rest = treadmill_record(grips.snapshot(), grips.config).heart_rate_bpm
        for tm in (grips, no_contact):
            tm.request_control("c")
            tm.start("c")
        await asyncio.sleep(3)
        moving = treadmill_record(grips.snapshot(), grips.config).heart_rate_bpm
        contact = treadmill_record(no_contact.snapshot(), no_contact.config).heart_rate_bpm
        grips.close()
        no_contact.close()
        return at_rest, moving, contact

    at_rest, moving, no_contact = run_virtual(scenario())
    assert at_rest is None and moving is not None and moving > 70 and no_contact == 0
