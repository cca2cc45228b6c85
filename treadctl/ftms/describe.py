"""Text in, JSON out: what ``treadctl ftms decode`` needs, kept free of argparse and printing."""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

from treadctl.ftms.control_point import ControlResponse, decode_control_point, request_to_json
from treadctl.ftms.errors import DecodeError
from treadctl.ftms.feature import decode_feature
from treadctl.ftms.machine_status import decode_machine_status
from treadctl.ftms.ranges import decode_incline_range, decode_speed_range
from treadctl.ftms.training_status import decode_training_status
from treadctl.ftms.treadmill_data import RecordAssembler, decode_treadmill_data

# Kind name -> 16-bit characteristic UUID.
KINDS: dict[str, int] = {
    "treadmill-data": 0x2ACD,
    "machine-status": 0x2ADA,
    "control-point": 0x2AD9,
    "feature": 0x2ACC,
    "speed-range": 0x2AD4,
    "incline-range": 0x2AD5,
    "training-status": 0x2AD3,
}
_BY_UUID = {f"{short:04x}": name for name, short in KINDS.items()}
_SEPARATORS = re.compile(r"[\s:,\-]+")
_HEX = re.compile(r"(?:[0-9a-fA-F]{2})+")


def kind_name(text: str) -> str:
    """Canonical kind for a name or a 16-bit UUID (``2acd``, ``0x2ACD``); ValueError if unknown."""
    key = text.strip().lower()
    if key in KINDS:
        return key
    short = key.removeprefix("0x")
    if short in _BY_UUID:
        return _BY_UUID[short]
    choices = ", ".join(KINDS)
    raise ValueError(f"unknown kind {text!r}; use one of {choices} or its UUID such as 2acd")


def parse_hex(text: str) -> bytes:
    """Bytes from hex as pasted: ``02 e8 03``, ``02:E8:03``, ``0x02e803``, ``(0x) 02-E8-03``.

    Raises ValueError naming the offending text.
    """
    cleaned = text.replace("(0x)", " ").strip()
    tokens = [t for t in _SEPARATORS.split(cleaned) if t]
    digits = "".join(t[2:] if t[:2] in ("0x", "0X") else t for t in tokens)
    if not digits:
        raise ValueError(f"no hex bytes in {text!r}")
    if not _HEX.fullmatch(digits):
        if len(digits) % 2 and re.fullmatch(r"[0-9a-fA-F]+", digits):
            raise ValueError(f"odd number of hex digits in {text!r}")
        raise ValueError(f"not hex: {text!r}")
    return bytes.fromhex(digits)


def _treadmill_data(frames: list[bytes]) -> Mapping[str, object]:
    if len(frames) == 1:
        return decode_treadmill_data(frames[0]).to_json()
    assembler = RecordAssembler()
    for index, frame in enumerate(frames, start=1):
        try:
            record = assembler.feed(frame)
        except DecodeError as error:
            raise DecodeError(f"notification {index}: {error}") from None
        if record is not None:
            if index != len(frames):
                raise DecodeError(
                    f"notification {index} of {len(frames)} ends the record (More Data bit clear);"
                    " decode the rest separately"
                )
            return record.to_json()
    raise DecodeError("the last notification has the More Data bit set: the record is incomplete")


def _control_point(data: bytes) -> Mapping[str, object]:
    decoded = decode_control_point(data)
    if isinstance(decoded, ControlResponse):
        return decoded.to_json()
    return request_to_json(decoded)


_SINGLE: dict[str, Callable[[bytes], Mapping[str, object]]] = {
    "machine-status": lambda b: decode_machine_status(b).to_json(),
    "control-point": _control_point,
    "feature": lambda b: decode_feature(b).to_json(),
    "speed-range": lambda b: decode_speed_range(b).to_json(),
    "incline-range": lambda b: decode_incline_range(b).to_json(),
    "training-status": lambda b: decode_training_status(b).to_json(),
}


def decode_to_json(kind: str, hex_args: Sequence[str]) -> Mapping[str, object]:
    """Decode the hex arguments as ``kind`` (name or UUID).

    Several arguments to treadmill-data are the notifications of one record; anywhere else (or
    when every argument is a single byte, as when hex is pasted without quotes) they are one value.
    Raises ValueError (DecodeError included) with a one-line message.
    """
    name = kind_name(kind)
    frames = [parse_hex(text) for text in hex_args]
    if not frames:
        raise ValueError("no hex bytes given")
    if name != "treadmill-data" or all(len(f) == 1 for f in frames):
        frames = [b"".join(frames)]
    if name == "treadmill-data":
        return _treadmill_data(frames)
    return _SINGLE[name](frames[0])
