"""The simulator's bytes: the belt's state and announcements, encoded with the project's codec.

Kept apart from :mod:`simulators.gatt_server` so the GATT rules read as rules, and so every
personality quirk that changes bytes (mph ranges, padded status) sits in one place.
"""

from __future__ import annotations

import math
from typing import Any

from simulators.personalities import SimConfig
from simulators.treadmill import (
    BeltSnapshot,
    SimulatedTreadmill,
    StatusNote,
    TrainingPhase,
)
from treadctl import ftms
from treadctl.ble.device_info import DIS_FIELDS, encode_string
from treadctl.ftms._scalar import raw_range
from treadctl.ftms.treadmill_data import FIELDS
from treadctl.units import KM_PER_MILE


def features(config: SimConfig) -> ftms.MachineFeatures:
    machine = {
        ftms.MachineFeature.AVERAGE_SPEED,
        ftms.MachineFeature.TOTAL_DISTANCE,
        ftms.MachineFeature.EXPENDED_ENERGY,
        ftms.MachineFeature.HEART_RATE_MEASUREMENT,
        ftms.MachineFeature.ELAPSED_TIME,
    }
    targets = {ftms.TargetSetting.SPEED}
    if config.supports_incline:
        machine.add(ftms.MachineFeature.INCLINATION)
        targets.add(ftms.TargetSetting.INCLINATION)
    return ftms.MachineFeatures(machine=frozenset(machine), targets=frozenset(targets))


def speed_range(config: SimConfig) -> ftms.SpeedRange:
    """The advertised range; with ``speed_range_unit="mph"`` the numbers are mph (a quirk)."""
    scale = KM_PER_MILE if config.speed_range_unit == "mph" else 1.0
    return ftms.SpeedRange(
        minimum_kmh=round(config.speed_min_kmh / scale, 2),
        maximum_kmh=round(config.speed_max_kmh / scale, 2),
        increment_kmh=config.speed_increment_kmh,
    )


def incline_range(config: SimConfig) -> ftms.InclineRange:
    return ftms.InclineRange(
        minimum_pct=config.incline_min_pct,
        maximum_pct=config.incline_max_pct,
        increment_pct=config.incline_increment_pct,
    )


def training_status(phase: TrainingPhase) -> bytes:
    return ftms.encode_training_status(ftms.TrainingStatus(int(phase)))


def device_information(config: SimConfig) -> dict[str, bytes]:
    """The Device Information Service's values (uuid -> bytes); empty without the service."""
    if not config.device_information:
        return {}
    return {
        uuid: encode_string(value)
        for name, uuid, _label in DIS_FIELDS
        if (value := getattr(config, name)) is not None
    }


def read_value(uuid: str, treadmill: SimulatedTreadmill) -> bytes:
    """The value of a readable characteristic (FTMS or Device Information)."""
    config = treadmill.config
    dis = device_information(config)
    if uuid in dis:
        return dis[uuid]
    if uuid == ftms.FEATURE_UUID:
        return ftms.encode_feature(features(config))
    if uuid == ftms.SPEED_RANGE_UUID:
        return ftms.encode_speed_range(speed_range(config))
    if uuid == ftms.INCLINE_RANGE_UUID:
        return ftms.encode_incline_range(incline_range(config))
    if uuid == ftms.TRAINING_STATUS_UUID:
        return training_status(treadmill.training_phase)
    raise KeyError(uuid)


def machine_status(note: StatusNote, *, pad_to: int = 0) -> bytes:
    return ftms.encode_machine_status(note.status, pad_to=pad_to)


def control_response(
    request_op_code: int, result: ftms.ResultCode, parameter: bytes = b""
) -> bytes:
    return ftms.encode_response(
        ftms.ControlResponse(request_op_code, ftms.ResultCode(int(result)), parameter)
    )


def _field_max(name: str) -> float:
    """The largest value the Treadmill Data field ``name`` can carry (its "data not available"
    code excluded), from the codec's field table."""
    spec = next(f for f in FIELDS if f.name == name)
    high = raw_range(spec.size, spec.signed)[1]
    if spec.not_available == high:
        high -= 1
    return high if spec.divisor == 1 else high / spec.divisor


