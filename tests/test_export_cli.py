"""`treadctl export` from the real command line: never overwrites without --force, never makes
folders silently, takes the format from the extension, and says what it wrote in the user's
units."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.history_support import record
from treadctl.commands.export import choose_format
from treadctl.errors import UsageError
from treadctl.history import db

REPO = Path(__file__).resolve().parent.parent


def _treadctl(home: Path, *args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "treadctl", *args],
        capture_output=True,
        text=True,
        env={**os.environ, "TREADCTL_HOME": str(home), "PYTHONPATH": str(REPO)},
        cwd=cwd or REPO,
        timeout=60,
        check=False,
    )


@pytest.fixture
def home(isolated_home: Path) -> Path:
    record(db.default_db_path())
    return isolated_home


def test_format_from_the_extension(home: Path, tmp_path: Path) -> None:
    for ext, magic in (("fit", b".FIT"), ("tcx", b"<?xml"), ("csv", b"time_utc")):
        out = tmp_path / f"walk.{ext.upper()}"
        result = _treadctl(home, "export", "last", "-o", str(out))
        assert result.returncode == 0, result.stderr
        assert magic in out.read_bytes()[:16]
        assert f"{ext.upper()}," in result.stderr


def test_refuses_to_overwrite_without_force(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "walk.csv"
    out.write_text("keep me")
    refused = _treadctl(home, "export", "last", "-o", str(out))
    assert refused.returncode == 2
    assert refused.stderr.strip() == f"treadctl: {out} already exists; use --force to replace it"
    assert out.read_text() == "keep me"
    forced = _treadctl(home, "export", "last", "-o", str(out), "--force")
    assert forced.returncode == 0 and out.read_text().startswith("time_utc")


def test_a_missing_folder_is_an_error_not_created(home: Path, tmp_path: Path) -> None:
    out = tmp_path / "no" / "such" / "walk.fit"
    result = _treadctl(home, "export", "last", "-o", str(out))
    assert result.returncode == 2 and "does not exist" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "no").exists()


def test_unknown_extension_needs_format(home: Path, tmp_path: Path) -> None:
    result = _treadctl(home, "export", "last", "-o", str(tmp_path / "walk.gpx"))
    assert result.returncode == 2 and "--format" in result.stderr
    assert _treadctl(home, "export", "last", "-o", str(tmp_path / "w.gpx"), "--format", "tcx")
    assert (tmp_path / "w.gpx").read_text().startswith("<?xml")


def test_the_summary_follows_the_units(home: Path, tmp_path: Path) -> None:
    (home / "config").mkdir()
    (home / "config" / "config.toml").write_text('units = "mph"\n')
    result = _treadctl(home, "export", "last", "-o", str(tmp_path / "w.fit"))
    assert result.returncode == 0 and " mi, FIT," in result.stderr and " km" not in result.stderr


def test_default_name_is_fit_and_not_overwritten(home: Path, tmp_path: Path) -> None:
    assert _treadctl(home, "export", "last", cwd=tmp_path).returncode == 0
    assert len(list(tmp_path.glob("treadctl-1-*.fit"))) == 1
    again = _treadctl(home, "export", "last", cwd=tmp_path)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_choose_format() -> None:
    assert choose_format(None, None) == "fit"
    assert choose_format(None, "-") == "fit"
    assert choose_format("csv", "x.fit") == "csv"
    assert choose_format(None, "a/b.Tcx") == "tcx"
    with pytest.raises(UsageError):
        choose_format(None, "walk")
