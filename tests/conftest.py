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


def pytest_report_header(config: pytest.Config) -> str:
    """Say which MQTT broker the MQTT tests use, once at the top (in parallel runs too)."""
    import shutil

    kind = "mosquitto" if shutil.which("mosquitto") else "amqtt (embedded, mosquitto not installed)"
    return f"MQTT tests: broker = {kind}"


# --- unused snapshots in parallel runs --------------------------------------------------------
# A serial run fails when a snapshot file under tests/__snapshots__ is no longer asserted by any
# test (syrupy's "unused snapshot" check). Under pytest-xdist syrupy skips that check (its report
# is per worker), so here each worker hands the controller the snapshots its tests asserted, and
# the controller fails a whole-suite run in which a snapshot file went unused, as syrupy would.

SNAPSHOTS = Path(__file__).resolve().parent / "__snapshots__"
_USED_SNAPSHOTS = "treadctl_used_snapshots"


def _in_xdist_worker(config: pytest.Config) -> bool:
    return hasattr(config, "workerinput")


def _in_xdist_controller(config: pytest.Config) -> bool:
    return not _in_xdist_worker(config) and bool(getattr(config.option, "numprocesses", None))


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session) -> None:
    config = session.config
    if _in_xdist_worker(config):
        syrupy = getattr(config, "_syrupy", None)
        if syrupy is None:  # fail loudly rather than pass a check that no longer looks
            raise RuntimeError("syrupy's session is gone: update tests/conftest.py")
        used = sorted(
            {
                str(Path(result.snapshot_location).resolve())
                for assertion in syrupy._assertions
                for result in assertion.executions.values()
            }
        )
        config.workeroutput[_USED_SNAPSHOTS] = used  # type: ignore[attr-defined]
    elif _in_xdist_controller(config):
        _fail_on_unused_snapshots(session)


_worker_snapshots: list[str] = []
_skipped_tests: set[str] = set()


def pytest_testnodedown(node: object, error: object) -> None:
    """xdist: a worker finished; keep the snapshots it used."""
    output = getattr(node, "workeroutput", {})
    _worker_snapshots.extend(output.get(_USED_SNAPSHOTS, []))


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped_tests.add(report.nodeid)


def _fail_on_unused_snapshots(session: pytest.Session) -> None:
    config = session.config
    whole_suite = (
        config.args_source is pytest.Config.ArgsSource.TESTPATHS
        and not config.option.keyword
        and not config.option.markexpr
        and not config.getoption("deselect", None)
        and not config.getoption("lf", False)
        and session.testsfailed == 0
        and not session.shouldfail
        and not session.shouldstop
    )
    if not whole_suite:
        return  # like syrupy: only a complete, passing run can tell a snapshot is unused
    used = set(_worker_snapshots)
    unused = []
    for path in sorted(SNAPSHOTS.rglob("*")):
        if not path.is_file() or str(path.resolve()) in used:
            continue
        nodeid = f"tests/{path.parent.name}.py::{path.stem}"
        if nodeid not in _skipped_tests:
            unused.append(path.relative_to(SNAPSHOTS.parent.parent))
    if unused:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.ensure_newline()
            reporter.write_sep("-", "unused snapshots")
            for path in unused:
                reporter.write_line(f"unused snapshot (no test asserts it): {path}")
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
