"""The heart-rate trust tracker and the ceiling policy: pure, on explicit times."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from treadctl.safety.heart_rate import (
    FROZEN_AFTER_S,
    STALE_AFTER_S,
    CeilingPolicy,
    CeilingSettings,
    Trust,
    TrustTracker,
    tanaka_max_bpm,
)

# --- trust ------------------------------------------------------------------------------------


def test_a_strap_starts_link_lost_then_good_with_a_reading() -> None:
    tracker = TrustTracker(0.0, has_link=True)
    assert tracker.state(0.0).trust is Trust.LINK_LOST
    tracker.link(True)
    assert tracker.state(1.0).trust is Trust.STALE  # connected, nothing heard yet
    tracker.reading(1.0, 92, contact=True, rr_count=1)
    state = tracker.state(1.5)
    assert (state.trust, state.bpm) == (Trust.GOOD, 92)


def test_zero_bpm_or_cleared_contact_is_no_contact_and_never_a_number() -> None:
    tracker = TrustTracker(0.0)
    tracker.reading(1.0, 0, rr_count=0)
    assert tracker.state(1.0).trust is Trust.NO_CONTACT
    assert tracker.state(1.0).bpm is None
    tracker.reading(2.0, 88, contact=False)
    assert (tracker.state(2.0).trust, tracker.state(2.0).bpm) == (Trust.NO_CONTACT, None)


def test_stale_between_ten_and_fifteen_seconds() -> None:
    assert 10.0 <= STALE_AFTER_S <= 15.0
    tracker = TrustTracker(0.0)
    tracker.reading(5.0, 100, rr_count=1)
    assert tracker.state(5.0 + 9.9).trust is Trust.GOOD
    assert tracker.state(5.0 + 15.1).trust is Trust.STALE
    assert tracker.state(5.0 + 15.1).bpm is None


def test_frozen_when_the_same_value_comes_without_rr_for_long() -> None:
    tracker = TrustTracker(0.0)
    tracker.reading(0.0, 110, rr_count=1)  # a source that sends RR intervals: a strap
    t = 1.0
    while t < FROZEN_AFTER_S + 5:
        tracker.reading(t, 117, rr_count=0)
        t += 1.0
    assert tracker.state(t).trust is Trust.FROZEN
    tracker.reading(t, 117, rr_count=2)  # beats detected again
    assert tracker.state(t).trust is Trust.GOOD
    t2 = t
    while t2 < t + FROZEN_AFTER_S + 5:
        tracker.reading(t2, 117 + int(t2) % 2)  # the value moves: not frozen
        t2 += 1.0
    assert tracker.state(t2).trust is Trust.GOOD


def test_link_lost_wins_over_everything() -> None:
    tracker = TrustTracker(0.0, has_link=True)
    tracker.link(True)
    tracker.reading(1.0, 100, rr_count=1)
    tracker.link(False)
    assert tracker.state(1.0).trust is Trust.LINK_LOST


# --- the ceiling --------------------------------------------------------------------------------

SETTINGS = CeilingSettings(ceiling_bpm=120, margin_bpm=10, stop_after_s=30, hold_s=20, step_kmh=0.3)


def test_below_the_ceiling_nothing_happens() -> None:
    policy = CeilingPolicy(SETTINGS)
    for t in range(100):
        decision = policy.update(float(t), 115, 3.5)
        assert decision.limit_kmh is None and not decision.stop


def test_above_the_ceiling_holds_then_steps_down_then_holds_again() -> None:
    policy = CeilingPolicy(SETTINGS)
    limits = [policy.update(float(t), 125, 3.5).limit_kmh for t in range(0, 61)]
    assert limits[0] == 3.5  # hold the speed at once
    assert set(limits[0:20]) == {3.5}
    assert limits[20] == 3.2  # after hold_s, one step down
    assert set(limits[20:40]) == {3.2}
    assert limits[40] == 2.9
    assert not any(policy.update(61.0, 125, 2.9).stop for _ in range(1))


def test_hold_uses_the_belt_speed_rounded_down() -> None:
    policy = CeilingPolicy(SETTINGS)
    assert policy.update(0.0, 121, 3.47).limit_kmh == 3.4


def test_the_limit_never_goes_below_the_floor() -> None:
    policy = CeilingPolicy(SETTINGS)
    limit = None
    for t in range(0, 2000):
        limit = policy.update(float(t), 125, 1.2).limit_kmh
    assert limit == SETTINGS.min_limit_kmh


def test_above_ceiling_plus_margin_for_the_stop_time_asks_for_stop() -> None:
    policy = CeilingPolicy(SETTINGS)
    stops = [t for t in range(0, 40) if policy.update(float(t), 131, 3.0).stop]
    assert stops == [30]  # 30 s above 130 bpm; then it asks again only after another 30 s


def test_a_dip_under_the_margin_restarts_the_stop_count() -> None:
    policy = CeilingPolicy(SETTINGS)
    for t in range(0, 25):
        assert not policy.update(float(t), 135, 3.0).stop
    policy.update(25.0, 128, 3.0)  # above the ceiling, under ceiling + margin
    assert not any(policy.update(float(t), 135, 3.0).stop for t in range(26, 55))
    assert policy.update(56.0, 135, 3.0).stop


def test_untrusted_readings_change_nothing() -> None:
    policy = CeilingPolicy(SETTINGS)
    policy.update(0.0, 125, 3.5)
    for t in range(1, 200):
        decision = policy.update(float(t), None, 3.5)
        assert decision.limit_kmh == 3.5 and not decision.stop


def test_the_limit_is_lifted_only_at_a_new_bout_with_heart_rate_down() -> None:
    policy = CeilingPolicy(SETTINGS)
    policy.update(0.0, 125, 3.5)
    assert policy.update(1.0, 110, 3.5).limit_kmh == 3.5  # back down: still held this bout
    assert policy.new_bout(2.0).limit_kmh is None
    policy.update(3.0, 125, 3.0)
    assert policy.new_bout(4.0).limit_kmh == 3.0  # still above: the limit stays


# --- the property: heart rate can never raise a limit ------------------------------------------

steps = st.lists(
    st.tuples(
        st.one_of(st.none(), st.integers(0, 250)),  # a reading (None: untrusted)
        st.floats(0.0, 8.0),  # the belt's measured speed
        st.floats(0.1, 30.0),  # seconds to the next reading
        st.booleans(),  # a new bout starts here
    ),
    max_size=200,
)


@settings(max_examples=300)
@given(steps, st.floats(0.5, 8.0))
def test_no_heart_rate_sequence_raises_any_limit(
    sequence: list[tuple[int | None, float, float, bool]], plan_kmh: float
) -> None:
    """Within a bout the limit only ever goes down; it is lifted (to the plan's own target, never
    above) only at a bout boundary; the effective target is never above the plan's."""
    policy = CeilingPolicy(SETTINGS)
    t = 0.0
    previous: float | None = None
    for bpm, belt_kmh, dt, new_bout in sequence:
        if new_bout:
            lifted = policy.new_bout(t).limit_kmh
            assert lifted is None or (previous is not None and lifted <= previous)
            previous = lifted
        decision = policy.update(t, bpm, belt_kmh)
        limit = decision.limit_kmh
        if previous is not None:
            assert limit is not None and limit <= previous
        if limit is not None and previous is None:
            assert limit <= max(SETTINGS.min_limit_kmh, belt_kmh)
        effective = plan_kmh if limit is None else min(plan_kmh, limit)
        assert effective <= plan_kmh
        previous = limit
        t += dt


def test_tanaka() -> None:
    assert tanaka_max_bpm(70) == 159
    assert tanaka_max_bpm(40) == 180


def test_a_source_without_rr_intervals_is_never_called_frozen() -> None:
    tracker = TrustTracker(0.0)  # the treadmill's own field: no RR, ever
    for t in range(0, 600):
        tracker.reading(float(t), 96)
    assert tracker.state(600.0).trust is Trust.GOOD
