"""The voice coach: the words, which cue each event gets, speech off the loop (a real program),
the WAV audio espeak-ng makes of the cues, and the cues of a real dry run in the audit log."""

from __future__ import annotations

import io
import shutil
import sys
import threading
import time
import wave
from array import array
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl.cli import main
from treadctl.direction import Direction
from treadctl.events import (
    Alarm,
    BoutStarted,
    Countdown,
    Cue,
    EndStatus,
    EventBus,
    LinkChanged,
    PhaseChanged,
    PhaseName,
    SafetyEvent,
    SessionEnded,
    SessionEvent,
    Telemetry,
    VoiceNotice,
)
from treadctl.plan import PlannedBout
from treadctl.session.audit import read_audit
from treadctl.units import SpeedUnit
from treadctl.voice.attach import VoiceCoach
from treadctl.voice.coach import Coach, CueText
from treadctl.voice.config import VoiceConfig, VoiceCuesConfig
from treadctl.voice.engines import find_engine, speak_argv, wav_argv
from treadctl.voice.speaker import Speaker
from treadctl.voice.words import decimal_words, duration_words, integer_words, speed_words

ESPEAK = shutil.which("espeak-ng")
NO_ESPEAK = (
    "espeak-ng is not installed (apt-get install espeak-ng): could not check that the cues "
    "render to non-silent audio of a plausible length"
)

# -- words ---------------------------------------------------------------------------------


def test_the_issue_s_example_sentence() -> None:
    assert speed_words(1.3, "kmh") == "one point three kilometres an hour"
    assert duration_words(120) == "two minutes"
    assert speed_words(1.609344, "mph") == "one mile an hour"
    assert speed_words(4.0, "mph") == "two point five miles an hour"
    assert duration_words(90) == "one minute thirty seconds"
    assert duration_words(3725) == "one hour two minutes five seconds"
    assert decimal_words(2.0) == "two" and decimal_words(0.75) == "zero point eight"


@given(st.integers(0, 9999), st.integers(0, 9999))
def test_numbers_in_words_are_words_and_tell_numbers_apart(a: int, b: int) -> None:
    words_a, words_b = integer_words(a), integer_words(b)
    assert not any(ch.isdigit() for ch in words_a)
    assert (words_a == words_b) == (a == b)


@given(st.floats(0.1, 20.0))
def test_every_speed_is_said_with_its_unit(speed_kmh: float) -> None:
    for unit, word in (("kmh", "kilometre"), ("mph", "mile")):
        text = speed_words(speed_kmh, unit)  # type: ignore[arg-type]
        assert word in text and not any(ch.isdigit() for ch in text)


# -- which cue for which event ---------------------------------------------------------------

B, F = Direction.BACKWARD, Direction.FORWARD


def _script() -> list[SessionEvent]:
    """A start count, a 2-minute forward bout with data each second, a turn with its count-in,
    a backward bout, a pause, a safety stop, an alarm, and an end with the belt not at rest."""
    events: list[SessionEvent] = [
        LinkChanged(0.0, "connected"),
        PhaseChanged(0.0, PhaseName.STARTING),
    ]
    events += [Countdown(float(i), 3 - i, "start") for i in range(4)]
    events += [
        BoutStarted(4.0, 0, 2, "Warm-up", F, 120, 3.0, 0.0),
        PhaseChanged(4.0, PhaseName.RAMP, bout_index=0),
    ]
    events += [Telemetry(4.0 + s, 3.0) for s in range(1, 121)]
    # As the engine does it: the belt slows, the turn's hold, its last 3 s counted, the next bout.
    turn = PhaseChanged(
        126.0,
        PhaseName.TURN,
        bout_index=1,
        duration_s=5.0,
        remaining_s=5.0,
        detail="turn to walk backward",
    )
    events += [turn, *[Countdown(128.0 + i, 3 - i, "turn") for i in range(4)]]
    events += [
        BoutStarted(131.0, 1, 2, "Back", B, 120, 1.3, 2.0, "small steps"),
        PhaseChanged(133.0, PhaseName.RAMP, bout_index=1),
        PhaseChanged(140.0, PhaseName.PAUSED, bout_index=1, detail="paused by you"),
        PhaseChanged(150.0, PhaseName.RAMP, bout_index=1, remaining_s=113.0),
        SafetyEvent(160.0, "safety_key", "the safety key was pulled", "stop"),
        PhaseChanged(160.0, PhaseName.PAUSED, bout_index=1),
        Alarm(161.0, "not_stopping", "the belt is still moving after Stop"),
        Alarm(170.0, "not_stopping", "at rest", active=False),
        SessionEnded(180.0, EndStatus.SAFETY_STOP, "safety_key", belt_at_rest=False),
    ]
    return events


