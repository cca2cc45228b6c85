"""The treadmill's FTMS GATT behaviour, independent of any radio.

A radio (the in-process bleak backend, or bumble) opens a :class:`Connection` per client and
forwards reads, writes and CCCD writes here; the server answers with bytes or an :class:`AttError`
and pushes notifications and indications back through the connection's :class:`ClientLink`.
What this module owns: the characteristic table, CCCD state per connection, the Control Point's
rules (indications enabled, one procedure at a time, Request Control first, result codes), status
routing (console actions to everyone, a client's own change only to the others, "control lost"
to the loser) and the Treadmill Data timer, split to fit each connection's ATT MTU.
"""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any, Protocol

from simulators import wire
from simulators.personalities import SimConfig
from simulators.treadmill import (
    SimulatedTreadmill,
    StatusNote,
    TrainingPhase,
)
from treadctl import ftms
from treadctl.ble.device_info import DEVICE_INFORMATION_SERVICE_UUID

log = logging.getLogger(__name__)

NOTIFY = 0x0001
INDICATE = 0x0002

# ATT error codes the server answers with.
ATT_INVALID_HANDLE = 0x01
ATT_READ_NOT_PERMITTED = 0x02
ATT_WRITE_NOT_PERMITTED = 0x03
ATT_INVALID_ATTRIBUTE_VALUE_LENGTH = 0x0D
ATT_CCCD_IMPROPERLY_CONFIGURED = 0xFD
ATT_PROCEDURE_ALREADY_IN_PROGRESS = 0xFE


class AttError(Exception):
    """An ATT Error Response: the radio turns it into its own error (BleakGATTProtocolError,
    a bumble ATT_Error, ...)."""

    def __init__(self, code: int, why: str) -> None:
        super().__init__(f"ATT error {code:#04x}: {why}")
        self.code = code


class NotConnectable(Exception):
    """The treadmill does not accept a connection now (a moment after it dropped a link)."""


@dataclass(frozen=True)
class CharacteristicSpec:
    """One characteristic of the FTMS service, with bleak's property names."""

    uuid: str
    properties: tuple[str, ...]

    @property
    def has_cccd(self) -> bool:
        return "notify" in self.properties or "indicate" in self.properties


class ClientLink(Protocol):
    """The radio's side of one connection."""

    def notify(self, uuid: str, data: bytes) -> None:
        """Send a notification (fire and forget)."""

    def notify_many(self, uuid: str, frames: list[bytes]) -> None:
        """Send several notifications back to back, in order (one multi-frame record): the
        same as ``notify`` for each, which is what a radio without a cheaper way does."""

    def indicate(self, uuid: str, data: bytes) -> Awaitable[None]:
        """Send an indication; completes when the client confirmed it."""

    def drop(self, reason: str) -> None:
        """The treadmill ends the link: close it and tell the client it was disconnected."""


@dataclass(eq=False)
class Connection:
    id: str
    link: ClientLink
    att_mtu: int
    cccd: dict[str, int] = field(default_factory=dict)
    open: bool = True
    busy: bool = False  # a Control Point procedure is in progress


