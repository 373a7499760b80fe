"""The camera the kiosk was installed with, and a guard that refuses any other stream.

Why: a virtual camera or a replayed file skips every presentation cue a real lens sees. At
install the kiosk records which camera it opened (backend, device name, resolution) and how
its frames arrive (interval mean and jitter) and how noisy its sensor is (temporal noise on
flat image areas). While a resident is in front of it the guard compares the live stream:
a different device or resolution is `camera_changed`; frames whose sensor noise is far
below the recorded level (a decoded, compressed file is smooth) or whose intervals are far
off the recorded rhythm are `injected_stream`. Both are reported to the staff console.
"""

from __future__ import annotations

import json
import logging
import statistics
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

log = logging.getLogger(__name__)

CAMERA_CHANGED = "camera_changed"
INJECTED_STREAM = "injected_stream"
NOISE_MIN_SHARE = 0.4       # live noise below 40 % of the recorded level: not this sensor
INTERVAL_TOLERANCE = 0.5    # mean interval off the recorded one by more than 50 %
WINDOW = 45                 # frame intervals judged together (1.5 s at 30 fps)
NOISE_EVERY = 5             # noise from every fifth frame pair: it changes slowly
NOISE_SAMPLES = 12


def temporal_noise(a: np.ndarray, b: np.ndarray) -> float:
    """Sensor noise of two consecutive frames: robust spread of their difference on flat,
    unmoving pixels (half-size grey, so about half the full-size sigma), divided by sqrt(2)."""
    import cv2

    ga = cv2.cvtColor(cv2.resize(a, None, fx=0.5, fy=0.5), cv2.COLOR_BGR2GRAY).astype(np.float32)
    gb = cv2.cvtColor(cv2.resize(b, None, fx=0.5, fy=0.5), cv2.COLOR_BGR2GRAY).astype(np.float32)
    if ga.shape != gb.shape:
        return 0.0
    grad = np.abs(cv2.Sobel(ga, cv2.CV_32F, 1, 0)) + np.abs(cv2.Sobel(ga, cv2.CV_32F, 0, 1))
    d = ga - gb
    flat = (grad < np.percentile(grad, 40)) & (np.abs(d) < 20)
    if flat.sum() < 100:
        return 0.0
    v = d[flat]
    return float(1.4826 * np.median(np.abs(v - np.median(v))) / np.sqrt(2))


@dataclass(frozen=True)
class CameraIdentity:
    backend: str
    device: str
    width: int
    height: int
    interval_ms: float          # median frame interval
    interval_jitter_ms: float   # median absolute deviation of the intervals
    noise: float                # median temporal noise (grey levels)

    @classmethod
    def measure(cls, frames: list[tuple[float, np.ndarray]], *, backend: str, device: str
                ) -> CameraIdentity:
        """From (timestamp_s, frame) pairs of a still scene, at least 10."""
        if len(frames) < 10:
            raise ValueError("need at least 10 frames to record a camera")
        ts = np.array([t for t, _ in frames])
        iv = np.diff(ts) * 1000.0
        noise = [temporal_noise(frames[i][1], frames[i + 1][1]) for i in range(len(frames) - 1)]
        h, w = frames[0][1].shape[:2]
        return cls(backend, device, int(w), int(h), float(np.median(iv)),
                   float(np.median(np.abs(iv - np.median(iv)))), float(np.median(noise)))

    def save(self, path: Path) -> None:
        path.write_text(json.dumps(asdict(self), indent=1), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> CameraIdentity | None:
        try:
            return cls(**json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError, TypeError):
            return None

    @classmethod
    def load_recorded(cls) -> CameraIdentity | None:
        """The identity recorded at install in the data folder, if any."""
        from kiosk import paths

        return cls.load(recorded_path(paths.data_dir()))


def recorded_path(data_dir: Path) -> Path:
    return data_dir / "camera_identity.json"


class StreamGuard:
    """Fed every frame with its arrival time; `verdict` is None while the stream matches."""

    def __init__(self, recorded: CameraIdentity, *, backend: str | None = None,
                 device: str | None = None) -> None:
        self.recorded = recorded
        self.verdict: str | None = None
        self.detail = ""
        self._times: list[float] = []
        self._noise: list[float] = []
        self._prev: np.ndarray | None = None
        if (backend is not None and backend != recorded.backend) or \
                (device is not None and device != recorded.device):
            self._refuse(CAMERA_CHANGED, f"opened {backend}/{device}")

    def _refuse(self, verdict: str, detail: str) -> str | None:
        new = self.verdict is None
        self.verdict, self.detail = self.verdict or verdict, self.detail or detail
        return verdict if new else None

    def feed(self, timestamp_s: float, frame: np.ndarray) -> str | None:
        """A newly found problem (once), else None."""
        if self.verdict is not None:
            return None
        h, w = frame.shape[:2]
        if (w, h) != (self.recorded.width, self.recorded.height):
            return self._refuse(CAMERA_CHANGED, f"{w}x{h} instead of "
                                f"{self.recorded.width}x{self.recorded.height}")
        self._times.append(timestamp_s)
        n = len(self._times)
        if self._prev is not None and len(self._noise) < NOISE_SAMPLES:
            self._noise.append(temporal_noise(self._prev, frame))
        self._prev = frame if n % NOISE_EVERY == 0 else None
        if n < WINDOW or not self._noise:
            return None
        # short lists: the standard library's median is cheaper than numpy's here
        recent = self._times[-WINDOW:]
        gaps = [b - a for a, b in zip(recent[:-1], recent[1:], strict=True)]
        iv = statistics.median(gaps) * 1000.0
        noise = statistics.median(self._noise)
        self._times = self._times[-WINDOW:]
        if noise < NOISE_MIN_SHARE * self.recorded.noise:
            return self._refuse(INJECTED_STREAM, f"noise {noise:.2f} vs {self.recorded.noise:.2f}")
        if abs(iv - self.recorded.interval_ms) > INTERVAL_TOLERANCE * self.recorded.interval_ms:
            return self._refuse(INJECTED_STREAM, f"interval {iv:.1f} ms vs "
                                f"{self.recorded.interval_ms:.1f} ms")
        return None
