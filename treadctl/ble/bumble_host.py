"""bleak backends over a bumble host: reach any peripheral bumble can reach, without BlueZ.

``--transport SPEC`` on ``run``, ``scan`` and ``probe`` names a bumble HCI transport:
``tcp-client:127.0.0.1:9100`` (the virtual link of ``treadctl sim`` running in another process),
``usb:0`` (a USB Bluetooth dongle driven by bumble itself), ``serial:/dev/ttyUSB0,1000000``, ... .
The real ``BleakClient``/``BleakScanner`` front ends run over these backends, so the FTMS client
code path is the one a BlueZ treadmill gets.

One bumble host (a :class:`bumble.device.Device`) is opened per transport and event loop, and
shared by the scanner and the client (a TCP virtual link or a dongle serves one host at a time);
:func:`close_hosts` closes them. :class:`BumbleGattClient` holds the GATT half, which the
simulator's in-process bumble client reuses.

bumble is an optional dependency (``pip install 'treadctl[sim]'``); importing this module needs it.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import logging
from collections.abc import Callable
from typing import Any, cast

from bleak.args import SizedBuffer
from bleak.assigned_numbers import CharacteristicPropertyName
from bleak.backends.characteristic import BleakGATTCharacteristic
from bleak.backends.client import BaseBleakClient, NotifyCallback
from bleak.backends.descriptor import BleakGATTDescriptor
from bleak.backends.device import BLEDevice
from bleak.backends.scanner import AdvertisementData, AdvertisementDataCallback, BaseBleakScanner
from bleak.backends.service import BleakGATTService, BleakGATTServiceCollection
from bleak.exc import BleakDeviceNotFoundError, BleakError, BleakGATTProtocolError
from bumble import att, gatt_client
from bumble.core import UUID, AdvertisingData
from bumble.device import Advertisement, Device, Peer
from bumble.device import Connection as BumbleConnection
from bumble.hci import Address

from treadctl.errors import BluetoothUnavailable
from treadctl.ftms.uuids import uuid16

log = logging.getLogger(__name__)

HOST_ADDRESS = "C0:7D:C7:00:00:01"  # the host's own (random static) address
OPEN_TIMEOUT_S = 10.0
TRANSPORT_KEY = "bumble_transport"  # the backend keyword carrying the transport spec
_BLEAK_PROPERTIES: dict[int, CharacteristicPropertyName] = {
    0x02: "read",
    0x04: "write-without-response",
    0x08: "write",
    0x10: "notify",
    0x20: "indicate",
}


# --- the shared host -----------------------------------------------------------------------------


class BumbleHost:
    """A powered-on bumble Device on one HCI transport."""

    def __init__(self, spec: str, transport: Any, device: Device) -> None:
        self.spec = spec
        self.transport = transport
        self.device = device
        self.scanners = 0  # scanners running on it now

    async def close(self) -> None:
        with contextlib.suppress(Exception):
            await self.device.power_off()
        with contextlib.suppress(Exception):
            await self.transport.close()


_hosts: dict[tuple[int, str], BumbleHost] = {}
_opening: dict[tuple[int, str], asyncio.Lock] = {}


def transport_error(spec: str, error: BaseException) -> BluetoothUnavailable:
    detail = str(error) or type(error).__name__
    return BluetoothUnavailable(
        f"cannot open the bumble transport {spec!r} ({detail}); check the transport "
        "(e.g. tcp-client:127.0.0.1:9100 with `treadctl sim` running, or usb:0 with a dongle)"
    )


async def host_for(spec: str) -> BumbleHost:
    """The host on ``spec`` for the running loop, opened on first use."""
    from bumble.transport import open_transport

    loop = asyncio.get_running_loop()
    key = (id(loop), spec)
    lock = _opening.setdefault(key, asyncio.Lock())
    async with lock:
        host = _hosts.get(key)
        if host is not None:
            return host
        try:
            async with asyncio.timeout(OPEN_TIMEOUT_S):
                transport = await open_transport(spec)
                try:
                    device = Device.with_hci(
                        "treadctl", Address(HOST_ADDRESS), transport.source, transport.sink
                    )
                    await device.power_on()
                except BaseException:
                    with contextlib.suppress(Exception):
                        await transport.close()
                    raise
        except (asyncio.CancelledError, KeyboardInterrupt):
            raise
        except BaseException as error:  # bumble raises its own errors, OSError, ValueError ...
            raise transport_error(spec, error) from error
        host = BumbleHost(spec, transport, device)
        _hosts[key] = host
        return host


async def probe_transport(spec: str) -> None:
    """Open and close ``spec`` once (no host on it): BluetoothUnavailable if it cannot be opened.

    A session checks this before its screen opens, as it checks BlueZ; the link opens the
    transport again when it connects.
    """
    from bumble.transport import open_transport

    try:
        async with asyncio.timeout(OPEN_TIMEOUT_S):
            transport = await open_transport(spec)
            await transport.close()
    except (asyncio.CancelledError, KeyboardInterrupt):
        raise
    except BaseException as error:
        raise transport_error(spec, error) from error


async def close_hosts() -> None:
    """Close every host this loop opened (the end of a command)."""
    loop_id = id(asyncio.get_running_loop())
    for key in [k for k in _hosts if k[0] == loop_id]:
        host = _hosts.pop(key)
        _opening.pop(key, None)
        await host.close()


async def release_host(spec: str) -> None:
    """A client closed its link on purpose: close the host unless a scanner still uses it.

    A link the treadmill dropped keeps the host, so a reconnect finds it; a link closed on
    purpose (the end of a session, a failed connect attempt) releases the transport, which a
    TCP virtual link or a dongle lends to one host at a time.
    """
    key = (id(asyncio.get_running_loop()), spec)
    host = _hosts.get(key)
    if host is None or host.scanners:
        return
    del _hosts[key]
    await host.close()


def _spec(kwargs: dict[str, Any]) -> str:
    spec = kwargs.get(TRANSPORT_KEY)
    if not isinstance(spec, str) or not spec:
        raise BleakError(f"the bumble backend needs {TRANSPORT_KEY}=SPEC")
    return spec


# --- scanning ------------------------------------------------------------------------------------


def full_uuid(uuid: UUID) -> str:
    """bumble's UUID in the lowercase 128-bit form bleak uses."""
    text = uuid.to_hex_str()
    if len(text) == 4:
        return uuid16(int(text, 16))
    text = text.lower()
    return f"{text[0:8]}-{text[8:12]}-{text[12:16]}-{text[16:20]}-{text[20:32]}"


