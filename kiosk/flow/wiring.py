"""Put the flow's ports together from the real parts, with a stand-in only where a part is
missing (logged, so a deployment never runs on a stand-in without saying so).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from kiosk.config import Settings
from kiosk.flow import events as ev
from kiosk.flow.adapters_vision import CameraVision
from kiosk.flow.runtime import Ports
from kiosk.flow.standins import MemoryRecords, MemoryRoster

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
        from kiosk.camera.sources import open_source

        c = settings.camera
        self.sink: Callable[[ev.Event], None] = lambda e: None

        def status(s: Any) -> None:
            if s.event == CAMERA_LOST or s.event == "camera_unavailable":
                self.sink(ev.CameraLost())
            elif s.event == CAMERA_BACK:
                self.sink(ev.CameraBack())

        self.grabber = FrameGrabber(
            lambda: open_source(spec, realtime=True, width=c.width, height=c.height),
            lost_after_s=c.lost_after_s, reopen_every_s=c.reopen_every_s, on_status=status)
        self.grabber.start()

    def feed(self) -> tuple[np.ndarray, float] | None:
        frame = self.grabber.latest(timeout=0.05)
        return None if frame is None else (frame.image, frame.timestamp_s)

    def close(self) -> None:
        self.grabber.stop()


def store_references(store: Any) -> Callable[[str, ev.ResidentIdentity],
                                              list[tuple[str, np.ndarray]]]:
    """The roster's enrolled photo (decoded) as a match reference."""
    import cv2

    def refs(resident_id: str, identity: ev.ResidentIdentity) -> list[tuple[str, np.ndarray]]:
        if not resident_id:
            return []
        _template, photo = store.face_reference(int(resident_id))
        if not photo:
            return []
        image = cv2.imdecode(np.frombuffer(photo, np.uint8), cv2.IMREAD_COLOR)
        return [] if image is None else [("enrolled", image)]

    return refs


def open_store(settings: Settings) -> Any | None:
    try:
        from kiosk.store.database import Store
    except ImportError:
        return None
    store = Store.open(ship_face_images=settings.store.ship_face_images)
    store.start_nightly_backup()
    return store


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


def build_ports(settings: Settings, *, camera: str | None,
                frame_sink: Callable[[np.ndarray], None] | None, slips: Any = None,
                warm: bool = True) -> Ports:
    """The kiosk's ports: real store, real camera + vision; stand-ins only if missing."""
    # A store that cannot be opened (damaged, wrong key, locked) stops the kiosk with its
    # plain message: never an empty in-memory roster that tells residents "not in roster".
    store = open_store(settings)
    if store is not None:
        from kiosk.flow.adapters_store import StoreAdapter

        adapter: Any = StoreAdapter(store, settings)
        roster, records = adapter, adapter
    else:
        log.warning("STAND-IN roster/records in use (no store)")
        roster, records = MemoryRoster(), MemoryRecords()
    spec = camera or settings.camera.source
    live = None
    try:
        live = LiveCamera(spec, settings)
    except Exception:  # noqa: BLE001
        log.exception("camera could not be started")
    vision = KioskVision(settings, live, frame_sink=frame_sink,
                         references=store_references(store) if store else None)
    if warm:
        vision.warm_up()
    return Ports(vision=vision, eligibility=roster, records=records, slips=slips)


def default_slip_folder() -> Path:
    from kiosk import paths

    return paths.data_dir() / "slips"
