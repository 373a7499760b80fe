"""Choosing the camera from the staff console: the cameras of a sysfs tree laid out like the
kernel's (the real SysfsLister reads it), which one is in use and which one was recorded at
install, saved through the settings-admin path (admin only, audited), used at the next start
and named by the self-test."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from staff_fixtures import add_staff, open_store, session
from sysfs_cameras import platform_camera, sysfs_lister, usb_camera

from kiosk import paths
from kiosk.camera.devices import camera_spec, index_for
from kiosk.camera.identity import CameraIdentity, recorded_path
from kiosk.config import CameraSection, Settings, load_settings
from kiosk.staff import camera_choice


def _two_cameras(root: Path) -> None:
    usb_camera(root, 0, port="1-1", name="HD Pro Webcam C920", vid="046d", pid="082d")
    usb_camera(root, 2, port="1-2", name="Document Camera", vid="1b3f", pid="2247")
    platform_camera(root, 10, "vivid")          # no USB id: remembered by its name


def _identity(device: str) -> CameraIdentity:
    return CameraIdentity("v4l2", device, 640, 480, 33.3, 0.4, 1.8)


def test_the_options_say_which_camera_is_in_use_and_which_was_recorded(tmp_path):
    _two_cameras(tmp_path)
    choices = camera_choice.camera_choices(CameraSection(device="046d:082d"),
                                           sysfs_lister(tmp_path), _identity("Document Camera"))
    assert [(o.device.index, o.value, o.in_use, o.recorded) for o in choices.options] == [
        (0, "046D:082D", True, False), (2, "1B3F:2247", False, True), (10, "vivid", False, False)]
    assert choices.options[0].label_zh() == "HD Pro Webcam C920　USB 046D:082D\n正在使用"
    assert choices.options[1].label_zh() == "Document Camera　USB 1B3F:2247\n安装时记录"
    assert choices.options[2].label_zh() == "vivid　（没有 USB 编号）\n编号 10"
    assert choices.in_use_zh == "正在使用：HD Pro Webcam C920"
    assert choices.recorded_zh == "安装时记录：Document Camera"
    assert choices.problem == ""
    # by index (the default "0"): in use, with the warning that an index can move
    by_index = camera_choice.camera_choices(CameraSection(source="2"), sysfs_lister(tmp_path),
                                            None)
    assert [o.in_use for o in by_index.options] == [False, True, False]
    assert "按编号 2" in by_index.in_use_zh and by_index.recorded_zh == "安装时没有记录摄像头"


def test_an_absent_chosen_camera_and_no_camera_at_all_are_said_plainly(tmp_path):
    usb_camera(tmp_path, 0, port="1-2", name="Document Camera", vid="1b3f", pid="2247")
    choices = camera_choice.camera_choices(CameraSection(device="046d:082d"),
                                           sysfs_lister(tmp_path), _identity("046D:082D"))
    assert not any(o.in_use for o in choices.options)
    assert choices.in_use_zh == "设定的摄像头（046d:082d）没有连接，现在没有画面"
    assert choices.recorded_zh == "安装时记录的摄像头（046D:082D）没有连接"
    empty = tmp_path / "empty" / "class" / "video4linux"
    empty.mkdir(parents=True)
    none = camera_choice.camera_choices(CameraSection(), sysfs_lister(tmp_path / "empty"), None)
    assert none.options == [] and none.problem.startswith("没有找到摄像头")
    unlisted = camera_choice.camera_choices(CameraSection(), None, None)
    assert "cameras cannot be listed on this system" in unlisted.problem


def test_saving_a_camera_is_admin_only_audited_and_used_at_the_next_start(tmp_path):
    sysfs = tmp_path / "sys"
    _two_cameras(sysfs)
    store = open_store(tmp_path)
    settings_file = paths.settings_path()
    try:
        add_staff(store)
        settings = Settings(camera=CameraSection(device="046D:082D"))
        choices = camera_choice.camera_choices(settings.camera, sysfs_lister(sysfs),
                                               _identity("HD Pro Webcam C920"))
        with pytest.raises(PermissionError):
            camera_choice.save_camera(store, session(store, "op1"), settings, choices,
                                      "1B3F:2247")
        assert not settings_file.exists()
        with pytest.raises(ValueError):
            camera_choice.save_camera(store, session(store, "admin"), settings, choices,
                                      "FFFF:FFFF")
        admin = session(store, "admin")
        new, said = camera_choice.save_camera(store, admin, settings, choices, "1B3F:2247")
        assert new.camera.device == "1B3F:2247"
        assert load_settings(settings_file).camera.device == "1B3F:2247"
        assert "重启安心认证后改用“Document Camera”" in said
        assert "不是安装时记录的摄像头" in said          # the stream guard's record is the C920
        rows = store.query("SELECT actor, detail FROM audit_log WHERE action = 'settings.changed'")
        assert [(r["actor"], json.loads(r["detail"])) for r in rows] == [
            ("admin", {"camera.device": ["046D:082D", "1B3F:2247"]})]
        # the next start resolves the saved choice to the document camera (video2)
        saved = load_settings(settings_file).camera
        assert camera_spec(saved.source, saved.device) == "device:1B3F:2247"
        assert index_for(saved.device, sysfs_lister(sysfs))[0] == 2
        # choosing the camera already in use needs no restart; the same again changes nothing
        _, same = camera_choice.save_camera(store, admin, new, choices, "046D:082D")
        assert "就是现在使用的这台，不用重启" in same and "注意" not in same
        _, nothing = camera_choice.save_camera(
            store, admin, Settings(camera=CameraSection(device="046D:082D")), choices,
            "046D:082D")
        assert nothing.startswith("没有变更")
        assert store.verify_audit().ok
    finally:
        store.close()


def test_the_selftest_names_the_camera_saved_from_the_console(tmp_path):
    from kiosk.selftest import check_camera

    sysfs = tmp_path / "sys"
    _two_cameras(sysfs)
    store = open_store(tmp_path)
    try:
        add_staff(store)
        choices = camera_choice.camera_choices(CameraSection(), sysfs_lister(sysfs), None)
        camera_choice.save_camera(store, session(store, "admin"), Settings(), choices,
                                  "1B3F:2247")
        [line] = check_camera(lister=sysfs_lister(sysfs))
        # no /dev/video2 on this machine: named, and said to give no picture
        assert line.reason.startswith("camera 2: Document Camera (1B3F:2247)")
    finally:
        store.close()


def test_the_recorded_identity_file_is_what_the_console_reads(tmp_path):
    _two_cameras(tmp_path)
    _identity("1b3f:2247").save(recorded_path(paths.data_dir()))
    choices = camera_choice.camera_choices(CameraSection(), sysfs_lister(tmp_path),
                                           CameraIdentity.load_recorded())
    assert [o.recorded for o in choices.options] == [False, True, False]
