"""`treadctl probe`: read everything a treadmill offers and print a report for a bug report."""

from __future__ import annotations

import argparse
import json


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "probe",
        parents=[common],
        help="read a treadmill's FTMS details for a bug report",
        description="Connect to a treadmill, read its features, ranges and status, ask for "
        "control (the belt is never started) and print a report to paste into a bug report.",
    )
    parser.add_argument(
        "device", metavar="ADDRESS|NAME", nargs="?", help="address or advertised name"
    )
    parser.add_argument(
        "--simulate", action="store_true", help="probe the built-in simulated treadmill"
    )
    parser.add_argument(
        "--sim-personality",
        default="spec",
        metavar="NAME",
        help="simulated treadmill personality (see `treadctl sim --help`; default spec)",
    )
    parser.add_argument(
        "--quirks",
        default="",
        metavar="LIST",
        help="comma-separated device quirks to apply (e.g. mph-range,start-before-speed)",
    )
    parser.add_argument(
        "--listen", type=float, default=3.0, metavar="S", help="seconds to wait for data"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument("--hr", action="store_true", help="the device is a heart-rate strap")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    if args.hr:
        return _probe_strap(args)
    from treadctl.ble.client import FtmsClient
    from treadctl.ble.probe import probe, render_text
    from treadctl.ble.quirks import UnknownQuirk, combine
    from treadctl.clock import run
    from treadctl.errors import UsageError

    try:
        quirks = combine(args.quirks.split(",")) if args.quirks else None
    except UnknownQuirk as error:
        raise UsageError(str(error)) from None
    if args.simulate:
        from simulators.personalities import UnknownPersonality
        from treadctl.ble.simulate import SIM_ADDRESS, simulated_link

        try:
            client, _treadmill = simulated_link(
                args.sim_personality, address=args.device or SIM_ADDRESS, quirks=quirks
            )
        except UnknownPersonality as error:
            raise UsageError(str(error)) from None
    else:
        if not args.device:
            raise UsageError("probe needs the treadmill's ADDRESS or NAME (see `treadctl scan`)")
        client = FtmsClient(args.device, quirks)
    report = run(probe(client, listen_s=args.listen), virtual=args.simulate)
    if args.json:
        print(json.dumps(report.to_json(), indent=2, default=str))
    else:
        print(render_text(report))
    return 0 if report.connected else 1


def _probe_strap(args: argparse.Namespace) -> int:
    """``probe --hr``: connect to a strap, read its location and battery, listen a while."""
    from treadctl.ble.heart_rate import HeartRateStrap, probe_strap, render_probe
    from treadctl.clock import run
    from treadctl.errors import UsageError

    if args.simulate:
        from simulators.bleak_backend import SimBleakClient, SimBleakScanner
        from simulators.strap import STRAP_ADDRESS, add_simulated_strap

        add_simulated_strap(address=args.device or STRAP_ADDRESS)
        strap = HeartRateStrap(
            args.device or STRAP_ADDRESS,
            client_backend=SimBleakClient,
            scanner_backend=SimBleakScanner,
        )
    elif not args.device:
        raise UsageError("probe --hr needs the strap's ADDRESS or NAME (see `treadctl scan --hr`)")
    else:
        strap = HeartRateStrap(args.device)
    report = run(probe_strap(strap, listen_s=args.listen), virtual=args.simulate)
    print(json.dumps(report, indent=2, default=str) if args.json else render_probe(report))
    return 0 if report["connected"] else 1
