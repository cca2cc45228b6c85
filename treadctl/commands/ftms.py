"""`treadctl ftms`: decode FTMS bytes (e.g. from an nRF Connect log), encode Control Point writes.

Only the standard library is imported at module level; the codec is imported when the command runs.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

from treadctl.errors import UsageError

_KIND_HELP = (
    "treadmill-data, machine-status, control-point, feature, speed-range, incline-range or "
    "training-status (or the 16-bit UUID, such as 2acd)"
)
# request name -> (takes a value, help)
_REQUESTS: dict[str, tuple[bool, str]] = {
    "request-control": (False, "Request Control (00)"),
    "reset": (False, "Reset (01)"),
    "set-speed": (True, "Set Target Speed, km/h (02)"),
    "set-incline": (True, "Set Target Inclination, percent (03)"),
    "start": (False, "Start or Resume (07)"),
    "stop": (False, "Stop (08 01)"),
    "pause": (False, "Pause (08 02)"),
}


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "ftms",
        parents=[common],
        help="decode or encode raw FTMS bytes",
        description="Decode FTMS characteristic values to JSON, or encode Control Point requests.",
    )
    actions = parser.add_subparsers(dest="ftms_action", metavar="ACTION")

    decode = actions.add_parser(
        "decode",
        parents=[common],
        help="decode hex bytes to one JSON object",
        description=(
            "Decode a characteristic value. HEX may contain spaces, colons or dashes and an "
            "optional 0x. Several HEX arguments to treadmill-data are the notifications of one "
            "multi-notification record."
        ),
    )
    decode.add_argument("kind", metavar="KIND", help=_KIND_HELP)
    decode.add_argument("hex", metavar="HEX", nargs="+", help="the bytes, e.g. 02e803 or 02:E8:03")
    decode.set_defaults(func=_decode)

    encode = actions.add_parser(
        "encode",
        parents=[common],
        help="print the hex of a Control Point request",
        description="Print the bytes to write to the Control Point (0x2AD9), as hex.",
        epilog="requests: "
        + "; ".join(f"{name} = {text}" for name, (_, text) in _REQUESTS.items()),
    )
    encode.add_argument("request", metavar="REQUEST", choices=list(_REQUESTS), help="see below")
    encode.add_argument("value", metavar="VALUE", nargs="?", help="km/h or percent")
    encode.set_defaults(func=_encode)

    parser.set_defaults(func=lambda args: _missing_action(parser))


def _missing_action(parser: argparse.ArgumentParser) -> int:
    parser.print_usage(sys.stderr)
    print("treadctl ftms: choose an action: decode or encode", file=sys.stderr)
    return 2


def _decode(args: argparse.Namespace) -> int:
    import json

    from treadctl.ftms.describe import decode_to_json

    try:
        decoded = decode_to_json(args.kind, args.hex)
    except ValueError as error:  # DecodeError is a ValueError
        raise UsageError(f"ftms decode: {error}") from None
    print(json.dumps(decoded))
    return 0


def _encode(args: argparse.Namespace) -> int:
    from treadctl import ftms

    takes_value, _ = _REQUESTS[args.request]
    if takes_value != (args.value is not None):
        need = "needs a value" if takes_value else "takes no value"
        raise UsageError(f"ftms encode: {args.request} {need}")
    value = 0.0
    if takes_value:
        try:
            value = float(args.value)
        except ValueError:
            raise UsageError(f"ftms encode: {args.value!r} is not a number") from None
    builders: dict[str, Callable[[], ftms.ControlRequest]] = {
        "request-control": ftms.RequestControl,
        "reset": ftms.Reset,
        "start": ftms.StartOrResume,
        "stop": lambda: ftms.StopOrPause(pause=False),
        "pause": lambda: ftms.StopOrPause(pause=True),
        "set-speed": lambda: ftms.SetTargetSpeed(value),
        "set-incline": lambda: ftms.SetTargetInclination(value),
    }
    request = builders[args.request]()
    try:
        data = ftms.encode_request(request)
    except ftms.EncodeError as error:
        raise UsageError(f"ftms encode: {error}") from None
    print(data.hex())
    return 0
