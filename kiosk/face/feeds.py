"""Where the camera thread's frames come from: a replayed file (every frame, its own clock)
or a live camera (newest frame only, with a watchdog), and the kiosk's CameraVision on it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from kiosk.config import Settings
from kiosk.face.attempt import CameraVision
from kiosk.flow import events as ev

log = logging.getLogger(__name__)


class ReplayFeed:
    """Every frame of a file in order, timed by the clip's own clock (index / fps).

    A FrameFeed (call it for the next frame); `ended` once the file ran out, and `on_end` is
    called then (from the camera thread)."""

    def __init__(self, spec: str, *, fps: float = 30.0,
                 on_end: Callable[[], None] | None = None, still_frames: int = 90) -> None:
        self.spec = spec
        self.fps = fps
        self.on_end = on_end
        self.still_frames = still_frames
        self.ended = False
        self.index = 0
        self._source: Any = None
        self._lock = threading.Lock()

    def __call__(self) -> tuple[np.ndarray, float] | None:
        from kiosk.camera.sources import open_source

        with self._lock:
            if self.ended:
                return None
            if self._source is None:
                self._source = open_source(self.spec, realtime=False,
                                           still_frames=self.still_frames)
            frame = self._source.read()
            if frame is None:
                self.ended = True
                self._source.close()
                if self.on_end:
                    self.on_end()
                return None
            self.index += 1
            return frame, self.index / self.fps

    def close(self) -> None:
        """Release the file now (a journey often ends before the clip does); a decoder left
        for the garbage collector keeps its threads and buffers alive meanwhile."""
        with self._lock:
            self.ended = True
            if self._source is not None:
                self._source.close()
                self._source = None


def replay_feed(spec: str, *, fps: float = 30.0, on_end: Callable[[], None] | None = None,
                still_frames: int = 90) -> ReplayFeed:
    return ReplayFeed(spec, fps=fps, on_end=on_end, still_frames=still_frames)


class LiveCamera:
    """A FrameGrabber (newest frame only, watchdog) reporting camera lost/back to the flow."""

    def __init__(self, spec: str, settings: Settings) -> None:
        from kiosk.camera.grabber import CAMERA_BACK, CAMERA_LOST, FrameGrabber
        from kiosk.camera.sources import LoopingSource, open_source

        c = settings.camera
        self.sink: Callable[[ev.Event], None] = lambda e: None

        def status(s: Any) -> None:
            if s.event == CAMERA_LOST or s.event == "camera_unavailable":
                self.sink(ev.CameraLost())
            elif s.event == CAMERA_BACK:
                self.sink(ev.CameraBack())

        def open_camera() -> Any:
            source = open_source(spec, realtime=True, width=c.width, height=c.height)
            if source.live:
                return source
            log.warning("camera is a replayed file, looped (demo or test kiosk)")
            return LoopingSource(lambda: open_source(spec, realtime=True), first=source)

        self.grabber = FrameGrabber(
            open_camera,
            lost_after_s=c.lost_after_s, reopen_every_s=c.reopen_every_s, on_status=status)
        self.grabber.start()

    def feed(self) -> tuple[np.ndarray, float] | None:
        frame = self.grabber.latest(timeout=0.05)
        return None if frame is None else (frame.image, frame.timestamp_s)

    def close(self) -> None:
        self.grabber.stop()


class KioskVision(CameraVision):
    """CameraVision that also closes its camera and passes camera events to the flow."""

    def __init__(self, settings: Settings, camera: LiveCamera | None, **kw: Any) -> None:
        feeds = {"face": camera.feed, "card": camera.feed} if camera else {}
        super().__init__(settings, feeds, **kw)
        self.camera = camera

    def bind(self, sink: Callable[[ev.Event], None]) -> None:
        super().bind(sink)
        if self.camera is not None:
            self.camera.sink = sink

    def close(self) -> None:
        super().close()
        if self.camera is not None:
            self.camera.close()
