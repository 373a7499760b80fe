"""Attempt plans and the [vision.liveness] settings (no model needed)."""

from __future__ import annotations

import random

import pytest

from kiosk.config import ConfigError, LivenessSettings, dump_settings, parse_settings
from kiosk.speech.catalogue import default_catalogue
from kiosk.vision.challenges import CHALLENGES
from kiosk.vision.sequence import HOLD_STILL, AttemptPlanner


def test_two_actions_and_one_hold_still_random_order_and_pauses() -> None:
    planner = AttemptPlanner(random.Random(1))
    seen = set()
    for _ in range(40):
        plan = planner.plan(count=2)
        assert len(plan.actions) == 2 and set(plan.actions) <= set(CHALLENGES)
        assert plan.steps.count(HOLD_STILL) == 1
        assert not {"turn_left", "turn_right"} <= set(plan.actions)
        assert all(0.3 <= p <= 1.5 for p in plan.pauses_s)
        seen.add(plan.steps)
    assert len(seen) > 15
    positions = {AttemptPlanner(random.Random(s)).plan().steps.index(HOLD_STILL)
                 for s in range(30)}
    assert positions == {0, 1, 2}


def test_never_the_same_sequence_twice_in_a_row_and_three_after_a_failure() -> None:
    planner = AttemptPlanner(random.Random(7))
    last = None
    for _ in range(60):
        plan = planner.plan(("blink", "nod"))
        assert plan.steps != last and set(plan.actions) == {"blink", "nod"}
        last = plan.steps
    planner.attempt_ended(False)
    assert len(planner.plan(("blink", "nod")).actions) == 3
    planner.new_visit()
    assert len(planner.plan(("blink", "nod")).actions) == 2


def test_liveness_settings_are_typed_range_checked_and_round_trip() -> None:
    s = parse_settings("[vision.liveness]\nonset_window_s = 5\nstill_s = 2.0\n")
    assert s.vision.liveness.onset_window_s == 5.0 and s.vision.liveness.still_s == 2.0
    with pytest.raises(ConfigError, match=r"vision\.liveness\.onset_window_s"):
        parse_settings("[vision.liveness]\nonset_window_s = 0.2\n")
    with pytest.raises(ConfigError, match=r"vision\.liveness\.onsett"):
        parse_settings("[vision.liveness]\nonsett = 3\n")
    assert parse_settings(dump_settings(s)) == s
    import dataclasses

    for f in dataclasses.fields(LivenessSettings):
        low, high = f.metadata["range"]
        assert low <= f.default <= high and f.metadata["doc"], f.name


def test_every_new_reason_and_coaching_line_is_written() -> None:
    cat = default_catalogue()
    for code in ("wrong_action", "not_still", "handheld_plane", "camera_changed",
                 "injected_stream", "stream_stalled", "bad_timestamps", "spliced_stream",
                 "repeated_motion"):
        assert f"reason_{code}" in cat and cat.text(f"reason_{code}").strip()
    for step in (*CHALLENGES, HOLD_STILL):
        assert cat.text(f"coach_wrong_action_{step}").startswith("请")
    assert "听到提示后" in cat.text("liveness")
    assert cat.text("challenge_hold_still")


def test_plans_keep_to_the_actions_the_site_allows() -> None:
    import random

    from kiosk.vision.sequence import HOLD_STILL, AttemptPlanner

    planner = AttemptPlanner(random.Random(3))
    for _ in range(20):
        plan = planner.plan(None, count=2, allowed=("blink", "open_mouth", "nod"))
        assert set(plan.actions) <= {"blink", "open_mouth", "nod"}
        assert HOLD_STILL in plan.steps
    planner.attempt_ended(False)                     # a retry asks three, still from the pool
    plan = planner.plan(("blink",), count=2, allowed=("blink", "open_mouth", "nod"))
    assert sorted(plan.actions) == ["blink", "nod", "open_mouth"]
