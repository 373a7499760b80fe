"""Choosing the kiosk's camera from the staff console (设置 → 摄像头), in words for a touch screen.

The cameras come from the same `CameraLister` as `kiosk camera list` (kiosk/camera/devices.py:
sysfs on Linux, DirectShow through cv2-enumerate-cameras on Windows). Each is shown with its
name and USB id, and whether it is

- in use: the one the running kiosk opened — it resolves `[camera] device` (or an index in
  `source`) once, when it starts, so a camera saved here is used **after a restart**;
- recorded at install: the device named in `camera_identity.json` (kiosk/camera/identity.py),
  which the stream guard compares the live picture against.

Saving writes `[camera] device` in its most stable form (`stable_choice`: the USB id when no
other connected camera has it, else the name, else the index) through
`settings_admin.save_settings` — admin only, written crash-safe, audited `settings.changed`
with the old and new value, like every other console setting.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from kiosk.camera.devices import (
    CameraDevice,
    CameraLister,
    Choice,
    list_cameras,
    resolve,
    stable_choice,
)
from kiosk.camera.identity import CameraIdentity
from kiosk.config import CameraSection, Settings, with_changes
from kiosk.staff import settings_admin
from kiosk.staff.login import StaffSession
from kiosk.store.database import Store


@dataclass(frozen=True)
class CameraOption:
    device: CameraDevice
    value: str              # what `[camera] device` becomes when this one is saved
    in_use: bool            # the running kiosk opened it
    recorded: bool          # named by the camera identity recorded at install

    def label_zh(self) -> str:
        """Two lines for a big button: the name and USB id, then what it is."""
        usb = f"　USB {self.device.usb_id}" if self.device.usb_id else "　（没有 USB 编号）"
        marks = [m for m, on in (("正在使用", self.in_use), ("安装时记录", self.recorded)) if on]
        return f"{self.device.name}{usb}\n" + ("　·　".join(marks) or f"编号 {self.device.index}")


@dataclass(frozen=True)
class CameraChoices:
    options: list[CameraOption] = field(default_factory=list)
    problem: str = ""           # why no camera could be listed (plain words), else ""
    in_use_zh: str = ""         # the camera in use, in words
    recorded_zh: str = ""       # the camera recorded at install, in words

    def option(self, value: str) -> CameraOption | None:
        return next((o for o in self.options if o.value == value), None)


def _in_use(cam: CameraSection, devices: list[CameraDevice]) -> tuple[CameraDevice | None, str]:
    if cam.device.strip():
        found = resolve(Choice.parse(cam.device), devices).device
        return found, (f"正在使用：{found.name}" if found else
                       f"设定的摄像头（{cam.device}）没有连接，现在没有画面")
    if cam.source.strip().isdigit():
        found = next((d for d in devices if d.index == int(cam.source)), None)
        return found, (f"正在使用：{found.name}（按编号 {cam.source}，换 USB 口后可能变）"
                       if found else f"按编号 {cam.source} 使用，没有找到这台摄像头")
    return None, "正在使用视频文件代替摄像头（仅供测试）"


def _recorded(identity: CameraIdentity | None, devices: list[CameraDevice]
              ) -> tuple[CameraDevice | None, str]:
    if identity is None or not identity.device.strip():
        return None, "安装时没有记录摄像头"
    found = resolve(Choice.parse(identity.device), devices).device
    return found, (f"安装时记录：{found.name}" if found else
                   f"安装时记录的摄像头（{identity.device}）没有连接")


def camera_choices(in_use: CameraSection, lister: CameraLister | None,
                   identity: CameraIdentity | None) -> CameraChoices:
    """The connected cameras as options (blocking: the lister may take a moment on Windows;
    run it off the GUI thread). `in_use`: the camera settings the running kiosk started with."""
    devices, why = list_cameras(lister)
    using, in_use_zh = _in_use(in_use, devices)
    recorded, recorded_zh = _recorded(identity, devices)
    options = [CameraOption(d, stable_choice(d, devices), d == using, d == recorded)
               for d in devices]
    problem = "" if devices else ("没有找到摄像头：请检查 USB 线是否插好，然后点“重新查找”。"
                                  + (f"（{why}）" if why else ""))
    return CameraChoices(options, problem, in_use_zh, recorded_zh)


def save_camera(store: Store, session: StaffSession, settings: Settings, choices: CameraChoices,
                value: str) -> tuple[Settings, str]:
    """Remember the chosen camera; returns (the new settings, what to tell the staff member).
    PermissionError for a non-admin, ValueError for a camera that is not in the list."""
    option = choices.option(value)
    if option is None:
        raise ValueError(f"no listed camera has the choice {value!r}")
    new = with_changes(settings, "camera", device=value)
    changed = settings_admin.save_settings(store, session, settings, new)
    name = option.device.name
    if not changed:
        return settings, f"没有变更：设置里已经是“{name}”。"
    if option.in_use:
        said = f"已保存：摄像头是“{name}”，就是现在使用的这台，不用重启。"
    else:
        said = (f"已保存：重启安心认证后改用“{name}”（现在仍用原来的摄像头）。"
                "请在没有居民办理时重启电脑或重新打开程序。")
    if choices.recorded_zh.startswith("安装时记录：") and not option.recorded:
        said += ("注意：这台不是安装时记录的摄像头，防假冒检查仍按原来的记录比对，"
                 "请联系技术人员重新记录。")
    return new, said
