"""The Control Point procedure: one request at a time, its 0x80 answer, control, held targets.

FTMS runs one Control Point procedure at a time: the client writes a request and the device
completes it with a 0x80 indication naming the request's op code (FTMS §4.16). This module owns
that protocol and none of the radio: it is given a ``write`` coroutine and fed what arrives
(:meth:`ControlPointProcedure.on_indication`, ``on_status``, ``link_lost``), so it runs under
test with no bleak at all. What it keeps:

* the pending answer, matched by op code (a stray indication is ignored), within a deadline;
* ATT 0xFE rewrites (the device is still busy with the previous procedure), and every failure as
  the project's own ``CommandError``;
* control: requested before the first command and again after Reset, a Reset or
  control-lost status, or a Control Not Permitted answer;
* held targets: a target never starts a stopped belt. Devices that only take targets while
  running (or need Request Control + Start before each) get them right after the next Start.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from treadctl.ble.errors import (
    ATT_CCCD_IMPROPERLY_CONFIGURED,
    ATT_PROCEDURE_ALREADY_IN_PROGRESS,
    SECURITY_ATT_ERRORS,
    ControlLocked,
    PairingRequired,
)
from treadctl.ble.quirks import DeviceQuirks
from treadctl.ftms.control_point import (
    ControlRequest,
    ControlResponse,
    RequestControl,
    Reset,
    ResultCode,
    SetTargetInclination,
    SetTargetSpeed,
    StartOrResume,
    StopOrPause,
    decode_response,
    encode_request,
)
from treadctl.ftms.errors import DecodeError
from treadctl.ftms.machine_status import MachineStatus, MachineStatusOp
from treadctl.link import (
    CommandError,
    CommandRejected,
    CommandTimeout,
    ControlNotPermitted,
    InvalidParameter,
    LinkLost,
    LinkWrite,
    Op,
    OperationFailed,
    OpNotSupported,
)

log = logging.getLogger(__name__)

BUSY_RETRY_S = 0.02  # pause before rewriting a request the device discarded with ATT 0xFE

Target = SetTargetSpeed | SetTargetInclination

# Status op codes that revoke control or stop the belt (reference.md §7.3, §8).
_REVOKES_CONTROL = {
    MachineStatusOp.RESET: "the treadmill reported a Reset (status 0x01)",
    MachineStatusOp.CONTROL_PERMISSION_LOST: (
        "the treadmill reported control permission lost (status 0xFF)"
    ),
}
_STOPS_BELT = frozenset(
    {
        MachineStatusOp.RESET,
        MachineStatusOp.STOPPED_OR_PAUSED_BY_USER,
        MachineStatusOp.STOPPED_BY_SAFETY_KEY,
    }
)


class WriteError(Exception):
    """How ``write`` fails, in link terms: the caller translates its radio's errors into these."""


class NotConnected(WriteError):
    """There is no link to write on."""


class NoControlPoint(WriteError):
    """The device offers no Control Point (a read-only treadmill)."""


class AttError(WriteError):
    """The device answered the write with an ATT error (Core Vol 3 Part F 3.4.1.1)."""

    def __init__(self, code: int) -> None:
        super().__init__(f"ATT error {code:#04x}")
        self.code = code


class WriteFailed(WriteError):
    """The write did not get through (radio or stack trouble); ``link_dropped`` if the link went
    with it."""

    def __init__(self, detail: str, *, link_dropped: bool) -> None:
        super().__init__(detail)
        self.link_dropped = link_dropped


@dataclass
class _Pending:
    op: Op
    op_code: int
    future: asyncio.Future[ControlResponse]


