"""`treadctl profile`: list, show, new, validate, edit, copy, import and check workout profiles."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from treadctl.config import Config
    from treadctl.limits import DeviceLimits
    from treadctl.plan import Plan
    from treadctl.profile.bout import BoutSpec
    from treadctl.profile.models import Profile

_CHART_LEVELS = " ▁▂▃▄▅▆▇█"


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser("profile", parents=[common], help="work with workout profiles")
    actions = parser.add_subparsers(dest="profile_command", metavar="ACTION", required=True)

    listing = actions.add_parser("list", parents=[common], help="list shipped and user profiles")
    listing.set_defaults(func=_list)

    show = actions.add_parser("show", parents=[common], help="the expanded timeline and totals")
    show.add_argument("profile", metavar="NAME|FILE")
    show.add_argument("--json", action="store_true", help="timeline and totals as JSON")
    show.set_defaults(func=_show)

    new = actions.add_parser("new", parents=[common], help="create a profile from a template")
    new.add_argument("name")
    new.add_argument("--shape", choices=("alternating", "block"), default="alternating")
    new.add_argument("--rounds", type=int, default=6, help="alternating rounds (default 6)")
    new.add_argument("--backward", default="2m", metavar="DURATION", help="each backward bout")
    new.add_argument("--forward", default="2m", metavar="DURATION", help="each forward bout")
    new.add_argument("--backward-speed", type=float, help="default 1.3 km/h (0.8 mph)")
    new.add_argument("--forward-speed", type=float, help="default 3.0 km/h (1.9 mph)")
    new.add_argument("--incline", type=float, default=0.0, help="backward incline, percent")
    new.add_argument("--warmup", default="4m", metavar="DURATION", help="0 for none")
    new.add_argument("--cooldown", default="2m", metavar="DURATION", help="0 for none")
    new.add_argument("--units", choices=("kmh", "mph"), help="default: the configured units")
    new.add_argument("--output", metavar="FILE", help="where to write (default: user folder)")
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

    importer = actions.add_parser("import", parents=[common], help="import a Zwift .zwo workout")
    importer.add_argument("file", metavar="FILE.zwo")
    importer.add_argument(
        "--backward",
        default="",
        metavar="N,N,...",
        help="bout numbers (1-based) to walk backward; all others are forward",
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
        from treadctl.config import config_from_args
        from treadctl.tui.app import run_editor

        return run_editor(path, config_from_args(args).config)
    return _edit_external(path, args.profile)


def _edit_external(path: Path, name: str) -> int:
    from treadctl.errors import UsageError
    from treadctl.paths import shipped_profiles_dir
    from treadctl.profile.loading import ProfileInvalid, read_profile

    if path.resolve().is_relative_to(shipped_profiles_dir().resolve()):
        raise UsageError(
            f"{name!r} is a shipped profile; copy it first: treadctl profile copy {path.stem}"
        )
    command = os.environ.get("VISUAL") or os.environ.get("EDITOR")
    if not command:
        raise UsageError("set $EDITOR (or $VISUAL) to the editor to use, e.g. EDITOR=nano")
    try:
        subprocess.run([*shlex.split(command), str(path)], check=False)
    except OSError as error:
        raise UsageError(f"cannot start the editor {command!r}: {error}") from None
    try:
        profile = read_profile(path)
    except ProfileInvalid as error:
        for message in error.messages:
            print(message, file=sys.stderr)
        print(
            "treadctl: the profile is not valid yet; run `treadctl profile edit` again",
            file=sys.stderr,
        )
        return 2
    print(f"ok  {path}  ({profile.name}, {_format_s(profile.total_duration_s)})")
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


# --- import ------------------------------------------------------------------------------------


def _import(args: argparse.Namespace) -> int:
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
    print(
        f"  device: {source}: speed {limits.speed_min_kmh:g}-{limits.speed_max_kmh:g} km/h "
        f"step {limits.speed_increment_kmh:g}, {incline}"
    )
    print(
        f"  caps: forward {safety.max_speed_kmh:g} km/h / {safety.max_incline_pct:g} %, "
        f"backward {safety.max_backward_speed_kmh:g} km/h / "
        f"{safety.max_backward_incline_pct:g} %"
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
            unit = "km/h" if clamp.field == "speed" else "%"
            print(
                f"  bout {clamp.bout_index + 1}: {clamp.field} {clamp.asked:g} -> "
                f"{clamp.sent:g} {unit} ({clamp.reason})"
            )
    else:
        print("no clamps: every target is within the caps and the device's range")
    print()
    print(
        f"total {_format_s(plan.total_duration_s)} with turn-arounds, backward "
        f"{_format_s(plan.backward_s)}, distance {_distance(plan.distance_m, units)}, energy "
        f"~{plan.energy_kcal(config.body_mass_kg):.0f} kcal"
    )
