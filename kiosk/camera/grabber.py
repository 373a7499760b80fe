"""A grabber thread that keeps only the newest frame, and a watchdog for lost cameras.

Capture never blocks the consumer: a frame not taken before the next one arrives is dropped
and counted. When a live camera gives no frame for `lost_after_s`, "camera_lost" is reported;
the grabber reopens it no more often than every `reopen_every_s` and reports "camera_back".
A replay that ends reports "ended".
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from kiosk.camera.sources import CameraError, FrameSource

log = logging.getLogger(__name__)

CAMERA_LOST = "camera_lost"
CAMERA_BACK = "camera_back"
CAMERA_UNAVAILABLE = "camera_unavailable"
ENDED = "ended"


@dataclass(frozen=True)
class Frame:
    index: int                  # counts frames delivered by the source since start
    timestamp_s: float          # time.monotonic() when grabbed
    image: np.ndarray = field(repr=False)


@dataclass(frozen=True)
class CameraStatus:
    event: str                  # camera_lost | camera_back | camera_unavailable | ended
    detail: str = ""


class FrameGrabber:
    """Reads a FrameSource on its own thread; `latest()` hands out the newest frame once."""

    def __init__(self, open_fn: Callable[[], FrameSource], *, lost_after_s: float = 2.0,
                 reopen_every_s: float = 3.0,
                 on_status: Callable[[CameraStatus], None] | None = None,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._open_fn = open_fn
        self._lost_after = lost_after_s
        self._reopen_every = reopen_every_s
        self._on_status = on_status or (lambda status: None)
        self._clock = clock
        self._cond = threading.Condition()
        self._newest: Frame | None = None
        self._taken_index = -1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._watchdog: threading.Thread | None = None
        self.delivered = 0
        self.dropped = 0
        self.reopens = 0
        self.lost = False
        self.ended = False
        self._last_frame_at = 0.0

    # --- public -------------------------------------------------------------------------
    def start(self) -> FrameGrabber:
        self._last_frame_at = self._clock()
        self._thread = threading.Thread(target=self._run, name="frame-grabber", daemon=True)
        self._watchdog = threading.Thread(target=self._watch, name="camera-watchdog",
                                          daemon=True)
        self._thread.start()
        self._watchdog.start()
        return self

    def stop(self, timeout: float = 3.0) -> None:
        self._stop.set()
        with self._cond:
            self._cond.notify_all()
        for t in (self._thread, self._watchdog):
            if t is not None:
                t.join(timeout)

    def latest(self, timeout: float = 0.0) -> Frame | None:
        """The newest frame not handed out yet (waiting up to `timeout`), else None."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                frame = self._newest
                if frame is not None and frame.index > self._taken_index:
                    self._taken_index = frame.index
                    return frame
                remaining = deadline - time.monotonic()
                if remaining <= 0 or self._stop.is_set() or self.ended:
                    return None
                self._cond.wait(remaining)

    # --- threads ------------------------------------------------------------------------
    def _emit(self, event: str, detail: str = "") -> None:
        log.info("camera %s %s", event, detail)
        try:
            self._on_status(CameraStatus(event, detail))
        except Exception:  # noqa: BLE001 - a listener's bug must not kill capture
            log.exception("camera status listener failed")

    def _open(self) -> FrameSource | None:
        try:
            return self._open_fn()
        except CameraError as exc:
            log.warning("camera open failed: %s", exc.reason)
            return None
        except Exception:  # noqa: BLE001
            log.exception("camera open raised")
            return None

    def _run(self) -> None:
        source = self._open()
        if source is None:
            self._set_lost(CAMERA_UNAVAILABLE)
        last_try = self._clock()
        while not self._stop.is_set():
            if source is None:
                wait = self._reopen_every - (self._clock() - last_try)
                if wait > 0 and self._stop.wait(min(wait, 0.2)):
                    break
                if wait > 0:
                    continue
                last_try = self._clock()
                self.reopens += 1
                source = self._open()
                continue
            frame = source.read()
            if frame is None:
                if not source.live:
                    self._end()
                    break
                if self.lost:
                    source.close()
                    source = None
                    last_try = self._clock()
                else:
                    self._stop.wait(0.01)
                continue
            self._publish(frame)
        if source is not None:
            source.close()

    def _publish(self, image: np.ndarray) -> None:
        now = self._clock()
        with self._cond:
            if self._newest is not None and self._newest.index > self._taken_index:
                self.dropped += 1
            self._newest = Frame(self.delivered, now, image)
            self.delivered += 1
            self._last_frame_at = now
            was_lost = self.lost
            self.lost = False
            self._cond.notify_all()
        if was_lost:
            self._emit(CAMERA_BACK)

    def _set_lost(self, event: str) -> None:
        with self._cond:
            if self.lost:
                return
            self.lost = True
        self._emit(event)

    def _end(self) -> None:
        with self._cond:
            self.ended = True
            self._cond.notify_all()
        self._emit(ENDED)

    def _watch(self) -> None:
        while not self._stop.wait(0.05):
            if self.ended:
                return
            if not self.lost and self._clock() - self._last_frame_at > self._lost_after:
                self._set_lost(CAMERA_LOST)
