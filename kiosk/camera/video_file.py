"""Frames of a video file read whole or picked out (evaluations, tests, benches, seeding).

The kiosk's camera replays go through `sources.open_source`; this is for code that wants a
clip's frames as a list, one frame, or its frame rate.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np


def file_fps(path: Path | str, default: float = 30.0) -> float:
    """The file's frame rate, or `default` when it states none or an implausible one."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        fps = float(cap.get(cv2.CAP_PROP_FPS) or 0.0)
    finally:
        cap.release()
    return fps if 1.0 <= fps <= 240.0 else default


def read_frames(path: Path | str, limit: int | None = None) -> list[np.ndarray]:
    """The first `limit` frames (all when None), in order; [] for an unreadable file."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    frames: list[np.ndarray] = []
    try:
        while limit is None or len(frames) < limit:
            ok, frame = cap.read()
            if not ok:
                break
            frames.append(frame)
    finally:
        cap.release()
    return frames


def frame_at(path: Path | str, index: int = 0) -> np.ndarray | None:
    """Frame number `index` (0 = the first), or None past the end or for a bad file."""
    import cv2

    cap = cv2.VideoCapture(str(path))
    try:
        if index:
            cap.set(cv2.CAP_PROP_POS_FRAMES, index)
        ok, frame = cap.read()
    finally:
        cap.release()
    return frame if ok else None
