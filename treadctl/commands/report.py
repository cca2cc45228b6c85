"""`treadctl report`: the adherence report for the physiotherapist (HTML, or CSV numbers)."""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # not typing's: --help does not load typing (mypy reads both)
if TYPE_CHECKING:
    from typing import Any

    from treadctl.adherence.data import Report
    from treadctl.history.progress import ProgramPlan

DEFAULT_WEEKS = 8
MAX_WEEKS = 104


def _weeks(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of weeks") from None
    if not 1 <= value <= MAX_WEEKS:
        raise argparse.ArgumentTypeError(f"--weeks must be between 1 and {MAX_WEEKS}")
    return value


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "report",
        parents=[common],
        help="adherence report for the physiotherapist (one HTML file, or CSV)",
        description="Sessions per week against the program, backward and forward minutes "
        "against the goal, speed and incline per session, effort and knee pain, heart rate by "
        "direction, every safety stop and fault, and what the program suggests next. "
        "Charts need the optional extra treadctl[report] (matplotlib); without it the report "
        "has the same numbers as tables.",
    )
    parser.add_argument(
        "--weeks",
        type=_weeks,
        default=DEFAULT_WEEKS,
        metavar="N",
        help=f"how many weeks back, this week included (default {DEFAULT_WEEKS})",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write here ('-' for standard output; default: "
        "treadctl-report-<person>-<date>.html or .csv in this folder)",
    )
    parser.add_argument(
        "--format",
        choices=("html", "csv"),
        help="html (default) or csv; -o FILE.csv alone also means csv",
    )
    parser.add_argument(
        "--program",
        metavar="NAME",
        help="program to measure against (default: the prescription's, else the active one)",
    )
    parser.add_argument(
        "--real-only", action="store_true", help="leave simulated (dry-run) sessions out"
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from treadctl.atomic import atomic_write_text
    from treadctl.errors import UsageError
    from treadctl.person import current

    if args.format is None:
        suffix = Path(args.output).suffix.lower() if args.output and args.output != "-" else ""
        args.format = "csv" if suffix == ".csv" else "html"
    report = build_report(
        weeks=args.weeks, program=args.program, real_only=bool(args.real_only), args=args
    )
    if args.format == "csv":
        from treadctl.adherence.csv_out import render_csv

        text = render_csv(report)
    else:
        from treadctl.adherence.html_out import render_html

        text = render_html(report)
    if args.output == "-":
        sys.stdout.write(text)
        return 0
    if args.output:
        output = Path(args.output)
    else:
        stamp = report.generated_at.astimezone().strftime("%Y-%m-%d")
        output = Path(f"treadctl-report-{current()}-{stamp}.{args.format}")
    if output.is_dir():
        raise UsageError(f"{output} is a folder; give a file name such as report.html")
    atomic_write_text(output, text)
    sessions = len(report.sessions)
    print(f"wrote {output} ({sessions} session{'s' if sessions != 1 else ''}, {args.weeks} weeks)")
    if args.format == "html":
        from treadctl.adherence import charts

        if not charts.available():
            print(
                "charts are off (matplotlib is not installed: pip install 'treadctl[report]'); "
                "the report has tables only"
            )
    return 0


def build_report(*, weeks: int, program: str | None, real_only: bool, args: object) -> Report:
    """Gather the selected person's report (see ``treadctl.adherence.data.gather``)."""
    import dataclasses

    from treadctl.adherence.data import gather
    from treadctl.config import config_from_args
    from treadctl.history import db
    from treadctl.paths import data_dir
    from treadctl.person import current
    from treadctl.prescription.apply import PRESCRIPTION_SOURCE
    from treadctl.prescription.loading import installed

    loaded = config_from_args(args)
    found = installed()
    conn = db.connect()
    try:
        sessions = db.list_sessions(conn)
        plan = _plan(program, found, sessions, real_only)
        report = gather(
            conn,
            person=current(),
            weeks=weeks,
            plan=plan,
            today=db.now_utc(),
            sessions_dir=data_dir() / "sessions",
            real_only=real_only,
        )
    finally:
        conn.close()
    caps = loaded.config.safety.model_dump(mode="json")
    locked = tuple(
        name
        for name in caps
        if loaded.sources.get(f"safety.{name}", "").startswith(PRESCRIPTION_SOURCE)
    )
    if found is not None:
        info = found[1].prescription
        report = dataclasses.replace(
            report, prescription_title=info.title, prescription_notes=info.notes
        )
    return dataclasses.replace(report, caps=caps, locked_caps=locked)


def _plan(
    program: str | None, found: Any, sessions: list[Any], real_only: bool
) -> ProgramPlan | None:
    from treadctl.history.program_plan import all_plans, plan_for
    from treadctl.history.progress import find_active
    from treadctl.profile.loading import slugify

    if program:
        return plan_for(program)
    if found is not None:
        prescription = found[1]
        return plan_for(slugify(prescription.program.name))
    return find_active(sessions, all_plans(), include_simulated=not real_only)
