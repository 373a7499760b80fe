"""Quality gates for a face frame, each failing gate a stable reason code.

The journey maps each code to one short spoken and written coaching line; the order of
`REASONS` is the order of importance (the first failing one is what the resident hears).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType

import numpy as np

from kiosk.config import VisionQualitySection
from kiosk.vision.observe import LEFT_EYE, RIGHT_EYE, FaceObservation

OK = "ok"
REASONS = (
    "no_face", "more_than_one_face", "too_dark", "too_bright", "too_far", "too_close",
    "off_centre", "head_turned", "eyes_closed", "glare_on_glasses", "blurry",
)


# The gates' limits are settings ([vision.quality], with a range and a line each).
QualityThresholds = VisionQualitySection


@dataclass(frozen=True)
class QualityReport:
    reasons: tuple[str, ...]
    measures: MappingProxyType[str, float] = field(
        default_factory=lambda: MappingProxyType({}))
    score: float = 0.0                  # higher is a better probe frame (0 when not ok)

    @property
    def ok(self) -> bool:
        return not self.reasons

    @property
    def reason(self) -> str:
        """The one code to coach on now (`ok` when every gate passes)."""
        return self.reasons[0] if self.reasons else OK


def _luma(frame: np.ndarray) -> np.ndarray:
    import cv2

    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def _clip_box(box: tuple[float, float, float, float], w: int, h: int
              ) -> tuple[int, int, int, int]:
    x, y, bw, bh = box
    x0, y0 = max(0, int(x)), max(0, int(y))
    x1, y1 = min(w, int(x + bw)), min(h, int(y + bh))
    return x0, y0, x1, y1


def sharpness(gray_face: np.ndarray) -> float:
    """Variance of the Laplacian on the face resized to 128 px wide (scale-independent)."""
    import cv2

    if gray_face.size == 0:
        return 0.0
    scale = 128.0 / max(1, gray_face.shape[1])
    small = cv2.resize(gray_face, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(small, cv2.CV_64F).var())


def _glare_fraction(frame: np.ndarray, obs: FaceObservation,
                    face: tuple[np.ndarray, int, int, int, int] | None = None) -> float:
    """Share of near-white pixels around both eyes (reflections on glasses). `face` is the
    face box already in grey with its corners (x0, y0, x1, y1): an eye patch inside it is
    cut from it instead of converted again (the same pixels)."""
    pts = obs.landmarks
    if pts is None:
        return 0.0
    h, w = frame.shape[:2]
    fracs = []
    for eye in (LEFT_EYE, RIGHT_EYE):
        e = pts[list(eye), :2]
        cx, cy = e[:, 0].mean(), e[:, 1].mean()
        half = max(4.0, float(np.ptp(e[:, 0])) * 0.9)
        x0, y0 = int(max(0, cx - half)), int(max(0, cy - half * 0.7))
        x1, y1 = int(min(w, cx + half)), int(min(h, cy + half * 0.7))
        if x1 <= x0 or y1 <= y0:
            patch = None
        elif face is not None and _inside((x0, y0, x1, y1), face[1:]):
            grey, fx0, fy0 = face[0], face[1], face[2]
            patch = grey[y0 - fy0:y1 - fy0, x0 - fx0:x1 - fx0]
        else:
            patch = _luma(frame[y0:y1, x0:x1])
        if patch is not None and patch.size:
            fracs.append(np.count_nonzero(patch >= 250) / patch.size)
    return max(fracs) if fracs else 0.0


def _inside(box: tuple[int, int, int, int], outer: tuple[int, int, int, int]) -> bool:
    return outer[0] <= box[0] and outer[1] <= box[1] and box[2] <= outer[2] \
        and box[3] <= outer[3]


LUMA_STEP = 4          # the frame's brightness from every 4th pixel of every 4th row


def _frame_luma_sum(frame: np.ndarray) -> float:
    """Sum of the grey levels of the whole frame, estimated from a 1-in-16 pixel grid without
    making the grey frame (BT.601, as cvtColor weighs the channels). It only feeds the
    background's mean for the backlight gate, where a grey level either way is nothing; the
    full sum read the whole frame on every frame."""
    import cv2

    h, w = frame.shape[:2]
    # a nearest-neighbour resize is the grid, without numpy's slow strided copy
    grid = cv2.resize(frame, (max(1, w // LUMA_STEP), max(1, h // LUMA_STEP)),
                      interpolation=cv2.INTER_NEAREST)
    scale = frame.shape[0] * frame.shape[1] / (grid.shape[0] * grid.shape[1])
    if grid.ndim == 2:
        return float(grid.sum()) * scale
    b, g, r, _ = cv2.sumElems(grid)
    return (0.114 * b + 0.587 * g + 0.299 * r) * scale


def assess(frame: np.ndarray, obs: FaceObservation,
           t: QualityThresholds | None = None, *, full: bool = False) -> QualityReport:
    """The gates for one frame; never raises on odd frames (black, tiny, half a face).
    `reason`, `ok` and `score` are those of every gate; `reasons` and `measures` hold the
    glare and blur gates only when every earlier gate passed, or with `full`."""
    t = t or QualityThresholds()
    if frame is None or frame.size == 0 or not obs.has_face or obs.box is None:
        return QualityReport(("no_face",))
    h, w = frame.shape[:2]
    reasons: list[str] = []
    main_w = obs.box[2]
    if any(b[2] >= t.second_face_frac * main_w for b in obs.other_boxes):
        reasons.append("more_than_one_face")
    x0, y0, x1, y1 = _clip_box(obs.box, w, h)
    # grey only where it is looked at: the face box and the eye patches; the background's
    # mean comes from sums of the whole frame minus the box (no grey frame, no mask)
    face = _luma(frame[y0:y1, x0:x1]) if x1 > x0 and y1 > y0 else np.zeros((0, 0), np.uint8)
    face_sum = float(face.sum()) if face.size else 0.0
    face_luma = face_sum / face.size if face.size else 0.0
    rest = h * w - face.size
    bg_luma = (_frame_luma_sum(frame) - face_sum) / rest if rest else face_luma
    if face_luma < t.min_luma:
        reasons.append("too_dark")
    elif face_luma > t.max_luma or bg_luma - face_luma > t.backlit_delta:
        reasons.append("too_bright")
    frac = main_w / w
    bx, by, bw, bh = obs.box
    outside = bx < -0.05 * bw or by < -0.05 * bh or bx + bw > w * 1.0 + 0.05 * bw \
        or by + bh > h + 0.05 * bh
    if frac < t.min_face_frac:
        reasons.append("too_far")
    elif frac > t.max_face_frac:
        reasons.append("too_close")
    off_x = abs(bx + bw / 2 - w / 2) / w
    off_y = abs(by + bh / 2 - h / 2) / h
    if outside or off_x > t.max_offset_frac or off_y > t.max_offset_frac * 1.3:
        reasons.append("off_centre")
    if abs(obs.yaw) > t.max_yaw or abs(obs.pitch) > t.max_pitch:
        reasons.append("head_turned")
    if max(obs.eye_open_left, obs.eye_open_right) < t.min_eye_open:
        reasons.append("eyes_closed")
    measures = {"face_frac": frac, "face_luma": face_luma, "background_luma": bg_luma,
                "offset_x": off_x, "offset_y": off_y}
    if reasons and not full:
        # The glare and blur gates come last in REASONS: with an earlier gate failed they can
        # never be the reason coached, and the score is 0 either way. Their 0.2-0.3 ms (the
        # face's resize for the Laplacian most of it) is skipped; `full` measures them anyway.
        ordered = tuple(r for r in REASONS if r in reasons)
        return QualityReport(ordered, MappingProxyType(measures), 0.0)
    glare = _glare_fraction(frame, obs, (face, x0, y0, x1, y1))
    if glare > t.max_glare_frac:
        reasons.append("glare_on_glasses")
    sharp = sharpness(face)
    if sharp < t.min_sharpness:
        reasons.append("blurry")
    ordered = tuple(r for r in REASONS if r in reasons)
    frontal = max(0.0, 1.0 - (abs(obs.yaw) + abs(obs.pitch)) / 60.0)
    score = 0.0 if ordered else frontal * min(1.0, sharp / 200.0) * min(1.0, frac / 0.35)
    measures.update(sharpness=sharp, glare=glare)
    return QualityReport(ordered, MappingProxyType(measures), score)
