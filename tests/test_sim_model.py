"""The belt model on its own: physics, quantization, procedures, quirks and faults."""

from __future__ import annotations

import asyncio
from dataclasses import replace

import pytest

from simulators import BeltMode, FaultKind, SimulatedTreadmill, parse_fault, personality
from simulators.treadmill import StatusNote, TrainingPhase
from treadctl.ftms import MachineStatus, MachineStatusEvent
from treadctl.ftms.control_point import ResultCode
from treadctl.virtual_time import run_virtual


class Recorder:
    """A listener that keeps what the belt announced."""

    def __init__(self) -> None:
        self.status: list[StatusNote] = []
        self.phases: list[TrainingPhase] = []
        self.drops: list[str] = []

    def on_status(self, note: StatusNote) -> None:
        self.status.append(note)

    def on_training_status(self, phase: TrainingPhase) -> None:
        self.phases.append(phase)

    def on_drop_links(self, reason: str) -> None:
        self.drops.append(reason)


def test_belt_ramps_at_the_configured_acceleration_never_jumps() -> None:
    async def scenario() -> list[float]:
        tm = SimulatedTreadmill(personality("spec"))
        tm.request_control("c")
        tm.set_target_speed(6.0, "c")
        tm.start("c")
        speeds = []
        for _ in range(12):
            await asyncio.sleep(1.0)
            speeds.append(tm.belt_speed_kmh)
        return speeds

    speeds = run_virtual(scenario())
    steps = [b - a for a, b in zip([0.0, *speeds], speeds, strict=False)]
    assert all(step <= 0.8 + 1e-9 for step in steps)
    assert speeds[0] == pytest.approx(0.8)
    assert speeds[-1] == pytest.approx(6.0)


def test_stop_decelerates_to_zero_and_distance_time_energy_accumulate_while_running() -> None:
    async def scenario() -> tuple[float, float, float, float, float, float]:
        tm = SimulatedTreadmill()
        tm.request_control("c")
        tm.set_target_speed(3.6, "c")  # 1 m/s
        tm.start("c")
        await asyncio.sleep(600)
        distance, elapsed, energy = tm.distance_m, tm.elapsed_s, tm.energy_kcal
        tm.stop("c")
        await asyncio.sleep(1.0)
        mid = tm.belt_speed_kmh
        await asyncio.sleep(60)
        return distance, elapsed, energy, mid, tm.belt_speed_kmh, tm.elapsed_s

    distance, elapsed, energy, mid_stop, stopped, elapsed_after = run_virtual(scenario())
    # 600 s at 1 m/s minus the 4.5 s ramp's shortfall (3.6 km/h at 0.8 km/h per s).
    assert distance == pytest.approx(600 - 4.5 / 2, abs=0.01)
    assert elapsed == pytest.approx(600)
    assert 20 < energy < 60
    assert mid_stop == pytest.approx(2.6)  # 1 km/h per second down, not an instant stop
    assert stopped == 0.0
    assert elapsed_after == pytest.approx(600)  # time stops counting when stopped


def test_targets_are_range_checked_and_quantized() -> None:
    async def scenario() -> None:
        tm = SimulatedTreadmill(personality("half-kmh-steps"))
        tm.request_control("c")
        assert tm.set_target_speed(20.0, "c") is ResultCode.INVALID_PARAMETER
        assert tm.set_target_speed(0.2, "c") is ResultCode.INVALID_PARAMETER
        assert tm.set_target_speed(3.3, "c") is ResultCode.SUCCESS
        assert tm.target_speed_kmh == 3.5
        assert tm.set_target_incline(16.0, "c") is ResultCode.INVALID_PARAMETER
        assert tm.set_target_incline(2.3, "c") is ResultCode.SUCCESS
        assert tm.target_incline_pct == 2.5

    run_virtual(scenario())


def test_start_stop_pause_result_codes_and_minimum_running_speed() -> None:
    async def scenario() -> None:
        tm = SimulatedTreadmill()
        assert tm.stop("c") is ResultCode.OPERATION_FAILED  # already stopped
        assert tm.start("c") is ResultCode.SUCCESS
        assert tm.start("c") is ResultCode.OPERATION_FAILED  # already running
        assert tm.target_speed_kmh == 0.5  # starts at the minimum belt speed
        await asyncio.sleep(5)
        assert tm.belt_speed_kmh == pytest.approx(0.5)
        assert tm.stop("c", pause=True) is ResultCode.SUCCESS
        assert tm.mode is BeltMode.PAUSED
        assert tm.stop("c", pause=True) is ResultCode.OPERATION_FAILED
        assert tm.start("c") is ResultCode.SUCCESS  # resume
        assert tm.mode is BeltMode.RUNNING

    run_virtual(scenario())


def test_reset_zeroes_counters_revokes_control_and_goes_idle() -> None:
    async def scenario() -> None:
        tm = SimulatedTreadmill()
        rec = Recorder()
        tm.add_listener(rec)
        tm.request_control("c")
        tm.start("c")
        await asyncio.sleep(30)
        tm.reset("c")
        assert tm.control_holder is None
        assert tm.elapsed_s == 0 and tm.distance_m == 0
        assert tm.training_phase is TrainingPhase.IDLE
        assert rec.phases == [TrainingPhase.MANUAL_MODE, TrainingPhase.IDLE]
        assert rec.status[-1] == StatusNote(
            MachineStatus(MachineStatusEvent.RESET), "others", origin="c"
        )

    run_virtual(scenario())


