"""The VisionWorker owns the models, publishes frozen results, and turns bad input into
reason codes instead of exceptions."""

from __future__ import annotations

import queue

import numpy as np
import pytest
from worker_helpers import next_of, run_attempt

from kiosk.camera.video_file import read_frames
from kiosk.vision.match import Reference
from kiosk.vision.worker import (
    AttemptEnded,
    FrameResult,
    MatchResult,
    VisionOptions,
    VisionWorker,
    WorkerStatus,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def worker():
    q: queue.Queue = queue.Queue()
    w = VisionWorker(q.put, options=VisionOptions(probes=3)).start()
    status = next_of(q, WorkerStatus)
    assert status.event == "ready" and status.pad_model == "not_available"
    yield w, q
    w.stop()


def test_attempt_then_match_through_the_worker(worker, shared_file) -> None:
    w, q = worker
    frames = read_frames(shared_file("liveness", "liveportrait_d18.mp4"))
    w.request_match([Reference("enrolled", frames[0])])
    assert next_of(q, MatchResult).reason == "liveness_not_passed"   # liveness comes first
    w.start_attempt(("open_mouth", "blink"))
    ended = run_attempt(w, q, frames)
    assert isinstance(ended, AttemptEnded) and ended.result.passed, ended
    w.request_match([Reference("enrolled", frames[-1])])
    match = next_of(q, MatchResult)
    assert match.reason == "match" and match.decision.probes_used >= 2
    w.clear()
    w.request_match([Reference("enrolled", frames[-1])])
    assert next_of(q, MatchResult).reason == "liveness_not_passed"     # cleared


def test_bad_frames_are_statuses_not_crashes(worker) -> None:
    w, q = worker
    w.submit(np.zeros((480, 640, 3), np.uint8), 0.0)
    assert next_of(q, FrameResult).quality.reason == "no_face"
    w.submit(np.zeros((4, 4), np.uint8), 0.1)
    assert next_of(q, WorkerStatus).event == "frame_error"
    w.submit(np.full((480, 640, 3), 255, np.uint8), 0.2)
    assert next_of(q, FrameResult).quality.reason == "no_face"           # still alive