def _planned(index: int, direction: Direction) -> PlannedBout:
    return PlannedBout(index, "", direction, 120.0, 2.0, 0.0, None, 0.5, 0.0, 4.0)


PLAN = [_planned(0, F), _planned(1, B)]


def _cues(config: VoiceConfig | None = None, units: SpeedUnit = "kmh") -> list[CueText]:
    coach = Coach(config or VoiceConfig(), units, bouts=lambda: PLAN)
    return [cue for event in _script() for cue in coach.cues_for(event)]


def test_every_kind_of_cue_is_made_in_plain_words() -> None:
    texts = [cue.text for cue in _cues()]
    expected = [
        "Starting in three.",
        "Two.",
        "One.",
        "Go.",
        "Forward, three kilometres an hour, two minutes.",
        "Halfway. One minute left.",
        "Thirty seconds left.",
        "Ten seconds left.",
        "Turn around in three.",
        "Two.",
        "One.",
        "You can turn now: face away from the console.",
        "Walking on in three.",
        "Two.",
        "One.",
        "Start walking backward, one point three kilometres an hour, incline two percent,"
        " two minutes. Small steps.",
        "Paused. The belt is stopping.",
        "Resuming. The belt speeds up slowly.",
        "Stopping the belt: the safety key was pulled. Put the safety key back in first.",
        "Warning! The belt may not have stopped. Stop it on the console or pull the safety key"
        " now.",
        "The belt has stopped. The alarm is over.",
        "Session ended: the safety key was pulled.",
        "Warning! The belt may still be moving. Stop it on the console.",
    ]
    assert texts == expected
    urgent = {cue.text for cue in _cues() if cue.urgent}
    assert any(t.startswith("Stopping the belt") for t in urgent)
    assert any(t.startswith("Warning! The belt may not") for t in urgent)


def test_units_follow_the_walker() -> None:
    texts = " ".join(cue.text for cue in _cues(units="mph"))
    assert "miles an hour" in texts and "kilomet" not in texts


def test_cues_can_be_switched_off_but_alarms_cannot() -> None:
    off = VoiceCuesConfig(
        countdown=False,
        bout=False,
        time_left=False,
        turn=False,
        pause=False,
        fault=False,
        end=False,
    )
    cues = _cues(VoiceConfig(cues=off))
    assert {cue.category for cue in cues} == {"alarm"}
    assert len(cues) == 3  # raised, resolved, and the belt-not-at-rest warning at the end
    points = _cues(VoiceConfig(time_left_s=[45], halfway=False))
    assert [c.text for c in points if c.category == "time_left"] == ["Forty-five seconds left."]


def test_a_turn_without_a_count_in_is_still_announced() -> None:
    coach = Coach()
    coach.cues_for(BoutStarted(0.0, 0, 2, "Fwd", F, 30, 3.0, 0.0))
    cues = coach.cues_for(PhaseChanged(30.0, PhaseName.TURN, 1, 5.0, "turn to walk backward"))
    assert [c.text for c in cues] == ["You can turn now: face away from the console."]
    waiting = PhaseChanged(35.0, PhaseName.TURN, 1, None, "press a key when you have turned round")
    assert [c.text for c in coach.cues_for(waiting)] == ["Press Enter when you have turned round."]


