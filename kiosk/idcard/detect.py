"""Find an ID card (ID-1, 85.6 × 54 mm) in a camera frame, straighten it, and coach the holder.

Runs on every preview frame, so it stays cheap (edges and contours on a small copy, one
perspective warp at full resolution). A reason code tells the UI what to say:
no_card, too_far, tilted, blurry, glare, wrong_side, partly_outside; "ok" when readable.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import cv2
import numpy as np

CARD_W, CARD_H = 856, 540          # canonical straightened card: 10 px per mm
CARD_ASPECT = 85.6 / 54.0
REASONS = ("ok", "no_card", "too_far", "tilted", "blurry", "glare", "wrong_side",
           "partly_outside")

Quad = tuple[tuple[float, float], tuple[float, float], tuple[float, float], tuple[float, float]]


@dataclass(frozen=True)
class DetectorTuning:
    work_width: int = 320              # frames are searched at this width
    min_area: float = 0.04             # below this fraction of the frame: not a card at all
    too_far_area: float = 0.16         # card smaller than this fraction of the frame: closer
    aspect_low: float = 1.30           # long/short side, loose for perspective
    aspect_high: float = 1.95
    max_side_ratio: float = 1.22       # opposite sides differ more than this: tilted
    border_margin: float = 0.012       # corner this close to the frame edge: partly outside
    min_sharpness: float = 60.0        # variance of the Laplacian on the straightened card
    glare_level: int = 245             # grey level counted as blown out (with no ink texture)
    max_glare_line: float = 0.15       # washed share of a key text line's columns: glare
    max_glare_portrait: float = 0.16   # washed share of the portrait: glare
    max_glare: float = 0.25            # washed share of the whole card: glare wherever it is
    min_edge_support: float = 0.6      # share of the outline that must lie on image edges


@dataclass(frozen=True, eq=False)
class CardDetection:
    """One frame's finding; `warped` is the upright card (CARD_W × CARD_H) when found."""

    found: bool
    reason: str
    quad: Quad | None = None
    warped: np.ndarray | None = field(default=None, repr=False)
    side_hint: str = "unknown"         # front | back | unknown (colour heuristics only)
    upside_down: bool = False          # the warp was turned 180° to make it upright
    coverage: float = 0.0              # card area / frame area
    sharpness: float = 0.0
    glare: float = 0.0                 # washed share of the whole card (GlareMeasure.card)
    glare_detail: GlareMeasure | None = None

    @property
    def ok(self) -> bool:
        return self.reason == "ok"


def order_corners(pts: np.ndarray) -> np.ndarray:
    """TL, TR, BR, BL with the long side horizontal (a card held sideways is turned)."""
    pts = pts.reshape(4, 2).astype(np.float32)
    centre = pts.mean(axis=0)
    angles = np.arctan2(pts[:, 1] - centre[1], pts[:, 0] - centre[0])
    pts = pts[np.argsort(angles)]                     # clockwise on screen from the left
    start = int(np.argmin(pts.sum(axis=1)))           # top-left: smallest x + y
    pts = np.roll(pts, -start, axis=0)
    top = np.linalg.norm(pts[1] - pts[0]) + np.linalg.norm(pts[2] - pts[3])
    side = np.linalg.norm(pts[3] - pts[0]) + np.linalg.norm(pts[2] - pts[1])
    if side > top:                                    # portrait orientation: start at TR
        pts = np.roll(pts, -1, axis=0)
    return pts


def _quad_shape(q: np.ndarray) -> tuple[float, float, float]:
    """(aspect long/short, worst opposite-side ratio, area)."""
    s = [float(np.linalg.norm(q[(i + 1) % 4] - q[i])) for i in range(4)]
    horiz, vert = (s[0] + s[2]) / 2, (s[1] + s[3]) / 2
    aspect = max(horiz, vert) / max(1e-6, min(horiz, vert))
    ratio = max(max(s[0], s[2]) / max(1e-6, min(s[0], s[2])),
                max(s[1], s[3]) / max(1e-6, min(s[1], s[3])))
    return aspect, ratio, float(cv2.contourArea(q.astype(np.float32)))


