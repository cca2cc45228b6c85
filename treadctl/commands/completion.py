"""`treadctl completion SHELL`: a tab-completion script for bash, zsh or fish.

The script is generated from the command line's own argparse tree (``cli.build_parser``), so
every command, action, option and choice a later version adds completes without anyone writing
lists by hand. Each script works out the command path typed so far (``profile new``), then
offers that node's sub-commands and options, the choices of an option that has them, and file
names for options that take a file. Profile names complete from ``treadctl profile list --json``.
"""

from __future__ import annotations

import argparse
import shlex
from dataclasses import dataclass, field

SHELLS = ("bash", "zsh", "fish")
# Positionals that name a profile: their values complete from the profile library.
PROFILE_DESTS = frozenset({"profile"})


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
    root: argparse.ArgumentParser = args.root_parser
    tree = command_tree(root)
    print(SCRIPTS[args.shell](tree), end="")
    return 0


# --- the tree ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Option:
    flags: tuple[str, ...]
    help: str
    takes_value: bool
    choices: tuple[str, ...] = ()
    is_file: bool = False


@dataclass
class Node:
    """One command (``()`` is ``treadctl`` itself): its sub-commands, options, positionals."""

    path: tuple[str, ...]
    help: str = ""
    children: dict[str, Node] = field(default_factory=dict)
    options: list[Option] = field(default_factory=list)
    positional_choices: tuple[str, ...] = ()
    profile_positional: bool = False

    def walk(self) -> list[Node]:
        nodes = [self]
        for child in self.children.values():
            nodes.extend(child.walk())
        return nodes


_FILE_WORDS = ("FILE", "DIR", "PATH")


