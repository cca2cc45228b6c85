"""Heart-rate parts: configuration and overrides, the simulated strap's schedule and faults,
the suggestion, MQTT discovery, the view, the headless lines and the check-in questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from simulators.strap import (
    SimulatedStrap,
    StrapFaultKind,
    StrapSpecError,
    parse_schedule,
    parse_strap_fault,
)
from treadctl.cli import main
from treadctl.config import load_config
from treadctl.errors import ConfigError
from treadctl.events import HeartRate, Telemetry
from treadctl.hr.ceiling import effective_ceiling, suggestion_text
from treadctl.mqtt.config import MqttCommandsConfig
from treadctl.mqtt.discovery import discovery_messages
from treadctl.mqtt.topics import Topics
from treadctl.profile.models import Profile
from treadctl.profile.program import Phase
from treadctl.view import SessionView, reduce

# --- configuration ---------------------------------------------------------------------------


def test_heart_rate_configuration(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        '[heart_rate]\ndevice = "AA:BB:CC:DD:EE:FF"\n'
        "[safety]\nhr_ceiling_bpm = 118\nrequire_hr = true\n",
        encoding="utf-8",
    )
    loaded = load_config(path)
    assert loaded.config.heart_rate.device == "AA:BB:CC:DD:EE:FF"
    assert loaded.config.safety.hr_ceiling_bpm == 118 and loaded.config.safety.require_hr
    assert loaded.sources["safety.hr_ceiling_bpm"] == str(path)
    defaults = load_config(None).config
    assert defaults.safety.hr_ceiling_bpm is None and not defaults.safety.require_hr


@pytest.mark.parametrize(
    "text",
    [
        "[safety]\nhr_ceiling_bpm = 20\n",
        "[heart_rate]\ndevise = 'x'\n",
        "[checkins]\nmax_pain = 11\n",
    ],
)
def test_bad_heart_rate_configuration_is_a_located_error(tmp_path: Path, text: str) -> None:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value)


def test_profile_and_program_week_override_the_ceiling() -> None:
    profile = Profile.model_validate(
        {
            "name": "p",
            "hr_ceiling_bpm": 112,
            "steps": [{"direction": "forward", "duration": 60, "speed": 3}],
        }
    )
    phase = Phase(weeks=2, sessions_per_week=3, profiles=["p"], hr_ceiling_bpm=105)
    assert effective_ceiling(125, None, None).bpm == 125
    assert effective_ceiling(125, profile.hr_ceiling_bpm, None) == (
        effective_ceiling(125, 112, None)
    )
    assert effective_ceiling(125, 112, None).source == "profile"
    week = effective_ceiling(125, 112, phase.hr_ceiling_bpm, "program week 2 of X")
    assert (week.bpm, week.source) == (105, "program week 2 of X")
    assert effective_ceiling(None, None, None).bpm is None


def test_a_program_phase_ceiling_reaches_its_weeks(tmp_path: Path, isolated_home: Path) -> None:
    from treadctl.history.program_plan import plan_for

    programs = isolated_home / "profiles" / "programs"
    programs.mkdir(parents=True)
    (programs / "hr-prog.toml").write_text(
        'name = "HR prog"\n'
        '[[phases]]\nweeks = 1\nsessions_per_week = 1\nprofiles = ["retro-10"]\n'
        '[[phases]]\nweeks = 2\nsessions_per_week = 1\nprofiles = ["retro-10"]\n'
        "hr_ceiling_bpm = 108\n",
        encoding="utf-8",
    )
    plan = plan_for(str(programs / "hr-prog.toml"))
    assert [w.hr_ceiling_bpm for w in plan.weeks] == [None, 108, 108]


# --- the simulated strap ---------------------------------------------------------------------


def test_schedule_is_linear_between_points_and_held_after() -> None:
    schedule = parse_schedule("90,120@60,150@300")
    assert [schedule.bpm_at(t) for t in (0, 30, 60, 180, 300, 1000)] == [
        90,
        105,
        120,
        135,
        150,
        150,
    ]
    assert parse_schedule("77").bpm_at(500) == 77


@pytest.mark.parametrize("text", ["", "abc", "90,120", "90,120@60,100@30", "300", "90,-5@10"])
def test_bad_schedules(text: str) -> None:
    with pytest.raises(StrapSpecError):
        parse_schedule(text)


def test_faults_parse_and_bound() -> None:
    drop = parse_strap_fault("drop@60")
    assert drop.kind is StrapFaultKind.DROP and drop.active(60) and not drop.active(95)
    frozen = parse_strap_fault("frozen@10+5")
    assert frozen.active(12) and not frozen.active(16)
    for bad in ("melt@1", "frozen", "frozen@x", "frozen@-1", "drop@1+0"):
        with pytest.raises(StrapSpecError):
            parse_strap_fault(bad)


def test_strap_measurements_follow_the_faults() -> None:
    strap = SimulatedStrap(
        parse_schedule("100,160@60"),
        (parse_strap_fault("frozen@10+10"), parse_strap_fault("contact-lost@30+5")),
    )
    strap.origin_s = 0.0
    for t in range(0, 10):
        strap.sent.append(strap.measurement(float(t)))
    assert strap.sent[-1].rr_intervals_s and strap.sent[-1].in_contact
    frozen = strap.measurement(15.0)
    assert frozen.bpm == strap.sent[-1].bpm and frozen.rr_intervals_s == ()
    lost = strap.measurement(31.0)
    assert (lost.bpm, lost.in_contact) == (0, False)
    assert strap.measurement(40.0).bpm == 140


# --- suggestion ---------------------------------------------------------------------------------


def test_hr_suggest_is_labelled_a_suggestion(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["hr", "suggest", "--age", "70"]) == 0
    out = capsys.readouterr().out
    assert "Suggestion only" in out and "159 bpm" in out and "±12 bpm" in out
    assert "beta-blockers" in out
    assert suggestion_text(70) in out


def test_hr_suggest_rejects_a_bad_age(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["hr", "suggest", "--age", "seven"])
    assert exit_info.value.code == 2


# --- outputs ------------------------------------------------------------------------------------


def test_discovery_leaves_heart_rate_out_without_a_source() -> None:
    def configs(heart_rate: bool) -> dict[str, bytes]:
        messages = discovery_messages(
            Topics("t/x"), "x", MqttCommandsConfig(), heart_rate=heart_rate
        )
        return dict(messages)

    topic = "homeassistant/sensor/x/heart_rate/config"
    assert json.loads(configs(True)[topic])["unit_of_measurement"] == "bpm"
    assert configs(False)[topic] == b""  # removed, not announced


def test_the_view_takes_heart_rate_from_heart_rate_events_only_once_there_are_any() -> None:
    view = reduce(SessionView(), Telemetry(1.0, 3.0, heart_rate_bpm=0))
    assert view.heart_rate_bpm is None  # 0 is no contact, never a number
    view = reduce(view, HeartRate(2.0, 120, "good", "strap"))
    view = reduce(view, Telemetry(3.0, 3.0, heart_rate_bpm=88))
    assert (view.heart_rate_bpm, view.heart_rate_trust) == (120, "good")
    view = reduce(view, HeartRate(4.0, None, "frozen", "strap"))
    assert (view.heart_rate_bpm, view.heart_rate_trust) == (None, "frozen")


def test_headless_lines() -> None:
    import io

    from treadctl.events import EventBus
    from treadctl.hr.ceiling import Ceiling
    from treadctl.hr.lines import HeartRateLines

    out = io.StringIO()
    bus = EventBus()
    HeartRateLines(Ceiling(120, "profile"), out).attach(bus)
    for t in range(0, 130):
        bus.publish(HeartRate(float(t), 100, "good", "strap"))
    bus.publish(HeartRate(130.0, None, "no_contact", "strap"))
    lines = out.getvalue().splitlines()
    assert "heart-rate ceiling 120 bpm (from profile)" in lines[0]
    assert sum("heart rate 100 bpm (strap)" in line for line in lines) == 3  # 0, 60, 120 s
    assert "heart rate – (strap: no contact)" in lines[-1]


# --- the check-in questions ----------------------------------------------------------------------


async def test_the_check_in_app_asks_and_validates() -> None:
    from textual.widgets import Label

    from treadctl.tui.checkin import AFTER_QUESTIONS, CheckinApp

    app = CheckinApp("Check-in", AFTER_QUESTIONS)
    async with app.run_test() as pilot:
        await pilot.press("1", "2", "enter")
        assert "0 to 10" in str(app.query_one("#error", Label).render())
        await pilot.press("backspace", "backspace", "4", "enter", "3", "enter")
    assert app.return_value == {"effort": 4, "pain": 3}


async def test_the_check_in_app_can_be_skipped() -> None:
    from treadctl.tui.checkin import MORNING_QUESTIONS, CheckinApp

    app = CheckinApp("Before you start", MORNING_QUESTIONS)
    async with app.run_test() as pilot:
        await pilot.press("escape")
    assert app.return_value == {"morning": None}


def test_a_written_profile_keeps_its_ceiling() -> None:
    import tomllib

    from treadctl.profile.writing import profile_text

    profile = Profile.model_validate(
        {
            "name": "p",
            "hr_ceiling_bpm": 112,
            "steps": [{"direction": "forward", "duration": 60, "speed": 3}],
        }
    )
    assert tomllib.loads(profile_text(profile))["hr_ceiling_bpm"] == 112
