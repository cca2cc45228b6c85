"""bleak backends over simulated treadmills: the real ``BleakClient``/``BleakScanner`` front ends,
with ``backend=SimBleakClient`` / ``backend=SimBleakScanner``, and no Bluetooth hardware.

bleak constructs the backend itself, so the backend finds treadmills in a registry, the "air"
(:class:`SimAir`): the module-wide :meth:`SimAir.default`, or one passed as ``sim_air=`` (bleak
hands extra keyword arguments to the backend). Everything a bleak client relies on behaves as
over a radio: scanning with a service filter sees the FTMS advertisement, connect discovers the
service, reads, writes with response, notify and indicate go through the treadmill's GATT rules,
ATT errors arrive as ``BleakGATTProtocolError``, and a link the treadmill drops reaches the
client's ``disconnected_callback``.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar, cast

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError

from simulators.gatt_server import (
    INDICATE,
    NOTIFY,
    AttError,
    CharacteristicSpec,
    Connection,
    FtmsGattServer,
    NotConnectable,
)
from simulators.treadmill import SimulatedTreadmill
from treadctl import ftms

DEFAULT_ADDRESS = "SIM-TREADMILL-1"
DEFAULT_NAME = "treadctl sim"
ADVERTISING_INTERVAL_S = 0.1
# FTMS service data: flags (bit 0 "Fitness Machine Available"), machine type (bit 0 treadmill).
FTMS_SERVICE_DATA = bytes((0x01, 0x01, 0x00))


@dataclass(eq=False)
class SimPeripheral:
    """A simulated treadmill on the air: its GATT server, address, name and advertisement."""

    treadmill: SimulatedTreadmill
    address: str = DEFAULT_ADDRESS
    name: str = DEFAULT_NAME
    rssi_dbm: int = -58
    server: FtmsGattServer = field(init=False)

    def __post_init__(self) -> None:
        self.server = FtmsGattServer(self.treadmill)

    @property
    def accepts_connections(self) -> bool:
        return self.treadmill.accepts_connections

    def advertisement(self) -> AdvertisementData:
        return AdvertisementData(
            local_name=self.name,
            manufacturer_data={},
            service_data={ftms.FTMS_SERVICE_UUID: FTMS_SERVICE_DATA},
            service_uuids=[ftms.FTMS_SERVICE_UUID],
            tx_power=None,
            rssi=self.rssi_dbm,
            platform_data=(),
        )


class SimAir:
    """The registry of simulated treadmills that the bleak backends can see."""

    _default: ClassVar[SimAir | None] = None

    def __init__(self) -> None:
        self._peripherals: dict[str, SimPeripheral] = {}

    @classmethod
    def default(cls) -> SimAir:
        """The air the backends use when no ``sim_air=`` is given."""
        if cls._default is None:
            cls._default = SimAir()
        return cls._default

    def add(
        self,
        treadmill: SimulatedTreadmill,
        *,
        address: str = DEFAULT_ADDRESS,
        name: str = DEFAULT_NAME,
        rssi_dbm: int = -58,
    ) -> SimPeripheral:
        """Put ``treadmill`` on the air (replacing any peripheral with the same address)."""
        self.remove(address)
        peripheral = SimPeripheral(treadmill, address, name, rssi_dbm)
        self._peripherals[address.upper()] = peripheral
        return peripheral

    def add_peripheral(self, peripheral: Any) -> None:
        """Put any other simulated peripheral on the air (``simulators.strap.StrapPeripheral``):
        it has an ``address``, a ``name``, ``accepts_connections``, ``advertisement()`` and a
        ``server`` with the GATT server's interface plus ``service_collection(att_mtu)``."""
        self.remove(peripheral.address)
        self._peripherals[peripheral.address.upper()] = peripheral

    def remove(self, address: str) -> None:
        peripheral = self._peripherals.pop(address.upper(), None)
        if peripheral is not None:
            peripheral.server.close()

    def clear(self) -> None:
        for address in list(self._peripherals):
            self.remove(address)

    def find(self, address: str) -> SimPeripheral | None:
        return self._peripherals.get(address.upper())

    @property
    def peripherals(self) -> list[SimPeripheral]:
        return list(self._peripherals.values())


