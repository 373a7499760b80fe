"""Choosing the camera by USB VID:PID or name: a sysfs tree laid out like a real one
(symlinked USB device, interface, video4linux nodes with metadata nodes) stands in for
/sys/class/video4linux."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sysfs_cameras import platform_camera, sysfs_lister, usb_camera

from kiosk.camera.commands import choose
from kiosk.camera.devices import (
    CameraAbsent,
    CameraDevice,
    Choice,
    camera_spec,
    index_for,
    resolve,
    stable_choice,
)
from kiosk.camera.sources import CameraError, open_source
from kiosk.config import load_settings


def test_sysfs_lists_capture_nodes_with_their_usb_ids(tmp_path: Path) -> None:
    usb_camera(tmp_path, 0, port="1-1", name="HD Pro Webcam C920", vid="046d", pid="082d")
    usb_camera(tmp_path, 2, port="1-2", name="Document Camera", vid="1b3f", pid="2247")
    platform_camera(tmp_path, 10, "vivid")
    cams = sysfs_lister(tmp_path).cameras()
    # metadata nodes (video1, video3) are left out; OpenCV's index is the node number
    assert [(c.index, c.name, c.usb_id) for c in cams] == [
        (0, "HD Pro Webcam C920", "046D:082D"), (2, "Document Camera", "1B3F:2247"),
        (10, "vivid", "")]
    assert cams[0].path == "/dev/video0"


def test_the_usb_id_finds_the_camera_after_its_index_moved(tmp_path: Path) -> None:
    before, after = tmp_path / "before", tmp_path / "after"
    usb_camera(before, 0, port="1-1", name="HD Pro Webcam C920", vid="046d", pid="082d")
    # a document camera came first at the next boot: the webcam is video2 now
    usb_camera(after, 0, port="1-2", name="Document Camera", vid="1b3f", pid="2247")
    usb_camera(after, 2, port="1-1", name="HD Pro Webcam C920", vid="046d", pid="082d")
    assert index_for("046d:082d", sysfs_lister(before))[0] == 0
    assert index_for("046D:082D", sysfs_lister(after))[0] == 2
    assert index_for("c920", sysfs_lister(after))[0] == 2          # a unique part of the name
    assert index_for("0", sysfs_lister(after))[0] == 0             # an index stays an index


def test_an_absent_camera_is_never_replaced_by_another(tmp_path: Path) -> None:
    usb_camera(tmp_path, 0, port="1-2", name="Document Camera", vid="1b3f", pid="2247")
    with pytest.raises(CameraAbsent, match="046D:082D.*Document Camera"):
        index_for("046d:082d", sysfs_lister(tmp_path))
    with pytest.raises(CameraAbsent):
        index_for("Webcam", sysfs_lister(tmp_path))
    # an index a lister does not show is still tried (the camera may open anyway)
    assert index_for("5", sysfs_lister(tmp_path))[0] == 5


def test_choice_parsing_and_matching_rules() -> None:
    assert Choice.parse(" 3 ") == Choice("index", index=3)
    assert Choice.parse("046d:082D") == Choice("usb", vid=0x046D, pid=0x082D)
    assert Choice.parse("USB Camera").kind == "name"
    assert Choice.parse("046d:082").kind == "name"             # not 4+4 hex digits
    with pytest.raises(ValueError):
        Choice.parse("  ")
    devices = [CameraDevice(0, "USB Camera"), CameraDevice(1, "USB Camera 2"),
               CameraDevice(2, "usb camera", 0x0C45, 0x6366)]
    exact = resolve(Choice.parse("USB Camera"), devices)
    assert exact.index == 0 and "2 connected cameras match" in exact.note  # casefold exact
    assert resolve(Choice.parse("camera 2"), devices).index == 1            # substring
    assert resolve(Choice.parse("0c45:6366"), devices).index == 2


def test_stable_choice_prefers_a_unique_usb_id_then_name_then_index() -> None:
    a = CameraDevice(0, "USB2.0 Camera", 0x0C45, 0x6366)
    b = CameraDevice(2, "USB2.0 Camera", 0x0C45, 0x6366)
    c = CameraDevice(4, "Document Camera", 0x1B3F, 0x2247)
    d = CameraDevice(6, "Integrated Camera")
    assert stable_choice(c, [a, b, c, d]) == "1B3F:2247"
    assert stable_choice(d, [a, b, c, d]) == "Integrated Camera"
    assert stable_choice(b, [a, b, c, d]) == "2"               # two identical cameras


def test_choose_remembers_the_camera_in_the_settings(tmp_path: Path) -> None:
    sysfs, settings = tmp_path / "sys", tmp_path / "home" / "settings.toml"
    usb_camera(sysfs, 0, port="1-1", name="HD Pro Webcam C920", vid="046d", pid="082d")
    usb_camera(sysfs, 2, port="1-2", name="Document Camera", vid="1b3f", pid="2247")
    assert choose("0", lister=sysfs_lister(sysfs), settings_file=settings) == "046D:082D"
    assert load_settings(settings).camera.device == "046D:082D"
    with pytest.raises(ValueError, match="no connected camera"):
        choose("Logitech Brio", lister=sysfs_lister(sysfs), settings_file=settings)
    assert load_settings(settings).camera.device == "046D:082D"   # unchanged
    assert choose("Logitech Brio", lister=sysfs_lister(sysfs), settings_file=settings,
                  force=True) == "Logitech Brio"
    assert camera_spec("0", load_settings(settings).camera.device) == "device:Logitech Brio"
    assert camera_spec("clip.mp4", "") == "clip.mp4"


def test_opening_an_absent_chosen_camera_says_camera_absent() -> None:
    # the real lister of this machine: no camera has the USB id FFFF:FFFF
    with pytest.raises(CameraError) as err:
        open_source("device:FFFF:FFFF")
    assert err.value.reason == "camera_absent"


def test_selftest_names_the_camera_and_fails_loudly_when_it_is_absent(
        tmp_path: Path, kiosk_home: Path) -> None:
    from kiosk.selftest import check_camera

    home, sysfs = kiosk_home, tmp_path / "sys"
    usb_camera(sysfs, 40, port="1-1", name="HD Pro Webcam C920", vid="046d", pid="082d")
    (home / "settings.toml").write_text('[camera]\ndevice = "046d:082d"\n', encoding="utf-8")
    [named] = check_camera(lister=sysfs_lister(sysfs))
    # no /dev/video40 here: the check names the camera it tried and warns it gave no picture
    assert named.name == "camera" and "HD Pro Webcam C920 (046D:082D)" in named.reason
    assert named.reason.startswith("camera 40: ")
    (home / "settings.toml").write_text('[camera]\ndevice = "1b3f:2247"\n', encoding="utf-8")
    [absent] = check_camera(lister=sysfs_lister(sysfs))
    assert absent.status == "fail"
    assert "CHOSEN CAMERA NOT CONNECTED" in absent.reason and "1B3F:2247" in absent.reason


def test_camera_list_command_marks_the_chosen_one(tmp_path: Path, capsys,
                                                  kiosk_home: Path) -> None:
    import argparse

    from kiosk.camera.commands import _list

    home, sysfs = kiosk_home, tmp_path / "sys"
    usb_camera(sysfs, 0, port="1-1", name="HD Pro Webcam C920", vid="046d", pid="082d")
    usb_camera(sysfs, 2, port="1-2", name="Document Camera", vid="1b3f", pid="2247")
    (home / "settings.toml").write_text('[camera]\ndevice = "Document"\n', encoding="utf-8")
    assert _list(argparse.Namespace(json=True), lister=sysfs_lister(sysfs)) == 0
    out = json.loads(capsys.readouterr().out)
    assert [(c["index"], c["usb_id"], c["chosen"]) for c in out["cameras"]] == [
        (0, "046D:082D", False), (2, "1B3F:2247", True)]
    assert _list(argparse.Namespace(json=False), lister=sysfs_lister(sysfs)) == 0
    assert "* 2: Document Camera (1B3F:2247)" in capsys.readouterr().out


class _BrokenLister:
    """What Wine showed: the Windows lister's module missing."""

    def cameras(self) -> list[CameraDevice]:
        raise ImportError("No module named 'cv2_enumerate_cameras'")


def test_a_lister_that_fails_does_not_stop_the_camera_check(kiosk_home: Path) -> None:
    from kiosk.selftest import check_camera

    [line] = check_camera(lister=_BrokenLister())         # index 0: still opened
    assert line.status == "warn" and "cv2_enumerate_cameras" in line.reason
    (kiosk_home / "settings.toml").write_text('[camera]\ndevice = "046d:082d"\n',
                                              encoding="utf-8")
    [chosen] = check_camera(lister=_BrokenLister())
    assert chosen.status == "fail" and "could not be listed" in chosen.reason
