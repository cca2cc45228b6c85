"""`treadctl sim` (placeholder until its issue lands)."""

from __future__ import annotations

import argparse
import sys


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("sim", parents=[common], help="sim (not yet available)")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    print("treadctl sim: not yet available", file=sys.stderr)
    return 2
