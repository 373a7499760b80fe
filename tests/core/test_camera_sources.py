"""Frame sources: stills, folders, videos, and the reason codes of bad input."""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np
import pytest

from kiosk.camera.sources import ArraySource, CameraError, FrameSource, open_source


def _write_image(path: Path, value: int = 120) -> Path:
    img = np.full((48, 64, 3), value, np.uint8)
    cv2.imwrite(str(path), img)
    return path


def _write_video(path: Path, frames: int = 12) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 25.0, (64, 48))
    for i in range(frames):
        writer.write(np.full((48, 64, 3), i * 10, np.uint8))
    writer.release()
    return path


def _drain(src: FrameSource) -> list[np.ndarray]:
    out = []
    while (f := src.read()) is not None:
        out.append(f)
    src.close()
    return out


def test_still_is_replayed_as_n_identical_frames(tmp_path: Path) -> None:
    src = open_source(str(_write_image(tmp_path / "a.png")), still_frames=7)
    assert isinstance(src, FrameSource) and not src.live
    frames = _drain(src)
    assert len(frames) == 7
    assert all(np.array_equal(frames[0], f) for f in frames)


def test_folder_replays_in_name_order_and_skips_corrupt_files(tmp_path: Path) -> None:
    _write_image(tmp_path / "b.png", 200)
    _write_image(tmp_path / "a.png", 10)
    (tmp_path / "c.jpg").write_bytes(b"not really a jpeg")
    src = open_source(str(tmp_path))
    frames = _drain(src)
    assert [int(f.mean()) for f in frames] == [10, 200]
    assert src.skipped == 1


def test_video_file_is_replayed_to_its_end(tmp_path: Path) -> None:
    src = open_source(str(_write_video(tmp_path / "v.avi")))
    assert src.fps == pytest.approx(25.0)
    assert len(_drain(src)) == 12


@pytest.mark.parametrize(("name", "content", "reason"), [
    ("broken.jpg", b"\xff\xd8garbage", "unreadable_image"),
    ("broken.mp4", b"\x00\x00\x00\x18ftypmp42 not a movie", "unreadable_video"),
])
def test_bad_files_give_reason_codes(tmp_path: Path, name: str, content: bytes,
                                     reason: str) -> None:
    (tmp_path / name).write_bytes(content)
    with pytest.raises(CameraError) as err:
        open_source(str(tmp_path / name))
    assert err.value.reason == reason


def test_missing_path_and_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(CameraError) as err:
        open_source(str(tmp_path / "nope.mp4"))
    assert err.value.reason == "no_such_source"
    (tmp_path / "empty").mkdir()
    with pytest.raises(CameraError) as err:
        open_source(str(tmp_path / "empty"))
    assert err.value.reason == "no_images"


def test_absent_camera_device_is_camera_unavailable() -> None:
    with pytest.raises(CameraError) as err:
        open_source("57")
    assert err.value.reason == "camera_unavailable"


def test_array_source_paced_and_unpaced_give_the_same_frames() -> None:
    frames = [np.full((4, 4, 3), i, np.uint8) for i in range(3)]
    assert len(_drain(ArraySource(frames, realtime=False))) == 3
    assert len(_drain(ArraySource(frames, fps=200.0, realtime=True))) == 3
