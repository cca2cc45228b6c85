"""A recorded session as Training Center XML (TCX v2), the format most importers accept.

Indoor, so no Position elements. TCX's Sport is Running, Biking or Other: walking is "Other".
Each bout is a Lap (TriggerMethod Manual, Intensity Active) whose Notes carry the direction, and
the Activity's Notes name the profile. Elements follow the schema's order, which strict importers
check. Trackpoint speed goes in the ActivityExtension ``TPX`` element, as Garmin's devices write it.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from treadctl.history.db import SampleRecord, SessionRecord
from treadctl.history.laps import LapTotals

TCX_NS = "http://www.garmin.com/xmlschemas/TrainingCenterDatabase/v2"
AX_NS = "http://www.garmin.com/xmlschemas/ActivityExtension/v2"
XSI_NS = "http://www.w3.org/2001/XMLSchema-instance"
SCHEMA_LOCATION = f"{TCX_NS} http://www.garmin.com/xmlschemas/TrainingCenterDatabasev2.xsd"


def _time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _sub(parent: ET.Element, tag: str, text: str | None = None, ns: str = TCX_NS) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ns}}}{tag}")
    if text is not None:
        element.text = text
    return element


def encode_tcx(session: SessionRecord, laps: list[LapTotals], samples: list[SampleRecord]) -> str:
    ET.register_namespace("", TCX_NS)
    ET.register_namespace("ax", AX_NS)
    ET.register_namespace("xsi", XSI_NS)
    start = session.started_at
    root = ET.Element(f"{{{TCX_NS}}}TrainingCenterDatabase")
    root.set(f"{{{XSI_NS}}}schemaLocation", SCHEMA_LOCATION)
    activity = _sub(_sub(root, "Activities"), "Activity")
    activity.set("Sport", "Other")
    _sub(activity, "Id", _time(start))
    for i, lap in enumerate(laps):
        last = i == len(laps) - 1
        inside = [
            s
            for s in samples
            if lap.start_t_s <= s.t_s < lap.end_t_s or (last and s.t_s >= lap.end_t_s)
        ]
        _lap(activity, lap, inside, start)
    simulated = " (simulated)" if session.simulated else ""
    _sub(activity, "Notes", f"treadctl: {session.profile_name}{simulated}, backward walking")
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _lap(
    activity: ET.Element, lap: LapTotals, samples: list[SampleRecord], start: datetime
) -> None:
    element = _sub(activity, "Lap")
    element.set("StartTime", _time(start + timedelta(seconds=lap.start_t_s)))
    _sub(element, "TotalTimeSeconds", f"{lap.duration_s:.1f}")
    _sub(element, "DistanceMeters", f"{lap.distance_m:.1f}")
    _sub(element, "MaximumSpeed", f"{lap.max_speed_kmh / 3.6:.3f}")
    _sub(element, "Calories", str(round(lap.energy_kcal)))
    if lap.avg_heart_rate_bpm is not None and lap.max_heart_rate_bpm is not None:
        _sub(_sub(element, "AverageHeartRateBpm"), "Value", str(lap.avg_heart_rate_bpm))
        _sub(_sub(element, "MaximumHeartRateBpm"), "Value", str(lap.max_heart_rate_bpm))
    _sub(element, "Intensity", "Active")
    _sub(element, "TriggerMethod", "Manual")
    if samples:
        track = _sub(element, "Track")
        for sample in samples:
            _trackpoint(track, sample, start)
    _sub(element, "Notes", f"{lap.name} ({lap.direction})")


def _trackpoint(track: ET.Element, sample: SampleRecord, start: datetime) -> None:
    point = _sub(track, "Trackpoint")
    _sub(point, "Time", _time(start + timedelta(seconds=sample.t_s)))
    if sample.distance_m is not None:
        _sub(point, "DistanceMeters", f"{sample.distance_m:.2f}")
    if sample.heart_rate_bpm:
        _sub(_sub(point, "HeartRateBpm"), "Value", str(sample.heart_rate_bpm))
    if sample.speed_kmh is not None:
        extensions = _sub(point, "Extensions")
        tpx = _sub(extensions, "TPX", ns=AX_NS)
        _sub(tpx, "Speed", f"{sample.speed_kmh / 3.6:.3f}", ns=AX_NS)
