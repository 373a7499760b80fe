"""`kiosk camera record`: the camera is measured as the kiosk reads it and kept for the stream
guard; a replayed file is refused. The camera stand-in is a live FrameSource: a real photo
with fresh sensor noise in every frame, timed by a 30 fps clock (no webcam here)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from kiosk.camera.identity import INJECTED_STREAM, CameraIdentity, StreamGuard, recorded_path
from kiosk.camera.record import NotACamera, measure_source, record
from kiosk.camera.sources import open_source
from kiosk.camera.video_file import frame_at, read_frames
from kiosk.cli import main


class SensorStandIn:
    """A live camera as the kiosk sees one: `live`, a backend name, noisy frames."""

    live = True
    backend = "V4L2"
    fps = 30.0

    def __init__(self, base: np.ndarray, *, frames: int = 10_000, sigma: float = 2.5) -> None:
        self._base = base.astype(np.float32)
        self._rng = np.random.default_rng(7)
        self._left = frames
        self._sigma = sigma
        self.closed = False

    def read(self) -> np.ndarray | None:
        if self._left <= 0:
            return None
        self._left -= 1
        noisy = self._base + self._rng.normal(0, self._sigma, self._base.shape)
        return np.clip(noisy, 0, 255).astype(np.uint8)

    def close(self) -> None:
        self.closed = True


def _clock(period_s: float = 1 / 30):
    ticks = itertools.count()
    return lambda: 100.0 + next(ticks) * period_s


@pytest.fixture()
def still(shared_file) -> np.ndarray:
    frame = frame_at(shared_file("liveness", "liveportrait_d19.mp4"))
    assert frame is not None
    return frame


def test_recording_keeps_what_the_guard_then_checks(tmp_path, still, shared_file) -> None:
    camera = SensorStandIn(still)
    ident, path = record("device:1B3F:2247", width=480, height=480, data_dir=tmp_path,
                         opener=lambda spec, **kw: camera, clock=_clock(0.0334))
    assert camera.closed and path == recorded_path(tmp_path)
    assert CameraIdentity.load(path) == ident
    assert (ident.width, ident.height, ident.backend, ident.device) == \
        (480, 480, "V4L2", "device:1B3F:2247")
    assert ident.noise > 0.5
    # the same camera later passes the guard; the same scene as a decoded file does not
    guard = StreamGuard(ident)
    clock = _clock(0.0334)
    later = SensorStandIn(still)
    for _ in range(120):
        guard.feed(clock(), later.read())
    assert guard.verdict is None, guard.detail
    guard = StreamGuard(ident)
    clip = read_frames(shared_file("liveness", "liveportrait_d19.mp4"), 120)
    clock = _clock(0.0334)
    for frame in clip:
        guard.feed(clock(), frame)
    assert guard.verdict == INJECTED_STREAM


def test_the_rhythm_is_measured_on_arrival(still) -> None:
    ident = measure_source(SensorStandIn(still), backend="V4L2", device="0", frames=40,
                           clock=_clock(0.040))
    assert ident.interval_ms == pytest.approx(40.0, abs=0.01)
    assert ident.interval_jitter_ms == pytest.approx(0.0, abs=0.01)


def test_a_file_or_a_camera_that_gives_nothing_is_not_recorded(tmp_path, still,
                                                              shared_file) -> None:
    clip = shared_file("liveness", "liveportrait_d19.mp4")
    with pytest.raises(NotACamera, match="not a camera"):
        record(str(clip), width=640, height=480, data_dir=tmp_path, opener=open_source)
    with pytest.raises(NotACamera, match="at least 10"):
        record("0", width=640, height=480, data_dir=tmp_path,
               opener=lambda spec, **kw: SensorStandIn(still, frames=20))
    assert not recorded_path(tmp_path).exists()


def test_the_command_refuses_a_file_and_the_selftest_says_none_is_recorded(
        shared_file, capsys) -> None:
    from kiosk.selftest import check_camera_trust

    clip = shared_file("liveness", "liveportrait_d19.mp4")
    assert main(["camera", "record", "--camera", str(clip)]) == 1
    assert "not a camera" in capsys.readouterr().out
    (identity,) = [c for c in check_camera_trust() if c.name == "camera_identity"]
    assert identity.status == "warn" and "kiosk camera record" in identity.reason