def command_tree(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> Node:
    node = Node(path, help=parser.description or "")
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            helps = {choice.dest: choice.help or "" for choice in action._choices_actions}
            for name, sub in action.choices.items():
                child = command_tree(sub, (*path, name))
                child.help = helps.get(name, "")
                node.children[name] = child
            continue
        if action.help == argparse.SUPPRESS:
            continue
        if action.option_strings:
            metavar = str(action.metavar or "")
            node.options.append(
                Option(
                    flags=tuple(action.option_strings),
                    help=_plain(_expanded_help(action, parser.prog)),
                    takes_value=action.nargs != 0,
                    choices=tuple(str(c) for c in action.choices or ()),
                    is_file=any(word in metavar for word in _FILE_WORDS),
                )
            )
        else:
            if action.choices:
                node.positional_choices = tuple(str(c) for c in action.choices)
            if action.dest in PROFILE_DESTS:
                node.profile_positional = True
    return node


def _expanded_help(action: argparse.Action, prog: str) -> str:
    """The help text as ``--help`` shows it (``%(default)s`` filled in)."""
    text = action.help or ""
    try:
        return text % {**vars(action), "prog": prog}
    except (KeyError, TypeError, ValueError):
        return text


def _plain(text: str) -> str:
    return " ".join(text.split())


def _paths(tree: Node) -> list[str]:
    return [" ".join(node.path) for node in tree.walk() if node.path]


# --- bash -------------------------------------------------------------------------------------


def bash_script(tree: Node) -> str:
    known = "|".join(shlex.quote(p) for p in _paths(tree))
    value_cases: list[str] = []
    word_cases: list[str] = []
    for node in tree.walk():
        key = " ".join(node.path)
        for option in node.options:
            if not option.takes_value:
                continue
            cases = "|".join(f"{shlex.quote(key + '|' + flag)}" for flag in option.flags)
            if option.choices:
                choices = shlex.quote(" ".join(option.choices))
                value_cases.append(
                    f'        {cases}) COMPREPLY=($(compgen -W {choices} -- "$cur")); return;;'
                )
            elif option.is_file:
                value_cases.append(
                    f'        {cases}) COMPREPLY=($(compgen -f -- "$cur")); return;;'
                )
            else:  # a number, an address, a duration: nothing to offer
                value_cases.append(f"        {cases}) COMPREPLY=(); return;;")
        flags = [flag for option in node.options for flag in option.flags]
        words = [*node.children, *node.positional_choices, *flags]
        profiles = (
            " $(treadctl completion bash --profiles 2>/dev/null)" if node.profile_positional else ""
        )
        word_cases.append(
            f'        {shlex.quote(key)}) words={shlex.quote(" ".join(words))}"{profiles}";;'
        )
    return f"""\
# bash completion for treadctl (generated by `treadctl completion bash`)
_treadctl() {{
    local cur="${{COMP_WORDS[COMP_CWORD]}}" prev="${{COMP_WORDS[COMP_CWORD-1]}}"
    local cmdpath="" w i words=""
    for ((i = 1; i < COMP_CWORD; i++)); do
        w="${{COMP_WORDS[i]}}"
        case "$w" in -*) continue;; esac
        case "${{cmdpath:+$cmdpath }}$w" in
            {known}) cmdpath="${{cmdpath:+$cmdpath }}$w";;
        esac
    done
    case "$cmdpath|$prev" in
{chr(10).join(value_cases)}
    esac
    case "$cmdpath" in
{chr(10).join(word_cases)}
    esac
    COMPREPLY=($(compgen -W "$words" -- "$cur"))
}}
complete -o default -F _treadctl treadctl
"""


# --- zsh --------------------------------------------------------------------------------------


def _zsh_quote(text: str) -> str:
    return "'" + text.replace("'", "'\\''") + "'"


def zsh_script(tree: Node) -> str:
    known = "|".join(_zsh_quote(p) for p in _paths(tree))
    value_cases: list[str] = []
    word_cases: list[str] = []
    for node in tree.walk():
        key = " ".join(node.path)
        for option in node.options:
            if not option.takes_value:
                continue
            flags = "|".join(_zsh_quote(f"{key}|{flag}") for flag in option.flags)
            action = (
                f"compadd -- {' '.join(_zsh_quote(c) for c in option.choices)}"
                if option.choices
                else "_files"
            )
            value_cases.append(f"    ({flags}) {action}; return;;")
        described = [
            _zsh_quote(f"{name.replace(':', chr(92) + ':')}:{_plain(child.help)}")
            for name, child in node.children.items()
        ]
        described += [_zsh_quote(choice) for choice in node.positional_choices]
        opts = [
            _zsh_quote(f"{flag}:{option.help.replace(':', chr(92) + ':')}")
            for option in node.options
            for flag in option.flags
        ]
        profiles = (
            '\n      profiles=(${(f)"$(treadctl completion zsh --profiles 2>/dev/null)"})'
            "\n      compadd -a profiles"
            if node.profile_positional
            else ""
        )
        word_cases.append(
            f"    ({_zsh_quote(key)})\n"
            f"      subs=({' '.join(described)})\n"
            f"      opts=({' '.join(opts)}){profiles};;"
        )
    return f"""\
#compdef treadctl
# zsh completion for treadctl (generated by `treadctl completion zsh`)
_treadctl() {{
  local cmdpath="" w i
  local -a subs opts profiles
  for ((i = 2; i < CURRENT; i++)); do
    w=${{words[i]}}
    [[ $w == -* ]] && continue
    case "${{cmdpath:+$cmdpath }}$w" in
      ({known}) cmdpath="${{cmdpath:+$cmdpath }}$w";;
    esac
  done
  case "$cmdpath|${{words[CURRENT-1]}}" in
{chr(10).join(value_cases)}
  esac
  case "$cmdpath" in
{chr(10).join(word_cases)}
  esac
  if [[ ${{words[CURRENT]}} == -* ]]; then
    _describe -t options 'option' opts
  else
    _describe -t commands 'command' subs || _files
  fi
}}
if [[ $zsh_eval_context[-1] == loadautofunc ]]; then
  _treadctl "$@"
else
  compdef _treadctl treadctl
fi
"""


# --- fish -------------------------------------------------------------------------------------


def _fish_quote(text: str) -> str:
    return "'" + text.replace("\\", "\\\\").replace("'", "\\'") + "'"


def fish_script(tree: Node) -> str:
    lines = [
        "# fish completion for treadctl (generated by `treadctl completion fish`)",
        "set -g __treadctl_paths " + " ".join(_fish_quote(p) for p in _paths(tree)),
        "function __treadctl_path",
        "    set -l tokens (commandline -opc)",
        "    set -e tokens[1]",
        "    set -l p",
        "    for t in $tokens",
        "        if string match -q -- '-*' $t",
        "            continue",
        "        end",
        "        if contains -- (string join ' ' $p $t) $__treadctl_paths",
        "            set p $p $t",
        "        end",
        "    end",
        "    string join ' ' $p",
        "end",
        "function __treadctl_at",
        "    set -l p (__treadctl_path)",
        '    test "$p" = "$argv[1]"',
        "end",
        "complete -c treadctl -f",
    ]
    for node in tree.walk():
        at = f"-n {_fish_quote('__treadctl_at ' + _fish_quote(' '.join(node.path)))}"
        for name, child in node.children.items():
            described = _fish_quote(_plain(child.help))
            lines.append(f"complete -c treadctl {at} -a {_fish_quote(name)} -d {described}")
        for choice in node.positional_choices:
            lines.append(f"complete -c treadctl {at} -a {_fish_quote(choice)}")
        if node.profile_positional:
            lines.append(
                f"complete -c treadctl {at} -a '(treadctl completion fish --profiles 2>/dev/null)'"
            )
        for option in node.options:
            flags = []
            for flag in option.flags:
                flags.append(f"-l {flag[2:]}" if flag.startswith("--") else f"-s {flag[1:]}")
            value = ""
            if option.choices:
                value = f" -x -a {_fish_quote(' '.join(option.choices))}"
            elif option.takes_value:
                value = " -r -F" if option.is_file else " -x"
            lines.append(
                f"complete -c treadctl {at} {' '.join(flags)}{value} -d {_fish_quote(option.help)}"
            )
    return "\n".join(lines) + "\n"


SCRIPTS = {"bash": bash_script, "zsh": zsh_script, "fish": fish_script}
