"""Frames of a shared clip read whole, in part, one by index; a bad file reads as nothing."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from kiosk.camera.video_file import file_fps, frame_at, read_frames


def test_a_clip_reads_whole_in_part_and_by_index(shared_file) -> None:
    clip = shared_file("liveness", "liveportrait_d18.mp4")
    frames = read_frames(clip)
    assert len(frames) == 216 and frames[0].shape == (480, 480, 3)   # MANIFEST: 216 @ 30 fps
    assert file_fps(clip) == 30.0
    first = read_frames(clip, 3)
    assert len(first) == 3 and np.array_equal(first[2], frames[2])
    at = frame_at(clip, 100)
    assert at is not None and np.abs(at.astype(int) - frames[100]).mean() < 2.0
    assert frame_at(clip, 10_000) is None


def test_a_missing_or_broken_file_reads_as_nothing(tmp_path: Path) -> None:
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video at all" * 100)
    for path in (broken, tmp_path / "absent.mp4"):
        assert read_frames(path) == []
        assert frame_at(path) is None
        assert file_fps(path, default=25.0) == 25.0
