"""`treadctl scan`: list FTMS treadmills nearby (or on the simulated air with --simulate)."""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # not typing's: --help does not load typing (mypy reads both)
if TYPE_CHECKING:
    from typing import Any


DEFAULT_TIMEOUT_S = 5.0


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
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
    add_radio_arguments(parser)
    parser.add_argument("--hr", action="store_true", help="find heart-rate straps instead")
    parser.set_defaults(func=_main)


def add_radio_arguments(parser: argparse.ArgumentParser) -> None:
    """``--transport``, ``--adapter`` and ``--quirks``, as ``run`` and ``probe`` have them."""
    parser.add_argument(
        "--transport",
        metavar="SPEC",
        help="scan through a bumble transport instead of BlueZ, e.g. tcp-client:127.0.0.1:9100 "
        "(`treadctl sim` in another terminal) or usb:0 (a dongle driven by bumble)",
    )
    parser.add_argument("--adapter", metavar="NAME", help="BlueZ adapter to use (hci0, hci1, ...)")
    parser.add_argument(
        "--quirks",
        metavar="LIST",
        help="device quirks, comma-separated (see `treadctl devices`); replaces the config's "
        "and the known-device table's",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < value <= 600:
        raise argparse.ArgumentTypeError("the timeout must be between 0 and 600 seconds")
    return value


def _main(args: argparse.Namespace) -> int:
    import json

    if args.hr:
        return _scan_straps(args)
    from treadctl.ble.links import backend_options, close_radio, parse_quirks, radio
    from treadctl.ble.quirks import resolve
    from treadctl.ble.scan import FoundMachine, scan
    from treadctl.config import config_from_args
    from treadctl.errors import UsageError
    from treadctl.virtual_time import run

    given = parse_quirks(args.quirks)
    if args.simulate and (args.transport or args.adapter):
        raise UsageError("--simulate scans the built-in simulator; drop --transport/--adapter")
    where = radio(args.transport, args.adapter)
    devices = config_from_args(args).config.devices
    options = backend_options(where)
    if args.simulate:
        from simulators.bleak_backend import SimBleakScanner
        from treadctl.simulated_link import add_simulated_treadmill

        add_simulated_treadmill()
        options = {"scanner_backend": SimBleakScanner}

    async def listen() -> list[FoundMachine]:
        try:
            return await scan(
                args.timeout,
                all_machines=args.all,
                scanner_backend=options.get("scanner_backend"),
                backend_kwargs=options.get("backend_kwargs"),
            )
        finally:
            await close_radio(where)

    found = run(listen(), virtual=args.simulate)  # a dry run need not wait in real time
    quirks = {
        m.address: resolve(m.address, m.name, given=given, device_settings=devices) for m in found
    }
    labels = {
        m.address: q.settings.name if q.settings is not None and q.settings.name else m.name
        for m, q in ((m, quirks[m.address]) for m in found)
    }
    if args.json:
        rows = []
        for m in found:
            row: dict[str, Any] = m.to_json()
            row["label"] = labels[m.address]
            row["quirks"] = list(quirks[m.address].quirks.names())
            row["quirk_source"] = quirks[m.address].source
            rows.append(row)
        print(json.dumps(rows, indent=2))
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
    name_width = max(4, *(len(labels[m.address]) for m in found))
    address_width = max(7, *(len(m.address) for m in found))
    # The QUIRKS column only when some quirk applies, so the plain table stays as it was.
    with_quirks = any(quirks[m.address].quirks.names() for m in found)
    type_width = max(4, *(len(m.type_label) for m in found)) if with_quirks else 0
    header = f"{'NAME':<{name_width}}  {'ADDRESS':<{address_width}}  {'SIGNAL':>8}  "
    print(header + (f"{'TYPE':<{type_width}}  QUIRKS" if with_quirks else "TYPE"))
    for m in found:
        signal = f"{m.rssi_dbm} dBm" if m.rssi_dbm is not None else "?"
        line = f"{labels[m.address]:<{name_width}}  {m.address:<{address_width}}  {signal:>8}  "
        if with_quirks:
            names = ", ".join(quirks[m.address].quirks.names()) or "-"
            line += f"{m.type_label:<{type_width}}  {names}"
        else:
            line += m.type_label
        print(line)
    print(f"\nNext: treadctl probe {found[0].address}", file=sys.stderr)
    return 0


def _scan_straps(args: argparse.Namespace) -> int:
    """``scan --hr``: devices advertising the Heart Rate Service (README "Heart rate")."""
    import json

    from treadctl.ble.heart_rate import scan_straps
    from treadctl.virtual_time import run

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
