"""Presentation-attack signals, each with its own reason code.

- planar_motion: the rigid landmarks of every turned/tilted frame fit ONE homography from the
  resting frame (a flat photo or screen moved in front of the camera), residual below a bar.
- frozen_frame: consecutive frames are pixel-identical (a still injected as a video; a real
  sensor always has noise).
- screen_texture: periodic high-frequency peaks in the face's spectrum (moire of a screen's
  pixel grid or a print's halftone). A weak cue; see docs/vision.md for what it measured.
- pad_model_spoof: DeepFace's MiniFASNet ONNX pair, only when its weights are provisioned;
  otherwise the status is "not_available" and nothing is claimed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import numpy as np

from kiosk.vision.observe import FaceObservation

log = logging.getLogger(__name__)

FACE_OVAL = (10, 338, 297, 332, 284, 251, 389, 356, 454, 323, 361, 288, 397, 365, 379, 378,
             400, 377, 152, 148, 176, 149, 150, 136, 172, 58, 132, 93, 234, 127, 162, 21, 54,
             103, 67, 109)
NOSE = (1, 4, 5, 6, 168, 197, 195, 2, 98, 327)
BROWS_AND_CORNERS = (70, 63, 105, 66, 107, 336, 296, 334, 293, 300, 33, 133, 362, 263)
RIGID_POINTS = FACE_OVAL + NOSE + BROWS_AND_CORNERS

NOT_AVAILABLE = "not_available"


def planar_residual(ref: FaceObservation, cur: FaceObservation) -> float | None:
    """RMS error of the best single homography ref->cur over rigid landmarks, divided by the
    inter-ocular distance. Near 0 for a flat picture, clearly larger for a turning head."""
    import cv2

    if ref.landmarks is None or cur.landmarks is None:
        return None
    idx = list(RIGID_POINTS)
    a = ref.landmarks[idx, :2].astype(np.float64)
    b = cur.landmarks[idx, :2].astype(np.float64)
    h, _ = cv2.findHomography(a, b, 0)
    if h is None:
        return None
    proj = cv2.perspectiveTransform(a.reshape(-1, 1, 2), h).reshape(-1, 2)
    iod = max(cur.interocular, 1e-6)
    return float(np.sqrt(((proj - b) ** 2).sum(axis=1).mean()) / iod)


def thumbnail(frame: np.ndarray) -> np.ndarray:
    """The 64 x 48 thumbnail `frame_difference` compares (made once per frame).

    Bilinear: it reads 4 of every 100 pixels, 6x cheaper than INTER_AREA, which read the
    whole frame. Identical frames still differ by 0, and sensor noise is averaged less, so a
    live camera sits further from `frozen_diff` (median difference on the shared clips rose
    from 0.15-3.0 to 0.22-4.2; frozen pairs on them went from 1 to 0)."""
    import cv2

    return cv2.resize(frame, (64, 48), interpolation=cv2.INTER_LINEAR).astype(np.int16)


def frame_difference(a: np.ndarray, b: np.ndarray) -> float:
    """Mean absolute difference of two frames on a 64-px thumbnail (0 = identical)."""
    if a.shape != b.shape:
        return 255.0
    return thumb_difference(thumbnail(a), thumbnail(b))


def thumb_difference(ta: np.ndarray, tb: np.ndarray) -> float:
    return float(np.abs(ta - tb).mean())


_HANN_128 = np.outer(np.hanning(128), np.hanning(128)).astype(np.float32)
_RADIUS_128 = np.hypot(*np.mgrid[-64:64, -64:64])
_HIGH_BAND_128 = (_RADIUS_128 > 24) & (_RADIUS_128 < 62)        # the spectrum's ring


def screen_texture_score(frame: np.ndarray, box: tuple[float, float, float, float] | None
                         ) -> float:
    """Strength of isolated high-frequency spectral peaks in the face (moire/halftone cue).

    The peak-to-median ratio of the high band of the face's log spectrum; natural skin gives
    a smooth fall-off, a pixel grid or halftone gives sharp peaks.
    """
    import cv2

    if frame is None or box is None:
        return 0.0
    h, w = frame.shape[:2]
    x, y, bw, bh = box
    x0, y0 = max(0, int(x + bw * 0.15)), max(0, int(y + bh * 0.15))
    x1, y1 = min(w, int(x + bw * 0.85)), min(h, int(y + bh * 0.85))
    if x1 - x0 < 32 or y1 - y0 < 32:
        return 0.0
    gray = cv2.cvtColor(frame[y0:y1, x0:x1], cv2.COLOR_BGR2GRAY).astype(np.float32)
    gray = cv2.resize(gray, (128, 128), interpolation=cv2.INTER_AREA)
    gray -= gray.mean()
    gray *= _HANN_128
    spec = np.log1p(np.abs(np.fft.fftshift(np.fft.fft2(gray))))
    band = spec[_HIGH_BAND_128]
    if band.size == 0:
        return 0.0
    return float((np.percentile(band, 99.9) - np.median(band)) / (np.std(band) + 1e-6))


@dataclass(frozen=True)
class PadVerdict:
    status: str            # real | spoof | not_available
    score: float = 0.0


class PadModel:
    """MiniFASNet (DeepFace's ONNX pair) when provisioned and verified; else not available."""

    def __init__(self) -> None:
        self._model: Any = None
        self.status = NOT_AVAILABLE
        self.detail = ""

    @classmethod
    def load(cls) -> PadModel:
        pad = cls()
        try:
            from kiosk import models

            checks = models.verify(names=["minifasnet_v2", "minifasnet_v1se"])
            missing = [c.describe() for c in checks if not c.ok]
            if missing:
                pad.detail = "; ".join(missing)
                return pad
            models.prepare_deepface_home()
            from deepface.models.spoofing.onnx.FasNet import Fasnet

            pad._model = Fasnet()
            pad.status = "ready"
        except Exception as exc:  # noqa: BLE001 - optional model: report, never crash
            pad.detail = f"could not load: {type(exc).__name__}"
            log.warning("pad model not available: %s", pad.detail)
        return pad

    @property
    def available(self) -> bool:
        return self._model is not None

    def check(self, frame: np.ndarray, box: tuple[float, float, float, float]) -> PadVerdict:
        if self._model is None:
            return PadVerdict(NOT_AVAILABLE)
        x, y, w, h = (int(v) for v in box)
        is_real, score = self._model.analyze(img=frame, facial_area=(x, y, w, h))
        return PadVerdict("real" if is_real else "spoof", float(score))