def advertisement_data(adv: Advertisement) -> AdvertisementData:
    """bleak's view of one bumble advertisement report."""
    local_name: str | None = None
    uuids: list[str] = []
    service_data: dict[str, bytes] = {}
    manufacturer_data: dict[int, bytes] = {}
    tx_power: int | None = None
    uuid_lists = {
        AdvertisingData.COMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
        AdvertisingData.INCOMPLETE_LIST_OF_16_BIT_SERVICE_CLASS_UUIDS: 2,
        AdvertisingData.COMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
        AdvertisingData.INCOMPLETE_LIST_OF_128_BIT_SERVICE_CLASS_UUIDS: 16,
    }
    for ad_type, raw in adv.data.ad_structures:
        data = bytes(raw)
        if ad_type in (AdvertisingData.COMPLETE_LOCAL_NAME, AdvertisingData.SHORTENED_LOCAL_NAME):
            name = data.decode("utf-8", errors="replace")
            if local_name is None or ad_type == AdvertisingData.COMPLETE_LOCAL_NAME:
                local_name = name
        elif ad_type in uuid_lists:
            width = uuid_lists[ad_type]
            for i in range(0, len(data) - width + 1, width):
                uuid = full_uuid(UUID.from_bytes(data[i : i + width]))
                if uuid not in uuids:
                    uuids.append(uuid)
        elif ad_type == AdvertisingData.SERVICE_DATA_16_BIT_UUID and len(data) >= 2:
            service_data[full_uuid(UUID.from_bytes(data[:2]))] = data[2:]
        elif ad_type == AdvertisingData.SERVICE_DATA_128_BIT_UUID and len(data) >= 16:
            service_data[full_uuid(UUID.from_bytes(data[:16]))] = data[16:]
        elif ad_type == AdvertisingData.MANUFACTURER_SPECIFIC_DATA and len(data) >= 2:
            manufacturer_data[int.from_bytes(data[:2], "little")] = data[2:]
        elif ad_type == AdvertisingData.TX_POWER_LEVEL and data:
            tx_power = int.from_bytes(data[:1], "little", signed=True)
    return AdvertisementData(
        local_name=local_name,
        manufacturer_data=manufacturer_data,
        service_data=service_data,
        service_uuids=uuids,
        tx_power=tx_power,
        rssi=adv.rssi,
        platform_data=(adv,),
    )


