"""`treadctl run PROFILE`: walk a session on the treadmill (or the simulator)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "run",
        parents=[common],
        help="run a session",
        description="Run a profile on the treadmill (or the simulator with --simulate).",
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
    parser.add_argument("--audit", metavar="FILE", help="write the audit log (JSON lines) here")
    parser.add_argument("--no-speech", action="store_true", help="no spoken cues")
    parser.add_argument(
        "--display",
        metavar="[HOST:]PORT",
        help="serve a view-only big screen (a web page for a wall tablet or TV) on PORT; "
        "localhost unless HOST is given, and then the URL carries a token",
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from treadctl.session.wiring import RunOptions, run_session

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
        display=_display(args.display),
    )
    return run_session(options)


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
    try:
        from treadctl.tui.app import run_start_ui
    except ImportError:
        print("treadctl: the start screen is not available; see treadctl --help", file=sys.stderr)
        return 2
    from treadctl.config import load_config
    from treadctl.session.wiring import RunOptions, run_session

    config_path = Path(args.config) if getattr(args, "config", None) else None
    choice = run_start_ui(load_config(config_path).config)
    if choice is None:
        return 0
    device = getattr(choice, "device", None)
    address = getattr(device, "address", None)
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
