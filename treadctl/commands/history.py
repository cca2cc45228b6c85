"""`treadctl history`: the sessions recorded so far, and one of them in detail."""

from __future__ import annotations

import argparse

TYPE_CHECKING = False  # not typing's: --help does not load typing (mypy reads both)
if TYPE_CHECKING:
    from typing import Any


DEFAULT_LIMIT = 20


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
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
    import json

    from treadctl.config import config_from_args
    from treadctl.history import db, report
    from treadctl.history.liveness import running_session_id

    units = config_from_args(args).config.units
    conn = db.connect()
    try:
        newest = db.list_sessions(conn, limit=1)
        running_id = running_session_id(
            newest[0].id if newest else None,
            newest[0].finished if newest else True,
            db.default_db_path(),
        )
        if args.action == "show":
            session_id = db.resolve_session_id(conn, args.session)
            session = db.get_session(conn, session_id)
            assert session is not None
            item = report.detail(
                session, db.get_laps(conn, session_id), db.get_samples(conn, session_id)
            )
            checkin = _checkins(conn).get(session_id)
            running = session_id == running_id
            if args.json:
                detail = report.detail_json(item, running=running)
                print(json.dumps(_with_checkin(detail, checkin), indent=2))
            else:
                print(report.show_text(item, units, running=running))
                if checkin is not None and not checkin.empty:
                    print(f"check-in: {checkin.describe()}")
            return 0
        sessions = db.list_sessions(conn, limit=args.limit)
        checkins = _checkins(conn)
        if args.json:
            rows = [
                _with_checkin(
                    report.session_json(s, running=s.id == running_id), checkins.get(s.id)
                )
                for s in sessions
            ]
            print(json.dumps(rows, indent=2))
        else:
            table = report.history_table(sessions, units, running_id=running_id)
            print(_table_with_checkins(table, sessions, checkins))
        return 0
    finally:
        conn.close()


def _checkins(conn: Any) -> dict[int, Any]:
    from treadctl.history.checkins import all_checkins

    return all_checkins(conn)


def _with_checkin(row: dict[str, Any], checkin: Any) -> dict[str, Any]:
    row["checkin"] = checkin.to_json() if checkin is not None else None
    return row


def _table_with_checkins(table: str, sessions: list[Any], checkins: dict[int, Any]) -> str:
    """The history table, with each session's check-in (effort, pain, next morning) appended
    to its row: the table has a header line, then one line per session in order."""
    lines = table.splitlines()
    if not checkins or len(lines) != len(sessions) + 1:
        return table
    width = max(len(line) for line in lines)
    out = [lines[0].ljust(width) + "  CHECK-IN"]
    for line, session in zip(lines[1:], sessions, strict=True):
        checkin = checkins.get(session.id)
        out.append(line.ljust(width) + "  " + (checkin.describe() if checkin else ""))
    return "\n".join(line.rstrip() for line in out)
