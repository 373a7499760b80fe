"""Presentation and injection attacks made at run time from the shared data (never stored).

What a relative with a phone could do, given only clips and photos of the pensioner:
- `loop_injected`: a genuine clip looped three times, fed as the camera (virtual camera);
- `loop_phone`: the same loop shown on a phone held in front of the kiosk camera: bezel,
  the clip's own background inside the screen, pixel-grid moire, a glare band, hand tremor,
  slight defocus and sensor noise, in a still, textured room;
- `montage`: one stream stitched from the labelled actions of several clips (a mirrored head
  turn gives the other direction), so that every challenge occurs in it, looped;
- `still_screen` / `still_print`: a still on a phone screen, a printed photo held and tilted;
- `warped_photo`: a still animated by warps (turns by perspective, a squeezed eye band
  for a blink, a stretched mouth band), injected directly.
Each generator yields BGR frames (640x480 unless injected as is) and is seeded.
"""

from __future__ import annotations

import math
from collections.abc import Iterator

import cv2
import numpy as np

W, H = 640, 480


def room(seed: int) -> np.ndarray:
    """A still, textured room behind the phone: shelves, posters, a counter (features)."""
    rng = np.random.default_rng(seed)
    img = np.empty((H, W, 3), np.uint8)
    img[:] = (150, 158, 166)
    for _ in range(14):
        x, y = int(rng.integers(0, W - 60)), int(rng.integers(0, int(H * 0.65)))
        w, h = int(rng.integers(30, 140)), int(rng.integers(20, 110))
        colour = tuple(int(c) for c in rng.integers(40, 230, 3))
        cv2.rectangle(img, (x, y), (x + w, y + h), colour, -1)
        cv2.rectangle(img, (x, y), (x + w, y + h), (30, 30, 30), 2)
    cv2.rectangle(img, (0, int(H * 0.72)), (W, H), (90, 100, 110), -1)
    grain = rng.normal(0, 6, (H, W, 1))
    return np.clip(img + grain, 0, 255).astype(np.uint8)


def sensor(img: np.ndarray, rng: np.random.Generator, sigma: float = 2.5) -> np.ndarray:
    return np.clip(img.astype(np.float32) + rng.normal(0, sigma, img.shape), 0,
                   255).astype(np.uint8)


def plane_homography(w: int, h: int, yaw: float, pitch: float, tx: float, ty: float,
                     scale: float, cx: float = W / 2, cy: float = H / 2) -> np.ndarray:
    """A w x h picture as a plane at depth f, rotated about its centre, placed at (cx, cy)."""
    f = 700.0
    k = np.array([[f, 0, cx], [0, f, cy], [0, 0, 1]])
    ry, rx = math.radians(yaw), math.radians(pitch)
    r_y = np.array([[math.cos(ry), 0, math.sin(ry)], [0, 1, 0],
                    [-math.sin(ry), 0, math.cos(ry)]])
    r_x = np.array([[1, 0, 0], [0, math.cos(rx), -math.sin(rx)],
                    [0, math.sin(rx), math.cos(rx)]])
    to_centre = np.array([[scale, 0, -w * scale / 2], [0, scale, -h * scale / 2], [0, 0, 1]])
    rot = r_y @ r_x
    plane = np.column_stack([rot[:, 0], rot[:, 1], np.array([tx, ty, f])])
    return k @ plane @ to_centre


def _paste(scene: np.ndarray, pic: np.ndarray, hmat: np.ndarray) -> np.ndarray:
    ph, pw = pic.shape[:2]
    warped = cv2.warpPerspective(pic, hmat, (W, H))
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), hmat, (W, H))
    out = scene.copy()
    out[mask > 0] = warped[mask > 0]
    return out


class Phone:
    """A phone screen showing frames: cover-fit into the screen, moire, glare, bezel."""

    def __init__(self, seed: int, *, screen: tuple[int, int] = (230, 400)) -> None:
        rng = np.random.default_rng(seed)
        self.sw, self.sh = screen
        yy, xx = np.mgrid[0:self.sh, 0:self.sw]
        fx, fy = rng.uniform(0.3, 0.45), rng.uniform(0.05, 0.15)
        self.moire = (1.0 + 0.07 * np.sin(2 * np.pi * (xx * fx + yy * fy)))[..., None]
        self.glare_angle = rng.uniform(-0.6, 0.6)
        self.gain = rng.uniform(1.05, 1.25)
        self._yy, self._xx = yy, xx

    def show(self, frame: np.ndarray, t: float) -> np.ndarray:
        h0, w0 = frame.shape[:2]
        s = max(self.sw / w0, self.sh / h0)
        pic = cv2.resize(frame, (int(w0 * s) + 1, int(h0 * s) + 1))
        y0, x0 = (pic.shape[0] - self.sh) // 2, (pic.shape[1] - self.sw) // 2
        screen = pic[y0:y0 + self.sh, x0:x0 + self.sw].astype(np.float32)
        band = (self._xx * math.cos(self.glare_angle) + self._yy * math.sin(self.glare_angle)
                - (60 + 40 * math.sin(t * 0.7)))
        glare = 70.0 * np.exp(-(band / 25.0) ** 2)[..., None]
        screen = np.clip(screen * self.gain * self.moire + 8 + glare, 0, 255).astype(np.uint8)
        return cv2.copyMakeBorder(screen, 34, 34, 12, 12, cv2.BORDER_CONSTANT,
                                  value=(18, 18, 18))


