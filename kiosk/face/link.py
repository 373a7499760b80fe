"""One loaded VisionWorker and the one listener its results go to.

The kiosk makes one per CameraVision (kiosk.face.attempt). Tests and benches make one per run
and let each journey attach to it in turn, so MediaPipe and DeepFace load once.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from kiosk.config import Settings

Listener = Callable[[Any], None]

MIN_STEP_S = 0.002          # timestamps handed to the worker grow at least this much


class WorkerLink:
    """A VisionWorker and the one listener its results go to.

    The kiosk makes one per CameraVision. Tests (and benches) make one per session and let
    each journey attach to it, so MediaPipe and DeepFace load once.
    """

    def __init__(self, settings: Settings | None = None, *, options: Any = None) -> None:
        from kiosk.vision.worker import VisionOptions, VisionWorker

        if options is None:
            options = VisionOptions.from_settings(settings) if settings else VisionOptions()
        self.listener: Listener | None = None
        self.status = ""                         # ready | vision_unavailable once loaded
        self.match_model_ready = False
        self.loaded = threading.Event()
        self.worker = VisionWorker(self._relay, options=options)
        self._started = False
        self._lock = threading.Lock()
        self._last_ts = -1.0
        self._ts_offset = 0.0

    def start(self) -> WorkerLink:
        with self._lock:
            if not self._started:
                self._started = True
                self.worker.start()
        return self

    def wait_loaded(self, timeout: float = 120.0) -> bool:
        return self.loaded.wait(timeout) and self.status == "ready"

    def stop(self) -> None:
        if self._started:
            self.worker.stop()

    def stamp(self, t: float) -> float:
        """Strictly growing timestamps for MediaPipe's VIDEO mode, across feeds and journeys
        (a replayed clip starts again at 0), keeping the spacing of the feed's own clock."""
        with self._lock:
            ts = t + self._ts_offset
            if ts < self._last_ts + MIN_STEP_S:
                self._ts_offset = self._last_ts + 1 / 30 - t
                ts = t + self._ts_offset
            self._last_ts = ts
            return ts

    def camera_time(self, t: float) -> float:
        """A time.monotonic() reading on the clock `stamp` gives the worker (live cameras)."""
        return t + self._ts_offset

    def _relay(self, item: Any) -> None:
        from kiosk.vision.worker import WorkerStatus

        if isinstance(item, WorkerStatus) and item.event in ("ready", "vision_unavailable"):
            self.status = item.event
            self.match_model_ready = item.match_model_ready
            self.loaded.set()
        listener = self.listener
        if listener is not None:
            listener(item)
