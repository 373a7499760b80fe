"""A looped recording repeats itself, a live person does not: the repetition cue on real clips.

Real shared clips through the real landmarker; the loops are made here by the attack
generator (a virtual camera that drops frames, a phone held by a trembling hand).
"""

from __future__ import annotations

import pytest

from kiosk.vision import attacks
from kiosk.vision.challenges import LivenessConfig
from kiosk.vision.liveness_eval import attack_draws, observe_stream, read_clip
from kiosk.vision.repeat import RepeatDetector

pytestmark = pytest.mark.slow
CLIPS = ("liveportrait_d9.mp4", "liveportrait_d18.mp4", "liveportrait_d3.mp4",
         "liveportrait_d19.mp4", "sadtalker_WDA_AlexandriaOcasioCortez_000.mp4")
BAR = LivenessConfig().repeat_max_ratio


def _best(stream) -> float | None:
    r = RepeatDetector()
    for o in stream.observations:
        if o.has_face:
            r.feed(o, o.timestamp_ms / 1000.0)
    return r.best


def test_no_genuine_clip_repeats_itself(shared_file, observer) -> None:
    for name in CLIPS:
        frames, fps = read_clip(shared_file("liveness", name))
        st = observe_stream(name, name, "genuine", frames, observer, fps=fps)
        best = _best(st)
        # d19 holds still: too little movement for any window to vote, which is allowed
        assert best is None or best > BAR, (name, best)


@pytest.mark.parametrize("on_phone", [False, True])
def test_a_looped_clip_repeats_and_its_attempts_fail(shared_file, observer, on_phone) -> None:
    frames, fps = read_clip(shared_file("liveness", "liveportrait_d18.mp4"))
    loop = attacks.looped(frames, seed=11)
    if on_phone:
        loop = attacks.on_phone(loop, seed=12, fps=fps)
    st = observe_stream("loop", "loop_phone" if on_phone else "loop_injected", "attack", loop,
                        observer, fps=fps)
    best = _best(st)
    assert best is not None and best < BAR, best
    items = attack_draws(st, 12, seed=4)
    assert not any(i.passed for i in items)
    assert any("repeated_motion" in i.reasons for i in items)
    # the same draws with the cue switched off: the cue is what reports the loop
    off = attack_draws(st, 12, seed=4, cfg=LivenessConfig(repeat_max_ratio=0.0))
    assert not any("repeated_motion" in i.reasons for i in off)
