"""``treadctl probe``: connect, read everything, ask for control, and report it for a bug report.

The probe never moves the belt: the only Control Point procedure it runs is Request Control (once,
again half a second later if the first is refused, and once more for the ``request-control-twice``
quirk). Every write goes into the probe's audit log with the treadmill's answer. From what it
observed it suggests the quirks that fit (:func:`suggest_quirks`).
"""

from __future__ import annotations

import asyncio
import platform
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from treadctl.ble.client import FtmsClient, GattServiceInfo
from treadctl.ble.device_info import DIS_NAMES
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
from treadctl.link import (
    CommandError,
    CommandTimeout,
    ControlNotPermitted,
    LinkEvent,
    LinkWrite,
    MachineEvent,
    StatusEvent,
    TelemetryEvent,
)

# Request Control answered later than this (of the 2 s default deadline): suggest slow-response.
SLOW_ANSWER_S = 1.0
# A speed range whose top is below this many km/h is most likely mph in km/h fields.
MPH_RANGE_TOP_KMH = 4.5
RETRY_GAP_S = 0.5

_NAMES = {
    FEATURE_UUID: "Fitness Machine Feature",
    SPEED_RANGE_UUID: "Supported Speed Range",
    INCLINE_RANGE_UUID: "Supported Inclination Range",
    TRAINING_STATUS_UUID: "Training Status",
    TREADMILL_DATA_UUID: "Treadmill Data",
    CONTROL_POINT_UUID: "Fitness Machine Control Point",
    MACHINE_STATUS_UUID: "Fitness Machine Status",
    **DIS_NAMES,
}


@dataclass(frozen=True)
class Suggestion:
    quirk: str  # a preset name
    why: str

    def to_json(self) -> dict[str, str]:
        return {"quirk": self.quirk, "why": self.why}


@dataclass(frozen=True)
class ProbeWrite:
    """One Control Point write the probe made (for its audit log and the report)."""

    t_s: float
    op: str
    why: str
    result: str
    answer_s: float | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "t": round(self.t_s, 3),
            "kind": "control_point_write",
            "op": self.op,
            "why": self.why,
            "result": self.result,
            "answer_s": None if self.answer_s is None else round(self.answer_s, 3),
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
    quirk_source: str = ""
    device_information: dict[str, str | None] = field(default_factory=dict)
    request_control: str = "not tried"
    first_record: dict[str, Any] | None = None
    statuses: list[dict[str, Any]] = field(default_factory=list)
    writes: list[ProbeWrite] = field(default_factory=list)
    suggestions: list[Suggestion] = field(default_factory=list)
    audit_path: str | None = None

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
            "quirk_source": self.quirk_source,
            "device_information": self.device_information,
            "request_control": self.request_control,
            "first_record": self.first_record,
            "statuses": self.statuses,
            "control_point_writes": [w.to_json() for w in self.writes],
            "suggested_quirks": [s.to_json() for s in self.suggestions],
            "audit_log": self.audit_path,
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


AuditSink = Callable[[dict[str, Any]], None]


async def probe(
    client: FtmsClient, listen_s: float = 3.0, audit: AuditSink | None = None
) -> ProbeReport:
    """Connect, read, request control, listen a moment, disconnect; failures go in the report.

    ``audit`` receives one JSON object per event (link changes, statuses, every Control Point
    write with its answer), in order. Only "Bluetooth unavailable" is raised: with no Bluetooth
    there is nothing to report.
    """
    target = client.info.address or "(the first FTMS treadmill heard)"
    report = ProbeReport(target=target, environment=environment())
    events: list[MachineEvent] = []
    loop = asyncio.get_running_loop()
    started_s = loop.time()

    def now_s() -> float:
        return loop.time() - started_s

    def note(record: dict[str, Any]) -> None:
        if audit is not None:
            audit(record)

    def on_event(event: MachineEvent) -> None:
        events.append(event)
        if isinstance(event, LinkWrite):  # the client's own writes (the twice quirk)
            write = ProbeWrite(now_s(), event.op, event.why, event.result)
            report.writes.append(write)
            if deferred is not None:  # during our own write: logged after it, in write order
                deferred.append(write.to_json())
            else:
                note(write.to_json())
        elif isinstance(event, LinkEvent):
            note(
                {
                    "t": round(now_s(), 3),
                    "kind": "link",
                    "event": str(event.state),
                    "reason": event.reason,
                }
            )
        elif isinstance(event, StatusEvent):
            note({"t": round(now_s(), 3), "kind": "status", "status": event.status.to_json()})

    deferred: list[dict[str, Any]] | None = None

    def flushing_note(record: dict[str, Any]) -> None:
        nonlocal deferred
        note(record)
        if record.get("kind") == "control_point_write" and deferred is not None:
            held, deferred = deferred, None
            for item in held:
                note(item)

    def hold() -> None:
        nonlocal deferred
        deferred = []

    unsubscribe = client.add_listener(on_event)
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
            report.quirk_source = info.quirk_source
            report.limits = asdict(info.limits)
            if info.features is not None:
                report.decoded["features"] = info.features.to_json()
            await _request_control(client, report, now_s, flushing_note, hold)
            await _wait_for_record(events, listen_s)
            await client.disconnect()
        _fill_from_record(report, client)
        first = next((e for e in events if isinstance(e, TelemetryEvent)), None)
        report.first_record = first.data.to_json() if first else None
        report.statuses = [e.status.to_json() for e in events if isinstance(e, StatusEvent)]
        report.suggestions = suggest_quirks(report)
        if report.suggestions:
            note(
                {
                    "t": round(now_s(), 3),
                    "kind": "suggestion",
                    "quirks": [s.to_json() for s in report.suggestions],
                }
            )
    finally:
        unsubscribe()
    return report


