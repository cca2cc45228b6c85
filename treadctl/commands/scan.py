"""`treadctl scan`: list FTMS treadmills nearby (or on the simulated air with --simulate)."""

from __future__ import annotations

import argparse
import json
import sys

DEFAULT_TIMEOUT_S = 5.0


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "scan",
        parents=[common],
        help="find FTMS treadmills nearby",
        description="Listen for Bluetooth FTMS treadmills and list name, address and signal. "
        "Machines that do not say which kind they are are listed too.",
    )
    parser.add_argument(
        "--all", action="store_true", help="list every FTMS machine (bikes, rowers, ...)"
    )
    parser.add_argument(
        "--timeout",
        type=_seconds,
        default=DEFAULT_TIMEOUT_S,
        metavar="S",
        help=f"seconds to listen (default {DEFAULT_TIMEOUT_S:g})",
    )
    parser.add_argument(
        "--simulate", action="store_true", help="scan the built-in simulated treadmill instead"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of a table")
    parser.add_argument("--hr", action="store_true", help="find heart-rate straps instead")
    parser.set_defaults(func=_main)


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError("the timeout must be between 0 and 600 seconds")
    return value


def _main(args: argparse.Namespace) -> int:
    if args.hr:
        return _scan_straps(args)
    from treadctl.ble.scan import scan
    from treadctl.clock import run

    scanner_backend = None
    if args.simulate:
        from simulators.bleak_backend import SimBleakScanner
        from treadctl.ble.simulate import add_simulated_treadmill

        add_simulated_treadmill()
        scanner_backend = SimBleakScanner
    found = run(
        scan(args.timeout, all_machines=args.all, scanner_backend=scanner_backend),
        virtual=args.simulate,  # a dry run need not wait in real time
    )
    if args.json:
        print(json.dumps([m.to_json() for m in found], indent=2))
        return 0
    if not found:
        what = "FTMS machines" if args.all else "FTMS treadmills"
        print(
            f"No {what} heard in {args.timeout:g} s. Switch the treadmill on (some wake up only "
            "when the belt is touched or a key is pressed), stay close, and try a longer "
            "--timeout.",
            file=sys.stderr,
        )
        return 0
    name_width = max(4, *(len(m.name) for m in found))
    address_width = max(7, *(len(m.address) for m in found))
    print(f"{'NAME':<{name_width}}  {'ADDRESS':<{address_width}}  {'SIGNAL':>8}  TYPE")
    for m in found:
        signal = f"{m.rssi_dbm} dBm" if m.rssi_dbm is not None else "?"
        print(f"{m.name:<{name_width}}  {m.address:<{address_width}}  {signal:>8}  {m.type_label}")
    print(f"\nNext: treadctl probe {found[0].address}", file=sys.stderr)
    return 0


def _scan_straps(args: argparse.Namespace) -> int:
    """``scan --hr``: devices advertising the Heart Rate Service (README "Heart rate")."""
    from treadctl.ble.heart_rate import scan_straps
    from treadctl.clock import run

    scanner_backend = None
    if args.simulate:
        from simulators.bleak_backend import SimBleakScanner
        from simulators.strap import add_simulated_strap

        add_simulated_strap()
        scanner_backend = SimBleakScanner
    found = run(scan_straps(args.timeout, scanner_backend=scanner_backend), virtual=args.simulate)
    if args.json:
        print(json.dumps([f.to_json() for f in found], indent=2))
        return 0
    if not found:
        print(
            f"No heart-rate straps heard in {args.timeout:g} s. Wet the electrodes and put the "
            "strap on (most only wake up on skin), stay close, and try a longer --timeout.",
            file=sys.stderr,
        )
        return 0
    for f in found:
        signal = f"{f.rssi_dbm} dBm" if f.rssi_dbm is not None else "?"
        print(f"{f.name}  {f.address}  {signal}")
    print(f"\nNext: treadctl probe --hr {found[0].address}", file=sys.stderr)
    return 0