# Counters saturate at their field's maximum instead of wrapping. FTMS defines no rollover for
# them, and a counter that wraps to zero looks exactly like a console reset to a client, whereas
# one that sticks at its maximum is still "at least this much" and never runs backwards. A real
# console does the same (or stops counting); raising here would silently end the data stream.
ELAPSED_MAX_S = int(_field_max("elapsed_time_s"))  # uint16: 65,535 s (18 h 12 min)
DISTANCE_MAX_M = int(_field_max("total_distance_m"))  # uint24: 16,777,215 m
ENERGY_MAX_KCAL = int(_field_max("total_energy_kcal"))  # uint16, 0xFFFF is "not available"
ENERGY_PER_HOUR_MAX_KCAL = int(_field_max("energy_per_hour_kcal"))
ENERGY_PER_MINUTE_MAX_KCAL = int(_field_max("energy_per_minute_kcal"))
HEART_RATE_MAX_BPM = int(_field_max("heart_rate_bpm"))  # uint8
SPEED_MAX_KMH = _field_max("speed_kmh")


def treadmill_record(snap: BeltSnapshot, config: SimConfig) -> ftms.TreadmillData:
    """One Treadmill Data record with realistic content (what a home treadmill reports).

    Every value is limited to what its field can carry (see ``ELAPSED_MAX_S``), so a belt left
    running for days keeps sending data instead of failing to encode it.
    """
    names, values = _record_items(
        config,
        snap.speed_kmh,
        snap.average_speed_kmh,
        snap.distance_m,
        snap.incline_pct,
        snap.energy_kcal,
        snap.energy_per_hour_kcal,
        snap.energy_per_minute_kcal,
        snap.heart_rate_bpm,
        snap.elapsed_s,
    )
    return ftms.TreadmillData(**dict(zip(names, values, strict=True)))


def treadmill_items(treadmill: SimulatedTreadmill) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The fields of ``treadmill_record(treadmill.snapshot(), config)``: their names (one of a
    few fixed tuples) and values, for ``ftms.split_treadmill_values``. The data tick uses this
    once a second, so it builds neither the snapshot nor the record."""
    _, _, speed, average, _, incline, _, distance, elapsed, energy, per_hour, per_minute, hr = (
        treadmill.snapshot_values()
    )
    return _record_items(
        treadmill.config,
        speed,
        average,
        distance,
        incline,
        energy,
        per_hour,
        per_minute,
        hr,
        elapsed,
    )


_BASE = ("speed_kmh", "average_speed_kmh", "total_distance_m")
_ENERGY = ("total_energy_kcal", "energy_per_hour_kcal", "energy_per_minute_kcal")
_INCLINE = ("inclination_pct", "ramp_angle_deg")
_NAMES = {  # (supports incline, heart rate present) -> the record's fields
    (True, True): (*_BASE, *_INCLINE, *_ENERGY, "heart_rate_bpm", "elapsed_time_s"),
    (True, False): (*_BASE, *_INCLINE, *_ENERGY, "elapsed_time_s"),
    (False, True): (*_BASE, *_ENERGY, "heart_rate_bpm", "elapsed_time_s"),
    (False, False): (*_BASE, *_ENERGY, "elapsed_time_s"),
}


def _record_items(
    config: SimConfig,
    speed_kmh: float,
    average_speed_kmh: float,
    distance_m: float,
    incline_pct: float,
    energy_kcal: float,
    energy_per_hour_kcal: float,
    energy_per_minute_kcal: float,
    heart_rate_bpm: int,
    elapsed_s: float,
) -> tuple[tuple[str, ...], tuple[Any, ...]]:
    """The one place that turns the console's figures into Treadmill Data fields."""
    values: tuple[Any, ...] = (
        min(round(speed_kmh, 2), SPEED_MAX_KMH),
        min(round(average_speed_kmh, 2), SPEED_MAX_KMH),
        min(int(distance_m), DISTANCE_MAX_M),
    )
    if config.supports_incline:
        values += (
            round(incline_pct, 1),
            round(math.degrees(math.atan(incline_pct / 100.0)), 1),
        )
    values += (
        min(int(energy_kcal), ENERGY_MAX_KCAL),
        min(round(energy_per_hour_kcal), ENERGY_PER_HOUR_MAX_KCAL),
        min(round(energy_per_minute_kcal), ENERGY_PER_MINUTE_MAX_KCAL),
    )
    no_contact = config.heart_rate == "no-contact"
    has_heart_rate = speed_kmh > 0 or no_contact
    if has_heart_rate:
        values += (0 if no_contact else min(heart_rate_bpm, HEART_RATE_MAX_BPM),)
    values += (min(int(elapsed_s), ELAPSED_MAX_S),)
    return _NAMES[config.supports_incline, has_heart_rate], values