class BumbleHostScanner(BaseBleakScanner):
    """Scans on the bumble host of ``bumble_transport=SPEC``."""

    def __init__(
        self,
        detection_callback: AdvertisementDataCallback | None,
        service_uuids: list[str] | None,
        scanning_mode: str = "active",
        **kwargs: Any,
    ) -> None:
        super().__init__(detection_callback, service_uuids)
        self._transport_spec = _spec(kwargs)
        self._active = scanning_mode != "passive"
        self._host: BumbleHost | None = None

    async def start(self) -> None:
        self.seen_devices = {}
        self._host = await host_for(self._transport_spec)
        self._host.scanners += 1
        self._host.device.on(self._host.device.EVENT_ADVERTISEMENT, self._on_advertisement)
        await self._host.device.start_scanning(active=self._active, filter_duplicates=False)

    async def stop(self) -> None:
        host, self._host = self._host, None
        if host is None:
            return
        host.scanners -= 1
        host.device.remove_listener(host.device.EVENT_ADVERTISEMENT, self._on_advertisement)
        with contextlib.suppress(Exception):
            await host.device.stop_scanning()

    def _on_advertisement(self, adv: Advertisement) -> None:
        data = advertisement_data(adv)
        if not self.is_allowed_uuid(data.service_uuids):
            return
        address = adv.address.to_string(with_type_qualifier=False)
        device = self.create_or_update_device(address, address, data.local_name, adv.address, data)
        self.call_detection_callbacks(device, data)


# --- the GATT client -----------------------------------------------------------------------------


@contextlib.contextmanager
def att_errors() -> Any:
    try:
        yield
    except att.ATT_Error as error:
        raise BleakGATTProtocolError(error.error_code) from error


