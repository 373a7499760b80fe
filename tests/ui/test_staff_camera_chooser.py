"""The Settings page's camera chooser, tapped like a touch screen: the cameras of a sysfs tree
laid out like the kernel's (read by the real SysfsLister, off the GUI thread), the one in use
checked, another one tapped and saved into settings.toml with its audit row; an operator
never sees the page and cannot save."""

from __future__ import annotations

import json

import pytest
from console_helpers import logged_in_console, tap
from staff_fixtures import session
from sysfs_cameras import sysfs_lister, usb_camera

from kiosk import paths
from kiosk.config import CameraSection, Settings, load_settings
from ui.staff.base import ConsoleContext
from ui.staff.choices import CHECK


@pytest.fixture()
def sysfs(tmp_path):
    root = tmp_path / "sys"
    usb_camera(root, 0, port="1-1", name="HD Pro Webcam C920", vid="046d", pid="082d")
    usb_camera(root, 2, port="1-2", name="Document Camera", vid="1b3f", pid="2247")
    return root




def _settings_page(qtbot, store, sysfs, *, camera_in_use=None):
    ctx = ConsoleContext(store=store, settings=Settings(camera=CameraSection(device="046D:082D")),
                         camera_lister=sysfs_lister(sysfs), camera_in_use=camera_in_use)
    console = logged_in_console(qtbot, ctx, "admin")
    settings = console.show_page("settings")
    chooser = settings.camera
    qtbot.waitUntil(lambda: not chooser.listing and chooser.buttons.count() == 2,
                    timeout=10_000)
    return console, chooser


def test_tapping_a_camera_and_saving_it_writes_the_settings_with_an_audit_row(
        app, qtbot, store, sysfs):
    console, chooser = _settings_page(qtbot, store, sysfs)
    in_use = chooser.buttons.button("046D:082D")
    other = chooser.buttons.button("1B3F:2247")
    assert in_use.text() == CHECK + "HD Pro Webcam C920　USB 046D:082D\n正在使用"
    assert other.text() == "Document Camera　USB 1B3F:2247\n编号 2"
    assert in_use.height() >= 96 and other.height() >= 96           # big touch buttons
    assert "正在使用：HD Pro Webcam C920" in chooser.state.text()
    assert "安装时没有记录摄像头" in chooser.state.text()
    tap(qtbot, other)
    assert chooser.buttons.currentData() == "1B3F:2247" and other.text().startswith(CHECK)
    tap(qtbot, chooser.use_button)
    assert load_settings(paths.settings_path()).camera.device == "1B3F:2247"
    assert "重启安心认证后改用“Document Camera”" in chooser.message.text()
    assert not chooser.restart_button.isVisible()     # no supervisor: reopen by hand
    assert console.ctx.settings.camera.device == "1B3F:2247"
    rows = store.query("SELECT actor, detail FROM audit_log WHERE action = 'settings.changed'")
    assert [(r["actor"], json.loads(r["detail"])) for r in rows] == [
        ("admin", {"camera.device": ["046D:082D", "1B3F:2247"]})]
    # "重新查找": still the C920 in use (the kiosk opened it at its start) until a restart
    tap(qtbot, chooser.find_button)
    qtbot.waitUntil(lambda: not chooser.listing, timeout=10_000)
    assert chooser.buttons.button("046D:082D").text().endswith("正在使用")
    # the other settings saved afterwards keep the camera just chosen
    settings_page = console.pages["settings"]
    settings_page.rate.setValue(settings_page.rate.value() + 10)
    settings_page.save()
    assert load_settings(paths.settings_path()).camera.device == "1B3F:2247"
    assert "重启安心认证后生效" in settings_page.message.text()


def test_under_the_supervisor_a_saved_camera_is_one_tap_from_being_used(
        app, qtbot, store, sysfs, monkeypatch):
    from kiosk.deploy.supervisor import ENV_SUPERVISED, RESTART_ASKED
    from ui.qt_app import RESTART_PROPERTY, exit_code
    monkeypatch.setenv(ENV_SUPERVISED, "1")
    console, chooser = _settings_page(qtbot, store, sysfs)
    tap(qtbot, chooser.buttons.button("046D:082D"))      # the one in use: nothing to restart
    assert not chooser.restart_button.isVisible()
    tap(qtbot, chooser.buttons.button("1B3F:2247"))
    tap(qtbot, chooser.use_button)
    assert chooser.restart_button.isVisible() and "现在重启安心认证" in chooser.message.text()
    try:
        tap(qtbot, chooser.restart_button)
        assert exit_code(0) == RESTART_ASKED            # what the kiosk process exits with
        assert not console.isVisible()                  # every window closed as on an exit
    finally:
        app.setProperty(RESTART_PROPERTY, False)
    assert exit_code(0) == 0
    rows = store.query("SELECT actor, subject, detail FROM audit_log"
                       " WHERE action = 'kiosk.restart_asked'")
    assert [(r["actor"], r["subject"], json.loads(r["detail"])) for r in rows] == [
        ("admin", "camera", {"device": "1B3F:2247"})]


def test_the_camera_the_kiosk_opened_is_the_one_marked_in_use(app, qtbot, store, sysfs):
    # the kiosk started on the document camera by index; the file now names the C920
    _console, chooser = _settings_page(qtbot, store, sysfs,
                                       camera_in_use=CameraSection(source="2"))
    assert chooser.buttons.currentData() == "1B3F:2247"
    assert chooser.buttons.button("1B3F:2247").text().endswith("正在使用")
    assert not chooser.buttons.button("046D:082D").text().endswith("正在使用")


def test_an_operator_cannot_save_a_camera(app, qtbot, store, sysfs):
    _console, chooser = _settings_page(qtbot, store, sysfs)
    chooser.ctx.session = session(store, "op1")
    chooser.buttons.setCurrentIndex(chooser.buttons.findData("1B3F:2247"))
    assert not chooser.use_button.isEnabled()
    chooser.save()
    assert chooser.message.text().startswith("未保存")
    assert not paths.settings_path().exists()