async def _request_control(
    client: FtmsClient,
    report: ProbeReport,
    now_s: Callable[[], float],
    note: AuditSink,
    hold: Callable[[], None],
) -> None:
    """Request Control; once more after a moment if refused (some devices need two).
    ``hold`` makes the client's own writes during ours wait until ours is noted."""
    for attempt in (1, 2):
        hold()
        why = "probe: ask for control" if attempt == 1 else "probe: ask again after a refusal"
        sent_s = now_s()
        result = "success"
        refused: CommandError | None = None
        try:
            await client.request_control()
        except CommandError as error:
            refused = error
            result = getattr(error, "result", None) or (
                "timeout" if isinstance(error, CommandTimeout) else f"error: {error}"
            )
        write = ProbeWrite(sent_s, "request_control", why, result, now_s() - sent_s)
        # The client's own second write (twice quirk) was noted as it happened; ours goes first.
        index = next(
            (i for i, w in enumerate(report.writes) if w.t_s >= sent_s), len(report.writes)
        )
        report.writes.insert(index, write)
        note(write.to_json())
        if refused is None:
            report.request_control = (
                "granted (80 00 01)" if attempt == 1 else "granted on the second request"
            )
            return
        report.request_control = f"refused: {refused}"
        if not isinstance(refused, ControlNotPermitted):
            return
        await asyncio.sleep(RETRY_GAP_S)


def suggest_quirks(report: ProbeReport) -> list[Suggestion]:
    """Presets that fit what the probe saw and that are not applied yet."""
    applied = set(report.quirks)
    found: list[Suggestion] = []
    own = [w for w in report.writes if w.why.startswith("probe:")]
    answers = [w.answer_s for w in own if w.answer_s is not None and w.result != "timeout"]
    if any(w.result == "timeout" for w in own):
        found.append(
            Suggestion("slow-response", "Request Control got no answer within the deadline")
        )
    elif (
        answers
        and max(answers) > SLOW_ANSWER_S
        and not any(q.startswith("response_timeout_s") for q in applied)
    ):
        found.append(
            Suggestion(
                "slow-response",
                f"Request Control was answered after {max(answers):.1f} s (the deadline is 2 s)",
            )
        )
    if (
        len(own) == 2
        and own[0].result == "control_not_permitted"
        and own[1].result == "success"
        and "request_control_twice" not in applied
    ):
        found.append(
            Suggestion(
                "request-control-twice", "the first Request Control was refused, the second granted"
            )
        )
    speed = report.decoded.get("speed_range_as_read")
    if (
        isinstance(speed, dict)
        and "range_in_mph" not in applied
        and 0 < float(speed.get("maximum_kmh", 0)) < MPH_RANGE_TOP_KMH
    ):
        found.append(
            Suggestion(
                "mph-range",
                f'the Supported Speed Range tops out at {speed["maximum_kmh"]} "km/h", '
                "which looks like mph (check the console's top speed)",
            )
        )
    return found


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
    dis = record.device_information
    if not dis.empty:
        report.device_information = dis.to_json()
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
        if report.device_information:
            known = {k: v for k, v in report.device_information.items() if v}
            lines.append(
                "device information: "
                + ", ".join(f"{k.replace('_', ' ')} {v!r}" for k, v in known.items())
            )
        else:
            lines.append("device information: none (no Device Information Service)")
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
        source = f" (from {report.quirk_source})" if report.quirk_source else ""
        lines.append(f"quirks: {', '.join(report.quirks) or 'none'}{source}")
        lines.append(f"request control: {report.request_control}")
        for write in report.writes:
            answer = "" if write.answer_s is None else f" in {write.answer_s:.2f} s"
            lines.append(f"control point write: {write.op} ({write.why}) -> {write.result}{answer}")
        lines.append(f"first data record: {report.first_record or 'none received'}")
        for status in report.statuses:
            lines.append(f"status: {status}")
    if report.suggestions:
        for suggestion in report.suggestions:
            lines.append(f"suggested quirk: {suggestion.quirk} - {suggestion.why}")
        names = ",".join(s.quirk for s in report.suggestions)
        lines.append(f"  try: treadctl run PROFILE --device {report.address} --quirks {names}")
    elif report.connected:
        lines.append("suggested quirks: none")
    if report.audit_path:
        lines.append(f"audit log: {report.audit_path}")
    return "\n".join(lines)