def test_time_left_waits_while_the_bout_clock_is_stopped() -> None:
    coach = Coach(VoiceConfig(halfway=False, time_left_s=[10]))
    coach.cues_for(BoutStarted(0.0, 0, 1, "Fwd", F, 60, 3.0, 0.0))
    coach.cues_for(PhaseChanged(0.0, PhaseName.STEADY, 0))
    assert coach.cues_for(PhaseChanged(45.0, PhaseName.PAUSED, 0)) != []  # 15 s left
    assert coach.cues_for(Telemetry(100.0, 0.0)) == []  # paused: the bout clock stands still
    coach.cues_for(PhaseChanged(100.0, PhaseName.RAMP, 0, 15.0))
    assert coach.cues_for(Telemetry(104.0, 1.0)) == []
    assert [c.text for c in coach.cues_for(Telemetry(105.5, 1.0))] == ["Ten seconds left."]


def test_config_rejects_nonsense() -> None:
    with pytest.raises(ValueError):
        VoiceConfig(time_left_s=[-5])
    with pytest.raises(ValueError):
        VoiceConfig.model_validate({"cues": {"alarm": False}})  # alarms have no switch
    with pytest.raises(ValueError):
        VoiceConfig(language="en; rm -rf")


# -- the engines' command lines ------------------------------------------------------------


def test_engine_choice_and_command_lines() -> None:
    config = VoiceConfig(rate_wpm=140, volume_pct=50, language="en-gb")
    found = find_engine(config, lambda name: f"/usr/bin/{name}" if name == "spd-say" else None)
    assert found.name == "spd-say"
    argv = speak_argv("spd-say", "/usr/bin/spd-say", config, "Go.")
    assert argv[:2] == ["/usr/bin/spd-say", "--wait"] and argv[-1] == "Go." and "en-gb" in argv
    espeak = speak_argv("espeak-ng", "/e", config, "-Go")
    assert espeak == ["/e", "-v", "en-gb", "-s", "140", "-a", "100", "--", "-Go"]
    none = find_engine(VoiceConfig(engine="say"), lambda name: None)
    assert none.name is None and "say is not installed" in none.notice
    assert "apt install espeak-ng" in none.notice


# -- the coach on a bus --------------------------------------------------------------------


class _SpySpeaker:
    def __init__(self, argv_for, **_: object) -> None:
        self.argv_for = argv_for
        self.calls: list[tuple[str, str]] = []
        self.working = True

    def say(self, text: str, *, urgent: bool = False) -> None:
        self.calls.append(("urgent" if urgent else "say", text))

    def raise_alarm(self, text: str) -> None:
        self.calls.append(("alarm", text))

    def clear_alarm(self) -> None:
        self.calls.append(("clear", ""))

    def close(self, *, wait: bool = True) -> None:
        self.calls.append(("close", "wait" if wait else ""))


def _run_on_bus(coach: VoiceCoach) -> list[SessionEvent]:
    bus = EventBus()
    seen: list[SessionEvent] = []
    coach.attach(bus)
    bus.subscribe(seen.append)
    for event in _script():
        bus.publish(event)
    coach.close()
    return seen


def test_every_cue_is_an_event_and_spoken_when_a_program_is_there() -> None:
    spy: list[_SpySpeaker] = []

    def factory(argv_for, **kw):
        spy.append(_SpySpeaker(argv_for, **kw))
        return spy[0]

    coach = VoiceCoach(
        VoiceConfig(),
        "kmh",
        which=lambda name: "/usr/bin/espeak-ng",
        speaker_factory=factory,
        bouts=lambda: PLAN,
    )
    seen = _run_on_bus(coach)
    cues = [e for e in seen if isinstance(e, Cue)]
    assert len(cues) == len(_cues()) and all(c.spoken for c in cues)
    assert [c.text for c in cues] == [c.text for c in _cues()]
    kinds = [kind for kind, _ in spy[0].calls]
    assert kinds.count("alarm") == 1 and "clear" in kinds and kinds[-1] == "close"
    assert spy[0].argv_for("Go.")[0] == "/usr/bin/espeak-ng"
    # A cue reaches the listeners after the coach before the event that caused it.
    end = next(i for i, e in enumerate(seen) if isinstance(e, SessionEnded))
    assert isinstance(seen[end - 1], Cue) and seen[end - 2].category == "end"  # type: ignore[attr-defined]


