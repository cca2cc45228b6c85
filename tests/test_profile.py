"""Profiles: the format, located errors, the shipped library, editing round trips, programs."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomlkit

from treadctl.direction import Direction
from treadctl.errors import ProfileError
from treadctl.paths import shipped_profiles_dir
from treadctl.profile.duration import format_duration_text, parse_duration_s
from treadctl.profile.library import list_profiles
from treadctl.profile.loading import ProfileInvalid, load_profile, read_profile
from treadctl.profile.program import list_programs, load_program, missing_profiles, read_program
from treadctl.profile.writing import load_document, save_document, set_value

GOOD = """\
# Header comment that must survive.
name = "Test"
units = "kmh"

[[steps]]                      # a bout
label = "Warm-up"
direction = "forward"
duration = "5m"
speed = 3.0

[[steps]]
repeat = 2
  [[steps.bouts]]
  direction = "backward"  # walk backward
  duration = "2m"
  speed = 1.3
  [[steps.bouts]]
  direction = "forward"
  duration = 90
  speed = 3.0
"""


def write(tmp_path: Path, text: str, name: str = "p.toml") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("text", "duration_s"), [("5m", 300), ("90s", 90), ("1m30s", 90), ("1h", 3600), (45, 45)]
)
def test_duration_forms(text: str | int, duration_s: float) -> None:
    assert parse_duration_s(text) == duration_s


@pytest.mark.parametrize("text", ["", "5 minutes", "30s1m", "-5m", 0, -3, "m", True])
def test_bad_durations(text: object) -> None:
    with pytest.raises(ValueError):
        parse_duration_s(text)


def test_duration_text_round_trip() -> None:
    for seconds in (30, 90, 300, 3600, 3725):
        assert parse_duration_s(format_duration_text(seconds)) == seconds


def test_expand_unrolls_repeats_in_order(tmp_path: Path) -> None:
    profile = read_profile(write(tmp_path, GOOD))
    bouts = profile.expand()
    assert [b.direction for b in bouts] == [
        Direction.FORWARD, Direction.BACKWARD, Direction.FORWARD, Direction.BACKWARD,
        Direction.FORWARD,
    ]  # fmt: skip
    assert [b.index for b in bouts] == [0, 1, 2, 3, 4]
    assert bouts[1].duration_s == 120 and bouts[2].duration_s == 90
    assert bouts[3].label == "Backward (2/2)"


def test_mph_profiles_convert_to_kmh(tmp_path: Path) -> None:
    profile = read_profile(write(tmp_path, GOOD.replace('"kmh"', '"mph"')))
    assert profile.expand()[1].speed_kmh == pytest.approx(1.3 * 1.609344, abs=1e-3)


BAD_CASES = [
    ("bad TOML", GOOD.replace('speed = 3.0\n\n', 'speed = = 3.0\n\n', 1), 9, "invalid TOML"),
    ("unknown key", GOOD.replace("speed = 1.3", "sped = 1.3"), 16, "bouts[1].sped: unknown key"),
    ("negative duration", GOOD.replace('"5m"', '"-5m"'), 8, "steps[1].duration:"),
    ("negative number", GOOD.replace("duration = 90", "duration = -90"), 19, "bouts[2].duration"),
    ("speed 80", GOOD.replace("speed = 3.0", "speed = 80", 1), 9, "steps[1].speed:"),
    ("wrong direction", GOOD.replace('"backward"', '"backwards"'), 14, "bouts[1].direction:"),
    ("empty steps", 'name = "x"\nsteps = []\n', 2, "steps: needs at least one bout"),
    ("repeat 0", GOOD.replace("repeat = 2", "repeat = 0"), 12, "steps[2].repeat:"),
    ("missing name", GOOD.replace('name = "Test"', ""), 1, "name: required"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "text", "line", "fragment"), BAD_CASES)
def test_malformed_files_give_one_located_line(
    tmp_path: Path, case: str, text: str, line: int, fragment: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ProfileInvalid) as caught:
        read_profile(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"{path}:{line}: "), message
    assert fragment in message


def test_mph_speed_limit_is_checked_in_kmh(tmp_path: Path) -> None:
    text = GOOD.replace('"kmh"', '"mph"').replace("speed = 1.3", "speed = 13")
    with pytest.raises(ProfileInvalid, match=r":16: steps\[2\]\.bouts\[1\]\.speed: 13 mph"):
        read_profile(write(tmp_path, text))


def test_every_shipped_profile_validates_and_has_a_header() -> None:
    paths = sorted(shipped_profiles_dir().glob("*.toml"))
    slugs = {path.stem for path in paths}
    assert {"alternating-30", "first-session", "retro-10", "incline-retro"} <= slugs
    for path in paths:
        profile = read_profile(path)
        assert profile.backward_s > 0
        assert path.read_text().startswith("# ")
        for bout in profile.expand():  # beginner-friendly backward speeds
            if bout.direction is Direction.BACKWARD:
                assert bout.speed_kmh <= 2.0


def test_alternating_30_is_thirty_minutes_of_2_by_2() -> None:
    profile = load_profile("alternating-30")
    assert profile.total_duration_s == 30 * 60
    backward = [b for b in profile.expand() if b.direction is Direction.BACKWARD]
    assert len(backward) == 6 and all(b.duration_s == 120 for b in backward)
    assert all(b.speed_kmh == 1.3 for b in backward)


def test_shipped_programs_validate_and_name_existing_profiles() -> None:
    programs = list_programs()
    assert programs
    for path in programs:
        program = read_program(path)
        assert program.weeks >= 4
        assert missing_profiles(program) == []
        assert path.read_text().startswith("# ")


def test_program_schedule_cycles_profiles() -> None:
    program = load_program("retro-start")
    schedule = program.schedule()
    assert len(schedule) == sum(p.weeks * p.sessions_per_week for p in program.phases)
    last_week = [s.profile for s in schedule if s.week == program.weeks]
    assert last_week == ["alternating-30", "incline-retro", "alternating-30"]


def test_lookup_by_slug_and_name_user_first(isolated_home: Path) -> None:
    user = isolated_home / "profiles"
    user.mkdir()
    (user / "alternating-30.toml").write_text(GOOD.replace('"Test"', '"Mine"'))
    (user / "other-file.toml").write_text(GOOD.replace('"Test"', '"Named Thing"'))
    assert load_profile("alternating-30").name == "Mine"
    assert load_profile("Named Thing").name == "Named Thing"
    entries = list_profiles()
    shadowed = [e for e in entries if e.shadowed]
    assert [e.slug for e in shadowed] == ["alternating-30"]
    with pytest.raises(ProfileError, match="no profile named"):
        load_profile("does-not-exist")


def test_edit_round_trip_keeps_comments(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    document = load_document(path)
    set_value(document, ("steps", 1, "bouts", 0, "speed"), 1.5)
    save_document(path, document)
    text = path.read_text()
    assert "# Header comment that must survive." in text
    assert "# walk backward" in text and "# a bout" in text
    assert read_profile(path).expand()[1].speed_kmh == 1.5
    assert text == GOOD.replace("speed = 1.3", "speed = 1.5")


def test_invalid_edit_is_not_saved(tmp_path: Path) -> None:
    path = write(tmp_path, GOOD)
    document = load_document(path)
    set_value(document, ("steps", 0, "speed"), 90)
    with pytest.raises(ProfileInvalid):
        save_document(path, document)
    assert path.read_text() == GOOD
    assert list(tmp_path.glob("*.tmp")) == []  # no temporary file left


def test_writer_output_reads_back(tmp_path: Path) -> None:
    from treadctl.profile.writing import profile_text

    profile = load_profile("incline-retro")
    text = profile_text(profile, ["generated"])
    assert tomlkit.parse(text)["units"] == "mph"
    again = read_profile(write(tmp_path, text))
    assert again.expand() == profile.expand()
