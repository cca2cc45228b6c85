"""`treadctl prescription`: install a physiotherapist's prescription, draft one, show it."""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # not typing's: --help does not load typing (mypy reads both)
if TYPE_CHECKING:
    from pathlib import Path


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "prescription",
        parents=[common],
        help="install, draft or show a prescription (program, profiles, locked caps, notes)",
        description="A prescription bundles a program, its profiles, caps and notes in one TOML "
        "file. Once imported for a person its caps are locked: their own configuration may "
        "tighten them, never loosen them.",
    )
    actions = parser.add_subparsers(dest="prescription_command", metavar="ACTION", required=True)
    imp = actions.add_parser(
        "import", parents=[common], help="install a prescription file for --person NAME"
    )
    imp.add_argument("file", metavar="FILE", help="the prescription (.toml)")
    imp.set_defaults(func=_import)
    new = actions.add_parser(
        "new", parents=[common], help="draft a commented prescription from a program and the caps"
    )
    new.add_argument(
        "--program", metavar="NAME", help="program to bundle (default: the active one)"
    )
    new.add_argument("--title", metavar="TEXT", help="the prescription's title")
    new.add_argument("--prescribed-by", metavar="NAME", help="who prescribes it")
    new.add_argument("--notes", metavar="TEXT", help="notes for the walker")
    new.add_argument("-o", "--output", metavar="FILE", help="write here (default: print it)")
    new.set_defaults(func=_new)
    show = actions.add_parser("show", parents=[common], help="the person's installed prescription")
    show.set_defaults(func=_show)


def _person(args: argparse.Namespace) -> str:
    from treadctl.person import current

    return current()


def _import(args: argparse.Namespace) -> int:
    from pathlib import Path

    from treadctl.config import config_from_args
    from treadctl.prescription.install import install

    person = _person(args)
    done = install(Path(args.file), person)
    who = "the default person" if person == "default" else person
    print(f"installed {done.prescription.prescription.title!r} for {who}: {done.path}")
    print(f"program: {done.program_path}")
    for path in done.profile_paths:
        print(f"profile: {path}")
    for path in done.backups:
        print(f"kept the previous file as {path}")
    loaded = config_from_args(args)  # the effective caps now, with the lock applied
    print("locked caps (the walker's configuration may only make these stricter):")
    for name in sorted(done.prescription.caps):
        value = getattr(loaded.config.safety, name)
        print(f"  {name} = {value}")
    return 0


def _new(args: argparse.Namespace) -> int:
    from pathlib import Path

    from treadctl.atomic import atomic_write_text
    from treadctl.config import config_from_args
    from treadctl.errors import UsageError
    from treadctl.prescription.writing import draft
    from treadctl.profile.loading import resolve_profile
    from treadctl.profile.program import read_program, resolve_program

    program_path = resolve_program(args.program) if args.program else _active_program()
    program = read_program(program_path)
    profile_paths: dict[str, Path] = {}
    for phase in program.phases:
        for slug in phase.profiles:
            if slug not in profile_paths:
                profile_paths[slug] = resolve_profile(slug)
    person = _person(args)
    text = draft(
        program_path=program_path,
        profile_paths=profile_paths,
        safety=config_from_args(args).config.safety,
        person=None if person == "default" else person,
        title=args.title or program.name,
        prescribed_by=args.prescribed_by,
        notes=args.notes,
    )
    if not args.output or args.output == "-":
        sys.stdout.write(text)
        return 0
    output = Path(args.output)
    if output.is_dir():
        raise UsageError(f"{output} is a folder; give a file name such as prescription.toml")
    atomic_write_text(output, text)
    print(f"wrote {output}")
    return 0


def _active_program() -> Path:
    from treadctl.errors import UsageError
    from treadctl.history import db
    from treadctl.history.program_plan import all_plans
    from treadctl.history.progress import find_active
    from treadctl.profile.program import resolve_program

    conn = db.connect()
    try:
        sessions = db.list_sessions(conn)
    finally:
        conn.close()
    plans = all_plans()
    found = find_active(sessions, plans, include_simulated=True)
    if found is None:
        names = ", ".join(p.name for p in plans) or "none found"
        raise UsageError(f"which program? Use --program NAME (programs: {names})")
    return resolve_program(found.name)


def _show(args: argparse.Namespace) -> int:
    from treadctl.config import config_from_args
    from treadctl.errors import UsageError
    from treadctl.prescription.loading import installed

    found = installed()
    if found is None:
        raise UsageError(
            "no prescription installed for this person; "
            "see `treadctl prescription import FILE --person NAME`"
        )
    path, prescription = found
    info = prescription.prescription
    print(f"{info.title}  ({path})")
    if info.prescribed_by:
        print(f"prescribed by: {info.prescribed_by}")
    if info.issued:
        print(f"issued: {info.issued.isoformat()}")
    if info.review:
        print(f"next review: {info.review.isoformat()}")
    print(f"program: {prescription.program.name} ({prescription.program.weeks} weeks)")
    if info.notes:
        print("notes:")
        for line in info.notes.strip().splitlines():
            print(f"  {line}")
    safety = config_from_args(args).config.safety
    print("locked caps (effective value, prescribed value):")
    for name, value in sorted(prescription.caps.items()):
        print(f"  {name} = {getattr(safety, name)}  (prescribed {value})")
    return 0