def test_without_a_speech_program_it_says_so_once_and_logs_the_cues() -> None:
    out = io.StringIO()
    coach = VoiceCoach(VoiceConfig(), "kmh", which=lambda name: None, out=out)
    seen = _run_on_bus(coach)
    assert out.getvalue().count("no speech program found") == 1
    assert "apt install espeak-ng" in out.getvalue()
    cues = [e for e in seen if isinstance(e, Cue)]
    assert cues and not any(c.spoken for c in cues)
    notices = [e for e in seen if isinstance(e, VoiceNotice)]
    assert len(notices) == 1 and seen[0] is notices[0]  # with the first event, for the audit log


def test_no_speech_means_silent_and_no_notice() -> None:
    out = io.StringIO()
    coach = VoiceCoach(VoiceConfig(), "kmh", speech=False, which=lambda name: None, out=out)
    seen = _run_on_bus(coach)
    assert out.getvalue() == "" and coach.speaker is None
    assert not any(c.spoken for c in seen if isinstance(c, Cue))


# -- speech off the loop, with a real program ------------------------------------------------


def _recorder(tmp_path: Path, pause_s: float) -> tuple[list[str], Path]:
    """A 'speech program' that takes ``pause_s`` to say a sentence, then notes it in a file."""
    log = tmp_path / "said.txt"
    script = (
        f"import sys,time; time.sleep({pause_s}); open({str(log)!r},'a').write(sys.argv[1]+'\\n')"
    )
    return [sys.executable, "-c", script], log


def _said(log: Path) -> list[str]:
    return log.read_text().splitlines() if log.exists() else []


def test_say_never_waits_for_the_program(tmp_path: Path) -> None:
    argv, log = _recorder(tmp_path, 0.3)
    speaker = Speaker(lambda text: [*argv, text])
    started = time.monotonic()
    for n in range(3):
        speaker.say(f"cue {n}")
    assert time.monotonic() - started < 0.05  # queued, not spoken, on the caller's thread
    speaker.close(drain_s=10)
    assert _said(log) == ["cue 0", "cue 1", "cue 2"]
    assert threading.active_count() >= 1


def test_the_newest_alarm_cuts_in_and_repeats_until_cleared(tmp_path: Path) -> None:
    argv, log = _recorder(tmp_path, 0.4)
    speaker = Speaker(lambda text: [*argv, text], repeat_alarm_s=0.2)
    speaker.say("a long bout cue")
    speaker.say("a queued cue")
    time.sleep(0.1)
    speaker.raise_alarm("first alarm")
    speaker.raise_alarm("THE BELT MAY NOT HAVE STOPPED")
    deadline = time.monotonic() + 10
    while _said(log).count("THE BELT MAY NOT HAVE STOPPED") < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    speaker.clear_alarm()
    speaker.say("stopped")
    speaker.close(drain_s=10)
    said = _said(log)
    assert (
        "a long bout cue" not in said and "a queued cue" not in said and "first alarm" not in said
    )
    assert said.count("THE BELT MAY NOT HAVE STOPPED") >= 2 and said[-1] == "stopped"


def test_a_missing_program_is_reported_once(tmp_path: Path) -> None:
    failures: list[str] = []
    speaker = Speaker(
        lambda text: [str(tmp_path / "no-such-program"), text], on_failure=failures.append
    )
    speaker.say("one")
    speaker.say("two")
    speaker.close(drain_s=5)
    assert len(failures) == 1 and not speaker.working


# -- the audio itself --------------------------------------------------------------------------


