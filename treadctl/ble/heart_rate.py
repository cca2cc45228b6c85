"""A Bluetooth heart-rate strap on its own link, beside the treadmill's, with its own reconnect.

The strap never touches the belt: it only reports. Its link has nothing to do with the
treadmill's (a strap that drops out never stops the session by itself; the heart-rate agent
decides what an untrusted heart rate means). ``run`` keeps it connected: on a drop it waits
(backing off up to ``BACKOFF_S[-1]``) and tries again for as long as the session lasts.

Events go to listeners as plain dataclasses (no bleak types): ``StrapLinkChanged``,
``StrapMeasurement`` and ``StrapBattery``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from treadctl import hrs
from treadctl.ble.client import looks_like_address
from treadctl.errors import DeviceNotFound

if TYPE_CHECKING:
    from bleak import BleakClient
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import BaseBleakScanner

log = logging.getLogger(__name__)

BACKOFF_S: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0)
SCAN_TIMEOUT_S = 10.0
CONNECT_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class StrapLinkChanged:
    up: bool
    reason: str = ""


@dataclass(frozen=True)
class StrapMeasurement:
    measurement: hrs.HeartRateMeasurement


@dataclass(frozen=True)
class StrapBattery:
    percent: int


StrapEvent = StrapLinkChanged | StrapMeasurement | StrapBattery
StrapListener = Callable[[StrapEvent], None]


@dataclass
class StrapInfo:
    name: str = ""
    address: str = ""
    location: hrs.BodySensorLocation | int | None = None
    battery_pct: int | None = None
    services: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        location = self.location
        return {
            "name": self.name,
            "address": self.address,
            "body_sensor_location": (
                location.name.lower() if isinstance(location, hrs.BodySensorLocation) else location
            ),
            "battery_pct": self.battery_pct,
            "services": self.services,
        }


class NotAHeartRateStrap(DeviceNotFound):
    """The device answered but has no Heart Rate Service."""


class HeartRateStrap:
    """One strap. ``client_backend``/``scanner_backend``/``backend_kwargs`` go to bleak's
    ``backend=`` hook (the simulator's air), exactly as for the treadmill's client."""

    def __init__(
        self,
        target: str,
        *,
        client_backend: type[BaseBleakClient] | None = None,
        scanner_backend: type[BaseBleakScanner] | None = None,
        backend_kwargs: Mapping[str, Any] | None = None,
        backoff_s: Sequence[float] = BACKOFF_S,
        scan_timeout_s: float = SCAN_TIMEOUT_S,
    ) -> None:
        self.target = target
        self._client_backend = client_backend
        self._scanner_backend = scanner_backend
        self._backend_kwargs = dict(backend_kwargs or {})
        self._backoff_s = tuple(backoff_s)
        self._scan_timeout_s = scan_timeout_s
        self._listeners: list[StrapListener] = []
        self._client: BleakClient | None = None
        self._closing = False
        self._lost: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self.info = StrapInfo()
        self.connects = 0

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    def add_listener(self, listener: StrapListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # --- one connection ---

    async def connect(self) -> StrapInfo:
        """Find, connect, read the location and battery, subscribe; one attempt."""
        from bleak import BleakClient

        target = await self._find()
        client = BleakClient(
            target,
            disconnected_callback=self._on_disconnect,
            timeout=CONNECT_TIMEOUT_S,
            backend=self._client_backend,
            **self._backend_kwargs,
        )
        self._client = client
        try:
            await client.connect()
            info = StrapInfo(name=client.name or self.target, address=client.address)
            info.services = [s.uuid for s in client.services]
            if client.services.get_service(hrs.HEART_RATE_SERVICE_UUID) is None:
                raise NotAHeartRateStrap(
                    f"{info.name} ({info.address}) has no Heart Rate Service; is it a strap?"
                )
            info.location = await self._read(
                client, hrs.BODY_SENSOR_LOCATION_UUID, hrs.decode_body_sensor_location
            )
            info.battery_pct = await self._read(
                client, hrs.BATTERY_LEVEL_UUID, hrs.decode_battery_level
            )
            await client.start_notify(hrs.HEART_RATE_MEASUREMENT_UUID, self._on_measurement)
            if client.services.get_characteristic(hrs.BATTERY_LEVEL_UUID) is not None:
                try:
                    await client.start_notify(hrs.BATTERY_LEVEL_UUID, self._on_battery)
                except Exception as error:  # many straps only allow reading it
                    log.info("strap battery notifications unavailable: %s", error)
        except BaseException:
            self._client = None
            with contextlib.suppress(Exception):
                await client.disconnect()
            raise
        self.info = info
        self.connects += 1
        self._emit(StrapLinkChanged(True, f"connected to {info.name}"))
        if info.battery_pct is not None:
            self._emit(StrapBattery(info.battery_pct))
        return info

    async def _find(self) -> BLEDevice | str:
        if looks_like_address(self.target) or self._client_backend is not None:
            return self.target
        from bleak import BleakScanner

        wanted = self.target.lower()
        scanner_kwargs: dict[str, Any] = dict(self._backend_kwargs)
        if self._scanner_backend is not None:
            scanner_kwargs["backend"] = self._scanner_backend
        device = await BleakScanner.find_device_by_filter(
            lambda d, adv: wanted in {(adv.local_name or "").lower(), (d.name or "").lower()},
            timeout=self._scan_timeout_s,
            **scanner_kwargs,
        )
        if device is None:
            raise DeviceNotFound(
                f"no heart-rate strap called {self.target!r} was heard within "
                f"{self._scan_timeout_s:g} s; wet the strap's electrodes, put it on, and check "
                "the name with `treadctl scan --hr`"
            )
        return device

    async def _read(self, client: BleakClient, uuid: str, decode: Callable[[bytes], Any]) -> Any:
        if client.services.get_characteristic(uuid) is None:
            return None
        try:
            return decode(bytes(await client.read_gatt_char(uuid)))
        except hrs.DecodeError as error:
            log.info("strap: %s undecodable: %s", uuid, error)
            return None

    async def disconnect(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        self._closing = True
        try:
            await client.disconnect()
        except Exception as error:
            log.info("strap disconnect: %s", error)
        finally:
            self._closing = False
        self._emit(StrapLinkChanged(False, "closed by treadctl"))

    # --- kept connected ---

    def start(self) -> asyncio.Task[None]:
        """Keep the strap connected in the background until ``close``."""
        self._task = asyncio.get_running_loop().create_task(self.run())
        return self._task

    async def run(self) -> None:
        attempt = 0
        while not self._closing:
            self._lost = asyncio.Event()
            try:
                await self.connect()
            except Exception as error:  # radio trouble of any kind: try again later
                if isinstance(error, NotAHeartRateStrap):
                    log.warning("%s", error)
                    self._emit(StrapLinkChanged(False, str(error)))
                    return
                delay = self._backoff_s[min(attempt, len(self._backoff_s) - 1)]
                attempt += 1
                if attempt == 1:  # once, in words; the retries after it stay quiet
                    from treadctl.ble.errors import translate

                    log.warning(
                        "heart-rate strap %s: %s; retrying in the background",
                        self.target,
                        translate(error, f"the strap {self.target}") or error,
                    )
                log.info("strap connect failed (%s); retry in %g s", error, delay)
                await asyncio.sleep(delay)
                continue
            attempt = 0
            await self._lost.wait()
            if not self._closing:
                await asyncio.sleep(self._backoff_s[0])

    async def close(self) -> None:
        self._closing = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        client, self._client = self._client, None
        if client is not None:
            with contextlib.suppress(Exception):
                await client.disconnect()

    # --- callbacks ---

    def _on_disconnect(self, client: BleakClient) -> None:
        if client is not self._client:
            return
        self._client = None
        if self._lost is not None:
            self._lost.set()
        if not self._closing:
            self._emit(StrapLinkChanged(False, "the heart-rate strap disconnected"))

    def _on_measurement(self, _char: Any, data: bytearray) -> None:
        try:
            measurement = hrs.decode_measurement(data)
        except hrs.DecodeError as error:
            log.info("strap: undecodable measurement %s: %s", bytes(data).hex(), error)
            return
        self._emit(StrapMeasurement(measurement))

    def _on_battery(self, _char: Any, data: bytearray) -> None:
        try:
            percent = hrs.decode_battery_level(data)
        except hrs.DecodeError:
            return
        self.info.battery_pct = percent
        self._emit(StrapBattery(percent))

    def _emit(self, event: StrapEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:
                log.exception("strap listener failed on %r", event)


# --- scanning ---


@dataclass(frozen=True)
class FoundStrap:
    name: str
    address: str
    rssi_dbm: int | None

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "address": self.address, "rssi_dbm": self.rssi_dbm}


async def scan_straps(
    timeout_s: float,
    *,
    scanner_backend: type[BaseBleakScanner] | None = None,
    backend_kwargs: Mapping[str, Any] | None = None,
) -> list[FoundStrap]:
    """Devices advertising the Heart Rate Service, strongest signal first."""
    from bleak import BleakScanner

    from treadctl.ble.errors import translate

    try:
        async with BleakScanner(
            service_uuids=[hrs.HEART_RATE_SERVICE_UUID],
            backend=scanner_backend,
            **dict(backend_kwargs or {}),
        ) as scanner:
            await asyncio.sleep(timeout_s)
            seen = scanner.discovered_devices_and_advertisement_data
    except Exception as error:
        translated = translate(error, "the strap")
        if translated is None:
            raise
        raise translated from error
    found = [
        FoundStrap(adv.local_name or device.name or "?", device.address, adv.rssi)
        for device, adv in seen.values()
        if hrs.HEART_RATE_SERVICE_UUID in {u.lower() for u in adv.service_uuids}
    ]
    return sorted(found, key=lambda f: -(f.rssi_dbm if f.rssi_dbm is not None else -999))


# --- probing ---


async def probe_strap(strap: HeartRateStrap, listen_s: float = 5.0) -> dict[str, Any]:
    """Connect once, read what the strap offers, listen for ``listen_s``; a JSON-able report."""
    from treadctl.ble.errors import translate

    readings: list[dict[str, Any]] = []

    def on_event(event: StrapEvent) -> None:
        if isinstance(event, StrapMeasurement):
            readings.append(event.measurement.to_json())

    unsubscribe = strap.add_listener(on_event)
    report: dict[str, Any] = {"target": strap.target, "connected": False}
    try:
        try:
            info = await strap.connect()
        except Exception as error:
            translated = translate(error, strap.target)
            report["error"] = str(translated or error)
            return report
        report["connected"] = True
        report.update(info.to_json())
        await asyncio.sleep(listen_s)
        report["measurements"] = readings
        await strap.disconnect()
    finally:
        unsubscribe()
    return report


def render_probe(report: dict[str, Any]) -> str:
    if not report.get("connected"):
        return f"strap {report['target']}: not connected: {report.get('error', 'unknown error')}"
    lines = [
        f"strap: {report['name']} ({report['address']})",
        f"body sensor location: {report.get('body_sensor_location') or 'not reported'}",
        f"battery: {report['battery_pct']} %"
        if report.get("battery_pct") is not None
        else "battery: not reported",
    ]
    measurements = report.get("measurements") or []
    lines.append(f"measurements heard: {len(measurements)}")
    for m in measurements[-5:]:
        contact = {True: "contact", False: "NO CONTACT", None: "contact not reported"}[
            m["contact_detected"] if m["contact_supported"] else None
        ]
        rr = ", ".join(f"{rr * 1000:.0f} ms" for rr in m["rr_intervals_s"]) or "no RR"
        lines.append(f"  {m['bpm']} bpm, {contact}, {rr}")
    return "\n".join(lines)
