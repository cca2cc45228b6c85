"""The virtual-time loop: sleeps cost no wall time, ordering and arithmetic match real time."""

from __future__ import annotations

import asyncio
import time

import pytest

from treadctl.virtual_time import VirtualTimeLoop, run, run_virtual


def test_an_hour_of_one_second_sleeps_takes_well_under_a_second() -> None:
    async def session() -> float:
        loop = asyncio.get_running_loop()
        for _ in range(3600):
            await asyncio.sleep(1.0)
        return loop.time()

    wall_start_s = time.perf_counter()
    virtual_end_s = run_virtual(session())
    wall_s = time.perf_counter() - wall_start_s
    assert virtual_end_s == pytest.approx(3600.0)
    assert wall_s < 1.0


def test_timers_fire_in_time_order_across_tasks() -> None:
    fired: list[tuple[str, float]] = []

    async def ticker(name: str, period_s: float, count: int) -> None:
        loop = asyncio.get_running_loop()
        for _ in range(count):
            await asyncio.sleep(period_s)
            fired.append((name, loop.time()))

    async def main() -> None:
        await asyncio.gather(ticker("a", 1.0, 3), ticker("b", 1.4, 2))

    run_virtual(main())
    times_s = [t for _, t in fired]
    assert times_s == sorted(times_s)
    assert [name for name, _ in fired] == ["a", "b", "a", "b", "a"]


def test_wait_for_times_out_on_virtual_time() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        start_s = loop.time()
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(asyncio.Event().wait(), timeout=2.5)
        return loop.time() - start_s

    assert run_virtual(main()) == pytest.approx(2.5)


def test_clock_never_moves_while_work_is_ready() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        start_s = loop.time()
        for _ in range(1000):
            await asyncio.sleep(0)
        return loop.time() - start_s

    assert run_virtual(main()) == 0.0


def test_advance_never_goes_backwards() -> None:
    loop = VirtualTimeLoop(start_s=10.0)
    try:
        loop.advance(-5.0)
        assert loop.time() == 10.0
        loop.advance(2.0)
        assert loop.time() == 12.0
    finally:
        loop.close()


def test_real_loop_is_used_without_virtual() -> None:
    async def main() -> bool:
        return isinstance(asyncio.get_running_loop(), VirtualTimeLoop)

    assert run(main()) is False
    assert run(main(), virtual=True) is True
