"""A simulated Bluetooth heart-rate strap: the Heart Rate Service (0x180D) and Battery (0x180F).

It sits on the same simulated air as the treadmill (``simulators.bleak_backend.SimAir``), so the
strap link (``treadctl.ble.heart_rate``) runs its real bleak code path against it. Heart rate
follows a schedule (``--sim-hr 90,120@60,150@300``: 90 bpm at the start, rising steadily to 120
at 60 s and to 150 at 300 s, then held), one Heart Rate Measurement a second with its RR
interval and the sensor-contact bits set, and faults (``--sim-hr-fault NAME@SECONDS[+DURATION]``):

* ``frozen``: the strap repeats its last value and sends no RR intervals (lost contact on some
  models looks exactly like this).
* ``contact-lost``: the contact bit clears and the value drops to 0.
* ``drop``: the link drops and the strap is gone for the duration (default 30 s), then it can be
  reconnected.
* ``battery-low``: the Battery Level falls to 9 % (notified).

Times count from the strap's first connection, which is the start of the session.
"""

from __future__ import annotations

import asyncio
import itertools
import math
from dataclasses import dataclass, field
from enum import StrEnum
from typing import cast

from bleak.assigned_numbers import CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.scanner import AdvertisementData
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection

from simulators.gatt_server import (
    ATT_INVALID_ATTRIBUTE_VALUE_LENGTH,
    ATT_READ_NOT_PERMITTED,
    ATT_WRITE_NOT_PERMITTED,
    NOTIFY,
    AttError,
    CharacteristicSpec,
    ClientLink,
    Connection,
    NotConnectable,
)
from treadctl import hrs
from treadctl.ftms.uuids import CCCD_UUID

STRAP_ADDRESS = "SIM-HR-STRAP-1"
STRAP_NAME = "treadctl sim HR"
DEFAULT_BPM = 80
MEASUREMENT_INTERVAL_S = 1.0
DROP_DEFAULT_S = 30.0
BATTERY_FULL_PCT = 87
BATTERY_LOW_PCT = 9
MAX_BPM = 250


class StrapSpecError(ValueError):
    """A ``--sim-hr`` schedule or ``--sim-hr-fault`` that cannot be understood."""


# --- the schedule ---


@dataclass(frozen=True)
class HrSchedule:
    """Points (seconds, bpm): linear between them, held after the last."""

    points: tuple[tuple[float, int], ...]

    def bpm_at(self, t_s: float) -> int:
        points = self.points
        if t_s <= points[0][0]:
            return points[0][1]
        for (t0, b0), (t1, b1) in itertools.pairwise(points):
            if t_s <= t1:
                fraction = (t_s - t0) / (t1 - t0) if t1 > t0 else 1.0
                return round(b0 + (b1 - b0) * fraction)
        return points[-1][1]


def parse_schedule(text: str) -> HrSchedule:
    """``"90,120@60,150@300"``; the first value may leave out ``@0``. StrapSpecError if bad."""
    points: list[tuple[float, int]] = []
    for index, part in enumerate(p.strip() for p in text.split(",")):
        bpm_text, at, when = part.partition("@")
        if not at:
            if index:
                raise StrapSpecError(
                    f"bad --sim-hr {text!r}: {part!r} needs @SECONDS (e.g. 90,120@60,150@300)"
                )
            when = "0"
        try:
            bpm = int(bpm_text)
            at_s = float(when)
        except ValueError:
            raise StrapSpecError(
                f"bad --sim-hr {text!r}: expected BPM[@SECONDS],... e.g. 90,120@60,150@300"
            ) from None
        if not 0 <= bpm <= MAX_BPM:
            raise StrapSpecError(f"bad --sim-hr {text!r}: {bpm} bpm is not 0..{MAX_BPM}")
        if not math.isfinite(at_s) or at_s < 0:
            raise StrapSpecError(f"bad --sim-hr {text!r}: {when!r} is not a time in seconds")
        if points and at_s <= points[-1][0]:
            raise StrapSpecError(f"bad --sim-hr {text!r}: times must increase")
        points.append((at_s, bpm))
    if not points:
        raise StrapSpecError("--sim-hr needs at least one heart rate")
    return HrSchedule(tuple(points))


