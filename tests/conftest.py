"""Shared test set-up: every test gets its own user folders, never the real ones."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest


@pytest.fixture(autouse=True)
def isolated_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """Point treadctl's config, data and profile folders at a fresh temporary folder."""
    home = tmp_path / "treadctl-home"
    home.mkdir()
    monkeypatch.setenv("TREADCTL_HOME", str(home))
    yield home
