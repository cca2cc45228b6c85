"""Fitness Machine Feature (0x2ACC): two uint32 bit fields, as sets of named flags.

Devices over-claim (a walking pad claiming power targets), so callers should treat these as hints
and trust the range characteristics and the Control Point's answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from treadctl.ftms.errors import DecodeError, EncodeError

FEATURE_SIZE = 8


class MachineFeature(StrEnum):
    """Field 1 bits, in bit order (bit 0 first)."""

    AVERAGE_SPEED = "average_speed"
    CADENCE = "cadence"
    TOTAL_DISTANCE = "total_distance"
    INCLINATION = "inclination"
    ELEVATION_GAIN = "elevation_gain"
    PACE = "pace"
    STEP_COUNT = "step_count"
    RESISTANCE_LEVEL = "resistance_level"
    STRIDE_COUNT = "stride_count"
    EXPENDED_ENERGY = "expended_energy"
    HEART_RATE_MEASUREMENT = "heart_rate_measurement"
    METABOLIC_EQUIVALENT = "metabolic_equivalent"
    ELAPSED_TIME = "elapsed_time"
    REMAINING_TIME = "remaining_time"
    POWER_MEASUREMENT = "power_measurement"
    FORCE_ON_BELT_AND_POWER_OUTPUT = "force_on_belt_and_power_output"
    USER_DATA_RETENTION = "user_data_retention"


class TargetSetting(StrEnum):
    """Field 2 bits, in bit order; each one makes a Control Point op code mandatory."""

    SPEED = "speed"
    INCLINATION = "inclination"
    RESISTANCE = "resistance"
    POWER = "power"
    HEART_RATE = "heart_rate"
    EXPENDED_ENERGY = "expended_energy"
    STEP_NUMBER = "step_number"
    STRIDE_NUMBER = "stride_number"
    DISTANCE = "distance"
    TRAINING_TIME = "training_time"
    TIME_IN_TWO_HEART_RATE_ZONES = "time_in_two_heart_rate_zones"
    TIME_IN_THREE_HEART_RATE_ZONES = "time_in_three_heart_rate_zones"
    TIME_IN_FIVE_HEART_RATE_ZONES = "time_in_five_heart_rate_zones"
    INDOOR_BIKE_SIMULATION = "indoor_bike_simulation"
    WHEEL_CIRCUMFERENCE = "wheel_circumference"
    SPIN_DOWN_CONTROL = "spin_down_control"
    CADENCE = "cadence"


_MACHINE_BITS = {member: bit for bit, member in enumerate(MachineFeature)}
_TARGET_BITS = {member: bit for bit, member in enumerate(TargetSetting)}


@dataclass(frozen=True, slots=True)
class MachineFeatures:
    """What the machine says it can measure (``machine``) and be told to target (``targets``)."""

    machine: frozenset[MachineFeature] = frozenset()
    targets: frozenset[TargetSetting] = frozenset()

    def to_json(self) -> dict[str, list[str]]:
        return {
            "machine_features": [str(m) for m in MachineFeature if m in self.machine],
            "target_settings": [str(t) for t in TargetSetting if t in self.targets],
        }


def decode_feature(data: bytes | bytearray | memoryview) -> MachineFeatures:
    """Decode the 8-octet value; RFU bits and trailing octets are ignored."""
    data = bytes(data)
    if len(data) < FEATURE_SIZE:
        raise DecodeError(f"fitness machine feature needs {FEATURE_SIZE} octets, got {len(data)}")
    machine_bits = int.from_bytes(data[0:4], "little")
    target_bits = int.from_bytes(data[4:8], "little")
    return MachineFeatures(
        machine=frozenset(m for m, bit in _MACHINE_BITS.items() if machine_bits >> bit & 1),
        targets=frozenset(t for t, bit in _TARGET_BITS.items() if target_bits >> bit & 1),
    )


def encode_feature(features: MachineFeatures) -> bytes:
    try:
        machine_bits = sum(1 << _MACHINE_BITS[MachineFeature(m)] for m in set(features.machine))
        target_bits = sum(1 << _TARGET_BITS[TargetSetting(t)] for t in set(features.targets))
    except ValueError as error:
        raise EncodeError(f"unknown feature: {error}") from None
    return machine_bits.to_bytes(4, "little") + target_bits.to_bytes(4, "little")
