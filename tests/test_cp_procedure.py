"""The Control Point procedure machine on its own: a fake ``write`` and a scripted device, no
bleak, on the virtual clock. Answers are matched by op code, 0xFE is rewritten, result codes and
write failures become the project's errors, control is requested once per grant, and targets
that may not start the belt wait for the next Start."""

from __future__ import annotations

import asyncio
import itertools
import subprocess
import sys
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from treadctl.ble.errors import ControlLocked, PairingRequired
from treadctl.ble.procedure import (
    AttError,
    ControlPointProcedure,
    NoControlPoint,
    NotConnected,
    WriteError,
    WriteFailed,
)
from treadctl.ble.quirks import DeviceQuirks
from treadctl.ftms import (
    MachineStatus,
    MachineStatusEvent,
    ResultCode,
    SetTargetInclination,
    SetTargetSpeed,
)
from treadctl.link import (
    CommandError,
    CommandRejected,
    CommandTimeout,
    ControlNotPermitted,
    InvalidParameter,
    LinkLost,
    LinkWrite,
    OperationFailed,
    OpNotSupported,
)
from treadctl.virtual_time import run_virtual

REQUEST_CONTROL, RESET, SPEED, INCLINE, START, STOP = 0x00, 0x01, 0x02, 0x03, 0x07, 0x08
ANSWER_DELAY_S = 0.01


@dataclass
class Device:
    """A scripted treadmill behind the fake ``write``: records what was written and indicates
    ``80 <op> <result>`` a moment later, unless told otherwise."""

    quirks: DeviceQuirks = field(default_factory=DeviceQuirks)
    results: dict[int, int] = field(default_factory=dict)  # op code -> result code
    busy_writes: int = 0  # refuse this many writes with ATT 0xFE first
    fail_with: WriteError | None = None
    silent: bool = False
    strays: list[tuple[float, bytes]] = field(default_factory=list)  # (delay_s, indication)
    writes: list[bytes] = field(default_factory=list)
    own: list[LinkWrite] = field(default_factory=list)
    cp: ControlPointProcedure = field(init=False)

    def __post_init__(self) -> None:
        self.cp = ControlPointProcedure(
            self.write,
            emit=self.own.append,
            device_name=lambda: "Test Mill",
            quirks=self.quirks,
        )

    async def write(self, payload: bytes) -> None:
        if self.fail_with is not None:
            raise self.fail_with
        if self.busy_writes:
            self.busy_writes -= 1
            raise AttError(0xFE)
        self.writes.append(payload)
        loop = asyncio.get_running_loop()
        for delay_s, stray in self.strays:
            loop.call_later(delay_s, self.cp.on_indication, stray)
        if self.silent:
            return
        result = self.results.get(payload[0], ResultCode.SUCCESS)
        loop.call_later(ANSWER_DELAY_S, self.cp.on_indication, bytes((0x80, payload[0], result)))

    @property
    def ops(self) -> list[int]:
        return [w[0] for w in self.writes]


def run(test: Callable[[], Coroutine[Any, Any, None]]) -> None:
    run_virtual(test())


def status(event: MachineStatusEvent) -> MachineStatus:
    return MachineStatus(event)


def test_the_procedure_runs_without_bleak() -> None:
    probe = "import sys, treadctl.ble.procedure; print('bleak' in sys.modules)"
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "False"


# --- one procedure: its answer ---------------------------------------------------------------


def test_the_answer_completes_the_procedure_after_one_request_control() -> None:
    async def scenario() -> None:
        device = Device()
        await device.cp.start()
        await device.cp.set_target(SetTargetSpeed(speed_kmh=3.0))
        assert device.writes == [b"\x00", b"\x07", bytes.fromhex("022c01")]
        assert device.cp.has_control
        [own] = device.own
        assert (own.op, own.result) == ("request_control", "success")
        assert own.why == "automatic, before start: the link is new"

    run(scenario)


def test_an_answer_for_another_op_code_is_ignored() -> None:
    async def scenario() -> None:
        strays = [(0.0, bytes.fromhex("800705")), (0.0, bytes.fromhex("800204"))]
        device = Device(strays=strays)
        await device.cp.request_control()  # the strays name 07 and 02; only 80 00 01 counts
        assert device.cp.has_control

    run(scenario)


