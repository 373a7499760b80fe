"""A video cut from one recording to another (a montage) is seen; a person's own motion and
an exposure step are not. Real clips through the real landmarker (splice.py)."""

from __future__ import annotations

import numpy as np
import pytest

from kiosk.vision.liveness import SPLICED_STREAM, LivenessSession
from kiosk.vision.liveness_eval import attack_draws, observe_stream, read_clip
from kiosk.vision.splice import CutDetector

pytestmark = pytest.mark.slow
CLIPS = ("liveportrait_d9.mp4", "liveportrait_d18.mp4", "liveportrait_d3.mp4",
         "liveportrait_d19.mp4", "sadtalker_WDA_AlexandriaOcasioCortez_000.mp4")


@pytest.fixture(scope="module")
def clips(shared_file):
    """The clips at one size, as one stream made of several must be (a size change is
    `camera_changed` on its own)."""
    import cv2

    return {n: [cv2.resize(f, (512, 512)) for f in read_clip(shared_file("liveness", n))[0]]
            for n in CLIPS}


def _cuts(frames, observer) -> CutDetector:
    det = CutDetector()
    t0 = getattr(observer, "_last_ts", -1) + 1000
    for i, f in enumerate(frames):
        det.feed(f, observer.observe(f, int(t0 + i * 33.3)))
    return det


def test_no_cut_in_any_genuine_clip(clips, observer) -> None:
    for name, frames in clips.items():
        det = _cuts(frames, observer)
        assert det.cuts == [], (name, det.cuts, det.largest_ratio)


def test_a_cut_between_two_recordings_is_found_where_it_is(clips, observer) -> None:
    a, b = clips["liveportrait_d9.mp4"][:70], clips["liveportrait_d18.mp4"][40:120]
    det = _cuts(a + b, observer)
    assert det.cuts == [70], det.cuts
    # the other way round, and a third clip: every junction, nothing else
    c = clips["sadtalker_WDA_AlexandriaOcasioCortez_000.mp4"][:60]
    det = _cuts(b + c + a, observer)
    assert det.cuts == [80, 140], det.cuts


def test_an_exposure_step_or_a_brighter_room_is_not_a_cut(clips, observer) -> None:
    frames = clips["liveportrait_d3.mp4"][:120]
    stepped = [f if i < 60 else np.clip(f.astype(np.float32) * 1.35 + 12, 0, 255).astype(
        np.uint8) for i, f in enumerate(frames)]
    assert _cuts(stepped, observer).cuts == []


def test_a_spliced_attempt_fails_and_a_draw_sees_only_its_own_frames(clips, observer) -> None:
    a, b = clips["liveportrait_d19.mp4"][:90], clips["liveportrait_d18.mp4"][:90]
    s = LivenessSession(("hold_still",), pauses_s=(0.0,))
    t0 = getattr(observer, "_last_ts", -1) + 1000
    for i, f in enumerate(a + b):
        s.update(observer.observe(f, int(t0 + i * 33.3)), f)
    r = s.finish()
    assert SPLICED_STREAM in r.reasons and r.signals["cuts"] == 1
    st = observe_stream("stitched", "montage", "attack", a + b, observer)
    assert st.cut_frames == (90,) and SPLICED_STREAM not in st.frame_reasons
    items = attack_draws(st, 6, seed=0)
    # a draw whose frames include the junction names the cut; the stream is never passed
    assert all(not i.passed for i in items)
    assert any(SPLICED_STREAM in i.reasons for i in items)
