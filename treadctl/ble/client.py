"""FtmsClient: a TreadmillLink over bleak, for a real treadmill or the simulator's backend.

This module is the bleak side: connect, discover, read, subscribe, and turn notifications into
machine events. The Control Point procedure itself (one request at a time, its answer, control,
held targets) is :class:`treadctl.ble.procedure.ControlPointProcedure`, which this client feeds
and writes for. Device quirks come in as one :class:`DeviceQuirks` record, resolved here.
"""

from __future__ import annotations

import asyncio
import logging
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any

from bleak import BleakClient, BleakScanner
from bleak.exc import BleakError, BleakGATTProtocolError

from treadctl.ble.device_info import (
    DEVICE_INFORMATION_SERVICE_UUID,
    DIS_FIELDS,
    DeviceInformation,
    from_reads,
)
from treadctl.ble.errors import SECURITY_ATT_ERRORS, NotAnFtmsTreadmill, is_permanent, translate
from treadctl.ble.procedure import (
    AttError,
    ControlPointProcedure,
    NoControlPoint,
    NotConnected,
    WriteFailed,
)
from treadctl.ble.quirks import DeviceQuirks, Resolved, resolve
from treadctl.ble.ranges import limits_from_ranges
from treadctl.ble.scan import FoundMachine, is_ftms, to_found
from treadctl.errors import BluetoothUnavailable, DeviceNotFound, TreadctlError
from treadctl.ftms.control_point import SetTargetInclination, SetTargetSpeed
from treadctl.ftms.errors import DecodeError
from treadctl.ftms.feature import decode_feature
from treadctl.ftms.machine_status import decode_machine_status
from treadctl.ftms.ranges import InclineRange, SpeedRange, decode_incline_range, decode_speed_range
from treadctl.ftms.training_status import TrainingStatus, decode_training_status
from treadctl.ftms.treadmill_data import RecordAssembler, TreadmillData
from treadctl.ftms.treadmill_data import replace as replace_record
from treadctl.ftms.uuids import (
    CONTROL_POINT_UUID,
    FEATURE_UUID,
    FTMS_SERVICE_UUID,
    INCLINE_RANGE_UUID,
    MACHINE_STATUS_UUID,
    SPEED_RANGE_UUID,
    TRAINING_STATUS_UUID,
    TREADMILL_DATA_UUID,
)
from treadctl.link import (
    DeviceInfo,
    LinkEvent,
    LinkState,
    MachineEvent,
    MachineListener,
    Op,
    OpNotSupported,
    OutOfRange,
    StatusEvent,
    TelemetryEvent,
    TrainingStatusEvent,
)
from treadctl.units import mph_to_kmh

if TYPE_CHECKING:
    from bleak.backends.characteristic import BleakGATTCharacteristic
    from bleak.backends.client import BaseBleakClient
    from bleak.backends.device import BLEDevice
    from bleak.backends.scanner import AdvertisementData, BaseBleakScanner

    from treadctl.ble.device_config import DeviceSettings

log = logging.getLogger(__name__)

_MAC = re.compile(r"^[0-9A-Fa-f]{2}(:[0-9A-Fa-f]{2}){5}$")
_UUID = re.compile(r"^[0-9A-Fa-f]{8}-([0-9A-Fa-f]{4}-){3}[0-9A-Fa-f]{12}$")
_EPS = 1e-6


def looks_like_address(text: str) -> bool:
    """A Bluetooth address (Linux, Windows) or a CoreBluetooth UUID (macOS)."""
    return bool(_MAC.match(text) or _UUID.match(text))


@dataclass(frozen=True)
class GattCharacteristicInfo:
    uuid: str
    handle: int
    properties: tuple[str, ...]
    description: str = ""


@dataclass(frozen=True)
class GattServiceInfo:
    uuid: str
    description: str
    characteristics: tuple[GattCharacteristicInfo, ...]