class BumbleGattClient(BaseBleakClient):
    """A ``BaseBleakClient`` over a bumble central. Subclasses say where the central comes from
    (:meth:`_central`) and what to do with it afterwards (:meth:`_release_central`)."""

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
        details = getattr(address_or_ble_device, "details", None)
        self._peer_address = details if isinstance(details, Address) else Address(self.address)
        self._att_mtu: int | None = kwargs.get("att_mtu")
        self._device: Device | None = None
        self._connection: BumbleConnection | None = None
        self._peer: Peer | None = None
        self._closing = False
        self._subscribers: dict[int, Callable[[bytes], None]] = {}
        self._peer_name: str | None = getattr(address_or_ble_device, "name", None)

    # --- where the central comes from ------------------------------------------------------------

    @abc.abstractmethod
    async def _central(self) -> Device:
        """The bumble central to connect through (each subclass has its own)."""

    async def _release_central(self, device: Device) -> None:
        """Nothing by default: the central outlives the connection."""

    # --- connection -------------------------------------------------------------------------------

    @property
    def name(self) -> str:
        return self._peer_name or self.address

    @property
    def mtu_size(self) -> int:
        return self._connection.att_mtu if self._connection else 23

    @property
    def is_connected(self) -> bool:
        return self._connection is not None

    def _max_write_size(self) -> int:
        return self.mtu_size - 3

    async def connect(self, pair: bool, **kwargs: Any) -> None:
        self._device = await self._central()
        try:
            async with asyncio.timeout(self._timeout):
                connection = await self._device.connect(self._peer_address)
        except TimeoutError:
            await self._release_central(self._device)
            raise BleakDeviceNotFoundError(self.address, "connection timed out") from None
        except Exception as error:
            await self._release_central(self._device)
            raise BleakDeviceNotFoundError(self.address, f"cannot connect: {error}") from error
        self._connection = connection
        self._closing = False
        connection.on(connection.EVENT_DISCONNECTION, self._on_disconnection)
        peer = Peer(connection)
        self._peer = peer
        if self._att_mtu:
            await peer.request_mtu(self._att_mtu)
        await peer.discover_all()  # type: ignore[no-untyped-call,unused-ignore]
        self.services = self._collection(peer)

    def _on_disconnection(self, *_: Any) -> None:
        self._connection = None
        self._peer = None
        if not self._closing and self._disconnected_callback is not None:
            self._disconnected_callback()

    async def disconnect(self) -> None:
        self._closing = True
        if self._connection is not None:
            with contextlib.suppress(Exception):
                await self._connection.disconnect()
        self._connection = None
        if self._device is not None:
            device, self._device = self._device, None
            await self._release_central(device)

    async def pair(self, *args: Any, **kwargs: Any) -> None:
        """Pairing over a bumble host is not supported; FTMS needs none."""

    async def unpair(self) -> None:
        """Nothing to forget."""

    def _collection(self, peer: Peer) -> BleakGATTServiceCollection:
        services = BleakGATTServiceCollection()
        for service in peer.services:
            bleak_service = BleakGATTService(service, service.handle, full_uuid(service.uuid))
            services.add_service(bleak_service)
            for char in service.characteristics:
                properties = [n for bit, n in _BLEAK_PROPERTIES.items() if char.properties & bit]
                bleak_char = BleakGATTCharacteristic(
                    char,
                    char.handle,
                    full_uuid(char.uuid),
                    properties,
                    self._max_write_size,
                    bleak_service,
                )
                services.add_characteristic(bleak_char)
                for descriptor in char.descriptors:
                    services.add_descriptor(
                        BleakGATTDescriptor(
                            descriptor, descriptor.handle, full_uuid(descriptor.type), bleak_char
                        )
                    )
        return services

    # --- GATT operations --------------------------------------------------------------------------

    def _proxy(
        self, characteristic: BleakGATTCharacteristic
    ) -> gatt_client.CharacteristicProxy[bytes]:
        if self._peer is None:
            raise BleakError("Not connected")
        return cast(gatt_client.CharacteristicProxy[bytes], characteristic.obj)

    async def read_gatt_char(
        self, characteristic: BleakGATTCharacteristic, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        proxy = self._proxy(characteristic)
        with att_errors():
            return bytearray(await proxy.read_value())

    async def write_gatt_char(
        self, characteristic: BleakGATTCharacteristic, data: SizedBuffer, response: bool
    ) -> None:
        proxy = self._proxy(characteristic)
        with att_errors():
            await proxy.write_value(bytes(data), with_response=response)

    async def read_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, *, use_cached: bool = False, **kwargs: Any
    ) -> bytearray:
        if self._peer is None:
            raise BleakError("Not connected")
        with att_errors():
            return bytearray(await self._peer.read_value(descriptor.handle))

    async def write_gatt_descriptor(
        self, descriptor: BleakGATTDescriptor, data: SizedBuffer
    ) -> None:
        if self._peer is None:
            raise BleakError("Not connected")
        with att_errors():
            await self._peer.write_value(descriptor.handle, bytes(data), with_response=True)

    async def start_notify(
        self, characteristic: BleakGATTCharacteristic, callback: NotifyCallback, **kwargs: Any
    ) -> None:
        proxy = self._proxy(characteristic)

        def deliver(value: bytes) -> None:
            callback(bytearray(value))

        self._subscribers[characteristic.handle] = deliver
        with att_errors():
            await proxy.subscribe(deliver, prefer_notify=True)

    async def stop_notify(self, characteristic: BleakGATTCharacteristic) -> None:
        proxy = self._proxy(characteristic)
        deliver = self._subscribers.pop(characteristic.handle, None)
        with att_errors():
            await proxy.unsubscribe(deliver)


class BumbleHostClient(BumbleGattClient):
    """Connects through the shared host of ``bumble_transport=SPEC``."""

    def __init__(self, address_or_ble_device: BLEDevice | str, **kwargs: Any) -> None:
        super().__init__(address_or_ble_device, **kwargs)
        self._transport_spec = _spec(kwargs)

    async def _central(self) -> Device:
        return (await host_for(self._transport_spec)).device  # BluetoothUnavailable: permanent

    async def _release_central(self, device: Device) -> None:
        await release_host(self._transport_spec)
