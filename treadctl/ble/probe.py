"""``treadctl probe``: connect, read everything, ask for control, and report it for a bug report.

The probe never moves the belt: the only Control Point procedure it runs is Request Control.
"""

from __future__ import annotations

import asyncio
import platform
import sys
from dataclasses import asdict, dataclass, field
from typing import Any

from treadctl.ble.client import FtmsClient, GattServiceInfo
from treadctl.ble.errors import translate
from treadctl.ble.ranges import speed_range_kmh
from treadctl.ble.scan import FoundMachine
from treadctl.errors import BluetoothUnavailable, TreadctlError
from treadctl.ftms.uuids import (
    CONTROL_POINT_UUID,
    FEATURE_UUID,
    INCLINE_RANGE_UUID,
    MACHINE_STATUS_UUID,
    SPEED_RANGE_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
)
from treadctl.link import CommandError, MachineEvent, StatusEvent, TelemetryEvent

_NAMES = {
    FEATURE_UUID: "Fitness Machine Feature",
    SPEED_RANGE_UUID: "Supported Speed Range",
    INCLINE_RANGE_UUID: "Supported Inclination Range",
    TRAINING_STATUS_UUID: "Training Status",
    TREADMILL_DATA_UUID: "Treadmill Data",
    CONTROL_POINT_UUID: "Fitness Machine Control Point",
    MACHINE_STATUS_UUID: "Fitness Machine Status",
}


@dataclass
class ProbeReport:
    target: str
    environment: dict[str, str]
    connected: bool = False
    error: str | None = None
    name: str = ""
    address: str = ""
    advert: FoundMachine | None = None
    services: tuple[GattServiceInfo, ...] = ()
    reads_hex: dict[str, str] = field(default_factory=dict)
    read_errors: dict[str, str] = field(default_factory=dict)
    subscribed: list[str] = field(default_factory=list)
    decoded: dict[str, Any] = field(default_factory=dict)
    limits: dict[str, Any] = field(default_factory=dict)
    quirks: tuple[str, ...] = ()
    request_control: str = "not tried"
    first_record: dict[str, Any] | None = None
    statuses: list[dict[str, Any]] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "environment": self.environment,
            "connected": self.connected,
            "error": self.error,
            "name": self.name,
            "address": self.address,
            "advertisement": self.advert.to_json() if self.advert else None,
            "services": [asdict(s) for s in self.services],
            "reads": self.reads_hex,
            "read_errors": self.read_errors,
            "subscribed": self.subscribed,
            "decoded": self.decoded,
            "limits": self.limits,
            "quirks": list(self.quirks),
            "request_control": self.request_control,
            "first_record": self.first_record,
            "statuses": self.statuses,
        }


def environment() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    from treadctl import __version__

    try:
        bleak_version = version("bleak")
    except PackageNotFoundError:
        bleak_version = "unknown"
    return {
        "treadctl": __version__,
        "bleak": bleak_version,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
    }


async def probe(client: FtmsClient, listen_s: float = 3.0) -> ProbeReport:
    """Connect, read, request control, listen a moment, disconnect; failures go in the report.

    Only "Bluetooth unavailable" is raised: with no Bluetooth there is nothing to report.
    """
    report = ProbeReport(target=client.info.address, environment=environment())
    events: list[MachineEvent] = []
    unsubscribe = client.add_listener(events.append)
    try:
        try:
            info = await client.connect()
        except BluetoothUnavailable:
            raise
        except TreadctlError as error:
            report.error = str(error)
        except Exception as error:  # an unexpected bleak error still belongs in the report
            translated = translate(error, client.info.address)
            if isinstance(translated, BluetoothUnavailable):
                raise translated from error
            report.error = str(translated or f"{type(error).__name__}: {error}")
        else:
            report.connected = True
            report.name, report.address = info.name, info.address
            report.quirks = info.quirks
            report.limits = asdict(info.limits)
            if info.features is not None:
                report.decoded["features"] = info.features.to_json()
            try:
                await client.request_control()
                report.request_control = "granted (80 00 01)"
            except CommandError as error:
                report.request_control = f"refused: {error}"
            await _wait_for_record(events, listen_s)
            await client.disconnect()
        _fill_from_record(report, client)
        first = next((e for e in events if isinstance(e, TelemetryEvent)), None)
        report.first_record = first.data.to_json() if first else None
        report.statuses = [e.status.to_json() for e in events if isinstance(e, StatusEvent)]
    finally:
        unsubscribe()
    return report


async def _wait_for_record(events: list[MachineEvent], listen_s: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + listen_s
    while loop.time() < deadline and not any(isinstance(e, TelemetryEvent) for e in events):
        await asyncio.sleep(0.1)


def _fill_from_record(report: ProbeReport, client: FtmsClient) -> None:
    record = client.record
    report.advert = record.advert
    report.services = record.services
    report.reads_hex = {uuid: raw.hex(" ") for uuid, raw in record.reads.items()}
    report.read_errors = dict(record.read_errors)
    report.subscribed = list(record.subscribed)
    if record.speed_range is not None:
        report.decoded["speed_range_as_read"] = record.speed_range.to_json()
        report.decoded["speed_range_kmh"] = speed_range_kmh(
            record.speed_range, client.quirks
        ).to_json()
    if record.incline_range is not None:
        report.decoded["incline_range"] = record.incline_range.to_json()
    if record.training_status is not None:
        report.decoded["training_status"] = record.training_status.to_json()


def render_text(report: ProbeReport) -> str:
    """The report as plain text, meant to be pasted into a bug report as-is."""
    lines = [f"treadctl probe {report.target}"]
    lines.append("  " + ", ".join(f"{k} {v}" for k, v in report.environment.items()))
    if report.advert is not None:
        a = report.advert
        lines.append(
            f"advertised: name {a.name!r}, address {a.address}, rssi {a.rssi_dbm} dBm, "
            f"machine type {a.type_label}, service data [{a.service_data_hex or 'none'}]"
        )
    if not report.connected:
        lines.append(f"connection: FAILED - {report.error}")
    else:
        lines.append(f"connected: {report.name} ({report.address})")
    for service in report.services:
        lines.append(f"service {service.uuid} {service.description}")
        for c in service.characteristics:
            label = _NAMES.get(c.uuid, c.description)
            lines.append(f"  {c.uuid} [{', '.join(c.properties)}] {label}")
            if c.uuid in report.reads_hex:
                lines.append(f"      read: {report.reads_hex[c.uuid] or '(empty)'}")
            if c.uuid in report.read_errors:
                lines.append(f"      read failed: {report.read_errors[c.uuid]}")
    for key, value in report.decoded.items():
        lines.append(f"{key.replace('_', ' ')}: {value}")
    if report.subscribed:
        lines.append(
            "subscribed (in order): " + ", ".join(_NAMES.get(u, u) for u in report.subscribed)
        )
    if report.connected:
        lines.append(f"limits used: {report.limits}")
        lines.append(f"quirks: {', '.join(report.quirks) or 'none'}")
        lines.append(f"request control: {report.request_control}")
        lines.append(f"first data record: {report.first_record or 'none received'}")
        for status in report.statuses:
            lines.append(f"status: {status}")
    return "\n".join(lines)
