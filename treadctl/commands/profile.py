"""`treadctl profile`: list, show, new, validate, edit, copy, delete, import and check workout
profiles."""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # not typing's: --help does not load typing (mypy reads both)
if TYPE_CHECKING:
    from pathlib import Path
    from typing import Any

    from treadctl.config import Config
    from treadctl.limits import DeviceLimits
    from treadctl.plan import Plan
    from treadctl.profile.bout import BoutSpec
    from treadctl.profile.models import Profile

_CHART_LEVELS = " ▁▂▃▄▅▆▇█"


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser("profile", parents=[common], help="work with workout profiles")
    actions = parser.add_subparsers(dest="profile_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", parents=[common], help="list shipped and user profiles")
    listing.add_argument("--json", action="store_true", help="print JSON for scripts")
    listing.set_defaults(func=_list)

    show = actions.add_parser("show", parents=[common], help="the expanded timeline and totals")
    show.add_argument("profile", metavar="NAME|FILE")
    show.add_argument("--json", action="store_true", help="timeline and totals as JSON")
    show.set_defaults(func=_show)

    new = actions.add_parser(
        "new",
        parents=[common],
        help="create a profile from a template",
        description="Write a new profile from a template: a warm-up, then ROUNDS rounds of a "
        "backward bout and a forward bout (--shape alternating) or one long backward block "
        "(--shape block), then a cool-down. Speeds are in --units (default: your configured "
        "units). Durations are like 2m, 1m30s or 90s. The file goes to your profile "
        "folder unless --output says otherwise; edit it afterwards with `treadctl profile edit`.",
    )
    new.add_argument("name", help="the profile's name; its file name is made from it")
    new.add_argument(
        "--shape",
        choices=("alternating", "block"),
        default="alternating",
        help="alternating rounds, or one backward block (default: %(default)s)",
    )
    new.add_argument(
        "--rounds", type=int, default=6, help="alternating rounds (default: %(default)s)"
    )
    new.add_argument(
        "--backward",
        default="2m",
        metavar="DURATION",
        help="each backward bout (default: %(default)s)",
    )
    new.add_argument(
        "--forward",
        default="2m",
        metavar="DURATION",
        help="each forward bout (default: %(default)s)",
    )
    new.add_argument(
        "--backward-speed",
        type=float,
        metavar="SPEED",
        help="backward speed (default: 1.3 km/h, or 0.8 mph)",
    )
    new.add_argument(
        "--forward-speed",
        type=float,
        metavar="SPEED",
        help="forward speed (default: 3.0 km/h, or 1.9 mph)",
    )
    new.add_argument(
        "--incline",
        type=float,
        default=0.0,
        metavar="PCT",
        help="backward incline, percent (default: %(default)s)",
    )
    new.add_argument(
        "--warmup",
        default="4m",
        metavar="DURATION",
        help="warm-up; 0 for none (default: %(default)s)",
    )
    new.add_argument(
        "--cooldown",
        default="2m",
        metavar="DURATION",
        help="cool-down; 0 for none (default: %(default)s)",
    )
    new.add_argument(
        "--units", choices=("kmh", "mph"), help="units of the speeds (default: configured units)"
    )
    new.add_argument(
        "--output", metavar="FILE", help="where to write (default: your profile folder)"
    )
    new.set_defaults(func=_new)

    validate = actions.add_parser("validate", parents=[common], help="check profile files")
    validate.add_argument("files", nargs="+", metavar="FILE")
    validate.set_defaults(func=_validate)

    edit = actions.add_parser("edit", parents=[common], help="edit a profile in the editor")
    edit.add_argument("profile", metavar="NAME|FILE")
    edit.add_argument(
        "--external", action="store_true", help="use $EDITOR instead of the built-in editor"
    )
    edit.set_defaults(func=_edit)

    copy = actions.add_parser("copy", parents=[common], help="copy a profile to customise it")
    copy.add_argument("profile", metavar="NAME|FILE")
    copy.add_argument("new_name", nargs="?", help="name of the copy (default: the same)")
    copy.add_argument("--force", action="store_true", help="replace an existing user profile")
    copy.set_defaults(func=_copy)

    delete = actions.add_parser(
        "delete",
        parents=[common],
        help="delete one of your profiles (shipped ones cannot be deleted)",
    )
    delete.add_argument("profile", metavar="NAME")
    delete.add_argument("--yes", "-y", action="store_true", help="do not ask first")
    delete.set_defaults(func=_delete)

    importer = actions.add_parser("import", parents=[common], help="import a Zwift .zwo workout")
    importer.add_argument("file", metavar="FILE.zwo")
    importer.add_argument(
        "--backward",
        default="",
        metavar="N,N,...",
        help="bout numbers (1-based) to walk backward; all others are forward",
    )
    importer.add_argument(
        "--list",
        action="store_true",
        help="show the workout's bouts with their numbers, and write nothing",
    )
    importer.add_argument("--output", metavar="FILE", help="where to write (default: user folder)")
    importer.set_defaults(func=_import)

    check = actions.add_parser(
        "check", parents=[common], help="pre-flight: every clamp and rounding before anything moves"
    )
    check.add_argument("profile", metavar="NAME|FILE")
    target = check.add_mutually_exclusive_group()
    target.add_argument("--simulate", action="store_true", help="the simulator's ranges")
    target.add_argument("--device", metavar="ADDR", help="read the treadmill's ranges")
    check.add_argument("--json", action="store_true", help="the plan as JSON")
    check.set_defaults(func=_check)