# --- faults ---


class StrapFaultKind(StrEnum):
    FROZEN = "frozen"
    CONTACT_LOST = "contact-lost"
    DROP = "drop"
    BATTERY_LOW = "battery-low"


STRAP_FAULT_HELP: dict[StrapFaultKind, str] = {
    StrapFaultKind.FROZEN: "the strap repeats its last value with no RR intervals",
    StrapFaultKind.CONTACT_LOST: "the contact bit clears and the value drops to 0",
    StrapFaultKind.DROP: f"the link drops; the strap is gone for {DROP_DEFAULT_S:g} s (or +S)",
    StrapFaultKind.BATTERY_LOW: f"the battery level falls to {BATTERY_LOW_PCT} %",
}


@dataclass(frozen=True)
class StrapFault:
    kind: StrapFaultKind
    at_s: float
    duration_s: float | None = None  # None: for good (drop: DROP_DEFAULT_S)

    def active(self, t_s: float) -> bool:
        duration = self.duration_s
        if duration is None and self.kind is StrapFaultKind.DROP:
            duration = DROP_DEFAULT_S
        return t_s >= self.at_s and (duration is None or t_s < self.at_s + duration)


def parse_strap_fault(spec: str) -> StrapFault:
    """``"frozen@120"``, ``"drop@60+20"``; StrapSpecError if bad."""
    name, at, when = spec.strip().partition("@")
    if not at or not when:
        raise StrapSpecError(f"bad --sim-hr-fault {spec!r}: expected NAME@SECONDS, e.g. frozen@120")
    try:
        kind = StrapFaultKind(name.strip().lower())
    except ValueError:
        names = ", ".join(k.value for k in StrapFaultKind)
        raise StrapSpecError(f"unknown strap fault {name!r}; choose one of: {names}") from None
    at_text, plus, duration_text = when.partition("+")
    try:
        at_s = float(at_text)
        duration_s = float(duration_text) if plus else None
    except ValueError:
        raise StrapSpecError(f"bad time in --sim-hr-fault {spec!r}: expected seconds") from None
    if not math.isfinite(at_s) or at_s < 0 or (duration_s is not None and not duration_s > 0):
        raise StrapSpecError(f"bad time in --sim-hr-fault {spec!r}: expected seconds")
    return StrapFault(kind, at_s, duration_s)


# --- the strap ---


class SimulatedStrap:
    """Heart rate, contact, battery and faults on the loop's clock."""

    def __init__(
        self, schedule: HrSchedule | None = None, faults: tuple[StrapFault, ...] = ()
    ) -> None:
        self.schedule = schedule or HrSchedule(((0.0, DEFAULT_BPM),))
        self.faults = faults
        self.origin_s: float | None = None
        self._frozen_bpm: int | None = None
        self.sent: list[hrs.HeartRateMeasurement] = []

    def t_s(self, now_s: float) -> float:
        if self.origin_s is None:
            self.origin_s = now_s
        return now_s - self.origin_s

    def _active(self, kind: StrapFaultKind, t_s: float) -> bool:
        return any(f.kind is kind and f.active(t_s) for f in self.faults)

    def accepts_connections(self, now_s: float) -> bool:
        return self.origin_s is None or not self._active(StrapFaultKind.DROP, self.t_s(now_s))

    def dropped(self, now_s: float) -> bool:
        return self.origin_s is not None and self._active(StrapFaultKind.DROP, self.t_s(now_s))

    def battery_pct(self, now_s: float) -> int:
        low = self._active(StrapFaultKind.BATTERY_LOW, self.t_s(now_s))
        return BATTERY_LOW_PCT if low else BATTERY_FULL_PCT

    def measurement(self, now_s: float) -> hrs.HeartRateMeasurement:
        t_s = self.t_s(now_s)
        if self._active(StrapFaultKind.CONTACT_LOST, t_s):
            return hrs.HeartRateMeasurement(0, contact_supported=True, contact_detected=False)
        bpm = self.schedule.bpm_at(t_s)
        if self._active(StrapFaultKind.FROZEN, t_s):
            if self._frozen_bpm is None:
                self._frozen_bpm = self.sent[-1].bpm if self.sent else bpm
            return hrs.HeartRateMeasurement(
                self._frozen_bpm, contact_supported=True, contact_detected=True
            )
        self._frozen_bpm = None
        rr = (round(60.0 / bpm, 3),) if bpm > 0 else ()
        return hrs.HeartRateMeasurement(
            bpm, contact_supported=True, contact_detected=True, rr_intervals_s=rr
        )


