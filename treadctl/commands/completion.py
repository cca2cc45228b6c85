"""`treadctl completion SHELL`: a tab-completion script for bash, zsh or fish.

The script is generated from the command line's own argparse tree (``cli.build_parser``), so
every command, action, option and choice a later version adds completes without anyone writing
lists by hand. Each script works out the command path typed so far (``profile new``), then
offers that node's sub-commands and options, the choices of an option that has them, and file
names for options that take a file. Profile names complete from ``treadctl profile list --json``.
"""

from __future__ import annotations

import argparse

SHELLS = ("bash", "zsh", "fish")  # the keys of treadctl.completion_scripts.SCRIPTS


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "completion",
        parents=[common],
        help="print a shell completion script (bash, zsh, fish)",
        description="Print a tab-completion script for your shell. Install it with one of:\n"
        "  bash: treadctl completion bash > ~/.local/share/bash-completion/completions/treadctl\n"
        "  zsh:  treadctl completion zsh > ~/.zfunc/_treadctl  (with ~/.zfunc in $fpath)\n"
        "  fish: treadctl completion fish > ~/.config/fish/completions/treadctl.fish",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("shell", choices=SHELLS)
    parser.add_argument(
        "--profiles",
        action="store_true",
        help=argparse.SUPPRESS,  # used by the scripts: print the profile names, one a line
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    if args.profiles:
        from treadctl.profile.loading import known_profile_slugs

        for slug in known_profile_slugs():
            print(slug)
        return 0
    from treadctl.completion_scripts import SCRIPTS, command_tree

    root: argparse.ArgumentParser = args.root_parser
    tree = command_tree(root)
    print(SCRIPTS[args.shell](tree), end="")
    return 0
