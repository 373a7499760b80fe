"""Camera identity recorded at install; a stream from another device or a decoded file is
refused. The sensor stand-in is a real photo with per-frame Gaussian noise at a jittered
30 fps; the injected stream is a real H.264 clip decoded by OpenCV."""

from __future__ import annotations

import cv2
import numpy as np

from kiosk.camera.identity import (
    CAMERA_CHANGED,
    INJECTED_STREAM,
    CameraIdentity,
    StreamGuard,
    recorded_path,
)
from kiosk.camera.video_file import frame_at


def _sensor(base: np.ndarray, n: int, seed: int, sigma: float = 2.5):
    rng = np.random.default_rng(seed)
    t = 100.0
    for _ in range(n):
        t += 0.0333 + rng.normal(0, 0.002)
        noisy = np.clip(base.astype(np.float32) + rng.normal(0, sigma, base.shape), 0, 255)
        yield t, noisy.astype(np.uint8)


def _decoded(path, n: int):
    cap = cv2.VideoCapture(str(path))
    t = 100.0
    out = []
    while len(out) < n:
        ok, f = cap.read()
        if not ok:
            break
        t += 0.0333
        out.append((t, f))
    cap.release()
    return out


def _first(path) -> np.ndarray:
    frame = frame_at(path)
    assert frame is not None
    return frame


def _guard_verdict(guard: StreamGuard, frames) -> str | None:
    for t, f in frames:
        guard.feed(t, f)
    return guard.verdict


def test_the_installed_sensor_is_accepted_and_saved(tmp_path, shared_file) -> None:
    base = _first(shared_file("liveness", "liveportrait_d19.mp4"))
    ident = CameraIdentity.measure(list(_sensor(base, 60, 1)), backend="V4L2", device="cam")
    assert 0.8 < ident.noise < 1.5 and 30 < ident.interval_ms < 37   # half-size grey: ~sigma/2
    ident.save(recorded_path(tmp_path))
    assert CameraIdentity.load(recorded_path(tmp_path)) == ident
    assert _guard_verdict(StreamGuard(ident), _sensor(base, 120, 2)) is None


def test_a_decoded_file_is_an_injected_stream(shared_file) -> None:
    clip = shared_file("liveness", "liveportrait_d19.mp4")
    ident = CameraIdentity.measure(list(_sensor(_first(clip), 60, 1)), backend="V4L2",
                                   device="cam")
    guard = StreamGuard(ident)
    assert _guard_verdict(guard, _decoded(clip, 120)) == INJECTED_STREAM, guard.detail
    assert "noise" in guard.detail


def test_frames_arriving_at_file_speed_are_refused(shared_file) -> None:
    base = _first(shared_file("liveness", "liveportrait_d19.mp4"))
    ident = CameraIdentity.measure(list(_sensor(base, 60, 1)), backend="V4L2", device="cam")
    fast = [(100.0 + i * 0.004, f) for i, (_, f) in enumerate(_sensor(base, 120, 3))]
    guard = StreamGuard(ident)
    assert _guard_verdict(guard, fast) == INJECTED_STREAM and "interval" in guard.detail


def test_another_device_or_resolution_is_camera_changed(shared_file) -> None:
    base = _first(shared_file("liveness", "liveportrait_d19.mp4"))
    ident = CameraIdentity.measure(list(_sensor(base, 60, 1)), backend="V4L2", device="cam")
    assert StreamGuard(ident, backend="V4L2", device="OBS Virtual Camera").verdict \
        == CAMERA_CHANGED
    other = cv2.resize(base, (640, 480))
    assert _guard_verdict(StreamGuard(ident), _sensor(other, 5, 4)) == CAMERA_CHANGED


def test_unreadable_identity_file_is_none(tmp_path) -> None:
    p = recorded_path(tmp_path)
    p.write_text("{not json", encoding="utf-8")
    assert CameraIdentity.load(p) is None
    assert CameraIdentity.load(tmp_path / "missing.json") is None
