"""Scanning: the FTMS advertisement parsed, treadmills filtered, through BleakScanner + the sim."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from bleak.backends.scanner import AdvertisementData

from simulators.bleak_backend import SimAir, SimBleakScanner
from simulators.treadmill import SimulatedTreadmill
from treadctl.ble.scan import FtmsAdvert, parse_service_data, scan
from treadctl.ftms import FTMS_SERVICE_UUID
from treadctl.simulated_link import add_simulated_treadmill
from treadctl.virtual_time import run_virtual


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (bytes.fromhex("010100"), FtmsAdvert(True, ("treadmill",))),
        (bytes.fromhex("012000"), FtmsAdvert(True, ("indoor bike",))),
        (bytes.fromhex("001000"), FtmsAdvert(False, ("rower",))),
        (bytes.fromhex("0101"), FtmsAdvert(True, ("treadmill",))),  # one-byte type
        (bytes.fromhex("010001"), FtmsAdvert(True, ("treadmill",))),  # byte-swapped type
        (bytes.fromhex("012100"), FtmsAdvert(True, ("treadmill", "indoor bike"))),
        (bytes.fromhex("01"), FtmsAdvert(True, None)),
        (b"", FtmsAdvert(None, None)),
        (None, FtmsAdvert(None, None)),
    ],
)
def test_parse_service_data(data: bytes | None, expected: FtmsAdvert) -> None:
    assert parse_service_data(data) == expected


def _advert(name: str, service_data: bytes | None, rssi: int) -> AdvertisementData:
    return AdvertisementData(
        local_name=name,
        manufacturer_data={},
        service_data={FTMS_SERVICE_UUID: service_data} if service_data is not None else {},
        service_uuids=[FTMS_SERVICE_UUID],
        tx_power=None,
        rssi=rssi,
        platform_data=(),
    )


@pytest.fixture
def air() -> Iterator[SimAir]:
    sim_air = SimAir()
    add_simulated_treadmill(sim_air=sim_air, address="AA:00:00:00:00:01", name="Pad", rssi_dbm=-70)
    add_simulated_treadmill(
        sim_air=sim_air, address="AA:00:00:00:00:02", name="Near pad", rssi_dbm=-40
    )
    # Machines the simulator does not model: same radio, another advertisement.
    bike = sim_air.add(SimulatedTreadmill(), address="AA:00:00:00:00:03", name="Bike")
    bike.advertisement = lambda: _advert("Bike", bytes.fromhex("012000"), -50)  # type: ignore[method-assign]
    quiet = sim_air.add(SimulatedTreadmill(), address="AA:00:00:00:00:04", name="Says nothing")
    quiet.advertisement = lambda: _advert("Says nothing", None, -80)  # type: ignore[method-assign]
    yield sim_air
    sim_air.clear()


def test_scan_lists_treadmills_strongest_first(air: SimAir) -> None:
    found = run_virtual(scan(1.0, scanner_backend=SimBleakScanner, backend_kwargs={"sim_air": air}))
    assert [(m.name, m.address, m.rssi_dbm) for m in found] == [
        ("Near pad", "AA:00:00:00:00:02", -40),
        ("Pad", "AA:00:00:00:00:01", -70),
        ("Says nothing", "AA:00:00:00:00:04", -80),  # may be a treadmill: not hidden
    ]
    assert found[0].is_treadmill and found[0].available
    assert found[2].type_label == "unknown (not advertised)"


def test_scan_all_includes_other_machines(air: SimAir) -> None:
    found = run_virtual(
        scan(
            1.0,
            all_machines=True,
            scanner_backend=SimBleakScanner,
            backend_kwargs={"sim_air": air},
        )
    )
    assert [m.name for m in found] == ["Near pad", "Bike", "Pad", "Says nothing"]
    assert found[1].machine_types == ("indoor bike",)
    assert found[1].to_json()["service_data"] == "01 20 00"


def test_scan_with_nothing_on_the_air() -> None:
    found = run_virtual(
        scan(0.5, scanner_backend=SimBleakScanner, backend_kwargs={"sim_air": SimAir()})
    )
    assert found == []
