"""The simulated treadmill over real ATT/GATT, with bumble (optional dependency, pinned 0.0.236).

Two halves:

* :class:`BumbleTreadmill` serves a treadmill's :class:`~simulators.gatt_server.FtmsGattServer`
  as a bumble peripheral: real handles, CCCD writes, notifications vs indications and ATT error
  responses. It runs on an in-process :class:`bumble.link.LocalLink` (tests) or on any bumble
  HCI transport (``tcp-server:127.0.0.1:PORT``, ``usb:0``, ...) from ``treadctl sim``.
* :class:`BumbleBleakClient` is a ``BaseBleakClient`` built on a bumble *central* on the same
  LocalLink, so ``BleakClient(address, backend=BumbleBleakClient)`` exercises real ATT.

Usage (inside the running loop)::

    air = BumbleAir.default()
    await air.add(SimulatedTreadmill(), address="F0:F0:F0:F0:F0:01")
    async with BleakClient("F0:F0:F0:F0:F0:01", backend=BumbleBleakClient) as client:
        ...
    await air.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from collections.abc import Callable
from typing import Any, ClassVar

from bleak.backends.device import BLEDevice
from bleak.exc import BleakDeviceNotFoundError
from bumble import att, gatt
from bumble.controller import Controller
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection as BumbleConnection
from bumble.device import Device
from bumble.hci import Address
from bumble.host import Host
from bumble.link import LocalLink
from bumble.transport.common import AsyncPipeSink

from simulators.gatt_server import (
    AttError,
    CharacteristicSpec,
    Connection,
    FtmsGattServer,
    NotConnectable,
)
from simulators.treadmill import SimulatedTreadmill
from treadctl.ble.bumble_host import BumbleGattClient, full_uuid

DEFAULT_ADDRESS = "F0:F0:F0:F0:F0:01"
FTMS_SERVICE_DATA = bytes((0x01, 0x01, 0x00))


def _uuid16(full: str) -> UUID:
    return UUID.from_16_bits(int(full[4:8], 16))


def advertising_data(name: str) -> bytes:
    """Flags, the FTMS service UUID, FTMS service data (available, treadmill) and the name."""
    return bytes(
        AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes((0x06,))),
                (AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS, bytes((0x26, 0x18))),
                (AdvertisingData.SERVICE_DATA_16_BIT_UUID, bytes((0x26, 0x18)) + FTMS_SERVICE_DATA),
                (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode()),
            ]
        )
    )


class _PeripheralLink:
    """The server's :class:`ClientLink` for one bumble connection."""

    def __init__(self, peripheral: BumbleTreadmill, connection: BumbleConnection) -> None:
        self._peripheral = peripheral
        self._connection = connection

    def notify(self, uuid: str, data: bytes) -> None:
        characteristic = self._peripheral.characteristics[uuid]
        self._peripheral.spawn(
            self._peripheral.device.notify_subscriber(self._connection, characteristic, data)
        )

    def notify_many(self, uuid: str, frames: list[bytes]) -> None:
        for data in frames:
            self.notify(uuid, data)

    async def indicate(self, uuid: str, data: bytes) -> None:
        characteristic = self._peripheral.characteristics[uuid]
        await self._peripheral.device.indicate_subscriber(self._connection, characteristic, data)

    def drop(self, reason: str) -> None:
        self._peripheral.spawn(self._connection.disconnect())


