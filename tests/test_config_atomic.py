"""Atomic writes: the old file survives a failed write; permissions are kept."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from treadctl import atomic
from treadctl.atomic import atomic_write_bytes, atomic_write_text


def test_writes_and_replaces(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "f.toml"
    atomic_write_text(path, "one")
    path.chmod(0o640)
    atomic_write_text(path, "two")
    assert path.read_text() == "two"
    assert path.stat().st_mode & 0o777 == 0o640
    assert [p.name for p in path.parent.iterdir()] == ["f.toml"]


def test_secret_mode_for_new_files(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    atomic_write_bytes(path, b"x", new_file_mode=0o600)
    assert path.stat().st_mode & 0o777 == 0o600


def test_failure_keeps_old_content_and_leaves_no_temp(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "folder"
    folder.mkdir()
    path = folder / "f.toml"
    path.write_text("old")

    def broken_replace(src: str, dst: str) -> None:
        raise OSError("disk on fire")

    monkeypatch.setattr(atomic.os, "replace", broken_replace)
    with pytest.raises(OSError):
        atomic_write_text(path, "new")
    monkeypatch.setattr(atomic.os, "replace", os.replace)
    assert path.read_text() == "old"
    assert [p.name for p in folder.iterdir()] == ["f.toml"]