@dataclass
class ConnectRecord:
    """Everything seen while connecting, kept for ``treadctl probe`` (plain data, no bleak)."""

    advert: FoundMachine | None = None
    services: tuple[GattServiceInfo, ...] = ()
    reads: dict[str, bytes] = field(default_factory=dict)  # uuid -> raw value
    read_errors: dict[str, str] = field(default_factory=dict)  # uuid -> why it failed
    subscribed: list[str] = field(default_factory=list)  # uuids, in the order enabled
    subscribe_errors: dict[str, str] = field(default_factory=dict)
    speed_range: SpeedRange | None = None
    incline_range: InclineRange | None = None
    training_status: TrainingStatus | None = None
    device_information: DeviceInformation = field(default_factory=DeviceInformation)
    attempts: int = 0


class FtmsClient:
    """A connected (or connectable) FTMS treadmill; implements ``treadctl.link.TreadmillLink``.

    ``quirks`` given (``--quirks``): used as they are. None: the ``[devices."KEY"]`` table of
    ``device_settings`` that fits the device decides, else ``default_quirks`` (the simulator's
    personality), else the known-device table (matched on the advertised name and the Device
    Information strings), else the spec behaviour.
    ``client_backend`` / ``scanner_backend`` go straight to bleak's ``backend=`` (the simulator,
    a bumble transport). An empty ``address_or_name`` means the first FTMS treadmill heard.
    """

    def __init__(
        self,
        address_or_name: str,
        quirks: DeviceQuirks | None = None,
        *,
        client_backend: type[BaseBleakClient] | None = None,
        scanner_backend: type[BaseBleakScanner] | None = None,
        connect_attempts: int = 3,
        retry_backoff_s: float = 1.0,
        scan_timeout_s: float = 10.0,
        connect_timeout_s: float = 20.0,
        request_control_gap_s: float = 0.5,
        backend_kwargs: Mapping[str, Any] | None = None,
        scan_before_connect: bool = True,
        device_settings: Mapping[str, DeviceSettings] | None = None,
        quirks_source: str = "--quirks",
        default_quirks: DeviceQuirks | None = None,
        default_quirks_source: str = "",
    ) -> None:
        self._target = address_or_name
        self._given_quirks = quirks
        self._quirks_source = quirks_source
        self._default_quirks = default_quirks
        self._default_quirks_source = default_quirks_source
        self._device_settings = dict(device_settings or {})
        self._quirks = quirks or DeviceQuirks()
        self._client_backend = client_backend
        self._scanner_backend = scanner_backend
        self._connect_attempts = max(1, connect_attempts)
        self._retry_backoff_s = retry_backoff_s
        self._scan_timeout_s = scan_timeout_s
        self._connect_timeout_s = connect_timeout_s
        # Extra keyword arguments bleak hands to a custom backend (e.g. the simulator's air).
        self._backend_kwargs = dict(backend_kwargs or {})
        # Scan first to learn RSSI and the advertisement; an address can also be dialled directly.
        self._scan_before_connect = scan_before_connect or not looks_like_address(address_or_name)

        self._client: BleakClient | None = None
        self._cp_char: BleakGATTCharacteristic | None = None
        self._cp_with_response = True
        self._info = DeviceInfo(name=address_or_name, address=address_or_name)
        self._listeners: list[MachineListener] = []
        self._cp = ControlPointProcedure(
            self._write_control_point,
            emit=self._emit,
            device_name=lambda: self._info.name,
            quirks=self._quirks,
            request_control_gap_s=request_control_gap_s,
        )
        self._assembler = RecordAssembler()
        self._ever_connected = False
        self._closing = False
        self._rssi_dbm: int | None = None
        self.record = ConnectRecord()

    # --- TreadmillLink: state --------------------------------------------------------------

    @property
    def info(self) -> DeviceInfo:
        return self._info

    @property
    def quirks(self) -> DeviceQuirks:
        return self._quirks

    @property
    def is_connected(self) -> bool:
        return self._client is not None and self._client.is_connected

    @property
    def has_control(self) -> bool:
        return self._cp.has_control

    def add_listener(self, listener: MachineListener) -> Callable[[], None]:
        self._listeners.append(listener)

        def unsubscribe() -> None:
            if listener in self._listeners:
                self._listeners.remove(listener)

        return unsubscribe

    # --- connecting --------------------------------------------------------------------------

    async def connect(self) -> DeviceInfo:
        """Find, connect, discover, read, subscribe; retried a few times with backoff."""
        if self.is_connected:
            return self._info
        last_error: BaseException | None = None
        for attempt in range(self._connect_attempts):
            if attempt:
                delay_s = self._retry_backoff_s * 2 ** (attempt - 1)
                log.info("connect failed (%s); retry in %g s", last_error, delay_s)
                await asyncio.sleep(delay_s)
            self.record = ConnectRecord(attempts=attempt + 1)
            try:
                return await self._connect_once()
            except (NotAnFtmsTreadmill, BluetoothUnavailable) as error:
                await self._drop_client()
                raise error
            except (BleakError, OSError, TimeoutError, TreadctlError) as error:
                # Radio trouble is retried; anything else is a bug and propagates as is.
                await self._drop_client()
                if is_permanent(error):
                    translated = translate(error, self._target)
                    assert translated is not None
                    raise translated from error
                last_error = error
        assert last_error is not None
        translated = translate(last_error, self._target)
        if translated is None:
            translated = DeviceNotFound(
                f"could not connect to {self._target} after {self._connect_attempts} attempts "
                f"({last_error or type(last_error).__name__}); switch it on, stay close, and try "
                "again"
            )
        raise translated from last_error

    async def _connect_once(self) -> DeviceInfo:
        target = await self._find_device()
        client = BleakClient(
            target,
            disconnected_callback=self._on_bleak_disconnect,
            timeout=self._connect_timeout_s,
            backend=self._client_backend,
            **self._backend_kwargs,
        )
        self._client = client
        await client.connect()
        name = client.name or (self.record.advert.name if self.record.advert else self._target)
        self.record.services = _snapshot_services(client)
        if client.services.get_service(FTMS_SERVICE_UUID) is None:
            raise NotAnFtmsTreadmill(
                f"{name} ({client.address}) does not offer the Fitness Machine Service (FTMS); "
                "treadctl can only drive FTMS treadmills"
            )
        dis = await self._read_device_information(client)
        self.record.device_information = dis
        resolved = self._resolve(client.address, name, dis)
        quirks, source = resolved.quirks, resolved.source
        settings_key, settings = resolved.settings_key, resolved.settings
        self._quirks = quirks

        features = await self._read(client, FEATURE_UUID, decode_feature)
        speed_range = await self._read(client, SPEED_RANGE_UUID, decode_speed_range)
        incline_range = await self._read(client, INCLINE_RANGE_UUID, decode_incline_range)
        training = await self._read(client, TRAINING_STATUS_UUID, decode_training_status)
        self.record.speed_range = speed_range
        self.record.incline_range = incline_range
        self.record.training_status = training

        self._assembler.reset()
        self._cp.new_link(quirks)
        # Order as in the spec's test preamble: status channels, then the Control Point's
        # indications (before any write can happen), then the data stream.
        await self._subscribe(client, TRAINING_STATUS_UUID, self._on_training_status)
        await self._subscribe(client, MACHINE_STATUS_UUID, self._on_machine_status)
        self._cp_char = client.services.get_characteristic(CONTROL_POINT_UUID)
        if self._cp_char is not None:
            await self._subscribe(client, CONTROL_POINT_UUID, self._on_control_point, required=True)
            props = self._cp_char.properties
            # Some walking pads offer only Write Without Response (reference.md §10).
            self._cp_with_response = "write" in props or "write-without-response" not in props
        await self._subscribe(client, TREADMILL_DATA_UUID, self._on_treadmill_data)

        limits = limits_from_ranges(speed_range, incline_range, quirks)
        if settings is not None:
            limits = settings.apply(limits)
            if settings.overrides_range:
                source = "; ".join(
                    s for s in (source, f'range from config [devices."{settings_key}"]') if s
                )
        self._info = DeviceInfo(
            name=name,
            address=client.address,
            limits=limits,
            features=features,
            quirks=quirks.names(),
            manufacturer=dis.manufacturer,
            model=dis.model,
            serial_number=dis.serial_number,
            hardware_revision=dis.hardware_revision,
            firmware_revision=dis.firmware_revision,
            software_revision=dis.software_revision,
            quirk_source=source,
            label=settings.name if settings is not None else None,
        )
        if not self._target:
            self._target = client.address  # reconnects go back to the same treadmill
        state = LinkState.RECONNECTED if self._ever_connected else LinkState.CONNECTED
        self._ever_connected = True
        self._emit(LinkEvent(state, rssi_dbm=self._rssi_dbm, reason=connect_reason(self._info)))
        if training is not None:
            self._emit(TrainingStatusEvent(training))
        return self._info

    def _resolve(self, address: str, name: str, dis: DeviceInformation) -> Resolved:
        return resolve(
            address,
            name,
            dis.manufacturer,
            dis.model,
            given=self._given_quirks,
            given_source=self._quirks_source,
            device_settings=self._device_settings,
            target=self._target,
            fallback=self._default_quirks,
            fallback_source=self._default_quirks_source,
        )

    async def _read_device_information(self, client: BleakClient) -> DeviceInformation:
        """The Device Information strings (0x180A); a device without the service has none.

        A failed read is recorded for ``probe`` and never fails the connect: these strings only
        name the device.
        """
        service = client.services.get_service(DEVICE_INFORMATION_SERVICE_UUID)
        if service is None:
            return DeviceInformation()
        reads: dict[str, bytes] = {}
        for _field, uuid, _label in DIS_FIELDS:
            char = service.get_characteristic(uuid)
            if char is None or "read" not in char.properties:
                continue
            try:
                reads[uuid] = bytes(await client.read_gatt_char(char))
            except (BleakError, OSError, TimeoutError) as error:
                self.record.read_errors[uuid] = str(error) or type(error).__name__
        self.record.reads.update(reads)
        return from_reads(reads)

    async def _find_device(self) -> BLEDevice | str:
        """Scan for the address or name (to learn the RSSI and advertisement) within a deadline.

        With no target at all, the first FTMS treadmill heard is taken (a bumble transport to
        the simulator or to one treadmill).
        """
        if not self._scan_before_connect:
            return self._target
        wanted = self._target.lower()
        by_address = looks_like_address(self._target)
        anything = not self._target
        found: asyncio.Future[tuple[BLEDevice, AdvertisementData]] = (
            asyncio.get_running_loop().create_future()
        )

        def on_advert(device: BLEDevice, adv: AdvertisementData) -> None:
            if found.done():
                return
            if anything:
                if is_ftms(adv) and to_found(device.address, device.name, adv).is_treadmill:
                    found.set_result((device, adv))
                return
            names = {(adv.local_name or "").lower(), (device.name or "").lower()}
            if device.address.lower() == wanted or (not by_address and wanted in names):
                found.set_result((device, adv))

        try:
            async with BleakScanner(
                on_advert, backend=self._scanner_backend, **self._backend_kwargs
            ):
                device, adv = await asyncio.wait_for(found, self._scan_timeout_s)
        except TimeoutError:
            if by_address:
                return self._target  # bleak can still connect to a device that is not advertising
            if anything:
                raise DeviceNotFound(
                    f"no FTMS treadmill was heard within {self._scan_timeout_s:g} s; switch it "
                    "on, stay close, and check with `treadctl scan`"
                ) from None
            raise DeviceNotFound(
                f"no treadmill called {self._target!r} was found within "
                f"{self._scan_timeout_s:g} s; switch it on, stay close, and check the name with "
                "`treadctl scan`"
            ) from None
        self._rssi_dbm = adv.rssi
        self.record.advert = to_found(device.address, device.name, adv)
        if not is_ftms(adv):
            log.info("%s does not advertise FTMS; trying anyway", device.address)
        return device

    async def _read(self, client: BleakClient, uuid: str, decode: Callable[[bytes], Any]) -> Any:
        """Read and decode one characteristic; None (recorded) when absent or undecodable."""
        if client.services.get_characteristic(uuid) is None:
            return None
        try:
            raw = bytes(await client.read_gatt_char(uuid))
        except BleakGATTProtocolError as error:
            if int(error.code) in SECURITY_ATT_ERRORS:
                raise
            self.record.read_errors[uuid] = str(error)
            return None
        self.record.reads[uuid] = raw
        try:
            return decode(raw)
        except DecodeError as error:
            self.record.read_errors[uuid] = f"undecodable: {error}"
            return None

    async def _subscribe(
        self,
        client: BleakClient,
        uuid: str,
        handler: Callable[[BleakGATTCharacteristic, bytearray], None],
        *,
        required: bool = False,
    ) -> None:
        if client.services.get_characteristic(uuid) is None:
            return
        try:
            await client.start_notify(uuid, handler)
        except BleakError as error:
            if required or is_permanent(error):
                raise
            self.record.subscribe_errors[uuid] = str(error)
            log.warning("could not subscribe to %s: %s", uuid, error)
            return
        self.record.subscribed.append(uuid)

    async def disconnect(self) -> None:
        """Close the link on purpose (the supervisor sends Stop before calling this)."""
        client = self._client
        if client is None:
            return
        self._closing = True
        try:
            self._lost("closed by treadctl", emit=client.is_connected)
            await client.disconnect()
        except (BleakError, OSError) as error:
            log.info("disconnect: %s", error)
        finally:
            self._closing = False

    async def _drop_client(self) -> None:
        client, self._client = self._client, None
        if client is None:
            return
        try:
            await client.disconnect()
        except (BleakError, OSError, TimeoutError) as error:
            log.debug("dropping a half-open client: %s", error)

    def _on_bleak_disconnect(self, client: BleakClient) -> None:
        if client is not self._client or self._closing:
            return
        self._lost("the treadmill disconnected", emit=True)

    def _lost(self, reason: str, *, emit: bool) -> None:
        """Forget everything that only lives as long as the link (FTMS §4.18, §4.16.2.1)."""
        self._client = None
        self._cp_char = None
        self._cp.link_lost(reason)
        self._assembler.reset()
        if emit:
            self._emit(LinkEvent(LinkState.DISCONNECTED, reason=reason))

    # --- notifications -----------------------------------------------------------------------

    def _emit(self, event: MachineEvent) -> None:
        for listener in list(self._listeners):
            try:
                listener(event)
            except Exception:  # a faulty consumer must not break the link
                log.exception("machine event listener failed on %r", event)

    def _on_treadmill_data(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            record = self._assembler.feed(bytes(data))
        except DecodeError as error:
            log.warning("dropped undecodable treadmill data %s: %s", bytes(data).hex(" "), error)
            return
        if record is None:
            return
        if self._quirks.reports_mph:
            record = _record_in_kmh(record)
        self._emit(TelemetryEvent(record))

    def _on_machine_status(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            status = decode_machine_status(bytes(data))
        except DecodeError as error:
            log.warning("dropped undecodable status %s: %s", bytes(data).hex(" "), error)
            return
        self._cp.on_status(status)
        if self._quirks.reports_mph and status.target_speed_kmh is not None:
            status = replace(status, target_speed_kmh=round(mph_to_kmh(status.target_speed_kmh), 2))
        self._emit(StatusEvent(status))

    def _on_training_status(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        try:
            status = decode_training_status(bytes(data))
        except DecodeError as error:
            log.warning("dropped undecodable training status %s: %s", bytes(data).hex(" "), error)
            return
        self._emit(TrainingStatusEvent(status))

    def _on_control_point(self, _char: BleakGATTCharacteristic, data: bytearray) -> None:
        self._cp.on_indication(bytes(data))

    async def _write_control_point(self, payload: bytes) -> None:
        """One Control Point write, with bleak's failures in the procedure's terms."""
        client, char = self._client, self._cp_char
        if client is None or not client.is_connected:
            raise NotConnected
        if char is None:
            raise NoControlPoint
        try:
            await client.write_gatt_char(char, payload, response=self._cp_with_response)
        except BleakGATTProtocolError as error:
            raise AttError(int(error.code)) from error
        except (BleakError, OSError) as error:
            raise WriteFailed(str(error), link_dropped=not self.is_connected) from error

    # --- commands ----------------------------------------------------------------------------

    async def request_control(self) -> None:
        await self._cp.request_control()

    async def start(self) -> None:
        await self._cp.start()

    async def stop(self) -> None:
        await self._cp.stop()

    async def pause(self) -> None:
        await self._cp.pause()

    async def reset(self) -> None:
        await self._cp.reset()

    async def set_speed(self, speed_kmh: float) -> float:
        """Round to the device increment, refuse outside its range; returns the km/h sent."""
        limits = self._info.limits
        self._check_range(
            Op.SET_SPEED, speed_kmh, limits.speed_min_kmh, limits.speed_max_kmh, "km/h"
        )
        rounded = limits.round_speed_kmh(speed_kmh)
        if rounded > limits.speed_max_kmh + _EPS:
            rounded = limits.floor_speed_kmh(speed_kmh)
        await self._cp.set_target(SetTargetSpeed(speed_kmh=rounded))
        return rounded

    async def set_incline(self, incline_pct: float) -> float:
        limits = self._info.limits
        if not limits.supports_incline:
            raise OpNotSupported(
                Op.SET_INCLINE, "op_code_not_supported", "this treadmill has no incline control"
            )
        self._check_range(
            Op.SET_INCLINE, incline_pct, limits.incline_min_pct, limits.incline_max_pct, "%"
        )
        rounded = limits.round_incline_pct(incline_pct)
        if rounded > limits.incline_max_pct + _EPS:
            rounded = limits.floor_incline_pct(incline_pct)
        await self._cp.set_target(SetTargetInclination(incline_pct=rounded))
        return rounded

    def _check_range(self, op: Op, value: float, low: float, high: float, unit: str) -> None:
        if not math.isfinite(value) or value < low - _EPS or value > high + _EPS:
            raise OutOfRange(
                op,
                f"{value:g} {unit} is outside the treadmill's range {low:g}-{high:g} {unit}; "
                "nothing was sent",
            )


def connect_reason(info: DeviceInfo) -> str:
    """The connect event's words: the device, its Device Information, and the quirks in use."""
    text = f"connected to {info.label or info.name}"
    if info.label and info.label != info.name:
        text += f" ({info.name})"
    dis = ", ".join(
        f"{label} {value}"
        for label, value in (
            ("manufacturer", info.manufacturer),
            ("model", info.model),
            ("firmware", info.firmware_revision),
            ("serial", info.serial_number),
        )
        if value
    )
    if dis:
        text += f"; {dis}"
    text += f"; quirks: {', '.join(info.quirks) or 'none'}"
    if info.quirk_source:
        text += f" (from {info.quirk_source})"
    return text


def _record_in_kmh(record: TreadmillData) -> TreadmillData:
    """A record from a device that writes mph into the km/h fields, in km/h."""
    changes = {
        name: round(mph_to_kmh(value), 2)
        for name in ("speed_kmh", "average_speed_kmh")
        if (value := getattr(record, name)) is not None
    }
    return replace_record(record, **changes) if changes else record


def _snapshot_services(client: BleakClient) -> tuple[GattServiceInfo, ...]:
    services = []
    for service in client.services:
        chars = tuple(
            GattCharacteristicInfo(
                uuid=c.uuid,
                handle=c.handle,
                properties=tuple(c.properties),
                description=c.description,
            )
            for c in service.characteristics
        )
        services.append(GattServiceInfo(service.uuid, service.description, chars))
    return tuple(services)


__all__ = [
    "ConnectRecord",
    "FtmsClient",
    "connect_reason",
    "looks_like_address",
    "read_device_info",
]


async def read_device_info(
    address_or_name: str, quirks: DeviceQuirks | None = None, **client_options: Any
) -> DeviceInfo:
    """Connect, read what the treadmill advertises (ranges, features), and disconnect.

    Used by the pre-flight check (`treadctl profile check --device`): nothing is written to the
    Control Point, so the belt cannot move. ``client_options`` go to ``FtmsClient``.
    """
    client = FtmsClient(address_or_name, quirks, **client_options)
    try:
        return await client.connect()
    finally:
        await client.disconnect()
