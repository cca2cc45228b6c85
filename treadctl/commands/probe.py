"""`treadctl probe`: read everything a treadmill offers and print a report for a bug report."""

from __future__ import annotations

import argparse

from treadctl.commands.scan import add_radio_arguments

TYPE_CHECKING = False  # not typing's: --help does not load typing (mypy reads both)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

PROBE_AUDIT_FILE = "probe.jsonl"


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
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
        "--listen", type=float, default=3.0, metavar="S", help="seconds to wait for data"
    )
    parser.add_argument("--json", action="store_true", help="print the report as JSON")
    parser.add_argument(
        "--audit",
        metavar="FILE",
        help="write the probe's audit log (JSON lines: every Control Point write and its "
        "answer) here; default: a new folder under the session folders",
    )
    add_radio_arguments(parser)
    parser.add_argument("--hr", action="store_true", help="the device is a heart-rate strap")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    if args.hr:
        return _probe_strap(args)
    from treadctl.ble.links import check_radio, close_radio, make_client, parse_quirks, radio
    from treadctl.ble.probe import ProbeReport, probe, render_text
    from treadctl.config import config_from_args
    from treadctl.errors import UsageError
    from treadctl.virtual_time import run

    quirks = parse_quirks(args.quirks)
    if args.simulate and (args.transport or args.adapter):
        raise UsageError("--simulate probes the built-in simulator; drop --transport/--adapter")
    where = radio(args.transport, args.adapter)
    if args.simulate:
        from simulators.personalities import UnknownPersonality
        from treadctl.simulated_link import SIM_ADDRESS, simulated_link

        try:
            client, _treadmill = simulated_link(
                args.sim_personality, address=args.device or SIM_ADDRESS, quirks=quirks
            )
        except UnknownPersonality as error:
            raise UsageError(str(error)) from None
    else:
        if not args.device and where.uses_bluez:
            raise UsageError("probe needs the treadmill's ADDRESS or NAME (see `treadctl scan`)")
        devices = config_from_args(args).config.devices
        check_radio(where)  # no Bluetooth: one line, before any file is written
        client = make_client(args.device or "", where, quirks, devices)
    from pathlib import Path

    audit_path = Path(args.audit) if args.audit else _default_audit_path(args.device or "probe")
    audit = _AuditFile(audit_path)

    async def go() -> ProbeReport:
        try:
            return await probe(client, listen_s=args.listen, audit=audit.write)
        finally:
            await close_radio(where)

    try:
        report = run(go(), virtual=args.simulate)
    finally:
        audit.close()
    report.audit_path = str(audit_path)
    if args.json:
        import json

        print(json.dumps(report.to_json(), indent=2, default=str))
    else:
        print(render_text(report))
    return 0 if report.connected else 1


def _default_audit_path(target: str) -> Path:
    """``<data dir>/sessions/<stamp>-probe-<target>/probe.jsonl``, beside the session logs."""
    from treadctl.session.audit import new_session_dir

    return new_session_dir(f"probe-{target}") / PROBE_AUDIT_FILE


class _AuditFile:
    """JSON lines, flushed line by line (a killed probe keeps what it wrote)."""

    def __init__(self, path: Path) -> None:
        from treadctl.errors import UsageError

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            self._file: Any = path.open("w", encoding="utf-8")
        except OSError as error:
            raise UsageError(f"cannot write the audit log {path}: {error.strerror}") from None

    def write(self, record: dict[str, Any]) -> None:
        if self._file is not None:
            import json

            self._file.write(json.dumps(record, separators=(",", ":"), default=str) + "\n")
            self._file.flush()

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


def _probe_strap(args: argparse.Namespace) -> int:
    """``probe --hr``: connect to a strap, read its location and battery, listen a while."""
    from treadctl.ble.heart_rate import HeartRateStrap, probe_strap, render_probe
    from treadctl.errors import UsageError
    from treadctl.virtual_time import run

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
    import json

    print(json.dumps(report, indent=2, default=str) if args.json else render_probe(report))
    return 0 if report["connected"] else 1
