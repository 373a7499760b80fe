"""Generated presentation attacks for tests: a held, tilted photo and a phone screen."""

from __future__ import annotations

import math

import cv2
import numpy as np


def _scene(rng: np.random.Generator, w: int = 640, h: int = 480) -> np.ndarray:
    base = np.zeros((h, w, 3), np.uint8)
    base[:] = (150, 160, 170)
    cv2.rectangle(base, (0, int(h * 0.7)), (w, h), (90, 100, 110), -1)   # a counter
    return base


def _noisy(img: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    noise = rng.normal(0, 2.0, img.shape)
    return np.clip(img.astype(np.float32) + noise, 0, 255).astype(np.uint8)


def _plane_homography(w: int, h: int, yaw: float, pitch: float, tx: float, ty: float,
                      scale: float, cx: float, cy: float) -> np.ndarray:
    f = 700.0
    k = np.array([[f, 0, cx], [0, f, cy], [0, 0, 1]])
    ry, rx = math.radians(yaw), math.radians(pitch)
    r_y = np.array([[math.cos(ry), 0, math.sin(ry)], [0, 1, 0], [-math.sin(ry), 0, math.cos(ry)]])
    r_x = np.array([[1, 0, 0], [0, math.cos(rx), -math.sin(rx)], [0, math.sin(rx), math.cos(rx)]])
    # the photo is a plane at depth f through the image centre; rotate it about its centre
    to_centre = np.array([[scale, 0, -w * scale / 2], [0, scale, -h * scale / 2], [0, 0, 1]])
    plane = np.column_stack([(r_y @ r_x)[:, 0], (r_y @ r_x)[:, 1],
                             np.array([tx, ty, f])])
    return k @ plane @ to_centre


def held_photo_frames(photo: np.ndarray, *, seconds: float = 8.0, fps: int = 30,
                      seed: int = 0) -> list[np.ndarray]:
    """A printed photo (white border) held in front of the camera, tilted left/right and
    back/forward, moving a little - what someone waving a picture at the kiosk does."""
    rng = np.random.default_rng(seed)
    h0, w0 = photo.shape[:2]
    s = 300.0 / max(h0, w0)
    pic = cv2.resize(photo, (int(w0 * s), int(h0 * s)))
    pic = cv2.copyMakeBorder(pic, 12, 12, 12, 12, cv2.BORDER_CONSTANT, value=(245, 245, 245))
    ph, pw = pic.shape[:2]
    frames = []
    n = int(seconds * fps)
    for i in range(n):
        t = i / fps
        yaw = 40.0 * math.sin(2 * math.pi * t / 3.0) if t > 1.0 else 0.0
        pitch = 25.0 * math.sin(2 * math.pi * t / 2.2) if t > 1.0 else 0.0
        hmat = _plane_homography(pw, ph, yaw, pitch, 15 * math.sin(t), 8 * math.cos(t * 1.3),
                                 1.0, 320.0, 240.0)
        scene = _scene(rng)
        warped = cv2.warpPerspective(pic, hmat, (640, 480))
        mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), hmat, (640, 480))
        scene[mask > 0] = warped[mask > 0]
        frames.append(_noisy(scene, rng))
    return frames


def phone_screen_frames(photo: np.ndarray, *, seconds: float = 6.0, fps: int = 30,
                        seed: int = 1) -> list[np.ndarray]:
    """A still shown on a phone held up to the camera: bezel, screen glow, pixel-grid moire,
    hand shake."""
    rng = np.random.default_rng(seed)
    sw, sh = 220, 390
    h0, w0 = photo.shape[:2]
    s = max(sw / w0, sh / h0)
    pic = cv2.resize(photo, (int(w0 * s) + 1, int(h0 * s) + 1))
    y0 = (pic.shape[0] - sh) // 2
    x0 = (pic.shape[1] - sw) // 2
    screen = pic[y0:y0 + sh, x0:x0 + sw].astype(np.float32)
    yy, xx = np.mgrid[0:sh, 0:sw]
    moire = 1.0 + 0.08 * np.sin(2 * np.pi * (xx * 0.37 + yy * 0.11))
    screen = np.clip(screen * 1.15 * moire[..., None] + 10, 0, 255).astype(np.uint8)
    phone = cv2.copyMakeBorder(screen, 30, 30, 12, 12, cv2.BORDER_CONSTANT, value=(20, 20, 20))
    ph, pw = phone.shape[:2]
    frames = []
    for i in range(int(seconds * fps)):
        t = i / fps
        hmat = _plane_homography(pw, ph, 6 * math.sin(t * 2.1), 4 * math.sin(t * 1.7),
                                 6 * math.sin(t * 3.3), 4 * math.cos(t * 2.9), 1.0,
                                 320.0, 240.0)
        scene = _scene(rng)
        warped = cv2.warpPerspective(phone, hmat, (640, 480))
        mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), hmat, (640, 480))
        scene[mask > 0] = warped[mask > 0]
        frames.append(_noisy(scene, rng))
    return frames