class ControlPointProcedure:
    """The Control Point of one treadmill, whatever carries the bytes.

    ``write`` sends one request (raising a :class:`WriteError`); ``emit`` hears a ``LinkWrite``
    for every procedure run on the client's own account (so the audit log holds every write);
    ``device_name`` names the treadmill in errors the walker reads. Deadlines and retries run on
    the event loop's clock.
    """

    def __init__(
        self,
        write: Callable[[bytes], Awaitable[None]],
        *,
        emit: Callable[[LinkWrite], None],
        device_name: Callable[[], str],
        quirks: DeviceQuirks,
        request_control_gap_s: float = 0.5,
        busy_retry_s: float = BUSY_RETRY_S,
    ) -> None:
        self._write = write
        self._emit = emit
        self._device_name = device_name
        self._quirks = quirks
        self._request_control_gap_s = request_control_gap_s
        self._busy_retry_s = busy_retry_s
        self._lock = asyncio.Lock()
        self._pending: _Pending | None = None
        self._has_control = False
        self._no_control_why = "the link is new"  # why the next command must ask for control
        self._belt_running = False
        self._held: dict[Op, Target] = {}

    @property
    def has_control(self) -> bool:
        return self._has_control

    # --- what arrives ----------------------------------------------------------------------------

    def new_link(self, quirks: DeviceQuirks) -> None:
        """A fresh link, maybe to another device: nothing carries over from the last one."""
        self._quirks = quirks
        self._forget()

    def link_lost(self, reason: str) -> None:
        """Control, the running belt and held targets only live as long as the link (FTMS §4.18,
        §4.16.2.1); a procedure waiting for its answer fails with ``LinkLost``."""
        self._forget()
        pending = self._pending
        if pending is not None and not pending.future.done():
            pending.future.set_exception(
                LinkLost(pending.op, f"the link dropped during {pending.op} ({reason})")
            )

    def on_indication(self, data: bytes) -> None:
        """A Control Point indication: the answer of the pending procedure, or ignored."""
        try:
            response = decode_response(data)
        except DecodeError as error:
            log.warning("dropped undecodable indication %s: %s", data.hex(" "), error)
            return
        pending = self._pending
        if pending is None or pending.future.done():
            log.info("indication with no procedure waiting: %s", data.hex(" "))
            return
        if response.request_op_code != pending.op_code:
            log.warning(
                "indication for op %#04x while waiting for %#04x; ignored",
                response.request_op_code,
                pending.op_code,
            )
            return
        pending.future.set_result(response)

    def on_status(self, status: MachineStatus) -> None:
        """The treadmill's own word on control and on whether the belt runs."""
        op = status.op
        if op is not None and op in _REVOKES_CONTROL:
            self._lose_control(_REVOKES_CONTROL[op])
        if op in _STOPS_BELT:
            self._belt_running = False
            self._held.clear()
        elif op is MachineStatusOp.STARTED_OR_RESUMED_BY_USER:
            self._belt_running = True

    # --- commands --------------------------------------------------------------------------------

    async def request_control(self) -> None:
        async with self._lock:
            await self._request_control(None)

    async def start(self) -> None:
        async with self._lock:
            await self._with_control(Op.START, StartOrResume())
            self._belt_running = True
            held, self._held = self._held, {}
            for target in held.values():
                await self._send_target(target, held=True)

    async def stop(self) -> None:
        await self._halt(Op.STOP, StopOrPause(pause=False))

    async def pause(self) -> None:
        await self._halt(Op.PAUSE, StopOrPause(pause=True))

    async def reset(self) -> None:
        await self._halt(Op.RESET, Reset())

    async def set_target(self, target: Target) -> None:
        """Send a speed or incline target now, or hold it for the next Start."""
        async with self._lock:
            if self._must_hold(_op_of(target)):
                self._held[_op_of(target)] = target
                return
            await self._send_target(target, held=False)

    # --- the machinery ---------------------------------------------------------------------------

    def _forget(self) -> None:
        self._lose_control("the link is new")
        self._belt_running = False
        self._held.clear()

    def _lose_control(self, why: str) -> None:
        self._has_control = False
        self._no_control_why = why

    async def _halt(self, op: Op, request: StopOrPause | Reset) -> None:
        async with self._lock:
            self._held.clear()
            await self._with_control(op, request)
            if op is Op.RESET:
                # Reset revokes control (FTMS §4.16.2.1): ask again before the next command.
                self._lose_control("Reset revokes control")
            self._belt_running = False

    def _must_hold(self, op: Op) -> bool:
        """Whether a target must wait for the next Start instead of starting the belt itself."""
        if self._belt_running:
            return False
        if self._quirks.control_preamble_before_targets:
            return True
        return op is Op.SET_SPEED and self._quirks.start_before_speed

    async def _send_target(self, target: Target, *, held: bool) -> None:
        """A target, after the preamble its quirks need. ``held``: sent on the client's own
        account after Start (the supervisor's call for it returned earlier)."""
        op = _op_of(target)
        if self._quirks.control_preamble_before_targets:
            why = f"control-preamble quirk: Request Control before {op}"
            await self._own(Op.REQUEST_CONTROL, RequestControl(), why)
            self._has_control = True
            with contextlib.suppress(OperationFailed):  # "already started": usual while running
                await self._own(
                    Op.START, StartOrResume(), f"control-preamble quirk: Start before {op}"
                )
        if held:
            if not self._has_control:
                await self._request_control(f"before the held {op}: {self._no_control_why}")
            await self._own(op, target, f"{op} held back until the belt ran, sent after Start")
        else:
            await self._with_control(op, target)

    async def _request_control(self, why: str | None) -> None:
        """Request Control. ``why`` None: the supervisor asked; else the client's own reason."""
        if why is None:
            await self._run(Op.REQUEST_CONTROL, RequestControl())
        else:
            await self._own(Op.REQUEST_CONTROL, RequestControl(), why)
        if self._quirks.request_control_twice:
            await asyncio.sleep(self._request_control_gap_s)
            await self._own(
                Op.REQUEST_CONTROL, RequestControl(), "request-control-twice quirk: second request"
            )
        self._has_control = True

    async def _own(self, op: Op, request: ControlRequest, why: str) -> ControlResponse:
        """A procedure the client runs on its own account: ``emit`` hears a ``LinkWrite`` with
        the answer. Its speed is always km/h, whatever unit the device reads on the wire."""
        speed_kmh = request.speed_kmh if isinstance(request, SetTargetSpeed) else None
        incline_pct = request.incline_pct if isinstance(request, SetTargetInclination) else None
        try:
            response = await self._run(op, request)
        except CommandError as error:
            self._emit(LinkWrite(str(op), why, speed_kmh, incline_pct, _result_of(error)))
            raise
        self._emit(LinkWrite(str(op), why, speed_kmh, incline_pct, "success"))
        return response

    async def _with_control(self, op: Op, request: ControlRequest) -> ControlResponse:
        if not self._has_control:
            await self._request_control(f"automatic, before {op}: {self._no_control_why}")
        return await self._run(op, request)

    async def _run(self, op: Op, request: ControlRequest) -> ControlResponse:
        """One write plus its indication, within the response deadline."""
        payload = encode_request(request, speed_unit=self._quirks.speed_unit)
        future: asyncio.Future[ControlResponse] = asyncio.get_running_loop().create_future()
        self._pending = _Pending(op, payload[0], future)
        timeout_s = self._quirks.response_timeout_s
        written = False
        try:
            async with asyncio.timeout(timeout_s):
                await self._write_until_taken(op, payload, future)
                written = True
                response = await future
        except TimeoutError:
            failed = _failure(future)
            if failed is not None:
                raise failed from None
            if not written:  # the device stayed busy with an earlier procedure
                raise self._att_error(op, ATT_PROCEDURE_ALREADY_IN_PROGRESS) from None
            raise CommandTimeout(
                op, f"the treadmill did not answer {op} within {timeout_s:g} s"
            ) from None
        finally:
            if self._pending is not None and self._pending.future is future:
                self._pending = None
        self._check_result(op, response)
        return response

    async def _write_until_taken(
        self, op: Op, payload: bytes, future: asyncio.Future[ControlResponse]
    ) -> None:
        """Write the request; while the device answers 0xFE, wait a moment and write again.

        0xFE means the write was discarded because the previous procedure has not finished:
        typically its indication has reached us but our confirmation has not reached the device
        yet, or an earlier procedure timed out here and is still running there. The caller's
        deadline bounds the retries.
        """
        while True:
            try:
                await self._write(payload)
                return
            except NotConnected:
                raise LinkLost(op, f"cannot {op}: the treadmill is not connected") from None
            except NoControlPoint:
                raise OpNotSupported(
                    op, "op_code_not_supported", "this treadmill has no Control Point (read-only)"
                ) from None
            except AttError as error:
                if error.code != ATT_PROCEDURE_ALREADY_IN_PROGRESS:
                    raise self._att_error(op, error.code) from error
            except WriteFailed as error:
                failed = _failure(future)
                if failed is not None:
                    raise failed from error
                if error.link_dropped:
                    raise LinkLost(op, f"the link dropped during {op}") from error
                raise CommandError(op, f"writing {op} failed: {error}") from error
            await asyncio.sleep(self._busy_retry_s)

    def _att_error(self, op: Op, code: int) -> CommandError:
        if code == ATT_CCCD_IMPROPERLY_CONFIGURED:
            return CommandError(
                op,
                f"the treadmill refused {op}: Control Point indications are not enabled "
                "(ATT 0xFD); reconnect",
            )
        if code == ATT_PROCEDURE_ALREADY_IN_PROGRESS:
            return CommandError(
                op,
                f"the treadmill refused {op}: another Control Point procedure is still in "
                "progress (ATT 0xFE)",
            )
        if code in SECURITY_ATT_ERRORS:
            return PairingRequired(op, self._device_name())
        return CommandError(op, f"the treadmill refused {op} with ATT error {code:#04x}")

    def _check_result(self, op: Op, response: ControlResponse) -> None:
        code = int(response.result)
        if code == ResultCode.SUCCESS:
            return
        if code == ResultCode.CONTROL_NOT_PERMITTED:
            self._lose_control(f"the treadmill answered {op} with Control Not Permitted (0x05)")
            if op is Op.REQUEST_CONTROL:
                raise ControlLocked(op, self._device_name())
            raise ControlNotPermitted(op, "control_not_permitted")
        if code == ResultCode.OP_CODE_NOT_SUPPORTED:
            raise OpNotSupported(op, "op_code_not_supported")
        if code == ResultCode.INVALID_PARAMETER:
            raise InvalidParameter(op, "invalid_parameter")
        if code == ResultCode.OPERATION_FAILED:
            raise OperationFailed(op, "operation_failed")
        raise CommandError(op, f"the treadmill answered {op} with unknown result {code:#04x}")


def _op_of(target: Target) -> Op:
    return Op.SET_SPEED if isinstance(target, SetTargetSpeed) else Op.SET_INCLINE


def _failure(future: asyncio.Future[ControlResponse]) -> BaseException | None:
    """The error the link put on a pending answer (``link_lost``), if any."""
    if future.done() and not future.cancelled():
        return future.exception()
    return None


def _result_of(error: CommandError) -> str:
    """A failed procedure's answer in the audit log's words."""
    if isinstance(error, CommandRejected):
        return error.result
    if isinstance(error, CommandTimeout):
        return "timeout"
    if isinstance(error, LinkLost):
        return "link_lost"
    return f"error: {error}"
