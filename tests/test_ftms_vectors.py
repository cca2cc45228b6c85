"""Every entry of the shared FTMS test vectors decodes, and encodes back, exactly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from treadctl import ftms
from treadctl.ftms.describe import decode_to_json

VECTORS: dict[str, Any] = json.loads(
    (Path(__file__).parent / "data" / "ftms_vectors.json").read_text(encoding="utf-8")
)


def _ids(entries: list[dict[str, Any]]) -> list[str]:
    return [entry["id"] for entry in entries]


@pytest.mark.parametrize("entry", VECTORS["treadmill_data"], ids=_ids(VECTORS["treadmill_data"]))
def test_treadmill_data_vector_decodes_and_encodes(entry: dict[str, Any]) -> None:
    frame = bytes.fromhex(entry["hex"])
    record = ftms.decode_treadmill_data(frame)
    assert record.to_json() == entry["expect"]
    assert ftms.encode_treadmill_data(ftms.TreadmillData.from_json(entry["expect"])) == frame


@pytest.mark.parametrize("entry", VECTORS["machine_status"], ids=_ids(VECTORS["machine_status"]))
def test_machine_status_vector_decodes_and_encodes(entry: dict[str, Any]) -> None:
    frame = bytes.fromhex(entry["hex"])
    assert ftms.decode_machine_status(frame).to_json() == entry["expect"]
    expect = entry["expect"]
    status = ftms.MachineStatus(
        ftms.MachineStatusEvent(expect["event"]),
        target_speed_kmh=expect.get("target_speed_kmh"),
        target_incline_pct=expect.get("target_incline_pct"),
    )
    assert status.op_code == expect["op_code"]
    assert ftms.encode_machine_status(status) == frame


_READS: dict[str, tuple[Any, Any]] = {
    "2ACC": (ftms.decode_feature, ftms.encode_feature),
    "2AD3": (ftms.decode_training_status, ftms.encode_training_status),
    "2AD4": (ftms.decode_speed_range, ftms.encode_speed_range),
    "2AD5": (ftms.decode_incline_range, ftms.encode_incline_range),
}


@pytest.mark.parametrize("entry", VECTORS["reads"], ids=_ids(VECTORS["reads"]))
def test_read_vector_decodes_and_encodes(entry: dict[str, Any]) -> None:
    frame = bytes.fromhex(entry["hex"])
    expect = {k: v for k, v in entry["expect"].items() if k != "note"}
    decode, encode = _READS[entry["characteristic"]]
    value = decode(frame)
    assert value.to_json() == expect
    assert encode(value) == frame
    assert decode_to_json(entry["characteristic"], [entry["hex"]]) == expect


MULTI = VECTORS["multi_notification_records"]


@pytest.mark.parametrize("entry", MULTI, ids=_ids(MULTI))
def test_multi_notification_vector_reassembles(entry: dict[str, Any]) -> None:
    assembler = ftms.RecordAssembler()
    frames = [bytes.fromhex(h) for h in entry["hex"]]
    results = [assembler.feed(frame) for frame in frames]
    assert results[:-1] == [None] * (len(frames) - 1)
    record = results[-1]
    assert record is not None
    decoded = record.to_json()
    assert {key: decoded[key] for key in entry["expect"]} == entry["expect"]
    assert decoded["more_data"] is False
    assert set(decoded) - set(entry["expect"]) == {"flags", "more_data"}


def test_td27_splits_into_the_md2_notifications_for_mtu_23() -> None:
    td27 = next(e for e in VECTORS["treadmill_data"] if e["id"] == "TD-27")
    record = ftms.decode_treadmill_data(bytes.fromhex(td27["hex"]))
    md2 = next(e for e in MULTI if e["id"] == "MD-2")
    assert [frame.hex() for frame in ftms.split_treadmill_data(record, att_mtu=23)] == md2["hex"]
    assembler = ftms.RecordAssembler()
    assert [assembler.feed(bytes.fromhex(h)) for h in md2["hex"]][-1] == record


# The request each Control Point vector writes (the vectors give it only as prose).
CP_REQUESTS: dict[str, ftms.ControlRequest] = {
    "CP-01": ftms.RequestControl(),
    "CP-02": ftms.Reset(),
    "CP-03": ftms.StartOrResume(),
    "CP-04": ftms.StartOrResume(),
    "CP-05": ftms.StartOrResume(),
    "CP-06": ftms.SetTargetSpeed(10.0),
    "CP-07": ftms.SetTargetSpeed(3.0),
    "CP-08": ftms.SetTargetSpeed(20.01),
    "CP-09a": ftms.SetTargetInclination(1.5),
    "CP-09b": ftms.SetTargetInclination(-2.0),
    "CP-11": ftms.StopOrPause(pause=False),
    "CP-12": ftms.StopOrPause(pause=True),
    "CP-13": ftms.StopOrPause(pause=False),
    "CP-14": ftms.UnknownRequest(0x81),
}
CP = VECTORS["control_point"]


def test_every_control_point_vector_has_an_expected_request() -> None:
    assert set(CP_REQUESTS) == {entry["id"] for entry in CP}


@pytest.mark.parametrize("entry", CP, ids=_ids(CP))
def test_control_point_vector(entry: dict[str, Any]) -> None:
    write = bytes.fromhex(entry["write"])
    request = CP_REQUESTS[entry["id"]]
    assert ftms.decode_request(write) == request
    assert ftms.encode_request(request) == write
    if entry["indication"] is None:
        return
    indication = bytes.fromhex(entry["indication"])
    response = ftms.decode_response(indication)
    assert response.request_op_code == write[0]
    assert response.result.name.lower() == entry["meaning"].split("-> ")[1].split(";")[0]
    assert ftms.encode_response(response) == indication