# --- helpers -------------------------------------------------------------------------------


def _config(args: argparse.Namespace) -> Config:
    from treadctl.config import config_from_args

    return config_from_args(args).config


def _speed(speed_kmh: float, units: str) -> str:
    from treadctl.units import from_kmh, speed_label

    return f"{from_kmh(speed_kmh, units):.1f} {speed_label(units)}"  # type: ignore[arg-type]


def _unit_label(units: str) -> str:
    from treadctl.units import speed_label

    return speed_label(units)  # type: ignore[arg-type]


def _num(speed_kmh: float, units: str, digits: int = 1) -> str:
    """A speed in the user's unit without the label: ``4`` km/h, ``2.5`` mph (mph rounded)."""
    from treadctl.units import from_kmh

    if units != "mph":
        return f"{speed_kmh:g}"
    return f"{round(from_kmh(speed_kmh, 'mph'), digits):g}"


def _clamp_reason(reason: str, units: str) -> str:
    """The plan's reasons name caps in km/h ("backward speed cap 4.0 km/h"); in mph, convert."""
    import re

    if units != "mph":
        return reason

    def convert(match: re.Match[str]) -> str:
        return f"{_num(float(match.group(1)), units)} mph"

    return re.sub(r"(\d+(?:\.\d+)?) km/h", convert, reason)


def _distance(distance_m: float, units: str) -> str:
    if units == "mph":
        return f"{distance_m / 1609.344:.2f} mi"
    return f"{distance_m / 1000:.2f} km"


def _totals(bouts: list[BoutSpec], body_mass_kg: float) -> dict[str, float]:
    from treadctl.direction import Direction
    from treadctl.energy import energy_kcal

    backward_s = sum(b.duration_s for b in bouts if b.direction is Direction.BACKWARD)
    forward_s = sum(b.duration_s for b in bouts if b.direction is Direction.FORWARD)
    return {
        "duration_s": backward_s + forward_s,
        "backward_s": backward_s,
        "forward_s": forward_s,
        "distance_m": round(sum(b.distance_m for b in bouts), 1),
        "energy_kcal": round(
            sum(
                energy_kcal(b.direction, b.speed_kmh, b.incline_pct, b.duration_s, body_mass_kg)
                for b in bouts
            ),
            1,
        ),
    }


def speed_chart(bouts: list[BoutSpec], width: int = 60) -> list[str]:
    """Two lines: speed over time as block characters, and ``<`` under backward stretches."""
    total_s = sum(b.duration_s for b in bouts)
    if total_s <= 0 or not bouts:
        return []
    top_kmh = max(b.speed_kmh for b in bouts)
    speeds: list[str] = []
    marks: list[str] = []
    for column in range(width):
        moment_s = (column + 0.5) * total_s / width
        elapsed_s = 0.0
        current = bouts[-1]
        for bout in bouts:
            if moment_s < elapsed_s + bout.duration_s:
                current = bout
                break
            elapsed_s += bout.duration_s
        level = round(current.speed_kmh / top_kmh * (len(_CHART_LEVELS) - 1))
        speeds.append(_CHART_LEVELS[max(1, level)])
        marks.append("<" if current.direction.value == "backward" else " ")
    return ["".join(speeds), "".join(marks)]


