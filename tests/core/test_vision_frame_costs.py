"""The per-frame shortcuts (bench/vision.py) give the answers the long way gives, on real
frames of the shared clips and of a generated phone replay, through the real landmarker."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from kiosk.vision import attacks, quality
from kiosk.vision.liveness_eval import read_clip

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def observed(shared_file, observer):
    """(frame, observation) pairs with a face: two genuine clips and a phone held up."""
    out = []
    for name in ("liveportrait_d9.mp4", "liveportrait_d3.mp4"):
        frames, _ = read_clip(shared_file("liveness", name))
        out += [(f, i) for i, f in enumerate(frames[::4])]
    out += [(f, i) for i, f in enumerate(list(attacks.still_on_phone(out[0][0], seconds=2.0, seed=3))[::3])]
    pairs = []
    for k, (f, _) in enumerate(out):
        o = observer.observe(f, 1000 + 33 * k)
        if o.has_face:
            pairs.append((f, o))
    assert len(pairs) > 100
    return pairs


def test_glare_from_the_grey_face_is_the_glare_of_the_frame(observed) -> None:
    for f, o in observed:
        fast = quality.assess(f, o, full=True).measures["glare"]
        assert fast == quality._glare_fraction(f, o)    # converted again, patch by patch
    bright = [(np.clip(f.astype(np.int16) + 90, 0, 255).astype(np.uint8), o)
              for f, o in observed[:20]]
    for f, o in bright:                                 # glare that is there is still seen
        fast = quality.assess(f, o, full=True).measures["glare"]
        assert fast == quality._glare_fraction(f, o) and fast > 0


def test_the_late_gates_skipped_never_change_what_is_coached_or_kept(observed) -> None:
    """With an earlier gate failed, glare and blur are not measured: the reason coached, ok
    and the probe score are those of every gate measured (`full`), frame by frame."""
    skipped = 0
    frames = observed + [(cv2.GaussianBlur(f, (0, 0), 5), o) for f, o in observed[::6]]
    for f, o in frames:
        quick, every = quality.assess(f, o), quality.assess(f, o, full=True)
        assert (quick.reason, quick.ok, quick.score) == (every.reason, every.ok, every.score)
        assert quick.reasons == every.reasons[:len(quick.reasons)]
        skipped += "sharpness" not in quick.measures
    assert 0 < skipped < len(frames)          # both ways were exercised


def test_the_background_brightness_from_a_grid_is_within_a_grey_level(observed) -> None:
    for f, _ in observed[::5]:
        full = float(cv2.cvtColor(f, cv2.COLOR_BGR2GRAY).astype(np.float64).sum())
        assert abs(quality._frame_luma_sum(f) - full) / (f.shape[0] * f.shape[1]) < 1.0
