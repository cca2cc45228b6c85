"""`treadctl history`: the sessions recorded so far, and one of them in detail."""

from __future__ import annotations

import argparse
import json

DEFAULT_LIMIT = 20


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "history",
        parents=[common],
        help="list recorded sessions, or show one",
        description="List recorded sessions (newest first), or show one with its bouts.",
    )
    parser.add_argument("--json", action="store_true", help="print JSON for scripts")
    parser.add_argument(
        "--limit",
        type=_positive,
        default=DEFAULT_LIMIT,
        metavar="N",
        help=f"show the newest N sessions (default {DEFAULT_LIMIT})",
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    show = actions.add_parser("show", help="one session: its bouts and a chart")
    show.add_argument("session", metavar="ID", help="a session id from the list, or 'last'")
    show.add_argument("--json", action="store_true", default=argparse.SUPPRESS)
    parser.set_defaults(func=_main)


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError("must be at least 1")
    return value


def _main(args: argparse.Namespace) -> int:
    from treadctl.history import db, report

    conn = db.connect()
    try:
        if args.action == "show":
            session_id = db.resolve_session_id(conn, args.session)
            session = db.get_session(conn, session_id)
            assert session is not None
            item = report.detail(
                session, db.get_laps(conn, session_id), db.get_samples(conn, session_id)
            )
            if args.json:
                print(json.dumps(report.detail_json(item), indent=2))
            else:
                print(report.show_text(item))
            return 0
        sessions = db.list_sessions(conn, limit=args.limit)
        if args.json:
            print(json.dumps([report.session_json(s) for s in sessions], indent=2))
        else:
            print(report.history_table(sessions))
        return 0
    finally:
        conn.close()
