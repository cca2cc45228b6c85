"""FTMS codec throughput over the project's test vectors (Treadmill Data decode is the hot path)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

VECTORS = Path(__file__).resolve().parent.parent / "tests" / "data" / "ftms_vectors.json"
MIN_SECONDS = 1.0


def _per_second(step: Callable[[], int]) -> float:
    """Items per second: repeat ``step`` (which returns the items it handled) for MIN_SECONDS."""
    step()  # warm caches (layouts are cached per flags value)
    items = 0
    start = time.perf_counter()
    elapsed = 0.0
    while elapsed < MIN_SECONDS:
        items += step()
        elapsed = time.perf_counter() - start
    return items / elapsed


def vars_of(record: Any) -> dict[str, Any]:
    """The record's Treadmill Data fields by name (what a sender holds before packing)."""
    from treadctl.ftms.treadmill_data import FIELD_NAMES

    return {name: getattr(record, name) for name in FIELD_NAMES}


def run() -> list[dict[str, Any]]:
    from treadctl import ftms

    vectors = json.loads(VECTORS.read_text(encoding="utf-8"))
    frames = [bytes.fromhex(entry["hex"]) for entry in vectors["treadmill_data"]]
    records = [ftms.decode_treadmill_data(frame) for frame in frames]
    multi = [
        [bytes.fromhex(h) for h in entry["hex"]] for entry in vectors["multi_notification_records"]
    ]
    decode, encode = ftms.decode_treadmill_data, ftms.encode_treadmill_data

    def decode_all() -> int:
        for frame in frames:
            decode(frame)
        return len(frames)

    def encode_all() -> int:
        for record in records:
            encode(record)
        return len(records)

    whole = [record for record in records if not record.truncated]
    split, split_values = ftms.split_treadmill_data, ftms.split_treadmill_values
    fields = [
        tuple((name, value) for name, value in vars_of(record).items() if value is not None)
        for record in whole
        if not record.more_data  # field values alone cannot say "more data"
    ]
    items = [(tuple(n for n, _ in f), tuple(v for _, v in f)) for f in fields]

    def split_all() -> int:
        for record in whole:
            split(record, 23)
        return len(whole)

    def split_values_all() -> int:
        for names, values in items:
            split_values(names, values, 23)
        return len(items)

    assembler = ftms.RecordAssembler()

    def assemble_all() -> int:
        for notifications in multi:
            for notification in notifications:
                assembler.feed(notification)
        return len(multi)

    return [
        {
            "name": f"treadmill data decode ({len(frames)} vector frames)",
            "value": _per_second(decode_all),
            "unit": "frames/s",
        },
        {"name": "treadmill data encode", "value": _per_second(encode_all), "unit": "frames/s"},
        {
            "name": "treadmill data split at ATT MTU 23",
            "value": _per_second(split_all),
            "unit": "records/s",
        },
        {
            "name": "split from field values (the simulator's path)",
            "value": _per_second(split_values_all),
            "unit": "records/s",
        },
        {
            "name": "two-notification record reassembly",
            "value": _per_second(assemble_all),
            "unit": "records/s",
        },
    ]
