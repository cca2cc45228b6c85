"""Atomic file writes: a crash or a full disk never leaves a half-written user file behind.

The new content goes to a temporary file in the same folder (so the rename stays on one file
system), is flushed and fsynced, then replaces the target with ``os.replace``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write_bytes(path: Path | str, data: bytes, *, new_file_mode: int = 0o644) -> None:
    """Replace ``path`` with ``data``; a new file gets ``new_file_mode`` (0o600 for secrets)."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if target.exists():
            # Keep the permissions the user gave the file (mkstemp creates it 0600).
            with contextlib.suppress(OSError):
                os.chmod(tmp_name, target.stat().st_mode & 0o7777)
        else:
            with contextlib.suppress(OSError):
                os.chmod(tmp_name, new_file_mode)
        os.replace(tmp_name, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp_name)
        raise
    _fsync_dir(target.parent)


def atomic_write_text(
    path: Path | str, text: str, encoding: str = "utf-8", *, new_file_mode: int = 0o644
) -> None:
    atomic_write_bytes(path, text.encode(encoding), new_file_mode=new_file_mode)


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable where the platform allows it."""
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
