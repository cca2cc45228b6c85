"""`treadctl run PROFILE`: walk a session on the treadmill (or the simulator)."""

from __future__ import annotations

import argparse
import sys

# A constant, not typing.TYPE_CHECKING: mypy reads it the same way, and ``treadctl --help``
# does not load typing for it.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    from treadctl.config import Config

EXIT_STATUSES = """exit status:
  0    the session completed and the belt was confirmed at rest
  2    bad input (profile, configuration, arguments, no Bluetooth); the belt never moved
  3    a safety stop (fault, safety key, console stop, lost control, watchdog, link not
       recovered) with the belt confirmed at rest
  4    THE BELT MAY STILL BE MOVING: treadctl could not confirm that it stopped (no data,
       the treadmill ignored Stop, the link did not come back); use the console stop
  130  interrupted (Ctrl-C, SIGTERM, SIGHUP, SIGQUIT, a closed output pipe, the quit key),
       after Stop, with the belt confirmed at rest"""


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "run",
        parents=[common],
        help="run a session",
        description="Run a profile on the treadmill (or the simulator with --simulate).",
        epilog=EXIT_STATUSES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "profile",
        metavar="PROFILE",
        nargs="?",
        help="profile name or .toml file (on a terminal, leave it out to pick one)",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--device", metavar="ADDRESS", help="treadmill address or name")
    where.add_argument("--simulate", action="store_true", help="use the built-in simulator")
    parser.add_argument("--headless", action="store_true", help="progress lines, no terminal UI")
    parser.add_argument(
        "--fast", action="store_true", help="with --simulate: run on a virtual clock, at once"
    )
    parser.add_argument(
        "--sim-personality", metavar="NAME", default="spec", help="simulator personality"
    )
    parser.add_argument(
        "--sim-fault",
        metavar="NAME@SECONDS",
        action="append",
        default=[],
        help="inject a simulator fault (repeatable), e.g. safety-key@300",
    )
    _add_heart_rate_arguments(parser)
    parser.add_argument("--audit", metavar="FILE", help="write the audit log (JSON lines) here")
    parser.add_argument(
        "--quirks",
        metavar="LIST",
        help="device quirks to apply, comma-separated (see `treadctl devices`); replaces the "
        "config's and the known-device table's",
    )
    parser.add_argument(
        "--transport",
        metavar="SPEC",
        help="reach the treadmill through a bumble transport instead of BlueZ, e.g. "
        "tcp-client:127.0.0.1:9100 (`treadctl sim` in another terminal) or usb:0",
    )
    parser.add_argument("--adapter", metavar="NAME", help="BlueZ adapter to use (hci0, hci1, ...)")
    parser.add_argument("--no-speech", action="store_true", help="no spoken cues")
    parser.add_argument(
        "--display",
        metavar="[HOST:]PORT",
        help="serve a view-only big screen (a web page for a wall tablet or TV) on PORT; "
        "localhost unless HOST is given, and then the URL carries a token",
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from treadctl.wiring import RunOptions, run_session

    headless = bool(args.headless) or not (sys.stdin.isatty() and sys.stdout.isatty())
    if args.profile is None:
        if headless:
            from treadctl.errors import UsageError

            raise UsageError("no profile given: treadctl run PROFILE (see `treadctl profile list`)")
        return start_screen(args)
    options = RunOptions(
        profile=args.profile,
        device=args.device,
        simulate=bool(args.simulate),
        headless=headless,
        fast=bool(args.fast),
        personality=args.sim_personality,
        faults=tuple(args.sim_fault),
        audit=Path(args.audit) if args.audit else None,
        config=Path(args.config) if getattr(args, "config", None) else None,
        speech=not args.no_speech,
        quirks=args.quirks,
        transport=args.transport,
        adapter=args.adapter,
        **_heart_rate_options(args),
        display=_display(args.display),
    )
    if headless:
        _print_walker_notes()
    return run_session(options)


def _add_heart_rate_arguments(parser: argparse.ArgumentParser) -> None:
    """The strap, the simulated strap and the check-ins (README "Heart rate", "Check-ins")."""
    parser.add_argument("--hr", metavar="ADDRESS", help="heart-rate strap address or name")
    parser.add_argument(
        "--sim-hr", metavar="BPM[@S],...", help="with --simulate: a simulated strap, e.g. 90,120@60"
    )
    parser.add_argument(
        "--sim-hr-fault",
        metavar="NAME@SECONDS",
        action="append",
        default=[],
        help="simulated strap fault (repeatable): frozen, contact-lost, drop, battery-low",
    )
    for flag, what in (
        ("--effort", "effort of this session, RPE 0-10 (headless check-in)"),
        ("--pain", "knee pain after this session, 0-10 (headless check-in)"),
        ("--morning-pain", "knee pain the morning after the last session, 0-10"),
    ):
        parser.add_argument(flag, metavar="N", type=_zero_to_ten, help=what)


def _zero_to_ten(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if not 0 <= value <= 10:
        raise argparse.ArgumentTypeError("must be between 0 and 10")
    return value


def _heart_rate_options(args: argparse.Namespace) -> dict[str, Any]:
    from treadctl.checkins.flow import CheckinAnswers

    return {
        "hr_device": args.hr,
        "sim_hr": args.sim_hr,
        "sim_hr_faults": tuple(args.sim_hr_fault),
        "checkin": CheckinAnswers(args.effort, args.pain, args.morning_pain),
    }


def _print_walker_notes() -> None:
    """The physiotherapist's notes from the person's prescription, before the session starts."""
    from treadctl.prescription.loading import walker_notes

    notes = walker_notes()
    if notes:
        print(f"Notes from your prescription: {notes}", flush=True)


def _display(value: str | None) -> str | None:
    """Check ``--display`` before anything connects (one-line errors, exit 2)."""
    if value is None:
        return None
    import importlib.util

    from treadctl.display.address import parse_display
    from treadctl.errors import UsageError

    parse_display(value)
    if importlib.util.find_spec("aiohttp") is None:
        raise UsageError(
            "--display needs the big-screen extra: pip install 'treadctl[display]' (aiohttp)"
        )
    return value


def start_screen(args: argparse.Namespace) -> int:
    """``treadctl`` alone on a terminal: pick a profile and a treadmill, then run it."""
    from pathlib import Path

    from treadctl.tui.app import run_start_ui
    from treadctl.tui.person_picker import choose_person_if_needed

    if not choose_person_if_needed(getattr(args, "person_source", "default")):
        return 0
    config_path = Path(args.config) if getattr(args, "config", None) else None

    def read_config() -> Config:  # after the start screen's first paint (pydantic is slow)
        from treadctl.config import load_config

        return load_config(config_path).config

    choice = run_start_ui(read_config)
    if choice is None:
        return 0
    from treadctl.wiring import RunOptions, run_session

    address = choice.device.address
    options = RunOptions(
        profile=str(choice.profile_path),
        device=address,
        simulate=address is None,
        headless=False,
        audit=Path(args.audit) if getattr(args, "audit", None) else None,
        config=config_path,
        speech=not getattr(args, "no_speech", False),
    )
    return run_session(options)