_CHARACTERISTICS = {
    hrs.HEART_RATE_SERVICE_UUID: (
        CharacteristicSpec(hrs.HEART_RATE_MEASUREMENT_UUID, ("notify",)),
        CharacteristicSpec(hrs.BODY_SENSOR_LOCATION_UUID, ("read",)),
    ),
    hrs.BATTERY_SERVICE_UUID: (CharacteristicSpec(hrs.BATTERY_LEVEL_UUID, ("read", "notify")),),
}


class StrapGattServer:
    """The strap's GATT behaviour, with the interface the bleak backend expects of a server."""

    def __init__(self, strap: SimulatedStrap) -> None:
        self.strap = strap
        self.services = tuple(_CHARACTERISTICS.items())
        self.characteristics = tuple(c for _, chars in self.services for c in chars)
        self._by_uuid = {c.uuid: c for c in self.characteristics}
        self.connections: list[Connection] = []
        self._ids = 0
        self._timer: asyncio.TimerHandle | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._battery_sent: int | None = None

    def connect(self, link: ClientLink, *, att_mtu: int | None = None) -> Connection:
        loop = asyncio.get_running_loop()
        self._loop = loop
        if not self.strap.accepts_connections(loop.time()):
            raise NotConnectable("the strap is out of range")
        self.strap.t_s(loop.time())  # the first connection starts the strap's clock
        self._ids += 1
        conn = Connection(f"strap-client-{self._ids}", link, att_mtu or 23)
        self.connections.append(conn)
        if self._timer is None:
            self._timer = loop.call_later(MEASUREMENT_INTERVAL_S, self._tick)
        return conn

    def disconnect(self, conn: Connection) -> None:
        if not conn.open:
            return
        conn.open = False
        conn.cccd.clear()
        if conn in self.connections:
            self.connections.remove(conn)
        if not self.connections and self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def close(self) -> None:
        for conn in list(self.connections):
            self.disconnect(conn)

    def spec(self, uuid: str) -> CharacteristicSpec:
        try:
            return self._by_uuid[uuid.lower()]
        except KeyError:
            raise AttError(0x01, f"no characteristic {uuid}") from None

    def read(self, conn: Connection, uuid: str) -> bytes:
        spec = self.spec(uuid)
        if "read" not in spec.properties:
            raise AttError(ATT_READ_NOT_PERMITTED, f"{uuid} is not readable")
        if spec.uuid == hrs.BODY_SENSOR_LOCATION_UUID:
            return hrs.encode_body_sensor_location(hrs.BodySensorLocation.CHEST)
        return hrs.encode_battery_level(self.strap.battery_pct(self._now()))

    def read_cccd(self, conn: Connection, uuid: str) -> bytes:
        return conn.cccd.get(self.spec(uuid).uuid, 0).to_bytes(2, "little")

    def write_cccd(self, conn: Connection, uuid: str, value: bytes) -> None:
        spec = self.spec(uuid)
        if len(value) != 2:
            raise AttError(ATT_INVALID_ATTRIBUTE_VALUE_LENGTH, "a CCCD value is 2 octets")
        conn.cccd[spec.uuid] = int.from_bytes(value, "little")

    def write(self, conn: Connection, uuid: str, data: bytes, *, with_response: bool) -> None:
        raise AttError(ATT_WRITE_NOT_PERMITTED, f"{uuid} is not writable")

    def service_collection(self, att_mtu: int) -> BleakGATTServiceCollection:
        """The Heart Rate and Battery services as bleak describes them, handles laid out like a
        real GATT table (the bleak backend asks the server for these)."""
        services = BleakGATTServiceCollection()
        handle = 0
        for service_uuid, characteristics in self.services:
            handle += 0x10
            service = BleakGATTService(None, handle, service_uuid)
            services.add_service(service)
            for spec in characteristics:
                handle += 2  # declaration, then value
                props = cast(list[CharacteristicPropertyName], list(spec.properties))
                char = BleakGATTCharacteristic(
                    spec, handle, spec.uuid, props, lambda: att_mtu - 3, service
                )
                services.add_characteristic(char)
                if spec.has_cccd:
                    handle += 1
                    services.add_descriptor(BleakGATTDescriptor(None, handle, CCCD_UUID, char))
        return services

    def _now(self) -> float:
        return self._loop.time() if self._loop is not None else 0.0

    def _tick(self) -> None:
        self._timer = None
        now = self._now()
        if self.strap.dropped(now):
            for conn in list(self.connections):
                self.disconnect(conn)
                conn.link.drop("the heart-rate strap went out of range")
            return
        measurement = self.strap.measurement(now)
        self.strap.sent.append(measurement)
        payload = hrs.encode_measurement(measurement)
        battery = self.strap.battery_pct(now)
        for conn in list(self.connections):
            if conn.open and conn.cccd.get(hrs.HEART_RATE_MEASUREMENT_UUID, 0) & NOTIFY:
                conn.link.notify(hrs.HEART_RATE_MEASUREMENT_UUID, payload)
            if battery != self._battery_sent and conn.cccd.get(hrs.BATTERY_LEVEL_UUID, 0) & NOTIFY:
                conn.link.notify(hrs.BATTERY_LEVEL_UUID, hrs.encode_battery_level(battery))
        self._battery_sent = battery
        if self.connections and self._loop is not None:
            self._timer = self._loop.call_later(MEASUREMENT_INTERVAL_S, self._tick)


