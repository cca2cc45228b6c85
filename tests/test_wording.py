"""Internal names never reach the walker: reasons, endings and signals in plain words."""

from __future__ import annotations

import io
import signal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from treadctl.direction import Direction
from treadctl.events import (
    BoutStarted,
    Clamped,
    EndStatus,
    EventBus,
    SafetyEvent,
    SessionEnded,
    SessionSummary,
)
from treadctl.safety.rules import Reason
from treadctl.session.headless import HeadlessPrinter, describe
from treadctl.wording import END_REASONS, ending_sentence, reason_words, signal_words


@pytest.mark.parametrize("reason", [str(r) for r in Reason] + list(END_REASONS))
def test_every_reason_has_words_without_internal_names(reason: str) -> None:
    words = reason_words(reason)
    assert words and "_" not in words
    assert words != reason


def test_the_issue_examples() -> None:
    assert reason_words("safety_key") == "the safety key was pulled"
    assert "Ctrl-C" in reason_words("signal")
    assert signal_words(signal.SIGINT) == "Ctrl-C"
    assert signal_words("SIGTERM") != "SIGTERM"
    assert reason_words("internal_error: boom") == "treadctl hit an internal error (boom)"


@given(st.sampled_from(list(EndStatus)), st.sampled_from([str(r) for r in Reason]))
def test_ending_sentences_never_show_codes(status: EndStatus, reason: str) -> None:
    sentence = ending_sentence(str(status), reason)
    assert "_" not in sentence
    assert sentence.startswith("session ")


def test_headless_safety_line_is_words() -> None:
    line = describe(SafetyEvent(5.0, "safety_key", "the safety key is out", action="stop"))
    assert line == "stopping the belt: the safety key was pulled — the safety key is out"
    assert "safety_key" not in (line or "")
    repeated = SafetyEvent(5.0, "safety_key", "the safety key was pulled. Re-insert it.")
    assert describe(repeated) == "stopping the belt: the safety key was pulled. Re-insert it."


def test_headless_lines_follow_the_users_units() -> None:
    bout = BoutStarted(0.0, 0, 2, "Back", Direction.BACKWARD, 120.0, 3.2187, 0.0)
    assert "2.0 mph" in (describe(bout, "mph") or "")
    assert "3.2 km/h" in (describe(bout, "kmh") or "")
    clamp = Clamped(0.0, "speed", 8.04672, 6.436, "backward cap", 0)
    assert "5.0 mph → 4.0 mph" in (describe(clamp, "mph") or "")
    summary = SessionSummary("p", 90.0, 60.0, 30.0, 1609.344, 12.0, 2, 2)
    ended = describe(SessionEnded(90.0, EndStatus.COMPLETED, "completed", summary), "mph") or ""
    assert "1.00 mi" in ended and "1:30 in total" in ended and "km" not in ended


def test_printer_uses_its_units() -> None:
    out = io.StringIO()
    bus = EventBus()
    printer = HeadlessPrinter(out, units="mph").attach(bus)
    summary = SessionSummary("p", 60.0, 60.0, 0.0, 3218.688, 1.0, 1, 1)
    bus.publish(SessionEnded(60.0, EndStatus.SAFETY_STOP, "watchdog", summary))
    printer.close()  # the printer writes from its own thread: flush it first
    text = out.getvalue()
    assert "session ended: no data from the treadmill" in text
    assert "2.00 mi" in text
