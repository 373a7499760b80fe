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
    """Fed every observation of an attempt (in time order); keeps the smallest ratio seen."""

    def __init__(self, *, fps_hint: float = 30.0) -> None:
        self._frames = 0
        self._shapes: list[np.ndarray] = []
        self._times: list[float] = []
        self._rows: list[np.ndarray] = []      # distances of sample i to samples 0..i-1
        self.ratios: list[float] = []           # one per voting window
        self.best: float | None = None          # smallest ratio so far
        self.best_at: float | None = None

    def feed(self, obs: FaceObservation, t: float) -> None:
        self._frames += 1
        if self._frames % EVERY or obs.landmarks is None or not obs.has_face:
            return
        s = shape_of(obs.landmarks)
        if len(self._shapes) >= MAX_SAMPLES:
            return
        row = (np.sqrt(((np.asarray(self._shapes) - s) ** 2).sum(axis=1)) / np.sqrt(len(IDX))
               if self._shapes else np.empty(0))
        self._shapes.append(s)
        self._times.append(t)
        self._rows.append(row)
        self._judge()

    def _judge(self) -> None:
        i = len(self._shapes) - 1
        if i < WINDOW:
            return
        win = np.asarray(self._shapes[i - WINDOW + 1:i + 1])
        spread = float(np.sqrt(((win - win.mean(axis=0)) ** 2).sum(axis=1)).mean()
                       / np.sqrt(len(IDX)))
        if spread < MIN_SPREAD:
            return
        t_first = self._times[i - WINDOW + 1]
        # the last earlier sample a stretch may end on: MIN_LAG_S before the window's start
        k_min = next((k for k in range(i - WINDOW + 1, -1, -1)
                      if t_first - self._times[k] >= MIN_LAG_S), None)
        if k_min is None:
            return
        # lag L pairs sample j with j - L (or a neighbour of it); the earlier stretch ends
        # by k_min and starts at sample >= 1
        lags = np.arange(i - k_min, i - WINDOW + 1)
        if lags.size == 0:
            return
        total = np.zeros(lags.size)
        for w in range(WINDOW):
            j = i - w
            row = self._rows[j]                # distances to samples 0..j-1
            c = j - lags
            total += np.minimum(np.minimum(row[c], row[c - 1]), row[c + 1])
        match = float(total.min()) / WINDOW
        ratio = match / spread
        self.ratios.append(ratio)
        if self.best is None or ratio < self.best:
            self.best, self.best_at = ratio, self._times[i]

    def repeated(self, max_ratio: float) -> bool:
        return self.best is not None and self.best < max_ratio
