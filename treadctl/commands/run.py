"""`treadctl run` (placeholder until the session engine lands)."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("run", parents=[common], help="run a session")
    parser.add_argument("profile", nargs="?")
    parser.add_argument("--simulate", action="store_true")
    parser.add_argument("--fast", action="store_true")
    parser.add_argument("--headless", action="store_true")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    print("treadctl run: not yet available", file=sys.stderr)
    return 2


def start_screen(args: argparse.Namespace) -> int:
    print("treadctl: the start screen is not yet available; see treadctl --help", file=sys.stderr)
    return 2
