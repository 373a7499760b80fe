"""A head shaking in a replayed video is not a head turn (real clip, real landmarker).

The phone replay below is the one attack of the 100-draw evaluation (seed 0) that passed
before a turn had to be kept past the bar: d9 looped on a trembling phone, draw 84 asking
turn_left, hold_still, blink. Its yaw swings about 25 degrees peak to peak at 1 Hz and
touched the 18-degree bar for about 0.1 s, which counted as the turn."""

from __future__ import annotations

import dataclasses

import pytest

from kiosk.camera.video_file import read_frames
from kiosk.config import LivenessSettings
from kiosk.vision import attacks
from kiosk.vision.liveness_eval import attack_draws, observe_stream

pytestmark = pytest.mark.slow

# the seeds build_streams(seed=0) draws for d9's phone replay (loop, then phone)
LOOP_SEED, PHONE_SEED = 299088013, 605242169
DRAW = 84


def test_the_phone_replay_that_touched_the_bar_no_longer_passes(shared_file, observer) -> None:
    frames = read_frames(shared_file("liveness", "liveportrait_d9.mp4"))
    replayed = attacks.on_phone(attacks.looped(frames, seed=LOOP_SEED), seed=PHONE_SEED)
    stream = observe_stream("phone_loop3:liveportrait_d9.mp4", "loop_phone", "attack",
                            replayed, observer)
    touch = dataclasses.replace(LivenessSettings(), turn_min_s=0.0)
    before = attack_draws(stream, DRAW + 1, 0, touch)[DRAW]
    now = attack_draws(stream, DRAW + 1, 0)[DRAW]
    assert before.challenges == ("turn_left", "hold_still", "blink")
    assert before.passed                      # the rule is what stops it
    assert not now.passed and "turn_left" not in now.completed