def _format_s(duration_s: float) -> str:
    from treadctl.units import format_duration

    return format_duration(duration_s)


# --- list ------------------------------------------------------------------------------------


def _list(args: argparse.Namespace) -> int:
    from treadctl.profile.library import list_profiles
    from treadctl.profile.program import list_programs, read_program

    entries = list_profiles()
    if args.json:
        import json

        print(json.dumps(_list_json(entries), indent=2))
        return 0
    if not entries:
        print("no profiles found")
    print(f"{'PROFILE':<24} {'FROM':<8} {'TIME':>7} {'BACK':>7}  NAME")
    for entry in entries:
        origin = entry.origin + ("*" if entry.shadowed else "")
        if entry.profile is None:
            print(f"{entry.slug:<24} {origin:<8} {'-':>7} {'-':>7}  INVALID: {entry.error}")
            continue
        profile = entry.profile
        print(
            f"{entry.slug:<24} {origin:<8} {_format_s(profile.total_duration_s):>7} "
            f"{_format_s(profile.backward_s):>7}  {profile.name}"
        )
    if any(entry.shadowed for entry in entries):
        print("* hidden by a user profile of the same name")
    programs = list_programs()
    if programs:
        print()
        print(f"{'PROGRAM':<24} {'WEEKS':>5}  NAME")
        for path in programs:
            try:
                program = read_program(path)
            except Exception as error:  # a broken file must not hide the others
                print(f"{path.stem:<24} {'-':>5}  INVALID: {error}")
                continue
            print(f"{path.stem:<24} {program.weeks:>5}  {program.name}")
    return 0


def _list_json(entries: list[Any]) -> dict[str, Any]:
    from treadctl.profile.program import list_programs, read_program

    profiles = []
    for entry in entries:
        profile = entry.profile
        profiles.append(
            {
                "slug": entry.slug,
                "origin": entry.origin,
                "path": str(entry.path),
                "shadowed": entry.shadowed,
                "valid": profile is not None,
                "error": entry.error,
                "name": profile.name if profile else None,
                "description": profile.description if profile else None,
                "units": profile.units if profile else None,
                "duration_s": profile.total_duration_s if profile else None,
                "backward_s": profile.backward_s if profile else None,
            }
        )
    programs = []
    for path in list_programs():
        try:
            program = read_program(path)
        except Exception as error:  # a broken file must not hide the others
            programs.append({"slug": path.stem, "valid": False, "error": str(error)})
            continue
        programs.append(
            {"slug": path.stem, "valid": True, "name": program.name, "weeks": program.weeks}
        )
    return {"profiles": profiles, "programs": programs}


# --- show ------------------------------------------------------------------------------------


def _show(args: argparse.Namespace) -> int:
    from treadctl.profile.loading import load_profile

    config = _config(args)
    profile = load_profile(args.profile)
    bouts = profile.expand()
    totals = _totals(bouts, config.body_mass_kg)
    if args.json:
        body = {
            "name": profile.name,
            "description": profile.description,
            "units": profile.units,
            "timeline": [
                {
                    "index": b.index,
                    "label": b.label,
                    "direction": b.direction.value,
                    "start_s": sum(x.duration_s for x in bouts[: b.index]),
                    "duration_s": b.duration_s,
                    "speed_kmh": b.speed_kmh,
                    "incline_pct": b.incline_pct,
                    "cue": b.cue,
                }
                for b in bouts
            ],
            "totals": totals,
        }
        import json

        print(json.dumps(body, indent=2))
        return 0
    units = profile.units
    print(f"{profile.name}: {profile.description}".rstrip(": "))
    print()
    print(f"{'#':>3} {'START':>7} {'TIME':>6}  {'DIRECTION':<9} {'SPEED':>9} {'INCL':>6}  LABEL")
    start_s = 0.0
    for b in bouts:
        print(
            f"{b.index + 1:>3} {_format_s(start_s):>7} {_format_s(b.duration_s):>6}  "
            f"{b.direction.value:<9} {_speed(b.speed_kmh, units):>9} {b.incline_pct:>5.1f}%  "
            f"{b.label}"
        )
        start_s += b.duration_s
    print()
    print(
        f"total {_format_s(totals['duration_s'])}  backward {_format_s(totals['backward_s'])}  "
        f"forward {_format_s(totals['forward_s'])}  distance "
        f"{_distance(totals['distance_m'], units)}  energy ~{totals['energy_kcal']:.0f} kcal "
        f"(at {config.body_mass_kg:g} kg)"
    )
    print()
    for line in speed_chart(bouts):
        print(f"  {line}")
    print("  speed over time; < marks backward walking")
    if profile.notes:
        print()
        print(profile.notes)
    return 0


