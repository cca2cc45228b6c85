"""The ``treadctl`` command line: a thin dispatcher.

Each sub-command lives in ``treadctl/commands/<name>.py`` and exposes ``add_parser(subparsers,
common)``, which registers its parser and sets ``func`` (``args -> exit status``). Command modules
import only the standard library at module level; heavy packages (textual, bleak, aiomqtt, pydantic
models) are imported inside the functions that need them, so ``treadctl --help`` stays fast.
"""

from __future__ import annotations

import argparse
import importlib
import os
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
    "devices",
    "sim",
    "history",
    "export",
    "progress",
    "config",
    "ftms",
    "hr",
    "prescription",
    "report",
    "clinic",
    "completion",
)


def _common_parser(*, top_level: bool) -> argparse.ArgumentParser:
    """Options accepted before or after the sub-command (``treadctl --config F run …`` and
    ``treadctl run … --config F``). Only the top level sets defaults: a sub-command's copy uses
    ``SUPPRESS``, so leaving an option out after the sub-command never overwrites the value
    given before it (argparse would otherwise reset it to the default)."""
    common = argparse.ArgumentParser(add_help=False)
    default = None if top_level else argparse.SUPPRESS
    common.add_argument(
        "--config",
        metavar="FILE",
        default=default,
        help="configuration file to use instead of the default one",
    )
    _add_person_option(common)
    return common


def _add_person_option(common: argparse.ArgumentParser) -> None:
    """``--person NAME`` before or after the sub-command. SUPPRESS: a sub-command's parser
    that did not see the option leaves the value the main parser found alone."""
    common.add_argument(
        "--person",
        metavar="NAME",
        default=argparse.SUPPRESS,
        help="whose configuration, caps, history and program to use (default: the config's "
        "[people] default, else the default person)",
    )


def _select_person(args: argparse.Namespace) -> str | None:
    """Select the person for this invocation; returns the previous selection to restore."""
    from treadctl import paths
    from treadctl.person import resolve

    name, source = resolve(getattr(args, "person", None), getattr(args, "config", None))
    args.person, args.person_source = name, source
    return paths.set_person(name)


def _english_argparse() -> None:
    """argparse runs each of its strings through gettext while the parser is built, and gettext
    looks for a catalogue on disk every time (about 120 look-ups): 20 ms of a 110 ms
    ``treadctl --help``, measured. treadctl's words are English only, so argparse's are used as
    written, the same on every machine."""
    argparse._ = str  # type: ignore[attr-defined]


def build_parser() -> argparse.ArgumentParser:
    _english_argparse()
    common = _common_parser(top_level=False)
    from treadctl.suggest import SuggestingParser

    parser = SuggestingParser(
        prog="treadctl",
        description="Backward-walking interval sessions on a Bluetooth FTMS treadmill.",
        parents=[_common_parser(top_level=True)],
    )
    parser.add_argument("--version", action="version", version=f"treadctl {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        module = importlib.import_module(f"treadctl.commands.{name}")
        module.add_parser(subparsers, common)
    # Commands that describe the whole command line (``completion``) read it from here rather
    # than importing this module back.
    parser.set_defaults(root_parser=parser)
    return parser


def _interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()


def missing_part(error: ImportError) -> str:
    """What cannot be loaded, and what to do about it."""
    name = error.name or str(error)
    top = name.split(".")[0]
    if top in ("treadctl", "simulators"):
        return f"a part of treadctl cannot be loaded ({name}: {error}); reinstall treadctl"
    return f"the package {top!r} cannot be loaded ({error}); reinstall treadctl and what it needs"


def _no_pydantic_plugins() -> None:
    """treadctl uses no pydantic plugins, and looking for them reads the metadata of every
    installed package when the first model is built: about 30 ms of a run's start (measured,
    README "Performance"). A value the user set wins."""
    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")


def main(argv: Sequence[str] | None = None) -> int:
    _no_pydantic_plugins()
    parser = build_parser()
    args = parser.parse_args(argv)
    func = getattr(args, "func", None)
    previous_person: str | None = None
    try:
        previous_person = _select_person(args)
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
    except ImportError as error:
        # The one place a part that cannot be loaded is reported (a broken or partial install):
        # a clear line, exit 2, never a session that runs without the part. Modules import
        # their own dependencies plainly; none falls back quietly.
        print(f"treadctl: {missing_part(error)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    finally:
        from treadctl import paths

        paths.set_person(previous_person)


def entry() -> int:
    """The ``treadctl`` command and ``python -m treadctl``: ``main``, then a quick way out.

    When ``main`` returns, every file treadctl writes is closed (each sink closes its own; user
    files are replaced atomically) and Stop has been sent. All the interpreter still does is a
    final collection over everything the run ever loaded, about 100 ms of a dry run that
    changes nothing on disk (measured, README "Performance"): the objects are frozen out of it
    and left to the operating system. ``atexit`` handlers and thread joins still run.
    """
    import gc

    status = main()
    gc.freeze()
    return status


if __name__ == "__main__":
    sys.exit(entry())
