"""Per-frame face observation: MediaPipe FaceLandmarker (Tasks API) into a frozen value.

One `FaceObserver` belongs to one thread (the vision worker); it is closed explicitly. The
`FaceObservation` it returns is immutable and safe to hand to other threads.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

# Landmark indices in MediaPipe's 478-point face mesh (subject's right eye is on image left).
RIGHT_EYE = (33, 160, 158, 133, 153, 144)     # outer, top1, top2, inner, bottom2, bottom1
LEFT_EYE = (362, 385, 387, 263, 373, 380)
MOUTH_TOP, MOUTH_BOTTOM, MOUTH_LEFT, MOUTH_RIGHT = 13, 14, 61, 291
NOSE_TIP, CHIN, FOREHEAD, NOSE_BRIDGE = 1, 152, 10, 168
RIGHT_IRIS, LEFT_IRIS = 468, 473
# Points used for alignment (subject's right eye centre, left eye centre, nose tip, mouth corners).
FIVE_POINTS = (RIGHT_IRIS, LEFT_IRIS, NOSE_TIP, MOUTH_LEFT, MOUTH_RIGHT)

BLENDSHAPES_OF_INTEREST = (
    "eyeBlinkLeft", "eyeBlinkRight", "eyeLookDownLeft", "eyeLookDownRight",
    "eyeSquintLeft", "eyeSquintRight", "jawOpen", "mouthClose",
)


@dataclass(frozen=True)
class FaceObservation:
    """What one frame shows. Angles in degrees; yaw > 0 = the resident turned to THEIR left."""

    frame_index: int
    timestamp_ms: int
    width: int
    height: int
    faces: int
    box: tuple[float, float, float, float] | None = None      # x, y, w, h in pixels
    landmarks: np.ndarray | None = field(default=None, repr=False)  # (478, 3): px, px, rel z
    other_boxes: tuple[tuple[float, float, float, float], ...] = ()
    yaw: float = 0.0
    pitch: float = 0.0          # > 0 = head tilted down (nod)
    roll: float = 0.0
    eye_open_left: float = 0.0  # lid gap / rigid face height; ~0.09 open, ~0.02 closed
    eye_open_right: float = 0.0
    mouth_open: float = 0.0     # lip gap / rigid face height
    blendshapes: MappingProxyType[str, float] = field(
        default_factory=lambda: MappingProxyType({}))

    @property
    def has_face(self) -> bool:
        return self.faces >= 1 and self.landmarks is not None

    @property
    def eye_open(self) -> float:
        return (self.eye_open_left + self.eye_open_right) / 2.0

    @property
    def interocular(self) -> float:
        if self.landmarks is None:
            return 0.0
        return float(np.linalg.norm(self.landmarks[LEFT_IRIS, :2] - self.landmarks[RIGHT_IRIS, :2]))

    def five_points(self) -> np.ndarray | None:
        """Five (x, y) pixel points for alignment, or None without a face."""
        if self.landmarks is None:
            return None
        return self.landmarks[list(FIVE_POINTS), :2].astype(np.float32)


def _gap(pts: np.ndarray, a: int, b: int) -> float:
    return float(np.linalg.norm(pts[a, :2] - pts[b, :2]))


def _face_height(pts: np.ndarray) -> float:
    """A rigid vertical scale: the forehead-to-nose-tip span.

    It does not change with a blink or an open mouth, and it shrinks with a photo tilted back
    just as the eye gap does, so tilting a photo is not a blink.
    """
    return max(_gap(pts, FOREHEAD, NOSE_TIP), 1e-6)


def eye_openness(pts: np.ndarray, eye: tuple[int, ...]) -> float:
    outer, t1, t2, inner, b2, b1 = eye
    lid = (_gap(pts, t1, b1) + _gap(pts, t2, b2)) / 2.0
    return lid / _face_height(pts)


def mouth_openness(pts: np.ndarray) -> float:
    return _gap(pts, MOUTH_TOP, MOUTH_BOTTOM) / _face_height(pts)


def euler_from_matrix(matrix: np.ndarray) -> tuple[float, float, float]:
    """Yaw, pitch, roll in degrees from MediaPipe's facial transformation matrix."""
    r = np.asarray(matrix, dtype=np.float64)[:3, :3]
    sy = math.hypot(r[0, 0], r[1, 0])
    pitch = math.degrees(math.atan2(r[2, 1], r[2, 2]))
    yaw = math.degrees(math.atan2(-r[2, 0], sy))
    roll = math.degrees(math.atan2(r[1, 0], r[0, 0]))
    return yaw, pitch, roll