# --- new -------------------------------------------------------------------------------------


def _new(args: argparse.Namespace) -> int:
    from pathlib import Path

    from treadctl.errors import UsageError
    from treadctl.paths import user_profiles_dir
    from treadctl.profile.duration import parse_duration_s
    from treadctl.profile.loading import ProfileInvalid, slugify
    from treadctl.profile.models import Profile
    from treadctl.profile.writing import save_new_profile

    config = _config(args)
    units = args.units or config.units
    backward_speed = args.backward_speed or (0.8 if units == "mph" else 1.3)
    forward_speed = args.forward_speed or (1.9 if units == "mph" else 3.0)
    try:
        warmup_s = _optional_duration(args.warmup)
        cooldown_s = _optional_duration(args.cooldown)
        parse_duration_s(args.backward)
        parse_duration_s(args.forward)
    except ValueError as error:
        raise UsageError(str(error)) from None
    steps: list[dict[str, Any]] = []
    if warmup_s:
        steps.append(
            {
                "label": "Warm-up",
                "direction": "forward",
                "duration": warmup_s,
                "speed": forward_speed,
            }
        )
    backward = {
        "label": "Backward",
        "direction": "backward",
        "duration": args.backward,
        "speed": backward_speed,
        "incline": args.incline,
    }
    if args.shape == "alternating":
        forward = {
            "label": "Forward",
            "direction": "forward",
            "duration": args.forward,
            "speed": forward_speed,
        }
        steps.append({"repeat": args.rounds, "bouts": [backward, forward]})
    else:
        steps.append({**backward, "label": "Retro block"})
    if cooldown_s:
        steps.append(
            {
                "label": "Cool-down",
                "direction": "forward",
                "duration": cooldown_s,
                "speed": forward_speed,
            }
        )
    data = {"name": args.name, "description": "", "units": units, "steps": steps}
    path = Path(args.output) if args.output else user_profiles_dir() / f"{slugify(args.name)}.toml"
    try:
        profile = Profile.model_validate(data)
    except Exception as error:
        raise UsageError(
            f"these options do not make a valid profile: {_first_error(error)}"
        ) from None
    header = [
        f"{args.name} — created with `treadctl profile new --shape {args.shape}`.",
        'Edit freely: durations like "2m" or "1m30s", speeds in the units below, incline in %.',
    ]
    try:
        save_new_profile(path, profile, header)
    except ProfileInvalid as error:  # pragma: no cover - the model already accepted it
        raise UsageError(str(error)) from None
    print(f"wrote {path}")
    return 0


def _optional_duration(text: str) -> float:
    from treadctl.profile.duration import parse_duration_s

    if text.strip() in {"0", "0s", "0m", "none", ""}:
        return 0.0
    return parse_duration_s(text)


def _first_error(error: Exception) -> str:
    errors = getattr(error, "errors", None)
    if callable(errors):
        first = errors()[0]
        where = ".".join(str(p) for p in first["loc"] if not str(p).startswith("<"))
        return f"{where}: {first['msg']}"
    return str(error)


# --- validate ----------------------------------------------------------------------------------


