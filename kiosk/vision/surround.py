"""Does the face's surroundings move with the face? A hand-held screen or print says yes.

Why: a phone or a photo held up to the camera carries its bezel, its border and the filmed
room inside it along with the face, all as one rigid plane moved by the hand, while the real
room behind stays still. A live head moves in front of a still room: the image around it
does not follow. The tracker follows corner features in a ring around the face (a
phone-sized region, the face itself cut out) with pyramidal Lucas-Kanade, and compares their
median motion with the face's own motion (the mean of its landmarks) on frames where the face
moved. The ratio is ~1 for a rigid plane and ~0 for a still room; hair and shoulders sit in
between, which is why the rule needs many moving frames and a median (docs/vision.md).
"""

from __future__ import annotations

import numpy as np

from kiosk.vision.observe import FaceObservation

SCALE = 0.5            # work on a half-size grey image: enough for corners, cheap
EVERY = 2              # track on every second frame
MIN_FACE_SHIFT = 1.0   # px (half size) between tracked frames for a frame to count as moving
MIN_POINTS = 8


def ring_mask(shape: tuple[int, int], box: tuple[float, float, float, float]) -> np.ndarray:
    """Phone-sized ring around the face box (half-size coordinates), face cut out."""
    h, w = shape
    x, y, bw, bh = (v * SCALE for v in box)
    mask = np.zeros((h, w), np.uint8)
    x0, y0 = int(max(0, x - 0.7 * bw)), int(max(0, y - 0.6 * bh))
    x1, y1 = int(min(w, x + 1.7 * bw)), int(min(h, y + 1.9 * bh))
    mask[y0:y1, x0:x1] = 255
    fx0, fy0 = int(max(0, x - 0.15 * bw)), int(max(0, y - 0.25 * bh))
    fx1, fy1 = int(min(w, x + 1.15 * bw)), int(min(h, y + 1.25 * bh))
    mask[fy0:fy1, fx0:fx1] = 0
    return mask


class SurroundTracker:
    """Fed every frame of an attempt; keeps one ratio per moving tracked frame."""

    def __init__(self) -> None:
        self._prev: np.ndarray | None = None
        self._prev_centre: np.ndarray | None = None
        self._n = 0
        self.ratios: list[float] = []

    @property
    def moving_frames(self) -> int:
        return len(self.ratios)

    def feed(self, frame: np.ndarray, obs: FaceObservation) -> None:
        import cv2

        self._n += 1
        if self._n % EVERY or frame is None or frame.ndim != 3:
            return
        if not obs.has_face or obs.box is None or obs.landmarks is None:
            self._prev = None
            return
        small = cv2.resize(frame, None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_AREA)
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        centre = obs.landmarks[:, :2].mean(axis=0) * SCALE
        prev, prev_centre = self._prev, self._prev_centre
        self._prev, self._prev_centre = gray, centre
        if prev is None or prev_centre is None or prev.shape != gray.shape:
            return
        face = centre - prev_centre
        if float(np.hypot(*face)) < MIN_FACE_SHIFT:
            return
        mask = ring_mask(gray.shape, obs.box)
        pts = cv2.goodFeaturesToTrack(prev, maxCorners=60, qualityLevel=0.01, minDistance=5,
                                      mask=mask)
        if pts is None or len(pts) < MIN_POINTS:
            return
        nxt, status, _ = cv2.calcOpticalFlowPyrLK(prev, gray, pts, None, winSize=(15, 15),
                                                  maxLevel=2)
        ok = status.reshape(-1) == 1
        if ok.sum() < MIN_POINTS:
            return
        flow = (nxt - pts).reshape(-1, 2)[ok]
        ring = np.median(flow, axis=0)
        self.ratios.append(float(np.dot(ring, face) / max(float(np.dot(face, face)), 1e-6)))

    def median_ratio(self) -> float | None:
        return float(np.median(self.ratios)) if self.ratios else None

    def rigid_share(self, max_ratio: float, min_frames: int) -> bool | None:
        """True = the surroundings move with the face (a hand-held plane); None = too few
        moving frames to say."""
        if len(self.ratios) < min_frames:
            return None
        return float(np.median(self.ratios)) > max_ratio
