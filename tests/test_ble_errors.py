"""Bluetooth failures become one actionable line: through bleak's front end, never a traceback."""

from __future__ import annotations

import sys
from typing import Any, ClassVar

import pytest
from bleak.backends.scanner import BaseBleakScanner
from bleak.exc import (
    BleakBluetoothNotAvailableError,
    BleakBluetoothNotAvailableReason,
    BleakDBusError,
    BleakDeviceNotFoundError,
    BleakGATTProtocolError,
)

from simulators.bleak_backend import SimAir, SimBleakClient
from treadctl.ble.client import FtmsClient
from treadctl.ble.errors import PairingRefused, translate
from treadctl.ble.scan import scan
from treadctl.cli import main
from treadctl.errors import BluetoothUnavailable, DeviceNotFound
from treadctl.simulated_link import simulated_link
from treadctl.virtual_time import run_virtual

NO_STACK_CASES: list[tuple[BaseException, str]] = [
    (FileNotFoundError(2, "No such file or directory"), "no D-Bus"),
    (
        BleakDBusError(
            "org.freedesktop.DBus.Error.ServiceUnknown",
            ["The name org.bluez was not provided by any .service files"],
        ),
        "BlueZ service is not running",
    ),
    (
        BleakBluetoothNotAvailableError(
            "No Bluetooth adapters found.", BleakBluetoothNotAvailableReason.NO_BLUETOOTH
        ),
        "no Bluetooth adapter",
    ),
    (
        BleakBluetoothNotAvailableError(
            "Bluetooth is off", BleakBluetoothNotAvailableReason.POWERED_OFF
        ),
        "switched off",
    ),
    (BleakDBusError("org.bluez.Error.NotReady", ["Resource Not Ready"]), "not ready"),
]


class FailingScanner(BaseBleakScanner):
    """A platform backend that fails the way a machine without Bluetooth does."""

    error: ClassVar[BaseException] = FileNotFoundError()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(None, None)

    async def start(self) -> None:
        raise self.error

    async def stop(self) -> None:
        pass


@pytest.mark.parametrize(("error", "words"), NO_STACK_CASES)
def test_no_bluetooth_stack_or_adapter_on_scan(error: BaseException, words: str) -> None:
    FailingScanner.error = error
    with pytest.raises(BluetoothUnavailable) as caught:
        run_virtual(scan(1.0, scanner_backend=FailingScanner))
    message = str(caught.value)
    assert words in message and "--simulate" in message and "\n" not in message


@pytest.mark.parametrize(("error", "words"), NO_STACK_CASES)
def test_no_bluetooth_on_connect_is_not_retried(error: BaseException, words: str) -> None:
    FailingScanner.error = error
    client = FtmsClient("AA:BB:CC:DD:EE:FF", scanner_backend=FailingScanner, connect_attempts=3)
    with pytest.raises(BluetoothUnavailable, match=words):
        run_virtual(client.connect())
    assert client.record.attempts == 1


@pytest.mark.parametrize(
    "error",
    [
        BleakDBusError("org.bluez.Error.AuthenticationFailed", ["Authentication Failed"]),
        BleakDBusError("org.freedesktop.DBus.Error.AccessDenied", ["Rejected send message"]),
        BleakBluetoothNotAvailableError("denied", BleakBluetoothNotAvailableReason.DENIED_BY_USER),
        BleakGATTProtocolError(0x05),
        BleakGATTProtocolError(0x0F),
        PermissionError(13, "Permission denied"),
    ],
)
def test_pairing_or_permission_refused(error: BaseException) -> None:
    translated = translate(error, "the treadmill")
    assert isinstance(translated, PairingRefused)
    assert "\n" not in str(translated)


def test_device_not_found_translation() -> None:
    translated = translate(BleakDeviceNotFoundError("AA:BB", "gone"), "AA:BB")
    assert isinstance(translated, DeviceNotFound) and "treadctl scan" in str(translated)
    assert translate(ValueError("a bug")) is None  # bugs are not disguised as user errors


def test_address_not_on_the_air_is_device_not_found() -> None:
    async def scenario() -> None:
        from simulators.bleak_backend import SimBleakScanner

        air = SimAir()
        client = FtmsClient(
            "AA:BB:CC:DD:EE:FF",
            client_backend=SimBleakClient,
            scanner_backend=SimBleakScanner,
            backend_kwargs={"sim_air": air},
            connect_attempts=2,
            scan_timeout_s=1.0,
        )
        with pytest.raises(DeviceNotFound, match="no treadmill answered at AA:BB:CC:DD:EE:FF"):
            await client.connect()

    run_virtual(scenario())


def test_reconnect_retries_until_the_treadmill_accepts_again() -> None:
    async def scenario() -> None:
        from simulators.faults import FaultKind

        air = SimAir()
        client, treadmill = simulated_link(sim_air=air, connect_attempts=4)
        await client.connect()
        treadmill.inject(FaultKind.DISCONNECT, 4.0)  # refuses connections for 4 s
        await client.connect()
        assert client.is_connected and client.record.attempts >= 2
        await client.disconnect()
        air.clear()

    run_virtual(scenario())


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="BlueZ (D-Bus) is Linux only")
def test_scan_on_a_machine_without_bluetooth_prints_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The real bleak BlueZ backend, with the system bus pointed at nothing.
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/treadctl-test-bus")
    status = main(["scan", "--timeout", "0.5"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.strip().splitlines() == [
        "treadctl: Bluetooth is not available on this machine (no D-Bus system bus, so no BlueZ);"
        " try --simulate to use the built-in treadmill simulator"
    ]
    assert "Traceback" not in captured.err and captured.out == ""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="BlueZ (D-Bus) is Linux only")
def test_probe_on_a_machine_without_bluetooth_prints_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", "unix:path=/nonexistent/treadctl-test-bus")
    status = main(["probe", "AA:BB:CC:DD:EE:FF"])
    captured = capsys.readouterr()
    assert status == 2
    assert len(captured.err.strip().splitlines()) == 1
    assert "Bluetooth is not available" in captured.err