@dataclass(eq=False)
class StrapPeripheral:
    """A simulated strap on the air: what the scanner sees and the client connects to."""

    strap: SimulatedStrap
    address: str = STRAP_ADDRESS
    name: str = STRAP_NAME
    rssi_dbm: int = -64
    server: StrapGattServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = StrapGattServer(self.strap)

    @property
    def accepts_connections(self) -> bool:
        try:
            now = asyncio.get_running_loop().time()
        except RuntimeError:
            return True
        return self.strap.accepts_connections(now)

    def advertisement(self) -> AdvertisementData:
        return AdvertisementData(
            local_name=self.name,
            manufacturer_data={},
            service_data={},
            service_uuids=[hrs.HEART_RATE_SERVICE_UUID, hrs.BATTERY_SERVICE_UUID],
            tx_power=None,
            rssi=self.rssi_dbm,
            platform_data=(),
        )


def add_simulated_strap(
    schedule: str | None = None,
    faults: tuple[str, ...] | list[str] = (),
    *,
    address: str = STRAP_ADDRESS,
    name: str = STRAP_NAME,
    sim_air: object | None = None,
) -> SimulatedStrap:
    """Put a strap on the (default) simulated air; StrapSpecError on a bad schedule or fault."""
    from simulators.bleak_backend import SimAir

    strap = SimulatedStrap(
        parse_schedule(schedule) if schedule else None,
        tuple(parse_strap_fault(f) for f in faults),
    )
    air = sim_air if isinstance(sim_air, SimAir) else SimAir.default()
    air.add_peripheral(StrapPeripheral(strap, address, name))
    return strap