def _validate(args: argparse.Namespace) -> int:
    from treadctl.errors import ProfileError
    from treadctl.profile.loading import ProfileInvalid, read_profile, resolve_profile
    from treadctl.profile.program import missing_profiles, read_program

    failed = False
    for name in args.files:
        try:
            path = resolve_profile(name)
        except ProfileError as error:
            print(f"treadctl: {error}", file=sys.stderr)
            failed = True
            continue
        try:
            if path.parent.name == "programs":
                program = read_program(path)
                missing = missing_profiles(program)
                if missing:
                    print(
                        f"{path}:1: phases: unknown profiles: {', '.join(missing)}", file=sys.stderr
                    )
                    failed = True
                    continue
                print(f"ok  {path}  ({program.name}, {program.weeks} weeks)")
            else:
                profile = read_profile(path)
                print(f"ok  {path}  ({profile.name}, {_format_s(profile.total_duration_s)})")
        except ProfileInvalid as error:
            for message in error.messages:
                print(message, file=sys.stderr)
            failed = True
    return 2 if failed else 0


# --- edit / copy -------------------------------------------------------------------------------


def _edit(args: argparse.Namespace) -> int:
    """The TUI editor on a terminal (a shipped profile is saved as a user copy); with
    ``--external`` or without a terminal, ``$EDITOR`` on a user profile followed by validation."""
    from treadctl.profile.loading import resolve_profile

    path = resolve_profile(args.profile)
    if not args.external and sys.stdin.isatty() and sys.stdout.isatty():
        syntax = _toml_syntax_problem(path)
        if syntax is not None:  # the table needs TOML it can read: fix it in $EDITOR first
            print(syntax, file=sys.stderr)
            print("treadctl: not valid TOML, so it opens in $EDITOR instead", file=sys.stderr)
            return _edit_external(path, args.profile)
        from treadctl.config import config_from_args
        from treadctl.tui.app import run_editor

        return run_editor(path, config_from_args(args).config)
    return _edit_external(path, args.profile)


def _toml_syntax_problem(path: Path) -> str | None:
    import tomllib

    from treadctl.toml_locate import toml_syntax_message

    try:
        text = path.read_text(encoding="utf-8")
        tomllib.loads(text)
    except (OSError, UnicodeDecodeError) as error:
        return f"{path}: cannot read: {error}"
    except tomllib.TOMLDecodeError as error:
        return toml_syntax_message(error, path, text)
    return None


def _edit_external(path: Path, name: str) -> int:
    """``$EDITOR`` on a temporary copy, saved only once it is valid (as ``visudo`` does); a
    shipped profile is saved as the user's own copy, the shipped file is never touched."""
    from treadctl.edit_loop import edit_profile_externally
    from treadctl.paths import user_profiles_dir
    from treadctl.profile.library import is_shipped
    from treadctl.profile.loading import read_profile

    if is_shipped(path) and not (user_profiles_dir() / path.name).exists():
        print(
            f"{path.stem} is a shipped profile: your edit will be saved to "
            f"{user_profiles_dir() / path.name}"
        )
    target, result = edit_profile_externally(path)
    if not result.changed:
        print(f"no changes; {path} is unchanged")
        return 0
    if not result.saved:
        return 2
    profile = read_profile(target)
    copy_note = f" (your copy; the shipped {path.stem} is unchanged)" if target != path else ""
    print(f"wrote {target}  ({profile.name}, {_format_s(profile.total_duration_s)}){copy_note}")
    return 0


def _copy(args: argparse.Namespace) -> int:
    import tomlkit

    from treadctl.atomic import atomic_write_text
    from treadctl.errors import UsageError
    from treadctl.paths import user_profiles_dir
    from treadctl.profile.loading import parse_profile, read_profile, resolve_profile, slugify

    source = resolve_profile(args.profile)
    read_profile(source)  # never copy a broken file
    text = source.read_text(encoding="utf-8")
    slug = slugify(args.new_name) if args.new_name else source.stem
    target = user_profiles_dir() / f"{slug}.toml"
    if target.resolve() == source.resolve():
        raise UsageError(f"{source} is already in your profile folder")
    if target.exists() and not args.force:
        raise UsageError(f"{target} already exists; use --force to replace it")
    if args.new_name:
        document = tomlkit.parse(text)
        document["name"] = args.new_name
        text = tomlkit.dumps(document)
    parse_profile(text, target)
    atomic_write_text(target, text)
    print(f"wrote {target}")
    return 0


