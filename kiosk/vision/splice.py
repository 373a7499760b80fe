"""Was the video cut? A montage stitched from several recordings jumps from one room to another.

Why: a camera in front of a resident sees one room the whole time. Whatever moves (the
head, the shoulders, someone walking past) changes the picture around the face gradually,
over several frames. A montage of several clips (every challenge's action cut out of a
different recording and put back to back) changes the whole picture around the face from
one frame to the next, and only then. So the detector compares consecutive frames *around*
the face (the face and the body below it are cut out, so an answer does not count), after
mapping the earlier frame's grey levels onto the later one's by their histograms (an
exposure step, even one that saturates the highlights, is not a cut), and calls a
frame a cut when its difference is far above both the recent typical difference and the next
frame's: a single spike, not a busy scene.

How the numbers were chosen (docs/vision.md, "cut"), comparing every second frame: over the
five shared genuine clips the spike ratio never exceeded 2.12 and the difference 0.119; the
11 cuts between different clips of the generated montage give ratios 8.9-47.3 and
differences 0.32-1.26. Each bar is the geometric middle of the two (ratio >= 4.5, difference
>= 0.19): ~2x above the largest genuine value and ~2x below the smallest cut; both must hold.
No cut was found in any other generated attack stream (loops, phones, prints, warps: ratio
<= 5.35 there when every frame was compared).
A cut inside one recording (the same room, seconds later) is not seen: that is a replay,
which the timing rules (steps.py) judge.
"""

from __future__ import annotations

from collections import deque

import numpy as np

from kiosk.vision.observe import FaceObservation

SCALE = 0.25           # a 160 x 120 grey picture is enough to see a room change
MIN_STD = 8.0          # grey levels: a flat wall is not stretched into noise
SPIKE_RATIO = 4.5
MIN_DIFF = 0.19        # mean absolute difference after histogram matching / contrast
HISTORY = 6            # compared differences (every second frame: 0.4 s at 30 fps)
EVERY = 2              # compare every second frame with the one two before (half the cost)
FLOOR = 0.02           # the smallest "typical" difference a ratio is taken against
MIN_PIXELS = 50


def around_face(shape: tuple[int, int], box: tuple[float, float, float, float] | None
                ) -> np.ndarray:
    """Pixels of a SCALE-sized frame outside the face and the body below it."""
    h, w = shape
    mask = np.ones((h, w), bool)
    if box is not None:
        x, y, bw, bh = (v * SCALE for v in box)
        mask[int(max(0, y - 0.4 * bh)):int(max(0, y + 1.6 * bh)),
             int(max(0, x - 0.3 * bw)):int(max(0, x + 1.3 * bw))] = False
    return mask


def matched_difference(before: np.ndarray, after: np.ndarray) -> float:
    """Mean absolute difference of two uint8 pixel sets after mapping `before`'s grey levels
    onto `after`'s by their histograms (any monotonic change of brightness, saturation
    included, maps away), in units of `after`'s contrast."""
    ca = np.cumsum(np.bincount(before, minlength=256)) / before.size
    cb = np.cumsum(np.bincount(after, minlength=256)) / after.size
    lut = np.clip(np.searchsorted(cb, ca), 0, 255).astype(np.float32)
    mapped = lut[before]
    return float(np.mean(np.abs(mapped - after.astype(np.float32)))
                 / max(float(after.std()), MIN_STD))


class CutDetector:
    """Fed every frame of a stream; compares every second one. `cuts` holds the indices
    (0-based, fed order) of the compared frame at or just after each cut, confirmed one
    comparison late (the next difference must be low)."""

    def __init__(self) -> None:
        self._prev: tuple[np.ndarray, np.ndarray] | None = None
        self._diff_history: deque[float] = deque(maxlen=HISTORY)
        self._candidate: tuple[int, float, float] | None = None   # (index, diff, typical)
        self._n = -1
        self.cuts: list[int] = []
        self.largest_ratio = 0.0
        self.largest_diff = 0.0
        self.cut_ratios: list[float] = []
        self.cut_diffs: list[float] = []

    def feed(self, frame: np.ndarray | None, obs: FaceObservation) -> None:
        import cv2

        self._n += 1
        if self._n % EVERY:
            return
        if frame is None or frame.ndim != 3:
            self._prev = None
            return
        h, w = frame.shape[:2]       # bilinear: 6x cheaper than INTER_AREA, enough here
        small = cv2.resize(frame, (max(1, int(w * SCALE)), max(1, int(h * SCALE))),
                           interpolation=cv2.INTER_LINEAR)
        grey = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY)
        mask = around_face(grey.shape, obs.box if obs.has_face else None)
        prev, self._prev = self._prev, (grey, mask)
        if prev is None or prev[0].shape != grey.shape:
            self._candidate = None
            return
        both = mask & prev[1]
        if int(both.sum()) < MIN_PIXELS:
            return
        diff = matched_difference(prev[0][both], grey[both])
        self._confirm(diff)
        self.largest_diff = max(self.largest_diff, diff)
        if len(self._diff_history) >= 3:
            self._candidate = (self._n, diff, float(np.median(self._diff_history)))
        self._diff_history.append(diff)

    def _confirm(self, next_diff: float) -> None:
        """The frame before this one was a cut if its difference towers over the typical one
        before it and over this one after it."""
        c, self._candidate = self._candidate, None
        if c is None:
            return
        index, diff, typical = c
        ratio = diff / max(typical, next_diff, FLOOR)
        self.largest_ratio = max(self.largest_ratio, ratio)
        if ratio >= SPIKE_RATIO and diff >= MIN_DIFF:
            self.cuts.append(index)
            self.cut_ratios.append(round(ratio, 2))
            self.cut_diffs.append(round(diff, 3))
            self._diff_history.clear()   # the new scene's typical difference is its own
