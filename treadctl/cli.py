"""The ``treadctl`` command line: a thin dispatcher.

Each sub-command lives in ``treadctl/commands/<name>.py`` and exposes ``add_parser(subparsers,
common)``, which registers its parser and sets ``func`` (``args -> exit status``). Command modules
import only the standard library at module level; heavy packages (textual, bleak, aiomqtt, pydantic
models) are imported inside the functions that need them, so ``treadctl --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from treadctl import __version__
from treadctl.errors import EXIT_BAD_INPUT, EXIT_INTERRUPTED, TreadctlError

# Order is the order shown in --help.
COMMAND_MODULES = (
    "run",
    "profile",
    "scan",
    "probe",
    "sim",
    "history",
    "export",
    "progress",
    "config",
    "ftms",
    "completion",
)


def _common_parser() -> argparse.ArgumentParser:
    """Options every sub-command accepts."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "--config",
        metavar="FILE",
        # SUPPRESS: a sub-command's copy of the option must not reset one given before it
        default=argparse.SUPPRESS,
        help="configuration file to use instead of the default one",
    )
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _common_parser()
    from treadctl.suggest import SuggestingParser

    parser = SuggestingParser(
        prog="treadctl",
        description="Backward-walking interval sessions on a Bluetooth FTMS treadmill.",
        parents=[common],
    )
    parser.add_argument("--version", action="version", version=f"treadctl {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"treadctl.commands.{name}")
        module.add_parser(subparsers, common)
    return parser


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    try:
        if func is None:
            if _interactive():
                from treadctl.commands.run import start_screen

                return start_screen(args)
            parser.print_help()
            return 0
        status: int = func(args)
        return status
    except TreadctlError as error:
        print(f"treadctl: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("treadctl: interrupted", file=sys.stderr)
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    sys.exit(main())
