"""Generated presentation attacks for tests: thin lists over kiosk.vision.attacks."""

from __future__ import annotations

import numpy as np

from kiosk.vision import attacks


def held_photo_frames(photo: np.ndarray, *, seconds: float = 8.0, fps: int = 30,
                      seed: int = 0) -> list[np.ndarray]:
    """A printed photo held in front of the camera, tilted left/right and back/forward."""
    return list(attacks.held_print(photo, seconds=seconds, fps=fps, seed=seed))


def phone_screen_frames(photo: np.ndarray, *, seconds: float = 6.0, fps: int = 30,
                        seed: int = 1) -> list[np.ndarray]:
    """A still on a phone held up to the camera: bezel, glow, moire, glare, hand tremor."""
    return list(attacks.still_on_phone(photo, seconds=seconds, fps=fps, seed=seed))