class FtmsGattServer:
    """The FTMS service of one simulated treadmill, for any number of connections."""

    def __init__(self, treadmill: SimulatedTreadmill) -> None:
        self.treadmill = treadmill
        self.config = treadmill.config
        self.connections: list[Connection] = []
        # (service uuid, its characteristics) in handle order; ``characteristics`` is all of them.
        self.services = _service_table(self.config)
        self.characteristics = tuple(c for _uuid, chars in self.services for c in chars)
        self._by_uuid = {c.uuid: c for c in self.characteristics}
        self._ids = itertools.count(1)
        self._data_timer: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self.frames_sent = 0
        self.data_records_sent = 0
        treadmill.add_listener(self)

    # --- connections ----------------------------------------------------------------------------

    def connect(self, link: ClientLink, *, att_mtu: int | None = None) -> Connection:
        if not self.treadmill.accepts_connections:
            raise NotConnectable("the treadmill is not accepting connections right now")
        conn = Connection(f"client-{next(self._ids)}", link, att_mtu or self.config.default_att_mtu)
        self.connections.append(conn)
        self.treadmill.link_up(conn.id)
        if self._data_timer is None or self._data_timer.done():
            self._data_timer = self.treadmill.loop.create_task(
                _send_data_every(self.config.data_interval_s, self.send_data_now)
            )
        return conn

    def disconnect(self, conn: Connection) -> None:
        """The link to ``conn`` is gone (either side closed it)."""
        if not conn.open:
            return
        conn.open = False
        conn.cccd.clear()
        if conn in self.connections:
            self.connections.remove(conn)
        self.treadmill.link_lost(conn.id)
        if not self.connections and self._data_timer is not None:
            self._data_timer.cancel()
            self._data_timer = None

    def close(self) -> None:
        for conn in list(self.connections):
            self.disconnect(conn)
        for task in list(self._tasks):
            task.cancel()
        self.treadmill.remove_listener(self)

    # --- ATT requests ---------------------------------------------------------------------------

    def spec(self, uuid: str) -> CharacteristicSpec:
        try:
            return self._by_uuid[uuid.lower()]
        except KeyError:
            raise AttError(ATT_INVALID_HANDLE, f"no characteristic {uuid}") from None

    def read(self, conn: Connection, uuid: str) -> bytes:
        spec = self.spec(uuid)
        if "read" not in spec.properties:
            raise AttError(ATT_READ_NOT_PERMITTED, f"{uuid} is not readable")
        return wire.read_value(spec.uuid, self.treadmill)

    def read_cccd(self, conn: Connection, uuid: str) -> bytes:
        spec = self.spec(uuid)
        if not spec.has_cccd:
            raise AttError(ATT_INVALID_HANDLE, f"{uuid} has no CCCD")
        return conn.cccd.get(spec.uuid, 0).to_bytes(2, "little")

    def write_cccd(self, conn: Connection, uuid: str, value: bytes) -> None:
        spec = self.spec(uuid)
        if not spec.has_cccd:
            raise AttError(ATT_INVALID_HANDLE, f"{uuid} has no CCCD")
        if len(value) != 2:
            raise AttError(ATT_INVALID_ATTRIBUTE_VALUE_LENGTH, "a CCCD value is 2 octets")
        conn.cccd[spec.uuid] = int.from_bytes(value, "little")

    def write(self, conn: Connection, uuid: str, data: bytes, *, with_response: bool) -> None:
        """A write to a characteristic. Returning normally is the Write Response; the Control
        Point's 0x80 indication follows after the configured delay."""
        spec = self.spec(uuid)
        if spec.uuid != ftms.CONTROL_POINT_UUID or "write" not in spec.properties:
            raise AttError(ATT_WRITE_NOT_PERMITTED, f"{uuid} is not writable")
        if not conn.cccd.get(spec.uuid, 0) & INDICATE:
            raise AttError(ATT_CCCD_IMPROPERLY_CONFIGURED, "Control Point indications are off")
        if conn.busy:
            raise AttError(ATT_PROCEDURE_ALREADY_IN_PROGRESS, "a procedure is in progress")
        if not data:
            raise AttError(ATT_INVALID_ATTRIBUTE_VALUE_LENGTH, "empty Control Point write")
        conn.busy = True
        self._spawn(self._run_procedure(conn, bytes(data)))

    async def _run_procedure(self, conn: Connection, data: bytes) -> None:
        try:
            await asyncio.sleep(self.config.response_delay_s)
            if not conn.open:
                return
            result, parameter = self._execute(conn, data)
            await conn.link.indicate(
                ftms.CONTROL_POINT_UUID, wire.control_response(data[0], result, parameter)
            )
        finally:
            conn.busy = False

    def _execute(self, conn: Connection, data: bytes) -> tuple[ftms.ResultCode, bytes]:
        tm = self.treadmill
        op_code = data[0]
        if op_code in _NO_PARAMETER_OPS:
            data = data[:1]  # padding after the op code is ignored, as real devices do
        if tm.rejecting_commands:
            what = f"op {op_code:#04x} rejected (fault)"
            return tm.record_command(what, conn.id, ftms.ResultCode.OPERATION_FAILED), b""
        try:
            request = ftms.decode_request(data)
        except ftms.DecodeError:
            what = f"op {op_code:#04x} with bad parameter {data[1:].hex()}"
            return tm.record_command(what, conn.id, ftms.ResultCode.INVALID_PARAMETER), b""
        if tm.ignoring_commands:
            what = f"{ftms.request_name(request)} ignored (fault)"
            return tm.record_command(what, conn.id, ftms.ResultCode.SUCCESS), b""
        if isinstance(request, ftms.UnknownRequest):
            what = f"unsupported op {op_code:#04x}"
            return tm.record_command(what, conn.id, ftms.ResultCode.OP_CODE_NOT_SUPPORTED), b""
        if isinstance(request, ftms.RequestControl):
            return tm.request_control(conn.id), b""
        if tm.control_holder != conn.id:
            what = f"{ftms.request_name(request)} without control"
            return tm.record_command(what, conn.id, ftms.ResultCode.CONTROL_NOT_PERMITTED), b""
        return self._dispatch(conn, request), b""

    def _dispatch(self, conn: Connection, request: ftms.ControlRequest) -> ftms.ResultCode:
        tm = self.treadmill
        if isinstance(request, ftms.Reset):
            return tm.reset(conn.id)
        if isinstance(request, ftms.SetTargetSpeed):
            return tm.set_target_speed(request.speed_kmh, conn.id)
        if isinstance(request, ftms.SetTargetInclination):
            return tm.set_target_incline(request.incline_pct, conn.id)
        if isinstance(request, ftms.StartOrResume):
            return tm.start(conn.id)
        if isinstance(request, ftms.StopOrPause):
            return tm.stop(conn.id, pause=request.pause)
        raise AssertionError(f"unhandled request {request!r}")

    # --- notifications --------------------------------------------------------------------------

    def on_status(self, note: StatusNote) -> None:
        payload = wire.machine_status(note, pad_to=self.config.status_pad_to)
        for conn in list(self.connections):
            if note.audience == "others" and conn.id == note.origin:
                continue
            if note.audience == "holder" and conn.id != note.origin:
                continue
            self._notify(conn, ftms.MACHINE_STATUS_UUID, payload)

    def on_training_status(self, phase: TrainingPhase) -> None:
        payload = wire.training_status(phase)
        for conn in list(self.connections):
            self._notify(conn, ftms.TRAINING_STATUS_UUID, payload)

    def on_drop_links(self, reason: str) -> None:
        for conn in list(self.connections):
            self.disconnect(conn)
            conn.link.drop(reason)

    def _notify(self, conn: Connection, uuid: str, payload: bytes) -> None:
        if conn.open and conn.cccd.get(uuid, 0) & NOTIFY:
            conn.link.notify(uuid, payload)

    def send_data_now(self) -> None:
        """Notify one Treadmill Data record to every subscribed connection."""
        if self.treadmill.stale:
            return
        names, values = wire.treadmill_items(self.treadmill)
        sent = False
        frames_by_mtu: dict[int, list[bytes]] = {}  # the split is a pure function of the MTU
        for conn in list(self.connections):
            if not conn.cccd.get(ftms.TREADMILL_DATA_UUID, 0) & NOTIFY:
                continue
            frames = frames_by_mtu.get(conn.att_mtu)
            if frames is None:
                frames = frames_by_mtu[conn.att_mtu] = ftms.split_treadmill_values(
                    names, values, conn.att_mtu
                )
            if conn.open:  # (and subscribed, checked above): what _notify checks per frame
                conn.link.notify_many(ftms.TREADMILL_DATA_UUID, frames)
            self.frames_sent += len(frames)
            sent = True
        if sent:
            self.data_records_sent += 1

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = self.treadmill.loop.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


