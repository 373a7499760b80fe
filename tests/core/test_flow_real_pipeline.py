"""Whole journeys on the REAL pipeline: MediaPipe + liveness + DeepFace through the vision
worker, the real store, a shared clip or still replayed as the camera, scripted touches.

All tests share one loaded worker (the session fixture `vision_link` in tests/conftest.py).
"""

from __future__ import annotations

import threading

import pytest
from flow_helpers import CLIP_ACTIONS, GOOD_ID

from kiosk.config import Settings
from kiosk.journey.driver import run_journey
from kiosk.journey.seeding import seed_test_resident

pytestmark = pytest.mark.slow




@pytest.fixture()
def model_calls(monkeypatch):
    """Counts every comparison and every landmark pass, with the thread that ran it."""
    from kiosk.vision.match import FaceMatcher
    from kiosk.vision.observe import FaceObserver

    calls: dict[str, list[str]] = {"decide": [], "observe": []}

    def spy(cls, name):
        original = getattr(cls, name)

        def wrapper(self, *a, **kw):
            calls[name].append(threading.current_thread().name)
            return original(self, *a, **kw)

        monkeypatch.setattr(cls, name, wrapper)

    spy(FaceMatcher, "decide")
    spy(FaceObserver, "observe")
    return calls


def test_real_journey_passes_on_a_genuine_clip(vision_link, home_store, shared_file, model_calls,
                                               tmp_path) -> None:
    clip = shared_file("liveness", "liveportrait_d18.mp4")
    seed_test_resident(home_store, GOOD_ID, clip)
    seen: list = []
    report = run_journey(Settings(), camera=clip, id_number=GOOD_ID, answers="yes,yes",
                         store=home_store, link=vision_link, challenges=CLIP_ACTIONS, seed=1,
                         timeout_s=60, slips=tmp_path / "slips", vision_out=seen)
    states = [s for s, _ in report.states]
    assert report.outcome == "passed", (report.as_dict(), report.said)
    assert states.index("liveness") < states.index("matching") < states.index("result_passed")
    assert report.attempts == [("passed", "")]
    assert report.record_id and report.slip
    # one comparison, on the vision worker's thread; landmarks never on this thread either
    assert model_calls["decide"] == ["vision-worker"]
    assert set(model_calls["observe"]) == {"vision-worker"}
    vision = seen[0]
    assert vision.matches_published == 1
    evidence = dict(home_store.evidence_for(report.record_id))
    assert evidence.get("face_crop", b"")[:2] == b"\xff\xd8"        # a JPEG face crop kept
    cert = home_store.get_certification(report.record_id)
    assert cert is not None


def test_replayed_screen_still_fails_and_never_reaches_matching(vision_link, home_store,
                                                                shared_file,
                                                                model_calls) -> None:
    still = shared_file("spoof", "hyperfas", "fake_screen.png")
    seed_test_resident(home_store, GOOD_ID, still, frame_index=0)
    seen: list = []
    report = run_journey(Settings(), camera=still, id_number=GOOD_ID, answers="yes,yes,no",
                         store=home_store, link=vision_link, challenges=CLIP_ACTIONS, seed=1,
                         timeout_s=60, vision_out=seen)
    states = [s for s, _ in report.states]
    assert "liveness" in states, report.as_dict()            # it did get to the challenges
    assert report.attempts and report.attempts[0][0] == "spoof", report.as_dict()
    assert report.attempts[0][1] == "frozen_frame"
    assert "matching" not in states and not report.matching_started
    assert model_calls["decide"] == []                        # the matcher never ran
    assert seen[0].matches_published == 0                     # and no match result exists
    assert report.outcome != "passed"