def looped(frames: list[np.ndarray], times: int = 3, *, seed: int | None = None
           ) -> Iterator[np.ndarray]:
    """The clip played `times` times. With a seed, as a virtual camera would serve it: from a
    random frame on, at a gain of 0.92-1.08, each pass dropping every k-th frame (k drawn per
    pass, 12-40: the file's rate resampled), so the passes are not frame-for-frame equal."""
    if seed is None:
        for _ in range(times):
            yield from frames
        return
    rng = np.random.default_rng(seed)
    n = len(frames)
    offset = int(rng.integers(0, max(1, n)))
    order = frames[offset:] + frames[:offset]
    gain = float(rng.uniform(0.92, 1.08))
    lut = np.clip(np.arange(256) * gain, 0, 255).astype(np.uint8)
    for _ in range(times):
        k = int(rng.integers(12, 41))
        phase = int(rng.integers(0, k))
        for i, f in enumerate(order):
            if (i + phase) % k:
                yield cv2.LUT(f, lut)


def on_phone(frames: Iterator[np.ndarray], *, seed: int, fps: float = 30.0
             ) -> Iterator[np.ndarray]:
    """Frames replayed on a phone held by a trembling hand in front of the kiosk camera."""
    rng = np.random.default_rng(seed)
    phone = Phone(seed)
    back = room(seed)
    scale = rng.uniform(1.0, 1.15)
    phase = rng.uniform(0, 6.0, 4)
    for i, frame in enumerate(frames):
        t = i / fps
        shown = phone.show(frame, t)
        ph, pw = shown.shape[:2]
        hmat = plane_homography(
            pw, ph, 5 * math.sin(t * 2.1 + phase[0]), 4 * math.sin(t * 1.7 + phase[1]),
            7 * math.sin(t * 3.1 + phase[2]) + rng.normal(0, 0.6),
            5 * math.cos(t * 2.7 + phase[3]) + rng.normal(0, 0.6), scale)
        img = _paste(back, shown, hmat)
        img = cv2.GaussianBlur(img, (3, 3), 0.8)
        yield sensor(img, rng)


def held_print(photo: np.ndarray, *, seconds: float = 8.0, fps: float = 30.0, seed: int = 0
               ) -> Iterator[np.ndarray]:
    """A printed photo (white border) held up, tilted left/right and back/forward."""
    rng = np.random.default_rng(seed)
    h0, w0 = photo.shape[:2]
    s = 300.0 / max(h0, w0)
    pic = cv2.resize(photo, (int(w0 * s), int(h0 * s)))
    pic = cv2.copyMakeBorder(pic, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=(245, 245, 245))
    ph, pw = pic.shape[:2]
    back = room(seed)
    for i in range(int(seconds * fps)):
        t = i / fps
        yaw = 40.0 * math.sin(2 * math.pi * t / 3.0) if t > 1.0 else 0.0
        pitch = 25.0 * math.sin(2 * math.pi * t / 2.2) if t > 1.0 else 0.0
        hmat = plane_homography(pw, ph, yaw, pitch, 15 * math.sin(t), 8 * math.cos(t * 1.3),
                                1.0)
        yield sensor(_paste(back, pic, hmat), rng)


def still_on_phone(photo: np.ndarray, *, seconds: float = 8.0, fps: float = 30.0,
                   seed: int = 1) -> Iterator[np.ndarray]:
    return on_phone((photo for _ in range(int(seconds * fps))), seed=seed, fps=fps)


def _band_warp(img: np.ndarray, centre_y: float, half: float, factor: float) -> np.ndarray:
    """Squeeze (factor < 1) or stretch (> 1) a horizontal band of the image vertically."""
    h, w = img.shape[:2]
    ys = np.arange(h, dtype=np.float32)
    d = ys - centre_y
    inside = np.abs(d) < half
    src = ys.copy()
    src[inside] = centre_y + d[inside] / factor
    map_y = np.repeat(src[:, None], w, axis=1)
    map_x = np.repeat(np.arange(w, dtype=np.float32)[None, :], h, axis=0)
    return cv2.remap(img, map_x, map_y, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def warped_photo(photo: np.ndarray, *, eyes_y: float, mouth_y: float, face_h: float,
                 seconds: float = 10.0, fps: float = 30.0, seed: int = 2
                 ) -> Iterator[np.ndarray]:
    """A still animated by warps: perspective 'turns' and 'nods', a squeezed eye band every
    ~2 s (a fake blink), a stretched mouth band (a fake open mouth). Injected directly."""
    rng = np.random.default_rng(seed)
    h0, w0 = photo.shape[:2]
    for i in range(int(seconds * fps)):
        t = i / fps
        img = photo
        cyc = t % 2.0
        if 1.0 < cyc < 1.2:
            img = _band_warp(img, eyes_y, 0.06 * face_h, 0.25)
        mcyc = t % 5.0
        if 2.5 < mcyc < 3.6:
            img = _band_warp(img, mouth_y, 0.10 * face_h, 2.2)
        yaw = 22 * math.sin(2 * math.pi * t / 6.0)
        pitch = 14 * math.sin(2 * math.pi * t / 4.3)
        hmat = plane_homography(w0, h0, yaw, pitch, 0.0, 0.0, 1.0, w0 / 2, h0 / 2)
        out = cv2.warpPerspective(img, hmat, (w0, h0), borderMode=cv2.BORDER_REPLICATE)
        yield sensor(out, rng, 1.5)


def montage(segments: list[list[np.ndarray]], times: int = 2, *, seed: int | None = None
            ) -> Iterator[np.ndarray]:
    """Labelled action segments of several clips, each resized to 512x512, back to back;
    with a seed, in a random order drawn afresh for each pass."""
    fitted = [[cv2.resize(f, (512, 512)) for f in seg] for seg in segments]
    rng = np.random.default_rng(seed) if seed is not None else None
    for _ in range(times):
        order = list(range(len(fitted)))
        if rng is not None:
            rng.shuffle(order)
        for k in order:
            yield from fitted[k]