def _audio(path: Path) -> tuple[float, float]:
    """(seconds, peak amplitude 0..1) of a 16-bit mono WAV, read with Python's wave module."""
    with wave.open(str(path)) as wav:
        assert wav.getsampwidth() == 2 and wav.getnchannels() == 1
        frames = wav.readframes(wav.getnframes())
        seconds = wav.getnframes() / wav.getframerate()
    samples = array("h", frames)
    peak = max((abs(s) for s in samples), default=0) / 32768
    return seconds, peak


def test_every_cue_renders_to_audible_speech_of_a_plausible_length(tmp_path: Path) -> None:
    if ESPEAK is None:
        pytest.skip(NO_ESPEAK)
    config = VoiceConfig(rate_wpm=150)
    done: list[tuple[CueText, Path]] = []
    cues = _cues(config)
    for n, cue in enumerate(cues):
        wav_path = tmp_path / f"cue{n}.wav"
        done.append((cue, wav_path))

    paths = iter(done)

    def argv_for(text: str) -> list[str]:
        cue, wav_path = next(paths)
        assert cue.text == text
        return wav_argv(ESPEAK, config, text, str(wav_path))

    speaker = Speaker(argv_for)
    for cue in cues:
        speaker.say(cue.text)
    speaker.close(drain_s=60)
    assert len(speaker.said) == len(cues)
    for cue, wav_path in done:
        seconds, peak = _audio(wav_path)
        words = len(cue.text.split())
        # 150 words a minute is 0.4 s a word; allow for pauses at commas and full stops.
        assert 0.15 * words <= seconds <= 1.2 * words + 1.0, (cue.text, seconds)
        assert peak > 0.1, (cue.text, peak)


def test_volume_and_rate_reach_the_audio(tmp_path: Path) -> None:
    if ESPEAK is None:
        pytest.skip(NO_ESPEAK)
    text = "Backward, one point three kilometres an hour, two minutes."
    results = {}
    for name, config in {
        "slow": VoiceConfig(rate_wpm=100),
        "fast": VoiceConfig(rate_wpm=300),
        "quiet": VoiceConfig(rate_wpm=100, volume_pct=10),
    }.items():
        path = tmp_path / f"{name}.wav"
        import subprocess

        subprocess.run(wav_argv(ESPEAK, config, text, str(path)), check=True)
        results[name] = _audio(path)
    assert results["slow"][0] > 1.8 * results["fast"][0]
    assert results["quiet"][1] < results["slow"][1] / 3


# -- a real dry run --------------------------------------------------------------------------


def test_a_dry_run_logs_every_cue_in_the_audit_log(tmp_path: Path, isolated_home: Path) -> None:
    audit = tmp_path / "audit.jsonl"
    status = main(
        ["run", "alternating-30", "--simulate", "--fast", "--headless", "--audit", str(audit)]
    )
    assert status == 0
    events = read_audit(audit)
    cues = [e for e in events if e["kind"] == "cue"]
    categories = {c["category"] for c in cues}
    assert {"bout", "time_left", "turn", "end"} <= categories
    assert not any(c["spoken"] for c in cues)  # --fast: faster than words, logged only
    bouts = [e for e in events if e["kind"] == "bout"]
    assert len([c for c in cues if c["category"] == "bout"]) == len(bouts)
    assert events[-2]["kind"] == "cue" and events[-2]["text"] == "Session complete. Well walked."
    first = next(c for c in cues if c["category"] == "bout")
    assert str(first["text"]).startswith("Forward, three kilometres an hour, four minutes")


