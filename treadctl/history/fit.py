"""A recorded session as a FIT activity file (sport walking, sub-sport treadmill).

One lap per bout. A FIT lap has no name field, so each bout is also written as a step of an
embedded workout (``workout``/``workout_step``, as Garmin devices do for a structured workout)
whose ``wkt_step_name`` carries the direction ("Backward 2/8 ...") and whose ``notes`` carry the
direction alone; the lap points at its step with ``wkt_step_index``. These are standard profile
fields, so every FIT decoder shows them without developer-data definitions, and Garmin Connect
shows the workout's step names against the laps. There is no GPS: records carry time, distance,
speed, grade, heart rate and calories only.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from treadctl.history.db import SampleRecord, SessionRecord
from treadctl.history.fit_encoder import (
    ENUM,
    SINT16,
    STRING,
    UINT8,
    UINT16,
    UINT32,
    UINT32Z,
    Field,
    FitWriter,
    fit_timestamp,
)
from treadctl.history.laps import LapTotals

# Global message numbers and enum values from the FIT profile.
FILE_ID, FILE_CREATOR, EVENT, RECORD, LAP, SESSION, ACTIVITY = 0, 49, 21, 20, 19, 18, 34
WORKOUT, WORKOUT_STEP = 26, 27
DEVICE_INFO, SOURCE_BLUETOOTH_LOW_ENERGY = 23, 3
FILE_ACTIVITY = 4
MANUFACTURER_DEVELOPMENT = 255
SPORT_WALKING = 11
SUB_SPORT_TREADMILL = 1
EVENT_TIMER, EVENT_SESSION, EVENT_LAP, EVENT_ACTIVITY = 0, 8, 9, 26
EVENT_TYPE_START, EVENT_TYPE_STOP, EVENT_TYPE_STOP_ALL = 0, 1, 4
LAP_TRIGGER_TIME, LAP_TRIGGER_SESSION_END = 1, 7
INTENSITY_ACTIVE = 0
WKT_DURATION_TIME, WKT_TARGET_OPEN = 0, 2
SOFTWARE_VERSION = 10  # treadctl 0.1.0 as FIT's version * 100

_Stamp = Callable[[float], int]  # session seconds -> FIT timestamp


def _ms(duration_s: float) -> int:
    return round(duration_s * 1000)


def _speed(speed_kmh: float | None) -> int | None:
    return None if speed_kmh is None else round(speed_kmh / 3.6 * 1000)


def encode_activity(
    session: SessionRecord,
    laps: list[LapTotals],
    samples: list[SampleRecord],
    device: dict[str, str] | None = None,
) -> bytes:
    """The session as the bytes of a FIT activity file; ``device``: the treadmill's Device
    Information (``treadctl.history.device_info``), written as a ``device_info`` message."""
    start = session.started_at

    def stamp(t_s: float) -> int:
        return fit_timestamp(start + timedelta(seconds=round(t_s)))

    end_t_s = laps[-1].end_t_s if laps else session.duration_s
    fit = FitWriter()
    fit.write(
        FILE_ID,
        [
            (0, ENUM, FILE_ACTIVITY),
            (1, UINT16, MANUFACTURER_DEVELOPMENT),
            (2, UINT16, 0),
            (3, UINT32Z, session.id),
            (4, UINT32, stamp(0)),
            (8, STRING, "treadctl"),
        ],
    )
    fit.write(FILE_CREATOR, [(0, UINT16, SOFTWARE_VERSION)])
    if device:
        fit.write(DEVICE_INFO, _device_info(stamp(0), device))
    fit.write(
        WORKOUT,
        [
            (4, ENUM, SPORT_WALKING),
            (6, UINT16, len(laps)),
            (8, STRING, session.profile_name),
            (11, ENUM, SUB_SPORT_TREADMILL),
        ],
    )
    for i, lap in enumerate(laps):
        fit.write(
            WORKOUT_STEP,
            [
                (254, UINT16, i),
                (0, STRING, lap.name),
                (1, ENUM, WKT_DURATION_TIME),
                (2, UINT32, _ms(lap.duration_s)),
                (3, ENUM, WKT_TARGET_OPEN),
                (7, ENUM, INTENSITY_ACTIVE),
                (8, STRING, str(lap.direction)),
            ],
        )
    fit.write(EVENT, _event(stamp(0), EVENT_TYPE_START))
    for i, lap in enumerate(laps):
        last = i == len(laps) - 1
        for sample in samples:
            if lap.start_t_s <= sample.t_s < lap.end_t_s or (last and sample.t_s >= lap.end_t_s):
                fit.write(RECORD, _record(stamp(sample.t_s), sample))
        fit.write(LAP, _lap(i, lap, stamp, last=last))
    fit.write(EVENT, _event(stamp(end_t_s), EVENT_TYPE_STOP_ALL))
    fit.write(SESSION, _session(session, laps, samples, stamp, end_t_s))
    fit.write(ACTIVITY, _activity(stamp(end_t_s), end_t_s, start))
    return fit.to_bytes()


def _device_info(timestamp: int, device: dict[str, str]) -> list[Field]:
    """The treadmill as a FIT device (index 1; the creator is 0): its model as the product
    name, the rest of its Device Information in the descriptor."""
    words = (
        ("manufacturer", ""),
        ("firmware_revision", "firmware "),
        ("hardware_revision", "hardware "),
        ("serial_number", "serial "),
    )
    descriptor = ", ".join(f"{label}{device[key]}" for key, label in words if device.get(key))
    return [
        (253, UINT32, timestamp),
        (0, UINT8, 1),
        (2, UINT16, MANUFACTURER_DEVELOPMENT),
        (19, STRING, descriptor or None),
        (25, ENUM, SOURCE_BLUETOOTH_LOW_ENERGY),
        (27, STRING, device.get("model") or device.get("manufacturer")),
    ]


def _event(timestamp: int, event_type: int) -> list[Field]:
    return [(253, UINT32, timestamp), (0, ENUM, EVENT_TIMER), (1, ENUM, event_type), (4, UINT8, 0)]


def _record(timestamp: int, sample: SampleRecord) -> list[Field]:
    incline = None if sample.incline_pct is None else round(sample.incline_pct * 100)
    distance = None if sample.distance_m is None else round(sample.distance_m * 100)
    energy = None if sample.energy_kcal is None else round(sample.energy_kcal)
    return [
        (253, UINT32, timestamp),
        (5, UINT32, distance),
        (6, UINT16, _speed(sample.speed_kmh)),
        (9, SINT16, incline),
        (3, UINT8, sample.heart_rate_bpm),
        (33, UINT16, energy),
    ]


def _lap(index: int, lap: LapTotals, stamp: _Stamp, *, last: bool) -> list[Field]:
    return [
        (254, UINT16, index),
        (253, UINT32, stamp(lap.end_t_s)),
        (0, ENUM, EVENT_LAP),
        (1, ENUM, EVENT_TYPE_STOP),
        (2, UINT32, stamp(lap.start_t_s)),
        (7, UINT32, _ms(lap.duration_s)),
        (8, UINT32, _ms(lap.duration_s)),
        (9, UINT32, round(lap.distance_m * 100)),
        (11, UINT16, round(lap.energy_kcal)),
        (13, UINT16, _speed(lap.avg_speed_kmh)),
        (14, UINT16, _speed(lap.max_speed_kmh)),
        (15, UINT8, lap.avg_heart_rate_bpm),
        (16, UINT8, lap.max_heart_rate_bpm),
        (23, ENUM, INTENSITY_ACTIVE),
        (24, ENUM, LAP_TRIGGER_SESSION_END if last else LAP_TRIGGER_TIME),
        (25, ENUM, SPORT_WALKING),
        (39, ENUM, SUB_SPORT_TREADMILL),
        (71, UINT16, index),
    ]


def _session(
    session: SessionRecord,
    laps: list[LapTotals],
    samples: list[SampleRecord],
    stamp: _Stamp,
    end_t_s: float,
) -> list[Field]:
    distance_m = sum(lap.distance_m for lap in laps)
    rates = [s.heart_rate_bpm for s in samples if s.heart_rate_bpm]
    speeds = [s.speed_kmh for s in samples if s.speed_kmh is not None]
    return [
        (254, UINT16, 0),
        (253, UINT32, stamp(end_t_s)),
        (0, ENUM, EVENT_SESSION),
        (1, ENUM, EVENT_TYPE_STOP),
        (2, UINT32, stamp(0)),
        (5, ENUM, SPORT_WALKING),
        (6, ENUM, SUB_SPORT_TREADMILL),
        (7, UINT32, _ms(end_t_s)),
        (8, UINT32, _ms(end_t_s)),
        (9, UINT32, round(distance_m * 100)),
        (11, UINT16, round(sum(lap.energy_kcal for lap in laps))),
        (14, UINT16, _speed(distance_m / end_t_s * 3.6 if end_t_s > 0 else 0.0)),
        (15, UINT16, _speed(max(speeds, default=0.0))),
        (16, UINT8, round(sum(rates) / len(rates)) if rates else None),
        (17, UINT8, max(rates) if rates else None),
        (25, UINT16, 0),
        (26, UINT16, len(laps)),
        (28, ENUM, 0),  # trigger: activity end
    ]


def _activity(timestamp: int, end_t_s: float, start: datetime) -> list[Field]:
    offset = start.astimezone().utcoffset() or timedelta(0)
    return [
        (253, UINT32, timestamp),
        (0, UINT32, _ms(end_t_s)),
        (1, UINT16, 1),
        (2, ENUM, 0),  # manual
        (3, ENUM, EVENT_ACTIVITY),
        (4, ENUM, EVENT_TYPE_STOP),
        (5, UINT32, timestamp + int(offset.total_seconds())),
    ]
