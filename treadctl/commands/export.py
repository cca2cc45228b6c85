"""`treadctl export`: a recorded session as FIT, TCX or CSV, to upload or open elsewhere."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def add_parser(subparsers: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    parser = subparsers.add_parser(
        "export",
        parents=[common],
        help="export a session as FIT, TCX or CSV",
        description="Write a recorded session as a FIT or TCX activity (one lap per bout) or "
        "as CSV samples.",
    )
    parser.add_argument("session", metavar="SESSION", help="a session id, or 'last'")
    parser.add_argument("--format", choices=("fit", "tcx", "csv"), required=True)
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write (default treadctl-ID-DATE.EXT here; '-' for standard output)",
    )
    parser.set_defaults(func=_main)


def _main(args: argparse.Namespace) -> int:
    from treadctl.atomic import atomic_write_bytes
    from treadctl.errors import UsageError
    from treadctl.history import db
    from treadctl.history.export import default_file_name, export_session

    conn = db.connect()
    try:
        session_id = db.resolve_session_id(conn, args.session)
        data = export_session(conn, session_id, args.format)
        target = args.output or default_file_name(conn, session_id, args.format)
    finally:
        conn.close()
    if target == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    path = Path(target)
    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name with -o")
    try:
        atomic_write_bytes(path, data)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    print(
        f"wrote {path} (session {session_id}, {args.format.upper()}, {len(data)} bytes)",
        file=sys.stderr,
    )
    return 0
