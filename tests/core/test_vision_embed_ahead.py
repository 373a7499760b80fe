"""References and probes embedded ahead in the child process (kiosk.vision.embedder) give
the decision the in-worker path gives, and leave the decision itself little to do."""

from __future__ import annotations

import queue
import time

import numpy as np
import pytest
from worker_helpers import next_of, run_attempt

from kiosk.camera.video_file import read_frames
from kiosk.vision.embedder import Embedder
from kiosk.vision.match import FaceMatcher, Probe, Reference
from kiosk.vision.observe import FaceObserver
from kiosk.vision.worker import (
    AttemptEnded,
    MatchResult,
    VisionOptions,
    VisionWorker,
    WorkerStatus,
)

pytestmark = pytest.mark.slow


def test_child_vectors_equal_the_workers_and_bad_references_keep_their_reason(
        shared_file) -> None:
    frames = read_frames(shared_file("liveness", "liveportrait_d18.mp4"), 40)
    ob = FaceObserver()
    probes = [Probe(f, ob.observe(f, i * 33)) for i, f in enumerate(frames) if i % 8 == 0]
    ob.close()
    m = FaceMatcher("Dlib")
    m.warm_up()
    e = Embedder("Dlib")
    assert e.start()
    try:
        two = np.hstack([frames[0], frames[-1]])               # two faces: not usable
        refs = [Reference("enrolled", frames[-1]), Reference("card_portrait", two),
                Reference("last_certification", np.zeros((126, 102, 3), np.uint8))]
        assert e.prepare_references([r.image for r in refs]) == 3
        for k in range(1, len(probes) + 1):                    # probes arrive one by one
            e.offer_probes(probes[:k], lambda p: m.align(p.frame, p.observation))
            time.sleep(0.3)
        e.wait([k for _, k in e._probe_keys.values()])
        ahead = sum(1 for _, k in e._probe_keys.values() if k in e._done)
        assert ahead >= 3, ahead                               # most probes done before
        fast = m.decide(refs, probes, embedder=e)
        m._ref_cache.clear()
        slow = m.decide(refs, probes)                          # all in this process
        assert fast.outcome == slow.outcome == "accept"
        assert fast.reference == slow.reference == "enrolled"
        assert fast.score == pytest.approx(slow.score, abs=1e-5)
        got = {s.kind: s.problem for s in fast.per_reference}
        assert got == {s.kind: s.problem for s in slow.per_reference}
        assert got["card_portrait"] == "two_faces" and got["last_certification"] == "no_face"
    finally:
        e.close()
        m.close()
    assert e._proc is None and not e.ready


def test_worker_with_embed_ahead_decides_as_before(shared_file) -> None:
    frames = read_frames(shared_file("liveness", "liveportrait_d18.mp4"))
    q: queue.Queue = queue.Queue()
    w = VisionWorker(q.put, options=VisionOptions(probes=5, embed_ahead=True)).start()
    try:
        assert next_of(q, WorkerStatus, 120.0).event == "ready"
        assert w._embedder is not None and w._embedder.ready
        w.prepare_references([Reference("enrolled", frames[-1])])
        w.start_attempt(("open_mouth", "blink"))
        ended = run_attempt(w, q, frames, pace_s=0.02, timeout=120.0)   # camera pace, roughly
        assert isinstance(ended, AttemptEnded) and ended.result.passed, ended
        w.request_match([Reference("enrolled", frames[-1])])
        match = next_of(q, MatchResult, 120.0)
        assert match.reason == "match" and match.decision.probes_used >= 2
        assert match.decision.reference == "enrolled"
    finally:
        w.stop()
