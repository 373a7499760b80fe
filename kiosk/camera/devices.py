"""Which camera: chosen by USB VID:PID or by name, not by an index that moves.

An OpenCV index (`0`, `1`) changes when a second USB camera or a document camera is plugged
in, so the kiosk can be told `[camera] device = "046D:0825"` (the USB vendor:product id) or
`device = "HD Pro Webcam"` (the name, or a unique part of it) or an index. The choice is
turned into an index each time the camera is opened (`open_source("device:<choice>")`), so
the camera is found again after it moves to another USB port.

Listing the cameras is behind `CameraLister`:

- Linux: `SysfsLister` reads `/sys/class/video4linux/video*/` (`name`, `index`: 0 is the
  capture node, higher ones are the same camera's metadata nodes) and `idVendor`/`idProduct`
  of the USB device above it. OpenCV's V4L2 index N is `/dev/videoN`.
- Windows: `DshowLister` asks `cv2-enumerate-cameras` for the DirectShow list (the order
  OpenCV's `CAP_DSHOW` indices follow), VID:PID parsed from the device path.
"""

from __future__ import annotations

import re
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

SYSFS_VIDEO = Path("/sys/class/video4linux")
DEVICE_PREFIX = "device:"
_USB_ID = re.compile(r"^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$")


@dataclass(frozen=True)
class CameraDevice:
    index: int                  # OpenCV index for this platform's backend
    name: str
    vid: int | None = None
    pid: int | None = None
    path: str = ""              # /dev/videoN or the Windows device path

    @property
    def usb_id(self) -> str:
        return f"{self.vid:04X}:{self.pid:04X}" if self.vid is not None and \
            self.pid is not None else ""

    def describe(self) -> str:
        usb = f" ({self.usb_id})" if self.usb_id else ""
        return f"{self.index}: {self.name}{usb}"


class CameraLister(Protocol):
    def cameras(self) -> list[CameraDevice]: ...


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace").strip()
    except OSError:
        return ""


class SysfsLister:
    """Video capture nodes from sysfs (`root` is a folder laid out like
    /sys/class/video4linux; tests build one)."""

    def __init__(self, root: Path = SYSFS_VIDEO) -> None:
        self.root = root

    def cameras(self) -> list[CameraDevice]:
        out = []
        nodes = sorted(self.root.glob("video*"), key=lambda p: _node_number(p.name))
        for node in nodes:
            number = _node_number(node.name)
            if number < 0 or _read(node / "index") not in ("", "0"):
                continue        # a metadata node of a camera already listed
            vid, pid = _usb_ids(node / "device")
            out.append(CameraDevice(number, _read(node / "name") or node.name, vid, pid,
                                    f"/dev/{node.name}"))
        return out


def _node_number(name: str) -> int:
    digits = name.removeprefix("video")
    return int(digits) if digits.isdigit() else -1


def _usb_ids(device: Path) -> tuple[int | None, int | None]:
    """idVendor/idProduct of the USB device above a video node (the node's `device` is the
    USB interface; the ids are one or two levels up)."""
    try:
        here = device.resolve(strict=True)
    except OSError:
        return None, None
    for folder in (here, *list(here.parents)[:3]):
        vendor, product = _read(folder / "idVendor"), _read(folder / "idProduct")
        if vendor and product:
            try:
                return int(vendor, 16), int(product, 16)
            except ValueError:
                return None, None
    return None, None


class DshowLister:  # pragma: no cover - Windows only (cv2-enumerate-cameras' DLL)
    """DirectShow cameras in OpenCV's CAP_DSHOW order, via cv2-enumerate-cameras."""

    def cameras(self) -> list[CameraDevice]:
        import cv2
        from cv2_enumerate_cameras import enumerate_cameras

        return [CameraDevice(c.index, c.name, c.vid, c.pid, c.path or "")
                for c in enumerate_cameras(cv2.CAP_DSHOW)]


def default_lister(platform: str = sys.platform) -> CameraLister | None:
    if platform == "win32":
        return DshowLister()
    if platform.startswith("linux"):
        return SysfsLister()
    return None


