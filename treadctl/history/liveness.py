"""Is an unfinished session still running, or was its program killed?

The recorder marks a session as open by leaving ``end_status`` NULL until ``SessionEnded``; a
killed or crashed run leaves it NULL for ever. The listing tells the two apart without any help
from the recorder: a running session is the newest one, and its process still has the history
database open. SQLite (WAL mode, unix) holds a shared lock on one byte of the ``-shm`` file for
as long as a connection is open, and the kernel drops it when the process dies, however it dies;
``F_GETLK`` reports a lock held by another process. Where that probe is not available the answer
is "not running", which is what the listing said before.
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

# SQLite's unix VFS: the "dead man switch" byte of the WAL index, read-locked by every open
# connection (UNIX_SHM_BASE 120 + SQLITE_SHM_NLOCK 8).
_SHM_DMS_OFFSET = 128
_FLOCK = "hhqqi"  # struct flock on Linux: type, whence, start, len, pid


def database_open_elsewhere(db_path: Path) -> bool:
    """Whether another process has the SQLite database at ``db_path`` open right now."""
    if not sys.platform.startswith("linux"):
        return False
    import fcntl

    shm = Path(f"{db_path}-shm")
    try:
        fd = os.open(shm, os.O_RDONLY)
    except OSError:
        return False
    try:
        request = struct.pack(_FLOCK, fcntl.F_WRLCK, os.SEEK_SET, _SHM_DMS_OFFSET, 1, 0)
        answer = fcntl.fcntl(fd, fcntl.F_GETLK, request)
        lock_type = struct.unpack(_FLOCK, answer[: struct.calcsize(_FLOCK)])[0]
        return bool(lock_type != fcntl.F_UNLCK)
    except OSError:
        return False
    finally:
        os.close(fd)


def running_session_id(newest_id: int | None, newest_finished: bool, db_path: Path) -> int | None:
    """The id of the session that is still running, if any: the newest session, unfinished,
    with its database held open by another process."""
    if newest_id is None or newest_finished:
        return None
    return newest_id if database_open_elsewhere(db_path) else None