def _masks(gray: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(raw edges, closed edges, bright regions) of a small grey frame."""
    blur = cv2.GaussianBlur(gray, (5, 5), 0)
    edges = cv2.Canny(blur, 40, 120)
    closed = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, np.ones((5, 5), np.uint8))
    _, bright = cv2.threshold(blur, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    bright = cv2.morphologyEx(bright, cv2.MORPH_OPEN, np.ones((5, 5), np.uint8))
    return edges, closed, bright


def _candidates(masks: tuple[np.ndarray, ...], size: int
                ) -> tuple[list[np.ndarray], list[np.ndarray]]:
    """(4-corner candidates, large hulls that touch the frame edge)."""
    quads, clipped = [], []
    for mask in masks:
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
        h, w = mask.shape[:2]
        for c in contours:
            if cv2.contourArea(c) < 0.02 * size:
                continue
            hull = cv2.convexHull(c)
            x, y, bw, bh = cv2.boundingRect(hull)
            peri = cv2.arcLength(hull, True)
            approx = cv2.approxPolyDP(hull, 0.03 * peri, True)
            touches = (x <= 1) + (y <= 1) + (x + bw >= w - 1) + (y + bh >= h - 1)
            solid = cv2.contourArea(c) / max(cv2.contourArea(hull), 1.0)
            if touches in (1, 2) and 4 <= len(approx) <= 6 and solid > 0.9:
                clipped.append(hull)          # a straight-sided shape cut by the frame edge
            if len(approx) == 4:
                quads.append(_refine(approx.reshape(4, 2).astype(np.float32), hull))
                continue
            rect = cv2.minAreaRect(hull)
            (rw, rh) = rect[1]
            if rw * rh > 0 and cv2.contourArea(hull) / (rw * rh) > 0.88:
                quads.append(_refine(cv2.boxPoints(rect).astype(np.float32), hull))
    return quads, clipped


def _refine(quad: np.ndarray, hull: np.ndarray) -> np.ndarray:
    """Fit a line to the outline points along each side and intersect them.

    Rounded card corners pull a polygon approximation inwards; the fitted sides meet at the
    card's virtual sharp corners, which is what the perspective warp needs.
    """
    pts = hull.reshape(-1, 2).astype(np.float32)
    dense = []
    for i in range(len(pts)):                        # the hull has few points: densify it
        a, b = pts[i], pts[(i + 1) % len(pts)]
        n = max(2, int(np.linalg.norm(b - a) / 2))
        dense.append(a + (b - a) * np.linspace(0, 1, n, endpoint=False)[:, None])
    pts = np.concatenate(dense)
    lines = []
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        d = b - a
        length = float(np.linalg.norm(d))
        if length < 1:
            return quad
        u = d / length
        rel = pts - a
        along = rel @ u
        dist = np.abs(rel[:, 0] * u[1] - rel[:, 1] * u[0])
        keep = (along > 0.15 * length) & (along < 0.85 * length) & (dist < 0.04 * length + 3)
        if np.count_nonzero(keep) < 4:
            return quad
        vx, vy, x0, y0 = cv2.fitLine(pts[keep], cv2.DIST_HUBER, 0, 0.01, 0.01).ravel()
        lines.append((np.array([x0, y0]), np.array([vx, vy])))
    out = []
    for i in range(4):
        (p1, d1), (p2, d2) = lines[i - 1], lines[i]
        m = np.array([d1, -d2]).T
        if abs(np.linalg.det(m)) < 1e-6:
            return quad
        t = np.linalg.solve(m, p2 - p1)
        out.append(p1 + d1 * t[0])
    refined = np.array(out, np.float32)
    if np.abs(refined - quad).max() > 0.15 * np.linalg.norm(quad[2] - quad[0]):
        return quad
    return refined


def _edge_support(edges: np.ndarray, quad: np.ndarray) -> float:
    """Share of points along the quad's sides that lie on an edge (a real card has 4 edges)."""
    near = cv2.dilate(edges, np.ones((5, 5), np.uint8))
    h, w = near.shape[:2]
    hits = total = 0
    for i in range(4):
        a, b = quad[i], quad[(i + 1) % 4]
        for t in np.linspace(0.1, 0.9, 24):
            x, y = (a + (b - a) * t).astype(int)
            if 0 <= x < w and 0 <= y < h:
                total += 1
                hits += near[y, x] > 0
    return hits / max(total, 1)


def _sharpness(gray: np.ndarray) -> float:
    small = cv2.resize(gray, (CARD_W // 2, CARD_H // 2), interpolation=cv2.INTER_AREA)
    return float(cv2.Laplacian(small, cv2.CV_64F).var())


# Where a highlight hurts on an upright card (x0, y0, x1, y1 as fractions of the card). Front:
# the number line and the name (what `read_card` needs to accept a card) and the portrait (the
# face-matching reference); back: the authority and validity lines. Boxes follow the real
# card's layout, a little generous.
GLARE_LINES = {
    "front": {"number": (0.33, 0.79, 0.93, 0.91), "name": (0.16, 0.12, 0.42, 0.23)},
    "back": {"authority": (0.30, 0.68, 0.92, 0.77), "validity": (0.30, 0.79, 0.92, 0.88)},
}
PORTRAIT_REGION = (0.62, 0.10, 0.95, 0.76)
INK_LEVEL = 150        # quarter-size grey darker than this is print (a text line's extent)
INK_PAD = 0.04         # washed columns count up to this far (card widths) past the print


@dataclass(frozen=True)
class GlareMeasure:
    """Washed-out shares of the straightened card (saturated and without any ink texture)."""

    card: float = 0.0                  # share of the whole card
    lines: float = 0.0                 # worst key text line: share of its columns washed out
    portrait: float = 0.0              # share of the portrait's area (front only)


def _washed(gray: np.ndarray, level: int) -> tuple[np.ndarray, np.ndarray]:
    """(quarter-size grey, mask blown out and flat (a highlight that also swallowed the ink).

    Paper next to dark print saturates under a mild highlight, but the print stays dark and
    OCR reads it; only where the neighbourhood has no contrast left is text lost.
    """
    small = cv2.resize(gray, (CARD_W // 4, CARD_H // 4), interpolation=cv2.INTER_AREA)
    k = np.ones((3, 3), np.uint8)
    flat = (cv2.dilate(small, k) - cv2.erode(small, k)) < 24
    washed = ((small >= level) & flat).astype(np.uint8)
    return small, cv2.morphologyEx(washed, cv2.MORPH_OPEN, k)


def _box(mask: np.ndarray, box: tuple[float, float, float, float]) -> np.ndarray:
    h, w = mask.shape[:2]
    x0, y0, x1, y1 = box
    return mask[int(y0 * h):int(y1 * h), int(x0 * w):int(x1 * w)]


def measure_glare(gray: np.ndarray, side: str = "front", *, level: int = 245,
                  column_share: float = 0.6) -> GlareMeasure:
    """Glare on an upright straightened card, where it matters (GLARE_LINES, PORTRAIT_REGION).

    For a text line the measure is the share of its columns washed over at least
    `column_share` of the line's height: a digit gone top to bottom is a digit lost, whereas
    a bright band across the top of the line leaves the digits readable. A side that is not
    known is judged with both sides' lines.
    """
    small, washed = _washed(gray, level)
    boxes = dict(GLARE_LINES["front"]) if side != "back" else {}
    if side != "front":
        boxes.update(GLARE_LINES["back"])
    pad = max(1, round(INK_PAD * washed.shape[1]))
    worst = 0.0
    for box in boxes.values():
        cols = _box(washed, box).mean(axis=0) >= column_share
        ink = np.flatnonzero(_box(small, box).min(axis=0) < INK_LEVEL)
        if ink.size:                   # washed paper well past the printed text is harmless;
            cols[:max(0, ink[0] - pad)] = False        # a highlight over the text's end
            cols[ink[-1] + pad + 1:] = False           # cuts the text short, so it counts
        worst = max(worst, float(np.count_nonzero(cols)) / max(cols.size, 1))
    portrait = 0.0
    if side != "back":
        cut = _box(washed, PORTRAIT_REGION)
        portrait = float(np.count_nonzero(cut)) / max(cut.size, 1)
    return GlareMeasure(float(np.count_nonzero(washed)) / washed.size, worst, portrait)


def _emblem_score(bgr: np.ndarray) -> float:
    """Red fraction of a region, counted only when gold is there too (the national emblem)."""
    hsv = cv2.cvtColor(bgr, cv2.COLOR_BGR2HSV)
    h, s, v = hsv[..., 0], hsv[..., 1], hsv[..., 2]
    red = ((h < 10) | (h > 165)) & (s > 110) & (v > 100)
    gold = (h >= 15) & (h <= 35) & (s > 100) & (v > 120)
    if np.count_nonzero(gold) < 0.005 * gold.size:
        return 0.0
    return float(np.count_nonzero(red)) / red.size


def side_hint(warped: np.ndarray) -> tuple[str, bool]:
    """(front|back|unknown, upside_down) from colour and darkness alone; OCR decides later.

    The back carries the red national emblem top left; the front a portrait on the right,
    which is darker than the text column on the left.
    """
    h, w = warped.shape[:2]
    tl = warped[int(0.05 * h):int(0.42 * h), int(0.03 * w):int(0.25 * w)]
    br = warped[int(0.58 * h):int(0.95 * h), int(0.75 * w):int(0.97 * w)]
    red_tl, red_br = _emblem_score(tl), _emblem_score(br)
    if max(red_tl, red_br) > 0.10:
        return "back", red_br > red_tl
    gray = cv2.cvtColor(warped, cv2.COLOR_BGR2GRAY) if warped.ndim == 3 else warped
    right = gray[int(0.15 * h):int(0.70 * h), int(0.66 * w):int(0.90 * w)]
    left = gray[int(0.30 * h):int(0.85 * h), int(0.10 * w):int(0.34 * w)]
    diff = _ink(right) - _ink(left)            # relative to each region's own paper white,
    if abs(diff) < 0.06:                       # so a shadow across the card does not count
        return "unknown", False
    return "front", diff < 0


def _ink(gray: np.ndarray) -> float:
    white = float(np.percentile(gray, 95)) or 1.0
    return 1.0 - float(gray.mean()) / white


def warp_card(frame: np.ndarray, quad: np.ndarray) -> np.ndarray:
    """Perspective-straighten the card given by TL, TR, BR, BL corners."""
    dst = np.array([[0, 0], [CARD_W - 1, 0], [CARD_W - 1, CARD_H - 1], [0, CARD_H - 1]],
                   np.float32)
    m = cv2.getPerspectiveTransform(quad.astype(np.float32), dst)
    return cv2.warpPerspective(frame, m, (CARD_W, CARD_H), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_REPLICATE)


class CardDetector:
    """Per-frame card finder; holds only tuning, so one instance may serve one thread."""

    def __init__(self, tuning: DetectorTuning | None = None) -> None:
        self.tuning = tuning or DetectorTuning()

    def locate(self, frame: np.ndarray) -> tuple[np.ndarray | None, float, bool]:
        """(quad or None, area fraction, something large runs off the frame edge)."""
        t = self.tuning
        h, w = frame.shape[:2]
        scale = t.work_width / float(w)
        small = cv2.resize(frame, (t.work_width, max(1, round(h * scale))),
                           interpolation=cv2.INTER_AREA)
        gray = cv2.cvtColor(small, cv2.COLOR_BGR2GRAY) if small.ndim == 3 else small
        edges, closed, bright = _masks(gray)
        best, clipped = self._best((closed, bright), edges, gray.size)
        if best is None:                   # faint edges (light card on a light table)
            soft = cv2.Canny(cv2.GaussianBlur(gray, (3, 3), 0), 12, 36)
            soft_closed = cv2.morphologyEx(soft, cv2.MORPH_CLOSE, np.ones((7, 7), np.uint8))
            best, more = self._best((soft_closed,), soft, gray.size)
            clipped += more
        if best is None:
            big = any(0.08 < cv2.contourArea(c) / gray.size < 0.6 for c in clipped)
            return None, 0.0, big
        _, _, area = _quad_shape(best)
        return order_corners(best / scale), area / gray.size, False

    def _best(self, masks: tuple[np.ndarray, ...], edges: np.ndarray, size: int
              ) -> tuple[np.ndarray | None, list[np.ndarray]]:
        t = self.tuning
        quads, clipped = _candidates(masks, size)
        best, best_area = None, 0.0
        for q in quads:
            aspect, _, area = _quad_shape(q)
            frac = area / size
            if frac < t.min_area or frac > 0.97 or not t.aspect_low <= aspect <= t.aspect_high:
                continue
            if area > best_area and _edge_support(edges, q) >= t.min_edge_support:
                best, best_area = q, area
        return best, clipped

    def detect(self, frame: np.ndarray, *, want: str | None = None) -> CardDetection:
        """Find, straighten and judge the card; `want` = "front"/"back" enables wrong_side."""
        t = self.tuning
        quad, coverage, clipped = self.locate(frame)
        if quad is None:
            return CardDetection(False, "partly_outside" if clipped else "no_card")
        h, w = frame.shape[:2]
        as_tuple: Quad = tuple((float(x), float(y)) for x, y in quad)  # type: ignore[assignment]
        mx, my = t.border_margin * w, t.border_margin * h
        if any(x < mx or y < my or x > w - 1 - mx or y > h - 1 - my for x, y in quad):
            return CardDetection(True, "partly_outside", as_tuple, coverage=coverage)
        if coverage < t.too_far_area:
            return CardDetection(True, "too_far", as_tuple, coverage=coverage)
        _, side_ratio, _ = _quad_shape(quad)
        warped = warp_card(frame, quad)
        side, flipped = side_hint(warped)
        if flipped:
            warped = cv2.rotate(warped, cv2.ROTATE_180)
        gray = cv2.cvtColor(warped, cv2.COLOR_BGR2GRAY) if warped.ndim == 3 else warped
        sharp = _sharpness(gray)
        glare = measure_glare(gray, side, level=t.glare_level)
        reason = "ok"
        if side_ratio > t.max_side_ratio:
            reason = "tilted"
        elif sharp < t.min_sharpness:
            reason = "blurry"
        elif self.glare_threatens(glare):
            reason = "glare"
        elif want and side not in (want, "unknown"):
            reason = "wrong_side"
        return CardDetection(True, reason, as_tuple, warped, side, flipped, coverage, sharp,
                             glare.card, glare)

    def glare_threatens(self, g: GlareMeasure) -> bool:
        """A highlight that washed out part of a key line, the portrait, or much of the card."""
        t = self.tuning
        return (g.lines > t.max_glare_line or g.portrait > t.max_glare_portrait
                or g.card > t.max_glare)


@dataclass(frozen=True)
class SteadyState:
    steady: bool
    frames: int                       # consecutive good, still frames so far
    reason: str                       # the latest frame's reason (or "moving")


class CardSteadiness:
    """Waits for a few consecutive good frames with the card held still before reading.

    A `glare` frame neither counts nor restarts the run: a glint that comes and goes while
    the hand trembles is waited out silently. Only when glare is seen on `frames` frames in a
    row does the state say `glare` (so the resident is asked to tilt the card only when the
    highlight really stays on a field).
    """

    def __init__(self, *, frames: int = 3, max_shift: float = 0.02) -> None:
        self.frames_needed = frames
        self.max_shift = max_shift    # corner movement as a fraction of the card's diagonal
        self.reset()

    def reset(self) -> None:
        self._count = 0
        self._glare_run = 0
        self._last: np.ndarray | None = None
        self._best: CardDetection | None = None

    @property
    def best(self) -> CardDetection | None:
        """The sharpest good detection of the current steady run (what to read)."""
        return self._best

    def update(self, det: CardDetection) -> SteadyState:
        glary = det.reason == "glare" and det.quad is not None
        if (not det.ok and not glary) or det.quad is None:
            self.reset()
            return SteadyState(False, 0, det.reason)
        quad = np.array(det.quad, np.float32)
        if self._last is not None:
            diag = float(np.linalg.norm(quad[2] - quad[0]))
            shift = float(np.abs(quad - self._last).max()) / max(diag, 1.0)
            if shift > self.max_shift:
                self._count, self._best, self._glare_run = 0, None, 0
                self._last = quad
                return SteadyState(False, 0, "moving")
        self._last = quad
        if glary:
            self._glare_run += 1
            persistent = self._glare_run >= self.frames_needed
            return SteadyState(False, self._count, "glare" if persistent else "ok")
        self._glare_run = 0
        self._count += 1
        if self._best is None or det.sharpness > self._best.sharpness:
            self._best = det
        return SteadyState(self._count >= self.frames_needed, self._count, det.reason)
