"""Driving a real VisionWorker from a test: wait for one kind of result, run one attempt."""

from __future__ import annotations

import queue
import time

import numpy as np

from kiosk.vision.worker import AttemptEnded, FrameResult


def next_of(q: queue.Queue, kind: type, timeout: float = 60.0):
    """The next published item of `kind` (others are skipped); fails after `timeout` s."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        item = q.get(timeout=max(0.01, end - time.monotonic()))
        if isinstance(item, kind):
            return item
    raise AssertionError(f"no {kind.__name__}")


def run_attempt(w, q: queue.Queue, frames: list[np.ndarray], *, pace_s: float = 0.0,
                timeout: float = 60.0) -> AttemptEnded | None:
    """Submit the frames at 30 fps camera time (sleeping `pace_s` between them) until the
    attempt ends; each frame's result must show exactly one face."""
    for i, f in enumerate(frames):
        w.submit(f, i / 30.0)
        result = next_of(q, FrameResult, timeout)
        assert result.observation.faces == 1
        if pace_s:
            time.sleep(pace_s)
        try:
            item = q.get_nowait()
        except queue.Empty:
            continue
        if isinstance(item, AttemptEnded):
            return item
    return None