def test_only_a_stray_answer_is_a_timeout() -> None:
    async def scenario() -> None:
        device = Device(silent=True, strays=[(0.0, bytes.fromhex("800701"))])
        loop = asyncio.get_running_loop()
        begin_s = loop.time()
        with pytest.raises(CommandTimeout, match="within 2 s"):
            await device.cp.request_control()
        assert loop.time() - begin_s == pytest.approx(2.0)

    run(scenario)


@settings(max_examples=60, deadline=None)
@given(
    strays=st.lists(
        st.tuples(
            st.sampled_from([0.0, 0.005, 0.01, 0.02]),
            st.sampled_from([RESET, SPEED, INCLINE, START, STOP]),
            st.sampled_from(list(ResultCode)),
        ),
        max_size=6,
    ),
    result=st.sampled_from(list(ResultCode)),
)
def test_only_the_answer_naming_the_request_decides_it(
    strays: list[tuple[float, int, ResultCode]], result: ResultCode
) -> None:
    """Indications for other op codes, before or after the real answer, change nothing."""

    async def scenario() -> None:
        timed = [(delay_s, bytes((0x80, op, code))) for delay_s, op, code in strays]
        device = Device(results={REQUEST_CONTROL: result}, strays=timed)
        if result is ResultCode.SUCCESS:
            await device.cp.request_control()
            assert device.cp.has_control
        else:
            with pytest.raises(CommandRejected) as caught:
                await device.cp.request_control()
            assert caught.value.result == result.json_name
            assert not device.cp.has_control

    run(scenario)


def test_undecodable_and_unasked_indications_are_dropped() -> None:
    async def scenario() -> None:
        device = Device()
        device.cp.on_indication(b"\x80\x00")  # too short
        device.cp.on_indication(bytes.fromhex("800001"))  # nothing pending
        await device.cp.request_control()
        assert device.ops == [REQUEST_CONTROL]

    run(scenario)


def test_the_deadline_follows_the_quirk() -> None:
    async def scenario() -> None:
        device = Device(quirks=DeviceQuirks(response_timeout_s=5.0), silent=True)
        loop = asyncio.get_running_loop()
        begin_s = loop.time()
        with pytest.raises(CommandTimeout):
            await device.cp.request_control()
        assert loop.time() - begin_s == pytest.approx(5.0)

    run(scenario)


# --- write failures ----------------------------------------------------------------------------


def test_att_0xfe_is_rewritten_until_the_device_takes_it() -> None:
    async def scenario() -> None:
        device = Device(busy_writes=3)
        loop = asyncio.get_running_loop()
        begin_s = loop.time()
        await device.cp.request_control()
        assert device.ops == [REQUEST_CONTROL]
        assert loop.time() - begin_s == pytest.approx(3 * 0.02 + ANSWER_DELAY_S)

    run(scenario)


def test_a_device_busy_until_the_deadline_is_att_0xfe_not_a_timeout() -> None:
    async def scenario() -> None:
        device = Device(busy_writes=10_000)
        loop = asyncio.get_running_loop()
        begin_s = loop.time()
        with pytest.raises(CommandError, match=r"still in progress \(ATT 0xFE\)") as caught:
            await device.cp.request_control()
        assert not isinstance(caught.value, CommandTimeout)
        assert device.writes == []
        assert loop.time() - begin_s == pytest.approx(2.0)  # rewritten until the deadline

    run(scenario)


@pytest.mark.parametrize(
    ("failure", "kind", "message"),
    [
        (AttError(0xFD), CommandError, r"indications are not enabled \(ATT 0xFD\)"),
        (AttError(0x05), PairingRequired, "Test Mill requires pairing"),
        (AttError(0x0F), PairingRequired, "Test Mill requires pairing"),
        (AttError(0x80), CommandError, "ATT error 0x80"),
        (NotConnected(), LinkLost, "cannot start: the treadmill is not connected"),
        (NoControlPoint(), OpNotSupported, r"no Control Point \(read-only\)"),
        (WriteFailed("radio gone", link_dropped=True), LinkLost, "the link dropped during"),
        (WriteFailed("stack hiccup", link_dropped=False), CommandError, "stack hiccup"),
    ],
)
def test_write_failures_become_command_errors(
    failure: WriteError, kind: type[CommandError], message: str
) -> None:
    async def scenario() -> None:
        device = Device()
        await device.cp.request_control()
        device.fail_with = failure
        with pytest.raises(kind, match=message) as caught:
            await device.cp.start()
        assert caught.value.op == "start"
        assert type(caught.value) is kind

    run(scenario)


