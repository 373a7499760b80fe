"""Frame sources behind one small interface: a camera device, a video file, images.

`open_source("0")` opens a webcam (DirectShow on Windows: MSMF can take minutes to open),
`open_source("clip.mp4")` replays a video, `open_source("folder/")` or `open_source("x.jpg")`
replays images (a single still is replayed as a video of `still_frames` identical frames,
which is exactly what a virtual camera injecting a photo looks like). Replays run as fast as
they are read, or paced to their frame rate with `realtime=True`.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from kiosk.camera.devices import DEVICE_PREFIX, index_for
from kiosk.camera.devices import CameraAbsent as CameraAbsentError

log = logging.getLogger(__name__)

IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".bmp", ".webp", ".tif", ".tiff")
VIDEO_SUFFIXES = (".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg")


class CameraError(RuntimeError):
    """A source could not be opened; `reason` is a stable code for logs and the journey."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason


@runtime_checkable
class FrameSource(Protocol):
    """Anything that yields BGR frames. `read()` returns None when no frame is available
    (end of a replay, or a camera that failed this time)."""

    live: bool          # True for a device (may come back after failing); False for replays
    fps: float

    def read(self) -> np.ndarray | None: ...

    def close(self) -> None: ...


class _Pacer:
    def __init__(self, fps: float, realtime: bool) -> None:
        self.period = 1.0 / fps if fps > 0 else 0.0
        self.realtime = realtime
        self._next = 0.0

    def wait(self) -> None:
        if not self.realtime or self.period <= 0:
            return
        now = time.monotonic()
        if self._next == 0.0:
            self._next = now
        if self._next > now:
            time.sleep(self._next - now)
        self._next = max(self._next + self.period, now - self.period)


class DeviceSource:
    """An OpenCV camera device, asked for width x height."""

    live = True

    def __init__(self, index: int, *, width: int = 640, height: int = 480) -> None:
        import cv2

        backend = cv2.CAP_DSHOW if sys.platform == "win32" else cv2.CAP_ANY
        self._cap = cv2.VideoCapture(index, backend)
        if not self._cap.isOpened():
            self._cap.release()
            raise CameraError("camera_unavailable", f"device {index} did not open")
        self._cap.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self._cap.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 30.0)
        try:
            self.backend = str(self._cap.getBackendName())     # e.g. DSHOW, V4L2
        except Exception:  # noqa: BLE001 - a build without it: the name is only recorded
            self.backend = "default"

    def read(self) -> np.ndarray | None:
        try:
            ok, frame = self._cap.read()
        except Exception:  # noqa: BLE001 - a driver error is a missing frame, not a crash
            log.warning("camera read raised", exc_info=True)
            return None
        return frame if ok and frame is not None and frame.size else None

    def close(self) -> None:
        self._cap.release()


class VideoFileSource:
    """A video file replayed once; None at the end."""

    live = False

    def __init__(self, path: Path, *, realtime: bool = False) -> None:
        import cv2

        self.path = path
        self._cap = cv2.VideoCapture(str(path))
        ok, first = (self._cap.read() if self._cap.isOpened() else (False, None))
        if not ok or first is None:
            self._cap.release()
            raise CameraError("unreadable_video", path.name)
        self._first: np.ndarray | None = first
        fps = float(self._cap.get(cv2.CAP_PROP_FPS) or 0.0)
        self.fps = fps if 1.0 <= fps <= 240.0 else 30.0
        self._pacer = _Pacer(self.fps, realtime)

    def read(self) -> np.ndarray | None:
        self._pacer.wait()
        if self._first is not None:
            frame, self._first = self._first, None
            return frame
        ok, frame = self._cap.read()
        return frame if ok else None

    def close(self) -> None:
        self._cap.release()


def read_image(path: Path) -> np.ndarray | None:
    """A BGR image from any path (also non-ASCII paths on Windows), or None if unreadable."""
    import cv2

    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError:
        return None
    if data.size == 0:
        return None
    image = cv2.imdecode(data, cv2.IMREAD_COLOR)
    return image if image is not None and image.size else None


class ImageSource:
    """Images replayed as frames: each image `repeat` times, in name order; corrupt ones are
    skipped and counted in `skipped`."""

    live = False

    def __init__(self, paths: list[Path], *, repeat: int = 1, fps: float = 30.0,
                 realtime: bool = False) -> None:
        if not paths:
            raise CameraError("no_images", "no image files")
        self._paths = paths
        self._repeat = max(1, repeat)
        self.fps = fps
        self.skipped = 0
        self._pacer = _Pacer(fps, realtime)
        self._i = 0
        self._current: np.ndarray | None = None
        self._left = 0
        if len(paths) == 1 and read_image(paths[0]) is None:
            raise CameraError("unreadable_image", paths[0].name)

    def read(self) -> np.ndarray | None:
        while self._left == 0:
            if self._i >= len(self._paths):
                return None
            image = read_image(self._paths[self._i])
            self._i += 1
            if image is None:
                self.skipped += 1
                continue
            self._current, self._left = image, self._repeat
        self._pacer.wait()
        self._left -= 1
        assert self._current is not None
        return self._current.copy()

    def close(self) -> None:
        self._current = None


def open_source(spec: str, *, realtime: bool = False, still_frames: int = 90,
                width: int = 640, height: int = 480, fps: float = 30.0) -> FrameSource:
    """Open a device index, `device:<index|name|VID:PID>` (kiosk/camera/devices.py), a video
    file, an image or a folder of images; CameraError if not."""
    spec = str(spec).strip()
    if spec.isdigit():
        return DeviceSource(int(spec), width=width, height=height)
    if spec.startswith(DEVICE_PREFIX):        # a camera chosen by name or USB id
        try:
            index, res = index_for(spec[len(DEVICE_PREFIX):])
        except CameraAbsentError as exc:
            raise CameraError("camera_absent", str(exc)) from None
        if res.note:
            log.warning("camera: %s", res.note)
        return DeviceSource(index, width=width, height=height)
    path = Path(spec)
    if path.is_dir():
        files = sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        return ImageSource(files, fps=fps, realtime=realtime)
    if not path.exists():
        raise CameraError("no_such_source", path.name)
    if path.suffix.lower() in IMAGE_SUFFIXES:
        return ImageSource([path], repeat=still_frames, fps=fps, realtime=realtime)
    return VideoFileSource(path, realtime=realtime)


class ArraySource:
    """Frames from memory (tests, generated attacks); `live=False`."""

    live = False

    def __init__(self, frames: list[np.ndarray], *, fps: float = 30.0,
                 realtime: bool = False) -> None:
        self._frames = list(frames)
        self.fps = fps
        self._pacer = _Pacer(fps, realtime)
        self._i = 0

    def read(self) -> np.ndarray | None:
        if self._i >= len(self._frames):
            return None
        self._pacer.wait()
        frame = self._frames[self._i]
        self._i += 1
        return frame

    def close(self) -> None:
        self._frames = []


class LoopingSource:
    """A replayed file shown as a camera at a demo or test kiosk: it starts again when it
    ends, as a camera never "ends". `live` stays False, so the vision pipeline still knows
    it is a replay."""

    live = False

    def __init__(self, open_fn: Callable[[], FrameSource], *,
                 first: FrameSource | None = None) -> None:
        self._open_fn = open_fn
        self._source = first or open_fn()
        self.loops = 0

    def read(self) -> np.ndarray | None:
        frame = self._source.read()
        if frame is None:
            self._source.close()
            self._source = self._open_fn()
            self.loops += 1
            frame = self._source.read()
        return frame

    def close(self) -> None:
        self._source.close()
