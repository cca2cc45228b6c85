"""The simulated treadmill's own command line: ``python -m simulators`` and ``treadctl sim``.

It lives with the simulator so that the dependency runs one way: ``treadctl``'s command layer
imports this module, and nothing here imports ``treadctl``'s command layer.
"""

from __future__ import annotations

import argparse
import sys

DEFAULT_TRANSPORT = "tcp-server:127.0.0.1:9100"
DEFAULT_ADDRESS = "F0:F0:F0:F0:F0:01"
DEVICE_INFORMATION_FLAGS = (
    ("--manufacturer", "manufacturer"),
    ("--model", "model"),
    ("--firmware", "firmware_revision"),
    ("--serial", "serial_number"),
)


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--personality", default="spec", metavar="NAME", help="quirk preset (default: spec)"
    )
    parser.add_argument(
        "--list-personalities", action="store_true", help="list the personalities and exit"
    )
    parser.add_argument(
        "--fault",
        action="append",
        default=[],
        metavar="NAME@SECONDS[+DURATION]",
        help="inject a fault SECONDS after the belt's first Start (repeatable)",
    )
    parser.add_argument("--list-faults", action="store_true", help="list the faults and exit")
    parser.add_argument("--json", action="store_true", help="with --list-*: print JSON for scripts")
    parser.add_argument(
        "--transport",
        default=DEFAULT_TRANSPORT,
        metavar="SPEC",
        help=f"bumble transport: tcp-server:HOST:PORT (virtual link), usb:0, serial:... "
        f"(default {DEFAULT_TRANSPORT})",
    )
    parser.add_argument("--name", default="treadctl sim", help="advertised name")
    parser.add_argument("--address", default=DEFAULT_ADDRESS, help="Bluetooth address")
    parser.add_argument(
        "--duration", type=float, default=None, metavar="SECONDS", help="stop after this long"
    )
    for flag, field in DEVICE_INFORMATION_FLAGS:
        parser.add_argument(
            flag,
            dest=field,
            metavar="TEXT",
            help=f"Device Information {field.replace('_', ' ')} to serve (default: the "
            "personality's)",
        )
    parser.add_argument(
        "--show-commands",
        action="store_true",
        help="print every Control Point procedure the treadmill executes, with its result",
    )
    _add_strap_arguments(parser)


def _add_strap_arguments(parser: argparse.ArgumentParser) -> None:
    """A simulated heart-rate strap beside the treadmill (README "Heart rate")."""
    parser.add_argument(
        "--sim-hr", metavar="BPM[@S],...", help="also serve a heart-rate strap, e.g. 90,120@60"
    )
    parser.add_argument(
        "--sim-hr-fault",
        action="append",
        default=[],
        metavar="NAME@SECONDS[+DURATION]",
        help="strap fault (repeatable): frozen, contact-lost, drop, battery-low",
    )


def _strap(args: argparse.Namespace) -> object | None:
    from simulators.strap import SimulatedStrap, StrapSpecError, parse_schedule, parse_strap_fault
    from treadctl.errors import UsageError

    if not args.sim_hr and not args.sim_hr_fault:
        return None
    if not args.transport.startswith(("tcp-server", "ws-server", "pty")):
        raise UsageError("--sim-hr needs the virtual link (a tcp-server:HOST:PORT transport)")
    try:
        schedule = parse_schedule(args.sim_hr) if args.sim_hr else None
        faults = tuple(parse_strap_fault(spec) for spec in args.sim_hr_fault)
    except StrapSpecError as error:
        raise UsageError(str(error)) from None
    return SimulatedStrap(schedule, faults)


def run(args: argparse.Namespace) -> int:
    from simulators import (
        FaultSpecError,
        UnknownPersonality,
        describe_personalities,
        parse_fault,
        personality,
    )
    from simulators.faults import FAULT_HELP
    from treadctl.errors import UsageError

    if args.list_personalities:
        listed = list(describe_personalities())
        if args.json:
            _print_json([{"name": name, "description": text} for name, text in listed])
            return 0
        for name, description in listed:
            print(f"{name:28} {description}")
        return 0
    if args.list_faults:
        if args.json:
            _print_json([{"name": k.value, "description": t} for k, t in FAULT_HELP.items()])
            return 0
        for kind, description in FAULT_HELP.items():
            print(f"{kind.value:18} {description}")
        from simulators.strap import STRAP_FAULT_HELP

        for strap_kind, description in STRAP_FAULT_HELP.items():
            print(f"{strap_kind.value:18} (strap, --sim-hr-fault) {description}")
        return 0
    try:
        config = personality(args.personality)
        faults = [parse_fault(spec) for spec in args.fault]
        overrides = {
            field: getattr(args, field)
            for _flag, field in DEVICE_INFORMATION_FLAGS
            if getattr(args, field, None) is not None
        }
        if overrides:
            from dataclasses import replace

            config = replace(config, device_information=True, **overrides)
    except (UnknownPersonality, FaultSpecError) as error:
        raise UsageError(str(error)) from None
    if args.duration is not None and args.duration <= 0:
        raise UsageError("--duration must be more than 0 seconds")
    strap = _strap(args)
    try:
        import bumble  # noqa: F401
    except ImportError:
        raise UsageError(
            "the simulator's radio needs bumble: pip install 'treadctl[sim]'"
        ) from None
    import asyncio

    from simulators.serve import TransportUnavailable, serve

    try:
        asyncio.run(
            serve(
                config,
                faults,
                transport=args.transport,
                name=args.name,
                address=args.address,
                duration_s=args.duration,
                show_commands=args.show_commands,
                strap=strap,
            )
        )
    except TransportUnavailable as error:
        raise UsageError(str(error)) from None
    except (OSError, ValueError) as error:
        raise UsageError(f"cannot open transport {args.transport!r}: {error}") from None
    return 0


def _print_json(items: list[dict[str, str]]) -> None:
    import json

    print(json.dumps(items, indent=2))


def standalone(argv: list[str]) -> int:
    """``python -m simulators``: the same options, without the treadctl front end."""
    from treadctl.errors import TreadctlError

    parser = argparse.ArgumentParser(
        prog="python -m simulators",
        description="Run the simulated FTMS treadmill as a bumble GATT peripheral.",
    )
    configure(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except TreadctlError as error:
        print(f"simulators: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): nothing left to tell it, and no traceback.
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