def _air(kwargs: dict[str, Any]) -> SimAir:
    air = kwargs.get("sim_air")
    return air if isinstance(air, SimAir) else SimAir.default()


class SimBleakScanner(BaseBleakScanner):
    """Sees every simulated treadmill that accepts connections, advertising every 0.1 s."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._air = _air(kwargs)
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._task = asyncio.get_running_loop().create_task(self._listen())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def _listen(self) -> None:
        await asyncio.sleep(ADVERTISING_INTERVAL_S / 10)
        while True:
            for peripheral in self._air.peripherals:
                if not peripheral.accepts_connections:
                    continue
                adv = peripheral.advertisement()
                if not self.is_allowed_uuid(adv.service_uuids):
                    continue
                device = self.create_or_update_device(
                    peripheral.address, peripheral.address, peripheral.name, peripheral, adv
                )
                self.call_detection_callbacks(device, adv)
            await asyncio.sleep(ADVERTISING_INTERVAL_S)


class _Link:
    """The client end of one simulated connection (the server's :class:`ClientLink`)."""

    def __init__(self, client: SimBleakClient) -> None:
        self._client = client

    def notify(self, uuid: str, data: bytes) -> None:
        self._client._deliver(uuid, data)

    def notify_many(self, uuid: str, frames: list[bytes]) -> None:
        self._client._deliver_many(uuid, frames)

    async def indicate(self, uuid: str, data: bytes) -> None:
        self._client._deliver(uuid, data)
        await asyncio.sleep(0)  # the confirmation comes back after the client saw it

    def drop(self, reason: str) -> None:
        self._client._dropped(reason)


class SimBleakClient(BaseBleakClient):
    """A ``BaseBleakClient`` connected to a simulated treadmill. Extra keyword arguments:
    ``sim_air`` (a :class:`SimAir`; default :meth:`SimAir.default`) and ``att_mtu`` (the MTU
    to "negotiate"; default the treadmill's, 23)."""

    def __init__(
        self,
        address_or_ble_device: BLEDevice | str,
        *,
        disconnected_callback: Callable[[], None] | None = None,
        timeout: float = 10.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            address_or_ble_device, disconnected_callback=disconnected_callback, timeout=timeout
        )
        self._air = _air(kwargs)
        self._att_mtu: int | None = kwargs.get("att_mtu")
        self._peripheral: SimPeripheral | None = None
        self._conn: Connection | None = None
        self._callbacks: dict[str, NotifyCallback] = {}
        self._loop: asyncio.AbstractEventLoop | None = None

    # --- connection -----------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._peripheral.name if self._peripheral else self.address

    @property
    def mtu_size(self) -> int:
        if self._conn is None:
            return 23
        return self._conn.att_mtu

    @property
    def is_connected(self) -> bool:
        return self._conn is not None and self._conn.open

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        self._loop = asyncio.get_running_loop()
        peripheral = self._air.find(self.address)
        if peripheral is None:
            raise BleakDeviceNotFoundError(
                self.address, f"Device with address {self.address} was not found."
            )
        await asyncio.sleep(0.05)  # connection set-up takes a moment on any radio
        try:
            self._conn = peripheral.server.connect(_Link(self), att_mtu=self._att_mtu)
        except NotConnectable:
            raise BleakDeviceNotFoundError(
                self.address, f"Device with address {self.address} was not found."
            ) from None
        self._peripheral = peripheral
        self._callbacks.clear()
        own = getattr(peripheral.server, "service_collection", None)  # e.g. a simulated strap's
        mtu = self._conn.att_mtu
        self.services = own(mtu) if own else _service_collection(peripheral.server, mtu)

    async def disconnect(self) -> None:
        if self._conn is not None and self._peripheral is not None:
            self._peripheral.server.disconnect(self._conn)
        self._conn = None
        self._callbacks.clear()
        await asyncio.sleep(0)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to pair: simulated links need no keys."""

    async def unpair(self) -> None:
        """Nothing to forget."""

    def _dropped(self, reason: str) -> None:
        """The treadmill ended the link."""
        self._conn = None
        self._callbacks.clear()
        if self._disconnected_callback is not None and self._loop is not None:
            self._loop.call_soon(self._disconnected_callback)

    def _deliver(self, uuid: str, data: bytes) -> None:
        callback = self._callbacks.get(uuid)
        if callback is not None and self._loop is not None:
            self._loop.call_soon(callback, bytearray(data))

    def _deliver_many(self, uuid: str, frames: list[bytes]) -> None:
        """``_deliver`` for each frame, as one loop callback instead of one each.

        The separate callbacks would sit next to each other in the ready queue and run in the
        same loop pass, before anything the first of them schedules, so running them back to back
        in one callback keeps the order and the clock. An exception goes to the loop's exception
        handler and the next frame is still delivered, as with separate callbacks.
        """
        callback = self._callbacks.get(uuid)
        if callback is None or self._loop is None:
            return
        if len(frames) == 1:
            self._loop.call_soon(callback, bytearray(frames[0]))
        else:
            self._loop.call_soon(self._run_each, callback, [bytearray(f) for f in frames])

    def _run_each(self, callback: NotifyCallback, frames: list[bytearray]) -> None:
        for data in frames:
            try:
                callback(data)
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                assert self._loop is not None
                self._loop.call_exception_handler(
                    {"message": f"Exception in callback {callback!r}", "exception": exc}
                )

    # --- GATT operations ------------------------------------------------------------------------

    def _connection(self) -> tuple[FtmsGattServer, Connection]:
        if self._conn is None or not self._conn.open or self._peripheral is None:
            raise BleakError("Not connected")
        return self._peripheral.server, self._conn

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        server, conn = self._connection()
        await asyncio.sleep(0)
        with _att_errors():
            return bytearray(server.read(conn, characteristic.uuid))

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        server, conn = self._connection()
        await asyncio.sleep(0)
        if response:
            with _att_errors():
                server.write(conn, characteristic.uuid, bytes(data), with_response=True)
        else:  # a Write Command gets no answer, not even an error
            with contextlib.suppress(AttError):
                server.write(conn, characteristic.uuid, bytes(data), with_response=False)

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        server, conn = self._connection()
        with _att_errors():
            return bytearray(server.read_cccd(conn, descriptor.characteristic_uuid))

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        server, conn = self._connection()
        await asyncio.sleep(0)
        with _att_errors():
            server.write_cccd(conn, descriptor.characteristic_uuid, bytes(data))

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        server, conn = self._connection()
        spec: CharacteristicSpec = characteristic.obj
        if "notify" in spec.properties:
            value = NOTIFY
        elif "indicate" in spec.properties:
            value = INDICATE
        else:
            raise BleakError(f"{characteristic.uuid} supports neither notify nor indicate")
        self._callbacks[spec.uuid] = callback
        await asyncio.sleep(0)
        with _att_errors():
            server.write_cccd(conn, spec.uuid, value.to_bytes(2, "little"))

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        server, conn = self._connection()
        self._callbacks.pop(characteristic.uuid, None)
        with _att_errors():
            server.write_cccd(conn, characteristic.uuid, b"\x00\x00")


@contextlib.contextmanager
def _att_errors() -> Any:
    try:
        yield
    except AttError as error:
        raise BleakGATTProtocolError(error.code) from error


def _service_collection(server: FtmsGattServer, att_mtu: int) -> BleakGATTServiceCollection:
    """The server's services as bleak describes them, with handles laid out like a real GATT
    table (each service starts on a round handle)."""
    services = BleakGATTServiceCollection()
    for index, (service_uuid, specs) in enumerate(server.services):
        service = BleakGATTService(None, 0x0010 + 0x0020 * index, service_uuid)
        services.add_service(service)
        handle = service.handle
        for spec in specs:
            handle += 2  # declaration, then value
            char = BleakGATTCharacteristic(
                spec, handle, spec.uuid, _properties(spec), lambda: att_mtu - 3, service
            )
            services.add_characteristic(char)
            if spec.has_cccd:
                handle += 1
                services.add_descriptor(BleakGATTDescriptor(None, handle, ftms.CCCD_UUID, char))
    return services


def _properties(spec: CharacteristicSpec) -> list[CharacteristicPropertyName]:
    return cast(list[CharacteristicPropertyName], list(spec.properties))
