"""The event bus: a failing consumer never keeps events from the others."""

from __future__ import annotations

import pytest

from treadctl.events import EventBus, SafetyEvent, SessionEvent


def test_a_broken_listener_does_not_starve_the_others(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    seen: list[SessionEvent] = []

    def broken(event: SessionEvent) -> None:
        raise RuntimeError("display crashed")

    bus.subscribe(broken)
    bus.subscribe(seen.append)
    event = SafetyEvent(t_s=1.0, reason="watchdog", message="No data: belt stopped")
    bus.publish(event)
    assert seen == [event]
    assert "display crashed" in caplog.text


def test_unsubscribe_stops_delivery() -> None:
    bus = EventBus()
    seen: list[SessionEvent] = []
    unsubscribe = bus.subscribe(seen.append)
    unsubscribe()
    bus.publish(SafetyEvent(t_s=0.0, reason="x", message="y"))
    assert seen == []