def _box(pts: np.ndarray) -> tuple[float, float, float, float]:
    x0, y0 = float(pts[:, 0].min()), float(pts[:, 1].min())
    x1, y1 = float(pts[:, 0].max()), float(pts[:, 1].max())
    return (x0, y0, x1 - x0, y1 - y0)


def observation_from_result(result: Any, *, frame_index: int, timestamp_ms: int,
                            width: int, height: int) -> FaceObservation:
    """Turn a FaceLandmarkerResult into a FaceObservation (the largest face is 'the' face)."""
    faces = list(result.face_landmarks or [])
    if not faces:
        return FaceObservation(frame_index, timestamp_ms, width, height, 0)
    scale = np.array((width, height, width), np.float64)
    arrays = [(np.fromiter((v for p in f for v in (p.x, p.y, p.z)), np.float64,
                           count=3 * len(f)).reshape(-1, 3) * scale).astype(np.float32)
              for f in faces]
    boxes = [_box(a) for a in arrays]
    main = int(np.argmax([b[2] * b[3] for b in boxes]))
    pts = arrays[main]
    pts.flags.writeable = False
    yaw = pitch = roll = 0.0
    matrices = getattr(result, "facial_transformation_matrixes", None) or []
    if main < len(matrices):
        yaw, pitch, roll = euler_from_matrix(np.asarray(matrices[main]))
    shapes: dict[str, float] = {}
    blend = getattr(result, "face_blendshapes", None) or []
    if main < len(blend):
        shapes = {c.category_name: float(c.score) for c in blend[main]
                  if c.category_name in BLENDSHAPES_OF_INTEREST}
    return FaceObservation(
        frame_index=frame_index, timestamp_ms=timestamp_ms, width=width, height=height,
        faces=len(faces), box=boxes[main], landmarks=pts,
        other_boxes=tuple(b for i, b in enumerate(boxes) if i != main),
        yaw=yaw, pitch=pitch, roll=roll,
        eye_open_left=eye_openness(pts, LEFT_EYE), eye_open_right=eye_openness(pts, RIGHT_EYE),
        mouth_open=mouth_openness(pts), blendshapes=MappingProxyType(shapes))


class FaceObserver:
    """FaceLandmarker in VIDEO (tracking) or IMAGE mode. Not thread-safe: one owner thread."""

    def __init__(self, model_path: Path | None = None, *, video: bool = True,
                 max_faces: int = 2) -> None:
        from kiosk import models
        from kiosk.logs import quiet_third_party

        quiet_third_party()
        from mediapipe.tasks.python import BaseOptions, vision

        path = model_path or models.verified_path("face_landmarker")
        mode = vision.RunningMode.VIDEO if video else vision.RunningMode.IMAGE
        options = vision.FaceLandmarkerOptions(
            base_options=BaseOptions(model_asset_path=str(path)), running_mode=mode,
            num_faces=max_faces, output_face_blendshapes=True,
            output_facial_transformation_matrixes=True,
            min_face_detection_confidence=0.5, min_face_presence_confidence=0.5,
            min_tracking_confidence=0.5)
        self._landmarker = vision.FaceLandmarker.create_from_options(options)
        self._video = video
        self._last_ts = -1
        self._index = 0

    def detect_raw(self, frame_bgr: np.ndarray, timestamp_ms: int | None = None) -> Any:
        """The raw MediaPipe result (used by the benchmark beside `observe`)."""
        import mediapipe as mp

        rgb = np.ascontiguousarray(frame_bgr[:, :, ::-1])
        image = mp.Image(image_format=mp.ImageFormat.SRGB, data=rgb)
        if not self._video:
            return self._landmarker.detect(image)
        ts = self._last_ts + 1 if timestamp_ms is None else int(timestamp_ms)
        if ts <= self._last_ts:
            ts = self._last_ts + 1      # VIDEO mode needs strictly increasing timestamps
        self._last_ts = ts
        return self._landmarker.detect_for_video(image, ts)

    def observe(self, frame_bgr: np.ndarray, timestamp_ms: int | None = None) -> FaceObservation:
        """Observe one BGR frame; timestamps must grow (they are bumped when they do not)."""
        h, w = frame_bgr.shape[:2]
        result = self.detect_raw(frame_bgr, timestamp_ms)
        index = self._index
        self._index += 1
        ts = self._last_ts if self._video else int(timestamp_ms or 0)
        return observation_from_result(result, frame_index=index, timestamp_ms=ts,
                                       width=w, height=h)

    def close(self) -> None:
        if self._landmarker is not None:
            self._landmarker.close()
            self._landmarker = None  # type: ignore[assignment]

    def __enter__(self) -> FaceObserver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
