"""`treadctl config`: show the effective configuration and where each value came from; print the
file's path; edit it safely in $EDITOR; write a commented default file."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False  # not typing's: --help does not load typing (mypy reads both)
if TYPE_CHECKING:
    from pathlib import Path


_SECRET_KEYS = {"mqtt.password"}


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "config", parents=[common], help="show, edit or create the configuration file"
    )
    actions = parser.add_subparsers(dest="config_command", metavar="ACTION", required=True)
    show = actions.add_parser(
        "show", parents=[common], help="print the effective configuration and its sources"
    )
    show.add_argument("--json", action="store_true", help="print JSON for scripts")
    show.set_defaults(func=_show)
    init = actions.add_parser("init", parents=[common], help="write a commented default file")
    init.add_argument("--force", action="store_true", help="replace an existing file")
    init.set_defaults(func=_init)
    where = actions.add_parser(
        "path", parents=[common], help="print the configuration file's path (it may not exist)"
    )
    where.set_defaults(func=_path)
    edit = actions.add_parser(
        "edit",
        parents=[common],
        help="edit the configuration in $EDITOR; saved only when it is valid",
        description="Open a copy of the configuration file (the commented defaults if there is "
        "none yet) in $VISUAL or $EDITOR. The file is replaced only when the edited text is "
        "valid; otherwise the problems are listed and you can edit again.",
    )
    edit.set_defaults(func=_edit)


def _config_path(args: argparse.Namespace) -> Path:
    from pathlib import Path

    from treadctl.config import default_config_path

    value = getattr(args, "config", None)
    return Path(value) if value else default_config_path()


def _path(args: argparse.Namespace) -> int:
    path = _config_path(args)
    print(path)
    return 0


def config_text_problems(text: str, path: Path) -> list[str]:
    """What is wrong with ``text`` as a configuration file (``file:line: key: reason``)."""
    import tomllib

    from pydantic import ValidationError

    from treadctl.config import Config
    from treadctl.toml_locate import located_messages, toml_syntax_message

    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        return [toml_syntax_message(error, path, text)]
    try:
        Config.model_validate(data)
    except ValidationError as error:
        return located_messages(error.errors(), path, text)
    return []


def _edit(args: argparse.Namespace) -> int:
    from treadctl.atomic import atomic_write_text
    from treadctl.edit_loop import edit_until_valid
    from treadctl.errors import UsageError

    path = _config_path(args)
    if path.exists():
        try:
            original = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as error:
            raise UsageError(f"{path}: cannot read: {error}") from None
    else:
        original = default_config_text()
    result = edit_until_valid(
        original,
        path,
        lambda text: config_text_problems(text, path),
        write=lambda target, text: atomic_write_text(target, text, new_file_mode=0o600),
    )
    if result.saved:
        print(f"wrote {path}")
        return 0
    if not result.changed:
        print(f"no changes; {path} " + ("is unchanged" if path.exists() else "was not created"))
        return 0
    return 2


def _show(args: argparse.Namespace) -> int:
    import json

    from treadctl.config import config_from_args, flatten

    loaded = config_from_args(args)
    values = flatten(loaded.config.model_dump(mode="json"))
    for key in _SECRET_KEYS:
        if values.get(key) is not None:
            values[key] = "********"
    if args.json:
        body = {
            "path": str(loaded.path),
            "person": getattr(args, "person", None) or "default",
            "values": values,
            "sources": loaded.sources,
        }
        print(json.dumps(body, indent=2))
        return 0
    exists = "" if loaded.path.exists() else " (not present: all defaults)"
    print(f"# configuration file: {loaded.path}{exists}")
    print(f"# person: {getattr(args, 'person', None) or 'default'}")
    width = max(len(key) for key in values)
    for key, value in values.items():
        source = loaded.sources.get(key, "default")
        shown = json.dumps(value)
        print(f"{key:<{width}} = {shown:<14} # {source}")
    return 0


def _init(args: argparse.Namespace) -> int:
    from treadctl.atomic import atomic_write_text
    from treadctl.config import load_config
    from treadctl.errors import UsageError

    path = _config_path(args)
    if path.exists() and not args.force:
        raise UsageError(f"{path} already exists; use --force to replace it")
    atomic_write_text(path, default_config_text(), new_file_mode=0o600)
    load_config(path)  # what we wrote must read back
    print(f"wrote {path}")
    return 0


def default_config_text() -> str:
    """The commented default configuration; values come from the models so they never drift."""
    from treadctl.config import Config

    config = Config()
    safety = config.safety
    zones = config.zones

    def num(value: float) -> str:
        return f"{value:g}" if value != int(value) else f"{value:.1f}"

    return f"""\
# treadctl configuration. Every key is optional: delete a line to use the default.
# `treadctl config show` prints the effective values and where each came from.

body_mass_kg = {num(config.body_mass_kg)}             # for energy estimates
# last_device = "AA:BB:CC:DD:EE:FF"   # treadmill used when no --device is given

[display]
units = "{config.display.units}"           # "kmh" or "mph": all screens, lines, new profiles
# (the older top-level `units = "mph"` still works and means the same)

[safety]
# Caps applied to every command, whatever a profile, a key or MQTT asks for. Backward caps
# must not be above the forward ones. The defaults suit a beginner walking backward.
# Speeds may be written in mph instead: max_speed_mph = 5 (one of the two per cap).
max_speed_kmh = {num(safety.max_speed_kmh)}
max_backward_speed_kmh = {num(safety.max_backward_speed_kmh)}
max_incline_pct = {num(safety.max_incline_pct)}
max_backward_incline_pct = {num(safety.max_backward_incline_pct)}
max_acceleration_kmh_per_s = {num(safety.max_acceleration_kmh_per_s)}
max_backward_acceleration_kmh_per_s = {num(safety.max_backward_acceleration_kmh_per_s)}
watchdog_s = {num(safety.watchdog_s)}               # no telemetry for this long -> stop the belt
turn_speed_kmh = {num(safety.turn_speed_kmh)}       # belt speed while you turn (0 = stop it)
turn_hold_s = {num(safety.turn_hold_s)}              # countdown while turning
confirm_turns = {str(safety.confirm_turns).lower()}          # wait for a key after each turn-around

[zones]
# Belt speeds for the pace zones of imported Zwift run workouts (.zwo).
mile_kmh = {num(zones.mile_kmh)}
k5_kmh = {num(zones.k5_kmh)}
k10_kmh = {num(zones.k10_kmh)}
half_marathon_kmh = {num(zones.half_marathon_kmh)}
marathon_kmh = {num(zones.marathon_kmh)}

[mqtt]
# MQTT is off until a host is set. Remote commands are off unless enabled below.
# host = "localhost"
port = {config.mqtt.port}
# username = "treadctl"
# password_file = "~/.config/treadctl/mqtt-password"

[mqtt.commands]
enabled = false
allow_nudge = false
allow_start = false
"""