class BumbleTreadmill:
    """A simulated treadmill as a bumble GATT peripheral that advertises FTMS."""

    def __init__(self, treadmill: SimulatedTreadmill, device: Device) -> None:
        self.treadmill = treadmill
        self.server = FtmsGattServer(treadmill)
        self.device = device
        self.characteristics: dict[str, gatt.Characteristic[bytes]] = {}
        self._conns: dict[BumbleConnection, Connection] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        for service_uuid, specs in self.server.services:
            self._add_service(service_uuid, specs)
        device.on(device.EVENT_CONNECTION, self._on_connection)
        device.gatt_server.on("characteristic_subscription", self._on_subscription)
        device.advertising_data = advertising_data(device.name)

    def _add_service(self, service_uuid: str, specs: tuple[CharacteristicSpec, ...]) -> None:
        chars: list[gatt.Characteristic[bytes]] = []
        for spec in specs:
            properties = gatt.Characteristic.Properties(0)
            for name in spec.properties:
                properties |= gatt.Characteristic.Properties.from_string(name.upper())
            permissions = gatt.Characteristic.Permissions(0)
            if "read" in spec.properties:
                permissions |= gatt.Characteristic.Permissions.READABLE
            if "write" in spec.properties:
                permissions |= gatt.Characteristic.Permissions.WRITEABLE
            characteristic: gatt.Characteristic[bytes] = gatt.Characteristic(
                _uuid16(spec.uuid),
                properties,
                permissions,
                gatt.CharacteristicValue(
                    read=self._reader(spec.uuid), write=self._writer(spec.uuid)
                ),
            )
            self.characteristics[spec.uuid] = characteristic
            chars.append(characteristic)
        self.device.add_service(gatt.Service(_uuid16(service_uuid), chars))

    @classmethod
    def on_transport(
        cls, treadmill: SimulatedTreadmill, name: str, address: str, source: Any, sink: Any
    ) -> BumbleTreadmill:
        """A peripheral on a bumble HCI transport (TCP, USB, serial, ...)."""
        return cls(treadmill, Device.with_hci(name, Address(address), source, sink))

    async def start(self) -> None:
        await self.device.power_on()
        await self.device.start_advertising(auto_restart=False)

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _conn(self, connection: BumbleConnection) -> Connection:
        try:
            return self._conns[connection]
        except KeyError:
            raise att.ATT_Error(att.ErrorCode.UNLIKELY_ERROR) from None

    def _reader(self, uuid: str) -> Callable[[BumbleConnection], bytes]:
        def read(connection: BumbleConnection) -> bytes:
            try:
                return self.server.read(self._conn(connection), uuid)
            except AttError as error:
                raise att.ATT_Error(error.code) from error

        return read

    def _writer(self, uuid: str) -> Callable[[BumbleConnection, bytes], None]:
        def write(connection: BumbleConnection, value: bytes) -> None:
            try:
                self.server.write(self._conn(connection), uuid, bytes(value), with_response=True)
            except AttError as error:
                raise att.ATT_Error(error.code) from error

        return write

    def _on_connection(self, connection: BumbleConnection) -> None:
        try:
            conn = self.server.connect(
                _PeripheralLink(self, connection), att_mtu=connection.att_mtu
            )
        except NotConnectable:
            self.spawn(connection.disconnect())
            return
        self._conns[connection] = conn

        def on_mtu() -> None:
            conn.att_mtu = connection.att_mtu

        def on_disconnection(*_: Any) -> None:
            self._conns.pop(connection, None)
            self.server.disconnect(conn)
            self.spawn(self._advertise_again())

        connection.on(connection.EVENT_CONNECTION_ATT_MTU_UPDATE, on_mtu)
        connection.on(connection.EVENT_DISCONNECTION, on_disconnection)

    def _on_subscription(
        self, bearer: Any, characteristic: gatt.Characteristic[bytes], notify: bool, indicate: bool
    ) -> None:
        connection = getattr(bearer, "connection", bearer)
        conn = self._conns.get(connection)
        if conn is None:
            return
        value = (0x01 if notify else 0) | (0x02 if indicate else 0)
        self.server.write_cccd(conn, full_uuid(characteristic.uuid), value.to_bytes(2, "little"))

    async def _advertise_again(self) -> None:
        while not self.treadmill.accepts_connections:
            await asyncio.sleep(0.1)
        with contextlib.suppress(Exception):
            await self.device.start_advertising(auto_restart=False)

    async def close(self) -> None:
        self.server.close()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.device.power_off()


class BumbleAir:
    """An in-process bumble LocalLink with simulated treadmills and a central per client."""

    _default: ClassVar[BumbleAir | None] = None

    def __init__(self) -> None:
        self.link = LocalLink()
        self.treadmills: dict[str, BumbleTreadmill] = {}
        self._addresses = itertools.count(1)

    @classmethod
    def default(cls) -> BumbleAir:
        if cls._default is None:
            cls._default = BumbleAir()
        return cls._default

    def _device(self, name: str, address: str) -> Device:
        controller = Controller(name, link=self.link, public_address=address)
        return Device(
            name=name, address=Address(address), host=Host(controller, AsyncPipeSink(controller))
        )

    async def add(
        self,
        treadmill: SimulatedTreadmill,
        *,
        address: str = DEFAULT_ADDRESS,
        name: str = "treadctl sim",
    ) -> BumbleTreadmill:
        peripheral = BumbleTreadmill(treadmill, self._device(name, address))
        self.treadmills[address.upper()] = peripheral
        await peripheral.start()
        return peripheral

    async def central(self) -> Device:
        address = f"C0:00:00:00:00:{next(self._addresses):02X}"
        device = self._device("treadctl central", address)
        await device.power_on()
        return device

    async def close(self) -> None:
        for peripheral in self.treadmills.values():
            await peripheral.close()
        self.treadmills.clear()
        if BumbleAir._default is self:
            BumbleAir._default = None


class BumbleBleakClient(BumbleGattClient):
    """A ``BaseBleakClient`` over a bumble central on :class:`BumbleAir` (``bumble_air=``): a
    fresh central per connection, powered off afterwards."""

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(address_or_ble_device, **kwargs)
        air = kwargs.get("bumble_air")
        self._air = air if isinstance(air, BumbleAir) else BumbleAir.default()

    @property
    def name(self) -> str:
        peripheral = self._air.treadmills.get(self.address.upper())
        return peripheral.device.name if peripheral else self.address

    async def _central(self) -> Device:
        if self.address.upper() not in self._air.treadmills:
            raise BleakDeviceNotFoundError(self.address, f"Device {self.address} was not found.")
        return await self._air.central()

    async def _release_central(self, device: Device) -> None:
        with contextlib.suppress(Exception):
            await device.power_off()