def test_a_link_lost_while_waiting_fails_the_procedure_with_its_reason() -> None:
    async def scenario() -> None:
        device = Device(silent=True)
        asyncio.get_running_loop().call_later(0.5, device.cp.link_lost, "out of range")
        with pytest.raises(LinkLost, match=r"during request_control \(out of range\)"):
            await device.cp.request_control()
        assert not device.cp.has_control

    run(scenario)


# --- result codes ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("result", "kind", "name"),
    [
        (ResultCode.OP_CODE_NOT_SUPPORTED, OpNotSupported, "op_code_not_supported"),
        (ResultCode.INVALID_PARAMETER, InvalidParameter, "invalid_parameter"),
        (ResultCode.OPERATION_FAILED, OperationFailed, "operation_failed"),
        (ResultCode.CONTROL_NOT_PERMITTED, ControlNotPermitted, "control_not_permitted"),
    ],
)
def test_each_result_code_is_its_own_error(
    result: ResultCode, kind: type[CommandRejected], name: str
) -> None:
    async def scenario() -> None:
        device = Device(results={START: result})
        with pytest.raises(kind) as caught:
            await device.cp.start()
        assert type(caught.value) is kind
        assert (caught.value.op, caught.value.result) == ("start", name)

    run(scenario)


def test_control_not_permitted_on_request_control_is_control_locked() -> None:
    async def scenario() -> None:
        device = Device(results={REQUEST_CONTROL: ResultCode.CONTROL_NOT_PERMITTED})
        with pytest.raises(ControlLocked, match="Test Mill refused control"):
            await device.cp.request_control()
        assert not device.cp.has_control

    run(scenario)


def test_control_not_permitted_makes_the_next_command_ask_for_control_again() -> None:
    async def scenario() -> None:
        device = Device(results={START: ResultCode.CONTROL_NOT_PERMITTED})
        with pytest.raises(ControlNotPermitted):
            await device.cp.start()
        device.results.clear()
        await device.cp.start()
        assert device.ops == [REQUEST_CONTROL, START, REQUEST_CONTROL, START]
        assert "Control Not Permitted (0x05)" in device.own[-1].why

    run(scenario)


def test_an_unknown_result_code_is_not_taken_for_success() -> None:
    async def scenario() -> None:
        device = Device(silent=True)
        asyncio.get_running_loop().call_later(0.1, device.cp.on_indication, b"\x80\x00\x06")
        with pytest.raises(CommandTimeout):  # 0x06 is reserved: undecodable, so dropped
            await device.cp.request_control()

    run(scenario)


# --- the request-control preamble --------------------------------------------------------------


@pytest.mark.parametrize(
    ("revoke", "why"),
    [
        (lambda cp: cp.on_status(status(MachineStatusEvent.CONTROL_PERMISSION_LOST)), "0xFF"),
        (lambda cp: cp.on_status(status(MachineStatusEvent.RESET)), "Reset (status 0x01)"),
        (lambda cp: cp.link_lost("gone"), "the link is new"),
        (lambda cp: cp.new_link(DeviceQuirks()), "the link is new"),
    ],
)
def test_control_is_requested_again_after_it_was_revoked(
    revoke: Callable[[ControlPointProcedure], None], why: str
) -> None:
    async def scenario() -> None:
        device = Device()
        await device.cp.start()
        await device.cp.stop()
        revoke(device.cp)
        assert not device.cp.has_control
        await device.cp.start()
        assert device.ops == [REQUEST_CONTROL, START, STOP, REQUEST_CONTROL, START]
        assert why in device.own[-1].why

    run(scenario)


