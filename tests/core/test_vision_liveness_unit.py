"""Challenge logic on synthetic observations (no model): transitions against a baseline."""

from __future__ import annotations

import random
from types import MappingProxyType

import numpy as np
import pytest

from kiosk.vision.challenges import CHALLENGES, LivenessConfig, choose_challenges
from kiosk.vision.liveness import LivenessSession
from kiosk.vision.observe import FaceObservation

FPS = 30
_LM = np.zeros((478, 3), np.float32)


def obs(i: int, *, eye: float = 0.09, mouth: float = 0.01, yaw: float = 0.0,
        pitch: float = 0.0, blink: float | None = None, x: float = 200.0,
        faces: int = 1, other: tuple = ()) -> FaceObservation:
    shape = blink if blink is not None else (0.8 if eye < 0.03 else 0.1)
    return FaceObservation(
        frame_index=i, timestamp_ms=int(i * 1000 / FPS), width=640, height=480, faces=faces,
        box=(x, 150.0, 200.0, 220.0) if faces else None, landmarks=_LM if faces else None,
        other_boxes=other, yaw=yaw, pitch=pitch, roll=0.0, eye_open_left=eye,
        eye_open_right=eye, mouth_open=mouth,
        blendshapes=MappingProxyType({"eyeBlinkLeft": shape, "eyeBlinkRight": shape}))


def run(challenges: tuple[str, ...], frames: list[dict], cfg: LivenessConfig | None = None):
    s = LivenessSession(challenges, cfg)
    for i, kw in enumerate(frames):
        s.update(obs(i, **kw))
        if s.done:
            break
    return s.finish()


def rest(seconds: float, **kw) -> list[dict]:
    return [dict(kw) for _ in range(int(seconds * FPS))]


@pytest.mark.parametrize("eye_base", [0.09, 0.035])   # ordinary and narrow/drooping eyes
def test_blink_against_own_baseline(eye_base: float) -> None:
    frames = rest(1.5, eye=eye_base) + rest(0.15, eye=eye_base * 0.1) + rest(0.5, eye=eye_base)
    result = run(("blink",), frames)
    assert result.passed, result.reasons


def test_long_closure_like_a_downward_gaze_is_not_a_blink() -> None:
    frames = rest(1.5) + rest(3.0, eye=0.012) + rest(0.5)
    result = run(("blink",), frames)
    assert not result.passed and result.reasons[0] == "challenge_timeout"


def test_half_blink_and_wink_do_not_count() -> None:
    half = rest(1.5) + rest(0.15, eye=0.03, blink=0.5) + rest(0.5)
    assert not run(("blink",), half).passed
    s = LivenessSession(("blink",))
    for i in range(60):
        s.update(obs(i))
    for i in range(60, 66):      # one eye only
        o = obs(i)
        s.update(FaceObservation(**{**o.__dict__, "eye_open_left": 0.005}))
    for i in range(66, 90):
        s.update(obs(i))
    assert not s.finish().passed


def test_blink_during_baseline_does_not_pass_the_challenge() -> None:
    frames = rest(0.3) + rest(0.1, eye=0.005) + rest(1.0)
    assert not run(("blink",), frames).passed


def test_mouth_turns_and_nod_with_sign_conventions() -> None:
    assert run(("open_mouth",), rest(1.2) + rest(0.6, mouth=0.3) + rest(0.3)).passed
    assert run(("turn_left",), rest(1.2) + rest(0.7, yaw=25.0)).passed
    assert not run(("turn_right",), rest(1.2) + rest(0.7, yaw=25.0) + rest(0.3)).passed
    assert run(("turn_right",), rest(1.2) + rest(0.7, yaw=-25.0)).passed
    nod = rest(1.2) + rest(0.3, pitch=15.0) + rest(0.3)
    assert run(("nod",), nod).passed
    looking_down = rest(1.2) + rest(2.0, pitch=15.0)
    assert not run(("nod",), looking_down).passed


def test_turn_is_relative_to_the_resting_pose() -> None:
    # someone who rests with the head turned 15 degrees must turn further, not less
    assert not run(("turn_left",), rest(1.2, yaw=15.0) + rest(0.7, yaw=25.0)).passed
    assert run(("turn_left",), rest(1.2, yaw=15.0) + rest(0.7, yaw=36.0)).passed


def test_a_turn_is_kept_past_the_bar_not_touched() -> None:
    # a head shaking in a replayed video: past 18 degrees for 0.2 s, then straight back
    shake = rest(1.2) + rest(0.2, yaw=25.0) + rest(0.6)
    assert not run(("turn_left",), shake).passed
    assert run(("turn_left",), shake, LivenessConfig(turn_min_s=0.0)).passed
    # a resident turning on request and turning straight back: 0.4 s past the bar
    assert run(("turn_left",), rest(1.2) + rest(0.4, yaw=25.0) + rest(0.6)).passed
    # two touches do not add up to one turn
    twice = rest(1.2) + rest(0.2, yaw=25.0) + rest(0.2, yaw=12.0) + rest(0.2, yaw=25.0) + rest(0.6)
    assert not run(("turn_left",), twice).passed


def test_two_challenges_in_order_and_timeout() -> None:
    frames = rest(1.2) + rest(0.7, mouth=0.3) + rest(0.3) + rest(0.2, eye=0.005) + rest(0.3)
    assert run(("open_mouth", "blink"), frames).passed
    swapped = run(("blink", "open_mouth"), frames)
    assert swapped.completed == ("blink",) and not swapped.passed   # asked in order
    cfg = LivenessConfig(challenge_timeout_s=2.0)
    result = run(("nod",), rest(5.0), cfg)
    assert result.reasons == ("challenge_timeout",)
    assert result.duration_s == pytest.approx(3.0 + 1 / FPS, abs=0.1)


def test_face_swap_face_lost_and_second_face() -> None:
    jump = rest(1.2) + rest(0.2, x=500.0)
    assert run(("blink",), jump).reasons[0] == "face_swapped"
    gone = rest(1.2) + rest(1.5, faces=0)
    assert run(("blink",), gone).reasons[0] == "face_lost"
    crowd = rest(1.2) + rest(0.5, other=((10.0, 10.0, 180.0, 200.0),))
    assert run(("blink",), crowd).reasons[0] == "more_than_one_face"
    assert run(("blink",), rest(1.0, faces=0)).reasons[0] == "no_face"


def test_identical_frames_are_flagged_frozen() -> None:
    s = LivenessSession(("blink",))
    frame = np.full((48, 64, 3), 90, np.uint8)
    for i in range(40):
        s.update(obs(i), frame)
    assert "frozen_frame" in s.finish().reasons


def test_challenges_are_random_seedable_and_never_a_fixed_order() -> None:
    assert choose_challenges(2, random.Random(3)) == choose_challenges(2, random.Random(3))
    seen = {choose_challenges(2, random.Random(seed)) for seed in range(60)}
    assert len(seen) > 8
    assert any((b, a) in seen for a, b in seen)        # both orders occur
    for c in seen:
        assert len(set(c)) == 2 and set(c) <= set(CHALLENGES)
        assert set(c) != {"turn_left", "turn_right"}
    assert len(choose_challenges(1, random.Random(0))) == 1
    with pytest.raises(ValueError):
        LivenessSession(("wave",))
