"""`treadctl export`: a recorded session as FIT, TCX or CSV, to upload or open elsewhere.

Careful with the user's files: an existing file is replaced only with ``--force``, a missing
folder is an error (not created behind the user's back), and the format follows the file's
extension unless ``--format`` says otherwise.
"""

from __future__ import annotations

import argparse
import sys

TYPE_CHECKING = False  # not typing's: --help does not load typing (mypy reads both)
if TYPE_CHECKING:
    from pathlib import Path

    from treadctl.history.db import SessionRecord
    from treadctl.history.export import Format
    from treadctl.units import SpeedUnit

FORMATS = ("fit", "tcx", "csv")
DEFAULT_FORMAT = "fit"


def add_parser(
    subparsers: argparse._SubParsersAction[argparse.ArgumentParser], common: argparse.ArgumentParser
) -> None:
    parser = subparsers.add_parser(
        "export",
        parents=[common],
        help="export a session as FIT, TCX or CSV",
        description="Write a recorded session as a FIT or TCX activity (one lap per bout) or "
        "as CSV samples. The format follows the output file's extension (.fit, .tcx, .csv) "
        "unless --format is given; with neither, FIT. An existing file is replaced only with "
        "--force, and the folder must exist.",
    )
    parser.add_argument("session", metavar="SESSION", help="a session id, or 'last'")
    parser.add_argument(
        "--format",
        choices=FORMATS,
        help="fit, tcx or csv (default: from the -o file's extension, else fit)",
    )
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="where to write (default treadctl-ID-DATE.EXT here; '-' for standard output)",
    )
    parser.add_argument("--force", action="store_true", help="replace an existing file")
    parser.set_defaults(func=_main)


def choose_format(fmt: str | None, output: str | None) -> str:
    """``--format`` if given, else the output file's extension, else FIT."""
    from pathlib import Path

    from treadctl.errors import UsageError

    if fmt:
        return fmt
    if not output or output == "-":
        return DEFAULT_FORMAT
    suffix = Path(output).suffix.lower().lstrip(".")
    if suffix in FORMATS:
        return suffix
    shown = f"'.{suffix}'" if suffix else "no extension"
    raise UsageError(
        f"cannot tell the format from {output!r} ({shown}); end the name in .fit, .tcx or .csv, "
        "or give --format"
    )


def check_target(path: Path, *, force: bool) -> None:
    """Refuse what would surprise: a folder, a missing folder, an existing file without force."""
    from treadctl.errors import UsageError

    if path.is_dir():
        raise UsageError(f"{path} is a folder; give a file name with -o")
    parent = path.parent
    if not parent.is_dir():
        raise UsageError(f"the folder {parent} does not exist; create it first or pick another")
    if path.exists() and not force:
        raise UsageError(f"{path} already exists; use --force to replace it")


def _main(args: argparse.Namespace) -> int:
    from pathlib import Path

    from treadctl.atomic import atomic_write_bytes
    from treadctl.config import config_from_args
    from treadctl.errors import UsageError
    from treadctl.history import db
    from treadctl.history.export import default_file_name, export_session

    units = config_from_args(args).config.units
    from typing import cast

    fmt = cast("Format", choose_format(args.format, args.output))
    if args.output and args.output != "-":
        check_target(Path(args.output), force=args.force)  # before any work
    conn = db.connect()
    try:
        session_id = db.resolve_session_id(conn, args.session)
        data = export_session(conn, session_id, fmt)
        session = db.get_session(conn, session_id)
        target = args.output or default_file_name(conn, session_id, fmt)
    finally:
        conn.close()
    if target == "-":
        sys.stdout.flush()
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
        return 0
    path = Path(target)
    check_target(path, force=args.force)
    try:
        atomic_write_bytes(path, data)
    except OSError as error:
        raise UsageError(f"cannot write {path}: {error.strerror or error}") from None
    print(
        f"wrote {path} ({_summary(session, units)}, {fmt.upper()}, {len(data)} bytes)",
        file=sys.stderr,
    )
    return 0


def _summary(session: SessionRecord | None, units: SpeedUnit) -> str:
    """``session 3: 17:39, 0.46 mi``: what was exported, in the user's units."""
    from treadctl.units import format_distance, format_duration

    if session is None:  # pragma: no cover - resolve_session_id found it a moment ago
        return "session"
    return (
        f"session {session.id}: {format_duration(session.duration_s)}, "
        f"{format_distance(session.distance_m, units)}"
    )
