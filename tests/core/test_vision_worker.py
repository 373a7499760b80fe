"""The VisionWorker owns the models, publishes frozen results, and turns bad input into
reason codes instead of exceptions."""

from __future__ import annotations

import queue
import time

import numpy as np
import pytest

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


def _next(q: queue.Queue, kind: type, timeout: float = 60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        item = q.get(timeout=max(0.01, end - time.monotonic()))
        if isinstance(item, kind):
            return item
    raise AssertionError(f"no {kind.__name__}")


@pytest.fixture
def worker():
    q: queue.Queue = queue.Queue()
    w = VisionWorker(q.put, options=VisionOptions(probes=3)).start()
    status = _next(q, WorkerStatus)
    assert status.event == "ready" and status.pad_model == "not_available"
    yield w, q
    w.stop()


def test_attempt_then_match_through_the_worker(worker, shared_file) -> None:
    w, q = worker
    frames = read_frames(shared_file("liveness", "liveportrait_d18.mp4"))
    w.request_match([Reference("enrolled", frames[0])])
    assert _next(q, MatchResult).reason == "liveness_not_passed"   # liveness comes first
    w.start_attempt(("open_mouth", "blink"))
    ended = None
    for i, f in enumerate(frames):
        w.submit(f, i / 30.0)
        result = _next(q, FrameResult)
        assert result.observation.faces == 1
        try:
            ended = q.get_nowait()
        except queue.Empty:
            continue
        if isinstance(ended, AttemptEnded):
            break
    assert isinstance(ended, AttemptEnded) and ended.result.passed, ended
    w.request_match([Reference("enrolled", frames[-1])])
    match = _next(q, MatchResult)
    assert match.reason == "match" and match.decision.probes_used >= 2
    w.clear()
    w.request_match([Reference("enrolled", frames[-1])])
    assert _next(q, MatchResult).reason == "liveness_not_passed"     # cleared


def test_bad_frames_are_statuses_not_crashes(worker) -> None:
    w, q = worker
    w.submit(np.zeros((480, 640, 3), np.uint8), 0.0)
    assert _next(q, FrameResult).quality.reason == "no_face"
    w.submit(np.zeros((4, 4), np.uint8), 0.1)
    assert _next(q, WorkerStatus).event == "frame_error"
    w.submit(np.full((480, 640, 3), 255, np.uint8), 0.2)
    assert _next(q, FrameResult).quality.reason == "no_face"           # still alive
