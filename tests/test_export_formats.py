"""TCX and CSV exports: well-formed, the schema's required elements, one lap per bout, one CSV row
per sample."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from tests.history_support import ALTERNATING, record
from treadctl.history import db
from treadctl.history.export import export_session
from treadctl.history.tcx import TCX_NS

NS = {"t": TCX_NS}
LAP_CHILD_ORDER = (
    "TotalTimeSeconds",
    "DistanceMeters",
    "MaximumSpeed",
    "Calories",
    "AverageHeartRateBpm",
    "MaximumHeartRateBpm",
    "Intensity",
    "Cadence",
    "TriggerMethod",
    "Track",
    "Notes",
    "Extensions",
)
REQUIRED_LAP_CHILDREN = (
    "TotalTimeSeconds",
    "DistanceMeters",
    "Calories",
    "Intensity",
    "TriggerMethod",
)


@pytest.fixture
def conn(tmp_path: Path) -> db.sqlite3.Connection:
    record(tmp_path / "h.sqlite3")
    return db.connect(tmp_path / "h.sqlite3")


def test_tcx_has_a_lap_per_bout_in_schema_order(conn: db.sqlite3.Connection) -> None:
    session = db.get_session(conn, 1)
    assert session is not None
    root = ET.fromstring(export_session(conn, 1, "tcx"))
    assert root.tag == f"{{{TCX_NS}}}TrainingCenterDatabase"
    (activity,) = root.findall("t:Activities/t:Activity", NS)
    assert activity.get("Sport") in ("Running", "Biking", "Other")
    assert activity.find("t:Id", NS) is not None
    laps = activity.findall("t:Lap", NS)
    assert len(laps) == len(ALTERNATING)
    for lap, bout in zip(laps, ALTERNATING, strict=True):
        assert lap.get("StartTime", "").endswith("Z")
        tags = [child.tag.split("}")[1] for child in lap]
        assert all(tag in tags for tag in REQUIRED_LAP_CHILDREN)
        assert tags == sorted(tags, key=LAP_CHILD_ORDER.index)
        assert lap.findtext("t:TriggerMethod", namespaces=NS) == "Manual"
        assert str(bout.direction) in (lap.findtext("t:Notes", namespaces=NS) or "")
        for point in lap.findall("t:Track/t:Trackpoint", NS):
            assert point.find("t:Position", NS) is None  # indoor
            assert point.find("t:Time", NS) is not None
    total_s = sum(float(lap.findtext("t:TotalTimeSeconds", namespaces=NS) or 0) for lap in laps)
    assert total_s == pytest.approx(session.duration_s)
    distance_m = sum(float(lap.findtext("t:DistanceMeters", namespaces=NS) or 0) for lap in laps)
    assert distance_m == pytest.approx(session.distance_m, abs=0.5)
    points = root.findall(".//t:Trackpoint", NS)
    assert len(points) == len(db.get_samples(conn, 1))
    assert points[5].findtext("t:HeartRateBpm/t:Value", namespaces=NS)


def test_csv_has_a_row_per_sample(conn: db.sqlite3.Connection) -> None:
    samples = db.get_samples(conn, 1)
    rows = list(csv.DictReader(io.StringIO(export_session(conn, 1, "csv").decode())))
    assert len(rows) == len(samples)
    assert rows[0]["direction"] == ""  # the start-up second, before the first bout
    assert rows[1]["direction"] == "forward" and rows[1]["bout"] == "1"
    backward = [r for r in rows[:-1] if r["direction"] == "backward"]  # [-1]: the end sample
    assert len(backward) == sum(b.duration_s for b in ALTERNATING if b.direction == "backward")
    assert float(rows[-1]["distance_m"]) == pytest.approx(samples[-1].distance_m or 0)
    assert rows[10]["time_utc"].endswith("Z")
