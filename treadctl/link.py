"""The treadmill as the session engine sees it: a small async interface with no bleak types.

``treadctl.ble`` implements it over bleak (against a real treadmill, or against the simulator
through bleak's ``backend=`` hook). Only the supervisor holds a ``TreadmillLink`` and calls
its commands; everything else reads the machine events it emits.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Protocol

from treadctl.limits import DeviceLimits

if TYPE_CHECKING:
    from treadctl.ftms import MachineFeatures, MachineStatus, TrainingStatus, TreadmillData


# --- what the device is ------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceInfo:
    """What was read from the device on connect.

    The Device Information Service (0x180A) strings are None where the device does not offer
    them. ``quirk_source`` says where ``quirks`` came from (the known-device table, the
    configuration, ``--quirks``); ``label`` is the user's friendly name for the device, if any.
    """

    name: str
    address: str
    limits: DeviceLimits = field(default_factory=DeviceLimits)
    features: MachineFeatures | None = None
    quirks: tuple[str, ...] = ()
    manufacturer: str | None = None
    model: str | None = None
    serial_number: str | None = None
    hardware_revision: str | None = None
    firmware_revision: str | None = None
    software_revision: str | None = None
    quirk_source: str = ""
    label: str | None = None


# --- events coming up from the machine ---------------------------------------------------------


class LinkState(StrEnum):
    CONNECTED = "connected"
    DISCONNECTED = "disconnected"
    RECONNECTED = "reconnected"


@dataclass(frozen=True)
class LinkEvent:
    """The BLE link changed. ``reason`` says why in words (e.g. "the treadmill disconnected")."""

    state: LinkState
    rssi_dbm: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class TelemetryEvent:
    """One whole Treadmill Data record (multi-notification records already reassembled)."""

    data: TreadmillData


@dataclass(frozen=True)
class StatusEvent:
    """A Fitness Machine Status notification (console stop, safety key, control lost, ...)."""

    status: MachineStatus


@dataclass(frozen=True)
class TrainingStatusEvent:
    status: TrainingStatus


@dataclass(frozen=True)
class LinkWrite:
    """The client wrote the Control Point on its own account, not as the supervisor's command:
    the automatic Request Control after a Reset, a 0xFF status or a 0x05 answer, a quirk's
    preamble (Request Control + Start), a re-sent held target. The supervisor writes each into
    the audit log, so the log holds every Control Point write.

    ``op`` is an ``Op`` value, ``why`` says in words what made the client write it, and
    ``result`` is the treadmill's answer (success, a result code, timeout) or "" when not known.
    """

    op: str
    why: str
    speed_kmh: float | None = None
    incline_pct: float | None = None
    result: str = ""


MachineEvent = LinkEvent | TelemetryEvent | StatusEvent | TrainingStatusEvent | LinkWrite
MachineListener = Callable[[MachineEvent], None]


# --- how commands fail ---------------------------------------------------------------------------


class CommandError(Exception):
    """A Control Point procedure did not succeed. ``op`` is the procedure name (see ``Op``)."""

    def __init__(self, op: str, message: str) -> None:
        super().__init__(message)
        self.op = op


class CommandRejected(CommandError):
    """The treadmill answered with a result code other than Success."""

    def __init__(self, op: str, result: str, message: str | None = None) -> None:
        super().__init__(op, message or f"the treadmill refused {op}: {result.replace('_', ' ')}")
        self.result = result  # op_code_not_supported, invalid_parameter, operation_failed, ...


class OpNotSupported(CommandRejected):
    pass


class InvalidParameter(CommandRejected):
    pass


class OperationFailed(CommandRejected):
    pass


class ControlNotPermitted(CommandRejected):
    pass


class OutOfRange(CommandError):
    """Refused by treadctl before anything was written: the value is outside the device's
    advertised range. Not the treadmill's answer, so never logged as one."""


class CommandTimeout(CommandError):
    """No 0x80 indication arrived in time."""


class LinkLost(CommandError):
    """The link dropped before or during the procedure."""


class Op(StrEnum):
    """Procedure names, as used in the audit log."""

    REQUEST_CONTROL = "request_control"
    RESET = "reset"
    START = "start"
    STOP = "stop"
    PAUSE = "pause"
    SET_SPEED = "set_speed"
    SET_INCLINE = "set_incline"


# --- the interface -------------------------------------------------------------------------------


class TreadmillLink(Protocol):
    """A connected FTMS treadmill.

    Every command is one Control Point procedure (plus any preamble the device's quirks
    require), awaits its indication and raises a ``CommandError`` subclass when it does not
    succeed. Control is re-requested automatically after Reset or a Control Permission Lost
    status. ``set_speed`` and ``set_incline`` return the value actually sent after rounding to the
    device increment and raise
    ``OutOfRange`` outside the device range (nothing is written then).
    """

    @property
    def info(self) -> DeviceInfo: ...

    @property
    def is_connected(self) -> bool: ...

    def add_listener(self, listener: MachineListener) -> Callable[[], None]:
        """Call ``listener`` for every machine event; returns a function that unsubscribes."""
        ...

    async def connect(self) -> DeviceInfo:
        """Connect (with bounded retries), discover, read, subscribe; enable indications first."""
        ...

    async def disconnect(self) -> None: ...

    async def request_control(self) -> None: ...

    async def start(self) -> None: ...

    async def stop(self) -> None: ...

    async def pause(self) -> None: ...

    async def reset(self) -> None: ...

    async def set_speed(self, speed_kmh: float) -> float: ...

    async def set_incline(self, incline_pct: float) -> float: ...