def test_reset_revokes_control() -> None:
    async def scenario() -> None:
        device = Device()
        await device.cp.reset()
        assert not device.cp.has_control
        await device.cp.start()
        assert device.ops == [REQUEST_CONTROL, RESET, REQUEST_CONTROL, START]
        assert device.own[-1].why == "automatic, before start: Reset revokes control"

    run(scenario)


def test_an_explicit_request_control_is_not_the_clients_own_write() -> None:
    async def scenario() -> None:
        device = Device()
        await device.cp.request_control()
        assert device.own == []

    run(scenario)


def test_request_control_twice_quirk_waits_between_the_two() -> None:
    async def scenario() -> None:
        device = Device(quirks=DeviceQuirks(request_control_twice=True))
        loop = asyncio.get_running_loop()
        begin_s = loop.time()
        await device.cp.request_control()
        assert device.ops == [REQUEST_CONTROL, REQUEST_CONTROL]
        assert loop.time() - begin_s >= 0.5
        assert [w.why for w in device.own] == ["request-control-twice quirk: second request"]

    run(scenario)


# --- held targets ------------------------------------------------------------------------------


def test_a_speed_waits_for_start_on_a_start_before_speed_device() -> None:
    async def scenario() -> None:
        device = Device(quirks=DeviceQuirks(start_before_speed=True))
        await device.cp.set_target(SetTargetSpeed(speed_kmh=2.0))
        await device.cp.set_target(SetTargetSpeed(speed_kmh=2.5))  # the newest one wins
        await device.cp.set_target(SetTargetInclination(incline_pct=1.0))  # not held
        assert device.ops == [REQUEST_CONTROL, INCLINE]
        await device.cp.start()
        assert device.writes[-2:] == [b"\x07", bytes.fromhex("02fa00")]
        held = device.own[-1]
        assert (held.op, held.speed_kmh, held.result) == ("set_speed", 2.5, "success")
        assert held.why == "set_speed held back until the belt ran, sent after Start"
        await device.cp.set_target(SetTargetSpeed(speed_kmh=3.0))  # running: sent at once
        assert device.ops[-1] == SPEED

    run(scenario)


@pytest.mark.parametrize(
    "halt",
    [
        lambda cp: cp.stop(),
        lambda cp: cp.pause(),
        lambda cp: cp.reset(),
    ],
)
def test_stop_pause_and_reset_drop_held_targets(
    halt: Callable[[ControlPointProcedure], Coroutine[Any, Any, None]],
) -> None:
    async def scenario() -> None:
        device = Device(quirks=DeviceQuirks(start_before_speed=True))
        await device.cp.set_target(SetTargetSpeed(speed_kmh=2.0))
        await halt(device.cp)
        await device.cp.start()
        assert SPEED not in device.ops

    run(scenario)


@pytest.mark.parametrize(
    "event",
    [
        MachineStatusEvent.STOPPED_BY_USER,
        MachineStatusEvent.PAUSED_BY_USER,
        MachineStatusEvent.STOPPED_OR_PAUSED_BY_USER,
        MachineStatusEvent.STOPPED_BY_SAFETY_KEY,
        MachineStatusEvent.RESET,
    ],
)
def test_the_treadmills_own_stop_drops_held_targets_and_holds_the_next(
    event: MachineStatusEvent,
) -> None:
    async def scenario() -> None:
        device = Device(quirks=DeviceQuirks(start_before_speed=True))
        await device.cp.start()
        device.cp.on_status(status(event))  # the belt stopped at the console
        await device.cp.set_target(SetTargetSpeed(speed_kmh=2.0))
        assert SPEED not in device.ops

    run(scenario)


def test_a_console_start_lets_targets_through() -> None:
    async def scenario() -> None:
        device = Device(quirks=DeviceQuirks(start_before_speed=True))
        device.cp.on_status(status(MachineStatusEvent.STARTED_OR_RESUMED_BY_USER))
        await device.cp.set_target(SetTargetSpeed(speed_kmh=2.0))
        assert device.ops == [REQUEST_CONTROL, SPEED]

    run(scenario)


