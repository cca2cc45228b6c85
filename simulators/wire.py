"""The simulator's bytes: the belt's state and announcements, encoded with the project's codec.

Kept apart from :mod:`simulators.gatt_server` so the GATT rules read as rules, and so every
personality quirk that changes bytes (mph ranges, padded status) sits in one place.
"""

from __future__ import annotations

import math

from simulators.personalities import SimConfig
from simulators.treadmill import (
    PAUSE,
    BeltSnapshot,
    Result,
    SimulatedTreadmill,
    StatusNote,
    StatusOp,
    TrainingPhase,
)
from treadctl import ftms
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


def read_value(uuid: str, treadmill: SimulatedTreadmill) -> bytes:
    """The value of a readable FTMS characteristic."""
    config = treadmill.config
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
    op = note.op_code
    status: ftms.MachineStatus
    if op is StatusOp.RESET:
        status = ftms.MachineStatus.reset()
    elif op is StatusOp.STOPPED_OR_PAUSED:
        paused = note.control_info == PAUSE
        status = (
            ftms.MachineStatus.paused_by_user() if paused else ftms.MachineStatus.stopped_by_user()
        )
    elif op is StatusOp.SAFETY_KEY:
        status = ftms.MachineStatus.stopped_by_safety_key()
    elif op is StatusOp.STARTED_OR_RESUMED:
        status = ftms.MachineStatus.started_or_resumed_by_user()
    elif op is StatusOp.TARGET_SPEED_CHANGED:
        assert note.target_speed_kmh is not None
        status = ftms.MachineStatus.target_speed_changed(note.target_speed_kmh)
    elif op is StatusOp.TARGET_INCLINE_CHANGED:
        assert note.target_incline_pct is not None
        status = ftms.MachineStatus.target_incline_changed(note.target_incline_pct)
    else:
        status = ftms.MachineStatus.control_permission_lost()
    return ftms.encode_machine_status(status, pad_to=pad_to)


def control_response(request_op_code: int, result: Result, parameter: bytes = b"") -> bytes:
    return ftms.encode_response(
        ftms.ControlResponse(request_op_code, ftms.ResultCode(int(result)), parameter)
    )


def treadmill_record(snap: BeltSnapshot, config: SimConfig) -> ftms.TreadmillData:
    """One Treadmill Data record with realistic content (what a home treadmill reports)."""
    incline_pct: float | None = None
    ramp_deg: float | None = None
    if config.supports_incline:
        incline_pct = round(snap.incline_pct, 1)
        ramp_deg = round(math.degrees(math.atan(snap.incline_pct / 100.0)), 1)
    return ftms.TreadmillData(
        speed_kmh=round(snap.speed_kmh, 2),
        average_speed_kmh=round(snap.average_speed_kmh, 2),
        total_distance_m=int(snap.distance_m),
        inclination_pct=incline_pct,
        ramp_angle_deg=ramp_deg,
        total_energy_kcal=int(snap.energy_kcal),
        energy_per_hour_kcal=round(snap.energy_per_hour_kcal),
        energy_per_minute_kcal=round(snap.energy_per_minute_kcal),
        heart_rate_bpm=snap.heart_rate_bpm if snap.speed_kmh > 0 else None,
        elapsed_time_s=int(snap.elapsed_s),
    )