def test_cues_follow_the_voice_config(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text("[voice]\ntime_left_s = []\nhalfway = false\n[voice.cues]\nturn = false\n")
    audit = tmp_path / "audit.jsonl"
    args = ["run", "first-session", "--simulate", "--fast", "--headless", "--audit", str(audit)]
    assert main([*args, "--config", str(config)]) == 0
    categories = {e["category"] for e in read_audit(audit) if e["kind"] == "cue"}
    assert "turn" not in categories and "time_left" not in categories and "bout" in categories
    config.write_text("[voice]\nrate_wpm = 5\n")
    assert main([*args, "--config", str(config)]) == 2


def test_sox_hears_the_same_audio(tmp_path: Path) -> None:
    """A second opinion from a real audio tool: sox's RMS level and length of one cue."""
    if ESPEAK is None or shutil.which("sox") is None:
        pytest.skip(
            "espeak-ng or sox is not installed (apt-get install espeak-ng sox): could not check "
            "the cue's audio level and length with sox"
        )
    import subprocess

    path = tmp_path / "cue.wav"
    text = "Turn around now: face away from the console."
    subprocess.run(wav_argv(ESPEAK, VoiceConfig(), text, str(path)), check=True)
    stat = subprocess.run(["sox", str(path), "-n", "stat"], capture_output=True, text=True)
    values = {
        line.split(":")[0].strip(): line.split(":")[1].strip()
        for line in stat.stderr.splitlines()
        if ":" in line
    }
    assert float(values["RMS     amplitude"]) > 0.02
    assert 1.0 < float(values["Length (seconds)"]) < 8.0


def test_closing_without_waiting_still_says_what_is_queued(tmp_path: Path) -> None:
    argv, log = _recorder(tmp_path, 0.2)
    speaker = Speaker(lambda text: [*argv, text])
    speaker.say("Session complete. Well walked.")
    started = time.monotonic()
    speaker.close(wait=False)
    assert time.monotonic() - started < 0.05
    deadline = time.monotonic() + 10
    while not _said(log) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert _said(log) == ["Session complete. Well walked."]


def test_a_real_run_without_a_speech_program_says_so_once(tmp_path: Path) -> None:
    """A child process in real time with no speech program on its PATH."""
    import os
    import signal
    import subprocess

    audit = tmp_path / "audit.jsonl"
    env = {**os.environ, "PATH": str(tmp_path)}  # nothing to speak with
    argv = [sys.executable, "-m", "treadctl", "run", "first-session", "--simulate", "--headless"]
    process = subprocess.Popen(
        [*argv, "--audit", str(audit)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if audit.exists() and '"kind":"cue"' in audit.read_text():
            break
        time.sleep(0.1)
    process.send_signal(signal.SIGTERM)
    _, err = process.communicate(timeout=30)
    assert err.count("no speech program found") == 1 and "apt install espeak-ng" in err
    records = read_audit(audit)
    assert [r["kind"] for r in records].count("voice") == 1
    cues = [r for r in records if r["kind"] == "cue"]
    assert cues and not any(c["spoken"] for c in cues)
    assert cues[-1]["category"] == "end"


@given(
    st.lists(st.floats(0.05, 3.0), min_size=1, max_size=120),
    st.integers(60, 300),
    st.lists(st.integers(10, 120), max_size=3, unique=True),
)
def test_each_time_left_point_is_said_once_and_never_early(
    gaps: list[float], duration_s: int, points: list[int]
) -> None:
    """Data arrives at any spacing; each point is said once, when the bout's clock has reached
    it (within the gap to the next record), never before."""
    config = VoiceConfig(halfway=False, time_left_s=[float(p) for p in points] or [30.0])
    coach = Coach(config)
    coach.cues_for(BoutStarted(0.0, 0, 1, "Fwd", F, duration_s, 3.0, 0.0))
    coach.cues_for(PhaseChanged(0.0, PhaseName.RAMP, 0))
    said: list[tuple[float, str]] = []
    t = 0.0
    for gap in gaps:
        t += gap
        if t >= duration_s:
            break
        for cue in coach.cues_for(Telemetry(t, 3.0)):
            said.append((t, cue.text))
    texts = [text for _, text in said]
    assert len(texts) == len(set(texts))  # never twice
    for t_said, text in said:
        seconds = next(
            p for p in config.time_left_s if duration_words(p).capitalize() + " left." == text
        )
        assert duration_s - t_said <= seconds  # never early
    reached = [p for p in config.time_left_s if p + 5 <= duration_s and duration_s - t <= p]
    if t < duration_s:
        assert len(said) >= min(1, len(reached))  # a reached point is said (the nearest one)