def _delete(args: argparse.Namespace) -> int:
    """Remove a user profile; the shipped library is read-only."""
    from treadctl.errors import UsageError
    from treadctl.paths import user_profiles_dir
    from treadctl.profile.library import is_shipped
    from treadctl.profile.loading import resolve_profile

    path = resolve_profile(args.profile)
    if is_shipped(path):
        raise UsageError(
            f"{path.stem!r} is a shipped profile and cannot be deleted "
            "(it is part of treadctl); `treadctl profile list` shows yours"
        )
    try:
        in_user_folder = path.resolve().parent == user_profiles_dir().resolve()
    except OSError:
        in_user_folder = False
    if not in_user_folder:
        raise UsageError(f"{path} is not in your profile folder; delete the file yourself")
    if not args.yes:
        if not sys.stdin.isatty():
            raise UsageError(f"not deleted: add --yes to delete {path} without a question")
        answer = input(f"Delete {path}? [y/N] ").strip().lower()
        if answer not in ("y", "yes"):
            print("not deleted")
            return 0
    path.unlink()
    shipped = _shipped_of(path.name)
    again = f"; the shipped {path.stem} is used again" if shipped else ""
    print(f"deleted {path}{again}")
    return 0


def _shipped_of(file_name: str) -> bool:
    from treadctl.paths import shipped_profiles_dir

    return (shipped_profiles_dir() / file_name).is_file()


# --- import ------------------------------------------------------------------------------------


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from treadctl.errors import UsageError
    from treadctl.paths import user_profiles_dir
    from treadctl.profile.loading import slugify
    from treadctl.profile.writing import save_new_profile
    from treadctl.profile.zwo import import_zwo

    config = _config(args)
    try:
        backward = [int(part) for part in args.backward.split(",") if part.strip()]
    except ValueError:
        raise UsageError(
            f"--backward wants bout numbers like 2,4,6, not {args.backward!r}"
        ) from None
    source = Path(args.file)
    if args.list:
        _print_zwo_bouts(source, config)
        return 0
    profile = import_zwo(source, config.zones, backward)
    path = (
        Path(args.output)
        if args.output
        else user_profiles_dir() / f"{slugify(profile.name) or slugify(source.stem)}.toml"
    )
    header = [
        f"{profile.name} — imported from {source.name} by `treadctl profile import`.",
        "Pace zones were turned into speeds from the [zones] configuration; check them,",
        'and mark bouts backward (direction = "backward") where you want to walk backward.',
    ]
    save_new_profile(path, profile, header)
    print(f"wrote {path} ({len(profile.expand())} bouts)")
    return 0


def _print_zwo_bouts(source: Path, config: Config) -> None:
    """The workout's bouts, numbered as ``--backward`` takes them."""
    from treadctl.profile.zwo import read_zwo

    workout = read_zwo(source, config.zones)
    units = config.units
    bouts = workout.numbered_bouts()
    print(f"{workout.name}: {len(bouts)} bouts (numbers for --backward)")
    print(f"{'#':>3} {'TIME':>6} {'SPEED':>9} {'INCL':>6}  BLOCK")
    for number, bout in enumerate(bouts, start=1):
        incline = float(bout.get("incline", 0.0))
        print(
            f"{number:>3} {_format_s(float(bout['duration'])):>6} "
            f"{_speed(float(bout['speed']), units):>9} {incline:>5.1f}%  {bout['label']}"
            + ("  (backward in the file)" if bout.get("direction") == "backward" else "")
        )
    print(f"then: treadctl profile import {source} --backward N,N,...")


# --- check -------------------------------------------------------------------------------------


def _check(args: argparse.Namespace) -> int:
    from treadctl.limits import DeviceLimits
    from treadctl.plan import plan_profile
    from treadctl.profile.loading import load_profile, resolve_profile

    config = _config(args)
    path = resolve_profile(args.profile)
    profile = load_profile(path)
    if args.device:
        limits = _device_limits(args.device)
        source = f"treadmill {args.device}"
    else:
        limits = DeviceLimits()
        source = "simulator defaults" if args.simulate else "default ranges (no device given)"
    plan = plan_profile(profile, config.safety, limits)
    if args.json:
        import json

        print(json.dumps(plan_json(plan, config.body_mass_kg), indent=2))
        return 0
    _print_plan(plan, profile, source, config)
    return 0


