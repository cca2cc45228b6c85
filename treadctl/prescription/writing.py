"""``treadctl prescription new``: a commented prescription from a program and the current caps.

The program and its profiles are copied from their files with tomlkit, so their comments come
along; every cap gets a comment saying what it limits. The result is validated before it is
written (atomically), so what treadctl drafts always imports.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import tomlkit
from tomlkit.items import Table

from treadctl.safety_config import SafetyConfig

from .loading import parse_prescription

CAP_NOTES: dict[str, str] = {
    "max_speed_kmh": "fastest belt speed walking forward",
    "max_backward_speed_kmh": "fastest belt speed walking backward",
    "max_incline_pct": "steepest incline walking forward",
    "max_backward_incline_pct": "steepest incline walking backward",
    "max_acceleration_kmh_per_s": "how fast the belt may speed up, forward",
    "max_backward_acceleration_kmh_per_s": "how fast the belt may speed up, backward",
    "watchdog_s": "stop the belt when the treadmill is silent this long",
    "turn_speed_kmh": "belt speed while turning around (0 stops it)",
    "turn_hold_s": "time allowed for each turn-around",
    "confirm_turns": "wait for a key before walking on after a turn",
    "hr_ceiling_bpm": "heart rate above which the belt slows and stops",
}


def _commented(value: Any, comment: str | None) -> Any:
    item = tomlkit.item(value)
    if comment:
        item.comment(comment)
    return item


def _copy_table(path: Path) -> Table:
    """A TOML file as a table (comments and key order kept)."""
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    table = tomlkit.table()
    for key, value in document.body:
        if key is None:
            if isinstance(value, tomlkit.items.Comment):
                table.add(value)
            continue
        table.add(key.key, value)
    return table


def draft(
    *,
    program_path: Path,
    profile_paths: dict[str, Path],
    safety: SafetyConfig,
    person: str | None,
    title: str,
    prescribed_by: str | None = None,
    notes: str | None = None,
    today: date | None = None,
) -> str:
    """The prescription text (validated; PrescriptionInvalid if the sources do not add up)."""
    issued = today or date.today()
    document = tomlkit.document()
    document.add(tomlkit.comment(f"Prescription: {title}"))
    document.add(
        tomlkit.comment(f"Drafted by `treadctl prescription new` on {issued.isoformat()}.")
    )
    document.add(
        tomlkit.comment(
            "Install it with: treadctl prescription import FILE --person NAME. Its [caps] are"
        )
    )
    document.add(
        tomlkit.comment(
            "then locked: the walker's own configuration may make them stricter, never looser."
        )
    )
    document.add(tomlkit.nl())

    info = tomlkit.table()
    info.add("title", title)
    if prescribed_by:
        info.add("prescribed_by", prescribed_by)
    if person:
        info.add("person", _commented(person, "import refuses it for anybody else"))
    info.add("issued", issued)
    words = notes or "Walk backward only with the rails within reach. Stop if your knee hurts."
    notes_item = tomlkit.string(words, multiline="\n" in words)
    notes_item.comment("shown to the walker")
    info.add("notes", notes_item)
    document.add("prescription", info)

    caps = tomlkit.table()
    values: dict[str, Any] = safety.model_dump(mode="json")
    for name, value in values.items():
        if value is None:
            continue
        caps.add(name, _commented(value, CAP_NOTES.get(name)))
    document.add("caps", caps)

    program = _copy_table(program_path)
    document.add("program", program)
    profiles = tomlkit.table(is_super_table=True)
    for slug, path in profile_paths.items():
        profiles.add(slug, _copy_table(path))
    document.add("profiles", profiles)

    text = tomlkit.dumps(document)
    parse_prescription(text, Path("(new prescription)"))
    return text
