"""Does the face repeat itself? A looped recording does; a live person never does exactly.

Why: a clip fed again and again (as the camera, or on a phone held up to it) shows the same
movements of the face at a fixed period: the same lids closing, the same head drift, the
same lips, frame after frame. A live person who blinks twice or nods twice never moves
every point of the face along the same path twice. So the detector keeps, on every second
frame, the face's shape (MediaPipe mesh points, centred and scaled, so that where the face
sits and how big it is do not count) and asks, for the last `WINDOW` samples (~1.6 s), how
close the best-matching earlier stretch at least `MIN_LAG_S` back comes, compared with how
much the face moved within the window itself:

    ratio = (mean distance to the best earlier stretch) / (mean distance to the window mean)

A ratio near 0 is a repetition; windows in which the face hardly moves (a still face is
"like itself" at any lag) do not vote (`MIN_SPREAD`). Dropped or doubled frames are allowed
for: each sample may match one sample either side. Bars: docs/vision.md (repetition cue).
"""

from __future__ import annotations

import numpy as np

from kiosk.vision.observe import FaceObservation

EVERY = 2            # one sample every second frame
WINDOW = 24          # samples compared (~1.6 s at 30 frames/s)
MIN_LAG_S = 1.5      # an earlier stretch at least this far back (a loop's period is longer)
MAX_SAMPLES = 600    # ~40 s kept: more than one attempt
MIN_SPREAD = 0.004   # window spread (shape units) below which the face counts as still
# brows, eye lids, nose, lips, jaw line: points that move with expression and pose
POINTS = (70, 63, 105, 66, 107, 336, 296, 334, 293, 300,
          33, 160, 158, 133, 153, 144, 362, 385, 387, 263, 373, 380,
          1, 4, 6, 168, 98, 327,
          61, 291, 0, 17, 13, 14, 78, 308, 82, 312, 87, 317,
          234, 454, 152, 10, 172, 397, 136, 365)
IDX = np.array(POINTS)


def shape_of(landmarks: np.ndarray) -> np.ndarray:
    """Mesh points (x, y) centred on their mean and divided by their RMS radius, flat."""
    p = landmarks[IDX, :2].astype(np.float64)
    p = p - p.mean(axis=0)
    r = float(np.sqrt((p ** 2).sum(axis=1).mean())) or 1.0
    return (p / r).ravel()


class RepeatDetector:
    """Fed every observation of an attempt (in time order); keeps the smallest ratio seen.

    Cost: per sample one distance row to the earlier samples (<= 600 x 96) and a running sum
    per lag (a window's total at lag L is last sample's total + the new sample's distance at
    L - the distance of the sample that left the window), so no window is recomputed."""

    def __init__(self) -> None:
        self._frames = 0
        self._n = 0
        self._shapes = np.zeros((MAX_SAMPLES, 2 * len(IDX)))
        self._times = np.zeros(MAX_SAMPLES)
        # _bylag[i, L]: distance of sample i to sample i - L (or the closer neighbour of it)
        self._bylag = np.zeros((MAX_SAMPLES, MAX_SAMPLES + 1), np.float32)
        self._run = np.zeros(MAX_SAMPLES + 1)   # the current window's total per lag
        self.windows = 0                        # windows that voted
        self.best: float | None = None          # smallest ratio so far
        self.best_at: float | None = None

    def feed(self, obs: FaceObservation, t: float) -> None:
        self._frames += 1
        if (self._frames % EVERY or obs.landmarks is None or not obs.has_face
                or self._n >= MAX_SAMPLES):
            return
        i = self._n
        s = shape_of(obs.landmarks)
        self._shapes[i] = s
        self._times[i] = t
        self._n = i + 1
        if i == 0:
            return
        row = np.sqrt(((self._shapes[:i] - s) ** 2).sum(axis=1) / len(IDX))
        near = row.copy()                     # a dropped or doubled frame: one either side
        near[1:] = np.minimum(near[1:], row[:-1])
        near[:-1] = np.minimum(near[:-1], row[1:])
        self._bylag[i, 1:i + 1] = near[::-1]
        self._run[1:i + 1] += self._bylag[i, 1:i + 1]
        gone = i - WINDOW
        if gone >= 1:
            self._run[1:gone + 1] -= self._bylag[gone, 1:gone + 1]
        self._judge(i)

    def _judge(self, i: int) -> None:
        first = i - WINDOW + 1
        if first < 1:
            return
        win = self._shapes[first:i + 1]
        spread = float(np.sqrt(((win - win.mean(axis=0)) ** 2).sum(axis=1) / len(IDX)).mean())
        if spread < MIN_SPREAD:
            return
        # the earlier stretch ends at least MIN_LAG_S before the window starts, begins at >= 1
        k_max = int(np.searchsorted(self._times[:first], self._times[first] - MIN_LAG_S,
                                    side="right")) - 1
        if k_max < WINDOW:
            return
        match = float(self._run[i - k_max:i - WINDOW + 1].min()) / WINDOW
        ratio = match / spread
        self.windows += 1
        if self.best is None or ratio < self.best:
            self.best, self.best_at = ratio, float(self._times[i])

    def repeated(self, max_ratio: float) -> bool:
        return self.best is not None and self.best < max_ratio