def test_needs_start_before_speed_ignores_targets_while_stopped() -> None:
    async def scenario() -> None:
        tm = SimulatedTreadmill(personality("needs-start-before-speed"))
        assert tm.set_target_speed(5.0, "c") is ResultCode.SUCCESS
        assert tm.target_speed_kmh == 0.0
        tm.start("c")
        assert tm.target_speed_kmh == 0.5
        tm.set_target_speed(5.0, "c")
        assert tm.target_speed_kmh == 5.0

    run_virtual(scenario())


@pytest.mark.parametrize(
    ("name", "belt_after_s", "expected_kmh"),
    [("spec", 1.0, 4.0), ("spec", 10.0, 0.0), ("stops-on-disconnect", 1.0, 3.0)],
)
def test_link_loss_stops_the_belt_after_the_personality_delay(
    name: str, belt_after_s: float, expected_kmh: float
) -> None:
    async def scenario() -> float:
        tm = SimulatedTreadmill(personality(name))
        tm.request_control("c")
        tm.set_target_speed(4.0, "c")
        tm.start("c")
        await asyncio.sleep(10)
        tm.link_lost("c")
        await asyncio.sleep(belt_after_s)
        return tm.belt_speed_kmh

    assert run_virtual(scenario()) == pytest.approx(expected_kmh)


def test_keeps_running_on_disconnect() -> None:
    async def scenario() -> BeltMode:
        tm = SimulatedTreadmill(personality("keeps-running-on-disconnect"))
        tm.request_control("c")
        tm.start("c")
        tm.link_lost("c")
        await asyncio.sleep(60)
        assert tm.belt_speed_kmh == pytest.approx(0.5)
        return tm.mode

    assert run_virtual(scenario()) is BeltMode.RUNNING


def _running_treadmill(*faults: str) -> SimulatedTreadmill:
    tm = SimulatedTreadmill(faults=[parse_fault(f) for f in faults])
    tm.request_control("c")
    tm.set_target_speed(4.0, "c")
    tm.start("c")
    return tm


def test_safety_key_stops_the_belt_fast_and_blocks_start_while_out() -> None:
    async def scenario() -> None:
        tm = _running_treadmill("safety-key@20+30")
        rec = Recorder()
        tm.add_listener(rec)
        await asyncio.sleep(21)
        assert tm.mode is BeltMode.STOPPED
        assert tm.belt_speed_kmh == pytest.approx(0.0)  # 4 km/h at 4 km/h per s
        assert rec.status == [
            StatusNote(MachineStatus(MachineStatusEvent.STOPPED_BY_SAFETY_KEY), "all")
        ]
        assert tm.start("c") is ResultCode.OPERATION_FAILED
        await asyncio.sleep(30)
        assert tm.start("c") is ResultCode.SUCCESS

    run_virtual(scenario())


def test_console_stop_and_console_speed_up() -> None:
    async def scenario() -> None:
        tm = _running_treadmill("console-speed-up@10", "console-stop@30")
        rec = Recorder()
        tm.add_listener(rec)
        await asyncio.sleep(11)
        assert tm.target_speed_kmh == 6.0
        assert rec.status[0] == StatusNote(MachineStatus.target_speed_changed(6.0), "all")
        await asyncio.sleep(20)
        assert tm.mode is BeltMode.STOPPED
        assert rec.status[1] == StatusNote(MachineStatus(MachineStatusEvent.STOPPED_BY_USER), "all")
        assert [f.kind for f in tm.faults_fired] == [
            FaultKind.CONSOLE_SPEED_UP,
            FaultKind.CONSOLE_STOP,
        ]

    run_virtual(scenario())


def test_runaway_accelerates_past_the_target_until_stop() -> None:
    async def scenario() -> None:
        tm = _running_treadmill("runaway@10")
        await asyncio.sleep(20)
        assert tm.target_speed_kmh == 4.0
        assert tm.belt_speed_kmh == pytest.approx(4.0 + 0.8 * 10)
        tm.stop("c")
        await asyncio.sleep(15)
        assert tm.belt_speed_kmh == 0.0

    run_virtual(scenario())


def test_control_lost_revokes_control_and_tells_only_the_holder() -> None:
    async def scenario() -> None:
        tm = _running_treadmill("control-lost@5")
        rec = Recorder()
        tm.add_listener(rec)
        await asyncio.sleep(6)
        assert tm.control_holder is None
        assert rec.status == [
            StatusNote(
                MachineStatus(MachineStatusEvent.CONTROL_PERMISSION_LOST), "holder", origin="c"
            )
        ]

    run_virtual(scenario())


def test_faults_count_from_the_first_start_unless_power_on_clock() -> None:
    async def scenario() -> tuple[float, float]:
        session = SimulatedTreadmill(faults=[parse_fault("stale@10")])
        power_on = SimulatedTreadmill(faults=[parse_fault("stale@10")], fault_clock="power-on")
        await asyncio.sleep(100)
        assert not session.stale and power_on.stale
        session.start(None)
        await asyncio.sleep(9.5)
        assert not session.stale
        await asyncio.sleep(1)
        assert session.stale
        return session.history[-1].t_s, power_on.faults_fired[0].at_s

    fired_s, power_on_at_s = run_virtual(scenario())
    assert fired_s == pytest.approx(110)
    assert power_on_at_s == pytest.approx(10)


def test_negative_incline_personality_and_incline_rate() -> None:
    async def scenario() -> None:
        tm = SimulatedTreadmill(
            replace(personality("negative-incline"), incline_rate_pct_per_s=0.5)
        )
        tm.request_control("c")
        assert tm.set_target_incline(-3.0, "c") is ResultCode.SUCCESS
        await asyncio.sleep(2)
        assert tm.incline_pct == pytest.approx(-1.0)
        await asyncio.sleep(10)
        assert tm.incline_pct == pytest.approx(-3.0)

    run_virtual(scenario())