def _device_limits(address: str) -> DeviceLimits:
    """The treadmill's advertised ranges, read over Bluetooth without taking control."""
    import asyncio

    from treadctl.ble.client import read_device_info

    return asyncio.run(read_device_info(address)).limits


def plan_json(plan: Plan, body_mass_kg: float) -> dict[str, Any]:
    from dataclasses import asdict

    from treadctl.plan import PlannedBout

    items = []
    for item in plan.items:
        body = {key: getattr(value, "value", value) for key, value in asdict(item).items()}
        items.append({"kind": "bout" if isinstance(item, PlannedBout) else "turn", **body})
    return {
        "profile": plan.profile_name,
        "start_speed_kmh": plan.start_speed_kmh,
        "limits": asdict(plan.limits),
        "items": items,
        "clamps": [asdict(clamp) for clamp in plan.clamps],
        "totals": {
            "duration_s": plan.total_duration_s,
            "backward_s": plan.backward_s,
            "forward_s": plan.forward_s,
            "distance_m": round(plan.distance_m, 1),
            "energy_kcal": round(plan.energy_kcal(body_mass_kg), 1),
        },
    }


def _print_plan(plan: Plan, profile: Profile, source: str, config: Config) -> None:
    from treadctl.plan import PlannedBout

    units = config.units
    limits = plan.limits
    safety = config.safety
    print(f"Pre-flight check: {profile.name} ({plan.profile_name})")
    incline = (
        f"incline {limits.incline_min_pct:g}-{limits.incline_max_pct:g} % "
        f"step {limits.incline_increment_pct:g}"
        if limits.supports_incline
        else "no incline"
    )
    label = _unit_label(units)
    print(
        f"  device: {source}: speed {_num(limits.speed_min_kmh, units)}-"
        f"{_num(limits.speed_max_kmh, units)} {label} "
        f"step {_num(limits.speed_increment_kmh, units, digits=2)}, {incline}"
    )
    print(
        f"  caps: forward {_num(safety.max_speed_kmh, units)} {label} / "
        f"{safety.max_incline_pct:g} %, backward {_num(safety.max_backward_speed_kmh, units)} "
        f"{label} / {safety.max_backward_incline_pct:g} %"
    )
    print(f"  the belt starts at {_speed(plan.start_speed_kmh, units)}")
    print()
    for item in plan.items:
        if isinstance(item, PlannedBout):
            ramp = (
                f"ramp from {_speed(item.ramp_from_kmh, units)}, {item.ramp_s:g} s"
                if item.ramp_s
                else "no ramp"
            )
            print(
                f"  {item.index + 1:>3}. {item.direction.value:<8} {_format_s(item.duration_s):>6}"
                f"  {_speed(item.speed_kmh, units):>9} {item.incline_pct:>5.1f}%  {ramp:<28}"
                f" {item.label}"
            )
        else:
            belt = (
                "belt stopped"
                if item.turn_speed_kmh == 0
                else f"belt at {_speed(item.turn_speed_kmh, units)}"
            )
            key = ", then press a key" if item.confirm else ""
            print(
                f"       turn around to walk {item.to_direction.value}: {belt}, "
                f"{item.hold_s:g} s countdown{key}"
            )
    print()
    if plan.clamps:
        print(f"{len(plan.clamps)} clamp(s) and rounding(s), applied before anything moves:")
        for clamp in plan.clamps:
            if clamp.field == "speed":
                asked, sent = _num(clamp.asked, units, 2), _num(clamp.sent, units, 2)
                unit = _unit_label(units)
            else:
                asked, sent, unit = f"{clamp.asked:g}", f"{clamp.sent:g}", "%"
            print(
                f"  bout {clamp.bout_index + 1}: {clamp.field} {asked} -> {sent} {unit} "
                f"({_clamp_reason(clamp.reason, units)})"
            )
    else:
        print("no clamps: every target is within the caps and the device's range")
    print()
    print(
        f"total {_format_s(plan.total_duration_s)} with turn-arounds, backward "
        f"{_format_s(plan.backward_s)}, distance {_distance(plan.distance_m, units)}, energy "
        f"~{plan.energy_kcal(config.body_mass_kg):.0f} kcal"
    )
