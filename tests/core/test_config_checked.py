"""Every setting is real: fixed-choice strings are checked, retired keys accept only what
the kiosk does anyway, [vision.quality] is typed, range-checked, described and reaches the
parts that use it, and settings.toml is written by a real TOML writer."""

from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np
import pytest

from kiosk.config import (
    ConfigError,
    Settings,
    describe_settings,
    dump_settings,
    parse_settings,
    with_changes,
)
from kiosk.face.translate import ResultTranslator
from kiosk.flow import events as ev
from kiosk.vision.quality import assess
from kiosk.vision.worker import VisionOptions


def test_a_chip_reader_name_is_refused_with_the_key() -> None:
    with pytest.raises(ConfigError, match=r"idcard\.reader: 'cvr100'"):
        parse_settings('[idcard]\nreader = "cvr100"\n')
    with pytest.raises(ConfigError, match=r"camera\.mirror_preview"):
        parse_settings("[camera]\nmirror_preview = false\n")
    # a file written by an older kiosk (old defaults) still loads
    old = parse_settings('[idcard]\nreader = "camera"\nsimulated_dir = ""\n'
                         '[camera]\nmirror_preview = true\n')
    assert old == Settings()
    assert "mirror_preview" not in dump_settings(old)     # retired: not written again


def test_fixed_choice_strings_are_checked() -> None:
    with pytest.raises(ConfigError, match=r"vision\.model: 'Facenet'"):
        parse_settings('[vision]\nmodel = "Facenet"\n')
    assert parse_settings('[vision]\nmodel = "SFace"\n').vision.model == "SFace"


def test_any_string_round_trips_through_the_toml_writer() -> None:
    tricky = 'A "centre"\n二楼 \\ 窗口\t3'
    s = with_changes(Settings(), "kiosk", centre_name=tricky)
    s = with_changes(s, "vision", thresholds={"Dlib": 0.55})
    assert parse_settings(dump_settings(s)) == s


def test_quality_settings_are_ranged_and_described() -> None:
    with pytest.raises(ConfigError, match=r"vision\.quality\.min_luma: 300\.0 is outside"):
        parse_settings("[vision.quality]\nmin_luma = 300\n")
    with pytest.raises(ConfigError, match=r"vision\.quality\.ready_frames"):
        parse_settings("[vision.quality]\nready_frames = 0\n")
    with pytest.raises(ConfigError, match=r"idcard\.steady_frames"):
        parse_settings("[idcard]\nsteady_frames = 0\n")
    keys = {key: doc for key, _default, doc in describe_settings()}
    for name in ("min_face_frac", "max_face_frac", "max_offset_frac", "second_face_frac",
                 "min_luma", "max_luma", "backlit_delta", "min_sharpness", "max_yaw",
                 "max_pitch", "min_eye_open", "max_glare_frac", "ready_frames",
                 "stable_frames"):
        assert keys.get(f"vision.quality.{name}"), name


def test_quality_settings_reach_the_gates_and_the_translator() -> None:
    s = parse_settings("[vision.quality]\nmin_luma = 200\nready_frames = 2\nstable_frames = 1\n")
    options = VisionOptions.from_settings(s)
    assert options.quality.min_luma == 200.0
    frame = np.full((480, 640, 3), 120, np.uint8)            # a mid-grey face region
    obs = NS(has_face=True, box=(220.0, 140.0, 200.0, 200.0), other_boxes=(), yaw=0.0,
             pitch=0.0, eye_open_left=0.3, eye_open_right=0.3, landmarks=None)
    assert "too_dark" in assess(frame, obs, options.quality).reasons
    assert "too_dark" not in assess(frame, obs, Settings().vision.quality).reasons
    t = ResultTranslator.from_settings(s)
    good = NS(quality=NS(ok=True, reason="ok", score=1.0), liveness=None,
              observation=NS(timestamp_ms=0, box=None))
    first, second = t.frame(good), t.frame(good)
    assert ev.FaceReady() not in first and ev.FaceReady() in second   # after 2, not 8
