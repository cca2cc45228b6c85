"""Training Status (0x2AD3): flags, a status code and an optional UTF-8 string."""

from __future__ import annotations

from dataclasses import dataclass

from treadctl.ftms.errors import DecodeError, EncodeError

STRING_PRESENT = 0x01
EXTENDED_STRING = 0x02  # the string continues beyond the MTU (read with Read Long)

STATUS_NAMES: dict[int, str] = {
    0x00: "other",
    0x01: "idle",
    0x02: "warming_up",
    0x03: "low_intensity_interval",
    0x04: "high_intensity_interval",
    0x05: "recovery_interval",
    0x06: "isometric",
    0x07: "heart_rate_control",
    0x08: "fitness_test",
    0x09: "speed_outside_control_region_low",
    0x0A: "speed_outside_control_region_high",
    0x0B: "cool_down",
    0x0C: "watt_control",
    0x0D: "manual_mode",
    0x0E: "pre_workout",
    0x0F: "post_workout",
}


def status_name(code: int) -> str:
    return STATUS_NAMES.get(code, "reserved")


@dataclass(frozen=True, slots=True)
class TrainingStatus:
    """``name`` follows from ``code`` when left empty; ``text`` is None when no string was sent."""

    code: int
    name: str = ""
    text: str | None = None
    extended_string: bool = False

    def __post_init__(self) -> None:
        if not self.name:
            object.__setattr__(self, "name", status_name(self.code))

    def to_json(self) -> dict[str, str | int | bool]:
        out: dict[str, str | int | bool] = {"status": self.name, "status_code": self.code}
        if self.text is not None:
            out["text"] = self.text
        if self.extended_string:
            out["extended_string"] = True
        return out


def decode_training_status(data: bytes | bytearray | memoryview) -> TrainingStatus:
    """Decode; an undecodable string is kept with replacement characters rather than refused."""
    data = bytes(data)
    if len(data) < 2:
        raise DecodeError(f"training status needs at least 2 octets, got {len(data)}")
    flags, code = data[0], data[1]
    text = data[2:].decode("utf-8", errors="replace") if flags & STRING_PRESENT else None
    return TrainingStatus(code, text=text, extended_string=bool(flags & EXTENDED_STRING))


def encode_training_status(status: TrainingStatus) -> bytes:
    if not 0 <= status.code <= 0xFF:
        raise EncodeError(f"training status code {status.code} is outside 0..255")
    if status.name != status_name(status.code):
        raise EncodeError(f"training status {status.code} is named {status_name(status.code)!r}")
    flags = (STRING_PRESENT if status.text is not None else 0) | (
        EXTENDED_STRING if status.extended_string else 0
    )
    text = b"" if status.text is None else status.text.encode("utf-8")
    return bytes((flags, status.code)) + text
