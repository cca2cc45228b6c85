"""`treadctl progress`: backward minutes per week against the active program, and what next."""

from __future__ import annotations

import argparse


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "progress",
        parents=[common],
        help="weekly backward minutes against your program, and what to do next",
        description="Backward minutes per week against the active program's goal. The active "
        "program is --program, else the program of your newest session.",
    )
    parser.add_argument("--program", metavar="NAME", help="the program to measure against")
    parser.add_argument(
        "--include-simulated",
        action="store_true",
        help="count simulated (dry-run) sessions as if they were walked",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    import json

    from treadctl.config import config_from_args
    from treadctl.errors import UsageError
    from treadctl.history import db
    from treadctl.history.checkins import all_checkins
    from treadctl.history.program_plan import all_plans, plan_for
    from treadctl.history.progress import compute, find_active
    from treadctl.history.progress_report import progress_json, progress_text

    limits = config_from_args(args).config.checkins
    conn = db.connect()
    try:
        sessions = db.list_sessions(conn)
        checkins = all_checkins(conn)
    finally:
        conn.close()
    if args.program:
        plan = plan_for(args.program)
    else:
        plans = all_plans()
        found = find_active(sessions, plans, include_simulated=args.include_simulated)
        if found is None:
            names = ", ".join(p.name for p in plans) or "none found"
            raise UsageError(f"which program? Use --program NAME (programs: {names})")
        plan = found
    progress = compute(
        plan,
        sessions,
        today=db.now_utc(),
        include_simulated=args.include_simulated,
        checkins=checkins,
        max_pain=limits.max_pain,
        max_effort=limits.max_effort,
    )
    if args.json:
        print(json.dumps(progress_json(progress), indent=2))
    else:
        print(progress_text(progress))
    return 0
