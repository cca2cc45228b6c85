"""The simulator's Treadmill Data counters past what their fields hold, and a failing data tick."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from functools import partial
from itertools import pairwise
from random import Random
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulators import SimulatedTreadmill, personality, wire
from simulators.gatt_server import FtmsGattServer
from simulators.treadmill import BeltMode, BeltSnapshot
from tests.test_ftms_treadmill_data import treadmill_records
from treadctl import ftms
from treadctl.ftms.treadmill_data import FIELD_NAMES, RecordAssembler
from treadctl.virtual_time import run_virtual


class DataLink:
    """A client link that decodes every Treadmill Data record, stamped with loop time."""

    def __init__(self) -> None:
        self.records: list[tuple[float, ftms.TreadmillData]] = []
        self._assembler = RecordAssembler()

    def notify(self, uuid: str, data: bytes) -> None:
        if uuid == ftms.TREADMILL_DATA_UUID:
            record = self._assembler.feed(data)
            if record is not None:
                self.records.append((asyncio.get_running_loop().time(), record))

    def notify_many(self, uuid: str, frames: list[bytes]) -> None:
        for data in frames:
            self.notify(uuid, data)

    def indicate(self, uuid: str, data: bytes) -> Awaitable[None]:
        raise AssertionError("no Control Point traffic in these tests")

    def drop(self, reason: str) -> None:
        raise AssertionError(f"unexpected drop: {reason}")


async def _run_belt(seconds: float, *, interval_s: float, speed_kmh: float = 6.0) -> DataLink:
    """A subscribed client and a running belt, for ``seconds`` of virtual time."""
    tm = SimulatedTreadmill(replace(personality("spec"), data_interval_s=interval_s))
    server = FtmsGattServer(tm)
    link = DataLink()
    conn = server.connect(link)
    server.write_cccd(conn, ftms.TREADMILL_DATA_UUID, b"\x01\x00")
    tm.request_control(conn.id)
    tm.set_target_speed(speed_kmh, conn.id)
    tm.start(conn.id)
    await asyncio.sleep(seconds)
    server.close()
    tm.close()
    return link


def test_data_keeps_arriving_after_elapsed_time_outgrows_its_uint16_field() -> None:
    # 70,000 s of belt time (the field holds 65,535 s); one record every 25 s keeps it quick.
    link = run_virtual(_run_belt(70_000.0, interval_s=25.0))
    times = [t for t, _ in link.records]
    elapsed = [r.elapsed_time_s or 0 for _, r in link.records]
    assert all(r.elapsed_time_s is not None for _, r in link.records)
    assert times[-1] >= 70_000.0 - 25.0  # no gap at the end: data never stopped
    assert all(b - a == pytest.approx(25.0) for a, b in pairwise(times))
    assert elapsed == sorted(elapsed)  # never runs backwards (saturates, does not wrap)
    late = [r for t, r in link.records if t > 66_000.0]
    assert late and all(r.elapsed_time_s == wire.ELAPSED_MAX_S == 65_535 for r in late)
    early = [(t, e) for t, e in zip(times, elapsed, strict=True) if t < 65_000.0]
    assert all(abs(e - t) <= 1 for t, e in early)  # tracks the clock until then
    assert all(r.speed_kmh == pytest.approx(6.0) for r in late)


def test_every_counter_saturates_at_its_field_maximum() -> None:
    snap = BeltSnapshot(
        t_s=0.0,
        mode=BeltMode.RUNNING,
        speed_kmh=700.0,
        average_speed_kmh=700.0,
        target_speed_kmh=16.0,
        incline_pct=5.0,
        target_incline_pct=5.0,
        distance_m=20_000_000.5,
        elapsed_s=1_000_000.0,
        energy_kcal=100_000.0,
        energy_per_hour_kcal=90_000.0,
        energy_per_minute_kcal=1_500.0,
        heart_rate_bpm=300,
    )
    record = wire.treadmill_record(snap, personality("spec"))
    assembler = RecordAssembler()
    decoded = [assembler.feed(frame) for frame in ftms.split_treadmill_data(record)][-1]
    assert decoded is not None
    assert decoded.elapsed_time_s == 65_535
    assert decoded.total_distance_m == 0xFFFFFF
    assert decoded.total_energy_kcal == 0xFFFE  # 0xFFFF means "not available"
    assert decoded.energy_per_hour_kcal == 0xFFFE
    assert decoded.energy_per_minute_kcal == 0xFE
    assert decoded.heart_rate_bpm == 255
    assert decoded.speed_kmh == decoded.average_speed_kmh == pytest.approx(655.35)
    assert not decoded.not_available


def test_an_exception_in_the_data_tick_is_logged_and_data_keeps_flowing(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    real = wire.treadmill_items
    calls = 0

    def flaky(treadmill: SimulatedTreadmill) -> tuple[tuple[str, ...], tuple[object, ...]]:
        nonlocal calls
        calls += 1
        if 10 <= calls < 13:  # three failures in a row: logged once
            raise RuntimeError("boom")
        return real(treadmill)

    monkeypatch.setattr(wire, "treadmill_items", flaky)
    with caplog.at_level(logging.ERROR, logger="simulators.gatt_server"):
        link = run_virtual(_run_belt(30.0, interval_s=1.0))
    assert calls >= 29  # one a second
    assert len(link.records) == calls - 3  # every tick but the three that failed
    assert link.records[-1][0] >= 29.0
    failures = [r for r in caplog.records if r.name == "simulators.gatt_server"]
    assert len(failures) == 1 and failures[0].exc_info is not None
    assert "boom" in caplog.text


# --- the simulator's encoding fast path gives the codec's bytes ----------------------------------


def _split_or_error(split: Callable[[], list[bytes]]) -> list[bytes] | str:
    try:
        return split()
    except ftms.EncodeError as error:
        return f"EncodeError: {error}"


@given(treadmill_records(), st.integers(23, 60), st.randoms(use_true_random=False))
def test_split_treadmill_values_matches_split_treadmill_data(
    record: ftms.TreadmillData, mtu: int, rng: Random
) -> None:
    items = [(name, getattr(record, name)) for name in FIELD_NAMES]
    items = [(n, v) for n, v in items if v is not None]
    rng.shuffle(items)
    names = tuple(n for n, _ in items)
    values = tuple(v for _, v in items)
    plain = ftms.TreadmillData(**dict(items))  # what the simulator's record would be
    expected = _split_or_error(lambda: ftms.split_treadmill_data(plain, mtu))
    assert _split_or_error(lambda: ftms.split_treadmill_values(names, values, mtu)) == expected


@pytest.mark.parametrize(
    ("names", "values"),
    [
        (("speed_kmh", "elapsed_time_s"), (3.0, 70_000)),  # out of range
        (("speed_kmh", "elapsed_time_s"), (3.0, None)),  # absent after all
        (("speed_kmh", "inclination_pct"), (3.0, 1.0)),  # ramp angle shares the flag bit
        (("average_speed_kmh",), (3.0,)),  # no speed and not more_data
        (("speed_kmh", "heart_rate_bpm"), (float("nan"), 90)),
        (("speed_kmh", "heart_rate_bpm"), (3.0, True)),
        (("speed_kmh", "total_distance_m"), (3.0, 12.5)),  # a float in an int field: rounded
    ],
)
def test_split_treadmill_values_odd_inputs_match_the_general_path(
    names: tuple[str, ...], values: tuple[Any, ...]
) -> None:
    record = ftms.TreadmillData(**dict(zip(names, values, strict=True)))
    for mtu in (22, 23, 40):
        expected = _split_or_error(partial(ftms.split_treadmill_data, record, mtu))
        got = _split_or_error(partial(ftms.split_treadmill_values, names, values, mtu))
        assert got == expected


@settings(max_examples=300)
@given(st.lists(st.binary(min_size=2, max_size=24), max_size=6))
def test_assembled_records_are_what_the_constructor_builds(frames: list[bytes]) -> None:
    """RecordAssembler skips __post_init__ on the records it completes: it must be a no-op."""
    assembler = RecordAssembler()
    for frame in frames:
        try:
            record = assembler.feed(frame)
        except ftms.DecodeError:
            continue
        if record is not None:
            assert dataclasses.replace(record) == record
            assert dataclasses.replace(record).flags == record.flags


@pytest.mark.parametrize("name", ["spec", "no-incline", "half-kmh-steps", "mph-range"])
def test_data_tick_frames_are_the_records_frames(name: str) -> None:
    """The data tick packs ``treadmill_items``; the record path must give the same bytes."""

    async def scenario() -> list[tuple[list[bytes], list[bytes]]]:
        tm = SimulatedTreadmill(personality(name))
        pairs = []
        tm.request_control("c")
        for step, speed in enumerate((0.0, 3.0, 5.5, 2.0, 0.0)):
            if speed:
                tm.set_target_speed(speed, "c")
                tm.set_target_incline(step * 1.5, "c")
                tm.start("c")
            else:
                tm.stop("c")
            for _ in range(7):
                await asyncio.sleep(0.7)
                names, values = wire.treadmill_items(tm)
                record = wire.treadmill_record(tm.snapshot(), tm.config)
                for mtu in (23, 40):
                    pairs.append(
                        (
                            ftms.split_treadmill_values(names, values, mtu),
                            ftms.split_treadmill_data(record, mtu),
                        )
                    )
        return pairs

    for fast, general in run_virtual(scenario()):
        assert fast == general


def test_the_data_timer_keeps_its_schedule_through_failing_sends(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A send that raises is logged once per run of failures; the records keep their times."""
    import asyncio

    from simulators.gatt_server import _send_data_every
    from treadctl.virtual_time import run_virtual

    sent_at: list[float] = []

    async def main() -> None:
        loop = asyncio.get_running_loop()

        def send() -> None:
            sent_at.append(round(loop.time() - start, 6))
            if len(sent_at) in (2, 3, 5):
                raise RuntimeError("one record's trouble")

        start = loop.time()
        task = asyncio.create_task(_send_data_every(1.0, send))
        await asyncio.sleep(6.5)
        task.cancel()

    with caplog.at_level("ERROR", logger="simulators.gatt_server"):
        run_virtual(main())
    assert sent_at == [1.0, 2.0, 3.0, 4.0, 5.0, 6.0]
    assert len([r for r in caplog.records if "Treadmill Data failed" in r.getMessage()]) == 2
