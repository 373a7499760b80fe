"""The grabber keeps only the newest frame, reports a lost camera and its return."""

from __future__ import annotations

import threading
import time

import numpy as np

from kiosk.camera.grabber import CameraStatus, FrameGrabber
from kiosk.camera.sources import ArraySource, CameraError


def _wait(pred, timeout: float = 10.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.01)
    return pred()


class FlakyCamera:
    """A live source that delivers `good` frames, then nothing (unplugged)."""

    live = True
    fps = 30.0

    def __init__(self, good: int) -> None:
        self.left = good

    def read(self) -> np.ndarray | None:
        time.sleep(0.005)
        if self.left <= 0:
            return None
        self.left -= 1
        return np.zeros((8, 8, 3), np.uint8)

    def close(self) -> None:
        pass


def test_replay_ends_and_stale_frames_are_dropped_and_counted() -> None:
    frames = [np.full((8, 8, 3), i % 255, np.uint8) for i in range(200)]
    events: list[str] = []
    g = FrameGrabber(lambda: ArraySource(frames), on_status=lambda s: events.append(s.event))
    g.start()
    assert _wait(lambda: g.ended)
    newest = g.latest()
    g.stop()
    assert events == ["ended"]
    assert newest is not None and newest.index == 199      # only the newest survives
    assert g.delivered == 200
    assert g.dropped == 199                                  # nobody consumed the others


def test_camera_lost_then_back_after_paced_reopen() -> None:
    opens: list[int] = []
    events: list[CameraStatus] = []
    lock = threading.Lock()

    def open_camera() -> FlakyCamera:
        with lock:
            opens.append(1)
            n = len(opens)
        if n == 2:
            raise CameraError("camera_unavailable")     # the first reopen fails too
        return FlakyCamera(good=5)

    g = FrameGrabber(open_camera, lost_after_s=0.2, reopen_every_s=0.1,
                     on_status=events.append)
    g.start()
    assert _wait(lambda: [e.event for e in events][:3] == ["camera_lost", "camera_back",
                                                           "camera_lost"])
    g.stop()
    assert len(opens) >= 3
    assert g.reopens >= 2


def test_no_camera_at_all_is_reported_not_raised() -> None:
    events: list[str] = []

    def no_camera() -> FlakyCamera:
        raise CameraError("camera_unavailable")

    g = FrameGrabber(no_camera, reopen_every_s=0.05, on_status=lambda s: events.append(s.event))
    g.start()
    assert _wait(lambda: g.reopens >= 2)
    assert g.latest(timeout=0.05) is None
    g.stop()
    assert events == ["camera_unavailable"]