def test_the_control_preamble_runs_before_every_target_and_tolerates_already_started() -> None:
    async def scenario() -> None:
        device = Device(quirks=DeviceQuirks(control_preamble_before_targets=True))
        await device.cp.set_target(SetTargetInclination(incline_pct=1.0))  # held: belt stopped
        assert device.writes == []
        await device.cp.start()
        device.results[START] = ResultCode.OPERATION_FAILED  # "already running"
        await device.cp.set_target(SetTargetSpeed(speed_kmh=2.0))
        ops = [REQUEST_CONTROL, START]
        assert device.ops == [*ops, *ops, INCLINE, *ops, SPEED]
        assert (device.own[-1].op, device.own[-1].result) == ("start", "operation_failed")

    run(scenario)


def test_an_mph_device_gets_mph_bytes_and_the_log_keeps_kmh() -> None:
    async def scenario() -> None:
        quirks = DeviceQuirks(speed_commands_in_mph=True, start_before_speed=True)
        device = Device(quirks=quirks)
        await device.cp.set_target(SetTargetSpeed(speed_kmh=8.0))
        await device.cp.start()
        assert device.writes[-1] == bytes.fromhex("02f101")  # 4.97 mph
        assert device.own[-1].speed_kmh == 8.0

    run(scenario)


# --- orders of things (property-based) ---------------------------------------------------------

_ACTIONS = st.lists(
    st.sampled_from(
        ["start", "stop", "pause", "reset", "speed", "incline", "lost", "reset_status", "stopped"]
    ),
    max_size=14,
)


async def _act(device: Device, action: str, marks: list[tuple[str, int]]) -> None:
    """One thing happening; ``marks`` gets the revocations and halts the device did not write."""
    cp = device.cp
    if action == "lost":
        cp.link_lost("test")
        marks.append(("revoke", len(device.writes)))
        marks.append(("halt", len(device.writes)))
    elif action == "reset_status":
        cp.on_status(status(MachineStatusEvent.RESET))
        marks.append(("revoke", len(device.writes)))
        marks.append(("halt", len(device.writes)))
    elif action == "stopped":
        cp.on_status(status(MachineStatusEvent.STOPPED_BY_USER))
        marks.append(("halt", len(device.writes)))
    elif action == "speed":
        await cp.set_target(SetTargetSpeed(speed_kmh=2.0))
    elif action == "incline":
        await cp.set_target(SetTargetInclination(incline_pct=1.0))
    else:
        commands = {"start": cp.start, "stop": cp.stop, "pause": cp.pause, "reset": cp.reset}
        await commands[action]()
        if action == "reset":
            marks.append(("revoke", len(device.writes)))


@settings(max_examples=60, deadline=None)
@given(_ACTIONS)
def test_control_is_requested_exactly_once_per_grant_in_any_order(actions: list[str]) -> None:
    """Between two revocations (Reset, a Reset or control-lost status, a lost link), the first
    write is Request Control and it is the only one."""

    async def scenario() -> None:
        device = Device()
        marks: list[tuple[str, int]] = []
        for action in actions:
            await _act(device, action, marks)
        cuts = [0, *(at for kind, at in marks if kind == "revoke"), len(device.writes)]
        for begin, end in itertools.pairwise(cuts):
            grant = device.ops[begin:end]
            if grant:
                assert grant[0] == REQUEST_CONTROL
                assert grant.count(REQUEST_CONTROL) == 1

    run(scenario)


@settings(max_examples=60, deadline=None)
@given(_ACTIONS)
def test_a_speed_never_reaches_a_stopped_belt_in_any_order(actions: list[str]) -> None:
    """On a start-before-speed device every speed write follows a Start with no halt (written
    or reported) in between."""

    async def scenario() -> None:
        device = Device(quirks=DeviceQuirks(start_before_speed=True))
        marks: list[tuple[str, int]] = []
        for action in actions:
            await _act(device, action, marks)
        halts = {at for kind, at in marks if kind == "halt"}
        running = False
        for index, op in enumerate(device.ops):
            if index in halts:
                running = False
            if op == START:
                running = True
            elif op in (STOP, RESET):
                running = False
            elif op == SPEED:
                assert running

    run(scenario)
