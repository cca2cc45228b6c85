"""`treadctl sim`: run the software FTMS treadmill on its own (bumble), pick a personality and
faults, or list them. The options and the work are the simulator's own (``simulators.cli``)."""

from __future__ import annotations

import argparse

from simulators.cli import configure, run


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "sim",
        parents=[common],
        help="run the simulated treadmill on its own",
        description="Run the simulated FTMS treadmill as a bumble GATT peripheral.",
    )
    configure(parser)
    parser.set_defaults(func=run)
