"""Choosing the radio: BlueZ (with an adapter) or a bumble transport, and the BlueZ check."""

from __future__ import annotations

import asyncio

import pytest

from treadctl.ble.availability import check_bluez
from treadctl.ble.links import Radio, backend_options, parse_quirks, radio
from treadctl.ble.quirks import DeviceQuirks
from treadctl.errors import BluetoothUnavailable, UsageError

NO_BUS = "unix:path=/nonexistent/treadctl-test-bus"


def test_adapter_goes_to_bleaks_bluez_arguments() -> None:
    assert backend_options(radio(None, "hci1")) == {
        "backend_kwargs": {"bluez": {"adapter": "hci1"}}
    }
    assert backend_options(radio(None, None)) == {}


def test_transport_uses_the_bumble_backends() -> None:
    from treadctl.ble.bumble_host import BumbleHostClient, BumbleHostScanner

    options = backend_options(radio("tcp-client:127.0.0.1:9100", None))
    assert options["client_backend"] is BumbleHostClient
    assert options["scanner_backend"] is BumbleHostScanner
    assert options["backend_kwargs"] == {"bumble_transport": "tcp-client:127.0.0.1:9100"}
    assert not Radio("usb:0").uses_bluez and Radio().uses_bluez


@pytest.mark.parametrize(
    ("transport", "adapter", "message"),
    [
        (None, "bluetooth0", "bad adapter"),
        (None, "hci", "bad adapter"),
        ("usb:0", "hci0", "--adapter is for BlueZ"),
        ("TCP CLIENT", None, "bad transport"),
    ],
)
def test_bad_radio_choices(transport: str | None, adapter: str | None, message: str) -> None:
    with pytest.raises(UsageError, match=message):
        radio(transport, adapter)


def test_parse_quirks() -> None:
    assert parse_quirks(None) is None
    assert parse_quirks("slow-response, mph-range") == DeviceQuirks(
        range_in_mph=True, response_timeout_s=5.0
    )
    with pytest.raises(UsageError, match="unknown device quirk 'x'"):
        parse_quirks("x")


def test_bluez_check_without_a_system_bus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBUS_SYSTEM_BUS_ADDRESS", NO_BUS)
    with pytest.raises(BluetoothUnavailable, match="no D-Bus system bus, so no BlueZ"):
        check_bluez("hci1")

    async def inside_a_loop() -> None:
        check_bluez()

    with pytest.raises(BluetoothUnavailable, match="Bluetooth is not available"):
        asyncio.run(inside_a_loop())
