"""`history` and `history show` follow the user's units; the header adds up to the bout rows."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.history_support import Bout, record
from treadctl.cli import main
from treadctl.direction import Direction
from treadctl.history import db


def _seconds(text: str) -> int:
    parts = [int(p) for p in text.split(":")]
    return parts[-1] + 60 * parts[-2] + (3600 * parts[-3] if len(parts) == 3 else 0)


def _units(home: Path, units: str) -> None:
    (home / "config").mkdir(exist_ok=True)
    (home / "config" / "config.toml").write_text(f'[display]\nunits = "{units}"\n')


def _check_header_is_the_sum(text: str, unit: str) -> None:
    lines = text.splitlines()
    totals = re.search(rf"Backward (\S+), forward (\S+), (\d+) {unit}, ([\d.]+) kcal", lines[2])
    assert totals, lines[2]
    long = re.search(r", (\S+) long,", lines[1])
    assert long
    rows = [line.split() for line in lines[4:] if re.match(r"\s*\d+/\d+ ", line)]
    back = sum(_seconds(r[-5]) for r in rows if r[1] == "backward")
    fwd = sum(_seconds(r[-5]) for r in rows if r[1] == "forward")
    assert _seconds(totals[1]) == back and _seconds(totals[2]) == fwd
    assert _seconds(long[1]) == back + fwd
    assert int(totals[3]) == sum(int(r[-4]) for r in rows)
    assert float(totals[4]) == pytest.approx(sum(float(r[-1]) for r in rows), abs=0.051)


bouts = st.lists(
    st.builds(
        Bout,
        st.sampled_from(list(Direction)),
        st.integers(min_value=20, max_value=200),
        st.sampled_from([1.3, 2.0, 3.1, 4.4]),
    ),
    min_size=1,
    max_size=5,
)


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(bouts, st.sampled_from(["kmh", "mph"]))
def test_show_header_totals_are_the_sum_of_the_rows(
    isolated_home: Path, capsys: pytest.CaptureFixture[str], plan: list[Bout], units: str
) -> None:
    path = db.default_db_path()
    path.unlink(missing_ok=True)
    _units(isolated_home, units)
    record(path, plan)
    assert main(["history", "show", "last"]) == 0
    _check_header_is_the_sum(capsys.readouterr().out, "yd" if units == "mph" else "m")


def test_listing_and_show_in_mph(isolated_home: Path, capsys: pytest.CaptureFixture[str]) -> None:
    record(db.default_db_path())
    _units(isolated_home, "mph")
    assert main(["history"]) == 0
    header, _row = capsys.readouterr().out.splitlines()
    assert header.split()[5] == "mi" and " km" not in header
    assert main(["history", "show", "1"]) == 0
    text = capsys.readouterr().out
    assert "avg mph" in text and "km/h" not in text and " yd" in text
    assert re.search(r"max \d+\.\d mph", text)