async def _send_data_every(interval_s: float, send: Callable[[], None]) -> None:
    """The Treadmill Data timer: ``send`` every ``interval_s``, on a fixed schedule (a slow
    send does not shift the next record). An exception from ``send`` does not end it: it is
    logged once per run of failures and the next record goes out on time, as a real treadmill
    keeps notifying whatever one record's trouble was (left to the loop, data would stop
    without a word)."""
    loop = asyncio.get_running_loop()
    next_s = loop.time() + interval_s
    failing = False
    while True:
        await asyncio.sleep(max(0.0, next_s - loop.time()))
        next_s += interval_s
        try:
            send()
        except Exception:
            if not failing:
                log.exception("simulator: sending Treadmill Data failed (the timer keeps going)")
            failing = True
        else:
            failing = False


# Request Control, Reset, Start or Resume: op codes without a parameter.
_NO_PARAMETER_OPS = frozenset({0x00, 0x01, 0x07})


def _service_table(
    config: SimConfig,
) -> tuple[tuple[str, tuple[CharacteristicSpec, ...]], ...]:
    """Device Information (when the personality has it), then FTMS, as on most treadmills."""
    services: list[tuple[str, tuple[CharacteristicSpec, ...]]] = []
    dis = wire.device_information(config)
    if dis:
        chars = tuple(CharacteristicSpec(uuid, ("read",)) for uuid in dis)
        services.append((DEVICE_INFORMATION_SERVICE_UUID, chars))
    services.append((ftms.FTMS_SERVICE_UUID, _characteristic_table(config.supports_incline)))
    return tuple(services)


def _characteristic_table(supports_incline: bool) -> tuple[CharacteristicSpec, ...]:
    table = [
        CharacteristicSpec(ftms.FEATURE_UUID, ("read",)),
        CharacteristicSpec(ftms.TREADMILL_DATA_UUID, ("notify",)),
        CharacteristicSpec(ftms.TRAINING_STATUS_UUID, ("read", "notify")),
        CharacteristicSpec(ftms.SPEED_RANGE_UUID, ("read",)),
    ]
    if supports_incline:
        table.append(CharacteristicSpec(ftms.INCLINE_RANGE_UUID, ("read",)))
    table += [
        CharacteristicSpec(ftms.CONTROL_POINT_UUID, ("write", "indicate")),
        CharacteristicSpec(ftms.MACHINE_STATUS_UUID, ("notify",)),
    ]
    return tuple(table)