@dataclass(frozen=True)
class Choice:
    """A parsed `[camera] device` value."""

    kind: str                   # "index", "usb" or "name"
    index: int = -1
    vid: int = 0
    pid: int = 0
    name: str = ""

    @classmethod
    def parse(cls, text: str) -> Choice:
        text = text.strip()
        if not text:
            raise ValueError("empty camera choice")
        if text.isdigit():
            return cls("index", index=int(text))
        m = _USB_ID.match(text)
        if m:
            return cls("usb", vid=int(m.group(1), 16), pid=int(m.group(2), 16))
        return cls("name", name=text)

    def describe(self) -> str:
        if self.kind == "index":
            return f"index {self.index}"
        if self.kind == "usb":
            return f"USB {self.vid:04X}:{self.pid:04X}"
        return f"name {self.name!r}"


@dataclass(frozen=True)
class Resolution:
    choice: Choice
    device: CameraDevice | None     # the listed camera it names (None: not connected)
    index: int | None               # what to open (None: nothing to open)
    note: str = ""                  # e.g. "2 cameras match, the first is used"


def resolve(choice: Choice, devices: list[CameraDevice]) -> Resolution:
    """Which connected camera a choice names. An index is opened even when the list does not
    show it (a camera the lister cannot see may still open); a name or USB id never falls
    back to another camera."""
    if choice.kind == "index":
        found = next((d for d in devices if d.index == choice.index), None)
        return Resolution(choice, found, choice.index)
    if choice.kind == "usb":
        matches = [d for d in devices if d.vid == choice.vid and d.pid == choice.pid]
    else:
        wanted = choice.name.casefold()
        matches = [d for d in devices if d.name.casefold() == wanted] or \
                  [d for d in devices if wanted in d.name.casefold()]
    if not matches:
        return Resolution(choice, None, None)
    note = (f"{len(matches)} connected cameras match {choice.describe()}; the first "
            f"({matches[0].describe()}) is used") if len(matches) > 1 else ""
    return Resolution(choice, matches[0], matches[0].index, note)


def stable_choice(device: CameraDevice, devices: list[CameraDevice]) -> str:
    """What to remember for a camera: its USB id if no other connected camera has it, else
    its name if unique, else its index (two identical cameras can only be told apart so)."""
    if device.usb_id and sum(d.usb_id == device.usb_id for d in devices) == 1:
        return device.usb_id
    if sum(d.name.casefold() == device.name.casefold() for d in devices) == 1:
        return device.name
    return str(device.index)


def camera_spec(source: str, device: str) -> str:
    """The spec `open_source` is given: `device:<choice>` when a device is chosen, else the
    `source` setting (an index, a file or a folder)."""
    return f"{DEVICE_PREFIX}{device.strip()}" if device.strip() else source


class CameraAbsent(LookupError):
    """The chosen camera is not connected."""


def list_cameras(lister: CameraLister | None) -> tuple[list[CameraDevice], str]:
    """(cameras, "") or ([], why they could not be listed): a lister that fails (its library
    missing or its DLL not loading) never stops the camera from being opened by index."""
    if lister is None:
        return [], "cameras cannot be listed on this system"
    try:
        return lister.cameras(), ""
    except Exception as exc:  # noqa: BLE001 - ImportError, OSError, a driver's COM error
        return [], f"cameras could not be listed ({type(exc).__name__}: {exc})"


def index_for(choice_text: str, lister: CameraLister | None = None) -> tuple[int, Resolution]:
    """The OpenCV index to open for a `[camera] device` value; CameraAbsent when a name or
    USB id matches no connected camera."""
    choice = Choice.parse(choice_text)
    lister = lister if lister is not None else default_lister()
    devices, why = list_cameras(lister)
    res = resolve(choice, devices)
    if res.index is None:
        listed = "; ".join(d.describe() for d in devices) or why or "none"
        raise CameraAbsent(f"chosen camera ({choice.describe()}) is not connected; "
                           f"connected: {listed}")
    return res.index, res
