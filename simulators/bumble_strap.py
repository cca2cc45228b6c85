"""The simulated heart-rate strap as a bumble GATT peripheral (``treadctl sim --sim-hr``).

The same :class:`simulators.strap.StrapGattServer` as the in-process bleak backend, over real
ATT: the Heart Rate Service (0x180D) and the Battery Service (0x180F), advertised with their
UUIDs. It joins a :class:`simulators.bumble_radio.BumbleAir` (the virtual link) beside the
treadmill, so a client reaches it exactly as it reaches the treadmill.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import Any, cast

from bumble import att, gatt
from bumble.core import UUID, AdvertisingData
from bumble.device import Connection as BumbleConnection
from bumble.device import Device

from simulators.bumble_radio import BumbleAir
from simulators.gatt_server import AttError, Connection, NotConnectable
from simulators.strap import STRAP_NAME, SimulatedStrap, StrapGattServer

STRAP_BUMBLE_ADDRESS = "F0:F0:F0:F0:F0:0D"


def _uuid16(full: str) -> UUID:
    return UUID.from_16_bits(int(full[4:8], 16))


def strap_advertising_data(name: str) -> bytes:
    """Flags, the Heart Rate and Battery service UUIDs, and the name."""
    return bytes(
        AdvertisingData(
            [
                (AdvertisingData.FLAGS, bytes((0x06,))),
                (
                    AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS,
                    bytes((0x0D, 0x18, 0x0F, 0x18)),
                ),
                (AdvertisingData.COMPLETE_LOCAL_NAME, name.encode()),
            ]
        )
    )


class _Link:
    """The strap server's ClientLink for one bumble connection."""

    def __init__(self, peripheral: BumbleStrap, connection: BumbleConnection) -> None:
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


class BumbleStrap:
    """A simulated strap as a bumble peripheral."""

    def __init__(self, strap: SimulatedStrap, device: Device) -> None:
        self.strap = strap
        self.server = StrapGattServer(strap)
        self.device = device
        self.characteristics: dict[str, gatt.Characteristic[bytes]] = {}
        self._conns: dict[BumbleConnection, Connection] = {}
        self._tasks: set[asyncio.Task[Any]] = set()
        for service_uuid, specs in self.server.services:
            characteristics: list[gatt.Characteristic[bytes]] = []
            for spec in specs:
                properties = gatt.Characteristic.Properties(0)
                for name in spec.properties:
                    properties |= gatt.Characteristic.Properties.from_string(name.upper())
                permissions = gatt.Characteristic.Permissions(0)
                if "read" in spec.properties:
                    permissions |= gatt.Characteristic.Permissions.READABLE
                characteristic: gatt.Characteristic[bytes] = gatt.Characteristic(
                    _uuid16(spec.uuid),
                    properties,
                    permissions,
                    gatt.CharacteristicValue(read=self._reader(spec.uuid)),
                )
                self.characteristics[spec.uuid] = characteristic
                characteristics.append(characteristic)
            device.add_service(gatt.Service(_uuid16(service_uuid), characteristics))
        device.on(device.EVENT_CONNECTION, self._on_connection)
        device.gatt_server.on("characteristic_subscription", self._on_subscription)
        device.advertising_data = strap_advertising_data(device.name)

    async def start(self) -> None:
        await self.device.power_on()
        await self.device.start_advertising(auto_restart=False)

    def spawn(self, coro: Any) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def _reader(self, uuid: str) -> Callable[[BumbleConnection], bytes]:
        def read(connection: BumbleConnection) -> bytes:
            conn = self._conns.get(connection)
            if conn is None:
                raise att.ATT_Error(att.ErrorCode.UNLIKELY_ERROR)
            try:
                return self.server.read(conn, uuid)
            except AttError as error:
                raise att.ATT_Error(error.code) from error

        return read

    def _on_connection(self, connection: BumbleConnection) -> None:
        try:
            conn = self.server.connect(_Link(self, connection), att_mtu=connection.att_mtu)
        except NotConnectable:
            self.spawn(connection.disconnect())
            return
        self._conns[connection] = conn

        def on_disconnection(*_: Any) -> None:
            self._conns.pop(connection, None)
            self.server.disconnect(conn)
            self.spawn(self._advertise_again())

        connection.on(connection.EVENT_DISCONNECTION, on_disconnection)

    def _on_subscription(
        self, bearer: Any, characteristic: gatt.Characteristic[bytes], notify: bool, indicate: bool
    ) -> None:
        connection = getattr(bearer, "connection", bearer)
        conn = self._conns.get(connection)
        if conn is None:
            return
        uuid = next(u for u, c in self.characteristics.items() if c is characteristic)
        value = (0x01 if notify else 0) | (0x02 if indicate else 0)
        self.server.write_cccd(conn, uuid, value.to_bytes(2, "little"))

    async def _advertise_again(self) -> None:
        loop = asyncio.get_running_loop()
        while not self.strap.accepts_connections(loop.time()):
            await asyncio.sleep(0.5)
        with contextlib.suppress(Exception):
            await self.device.start_advertising(auto_restart=False)

    async def close(self) -> None:
        self.server.close()
        for task in list(self._tasks):
            task.cancel()
        with contextlib.suppress(Exception):
            await self.device.power_off()


async def add_bumble_strap(
    air: BumbleAir,
    strap: SimulatedStrap,
    *,
    address: str = STRAP_BUMBLE_ADDRESS,
    name: str = STRAP_NAME,
) -> BumbleStrap:
    """Put the strap on ``air`` (its clients find it by address, as they find a treadmill)."""
    peripheral = BumbleStrap(strap, air._device(name, address))
    # BumbleAir keeps its peripherals by address; the strap has what a client and close() use.
    cast(dict[str, Any], air.treadmills)[address.upper()] = peripheral
    await peripheral.start()
    return peripheral


__all__ = ["STRAP_BUMBLE_ADDRESS", "BumbleStrap", "add_bumble_strap"]
