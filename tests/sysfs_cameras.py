"""A sysfs tree laid out like the kernel's /sys (USB device with idVendor/idProduct, its
interface, video4linux capture and metadata nodes symlinked from class/video4linux): the real
stand-in for `SysfsLister` in the camera tests (core and staff console)."""

from __future__ import annotations

import os
from pathlib import Path

from kiosk.camera.devices import SysfsLister


def usb_camera(sys_root: Path, node: int, *, port: str, name: str, vid: str, pid: str,
                metadata_node: bool = True) -> None:
    """/sys/devices/.../usb1/<port>/{idVendor,idProduct}, interface <port>:1.0 with
    video4linux/videoN, and /sys/class/video4linux/videoN -> that (as the kernel does)."""
    usb = sys_root / "devices" / "pci0000:00" / "0000:00:14.0" / "usb1" / port
    usb.mkdir(parents=True, exist_ok=True)
    (usb / "idVendor").write_text(vid + "\n")
    (usb / "idProduct").write_text(pid + "\n")
    iface = usb / f"{port}:1.0"
    nodes = [(node, 0)] + ([(node + 1, 1)] if metadata_node else [])
    for number, index in nodes:
        dev = iface / "video4linux" / f"video{number}"
        dev.mkdir(parents=True)
        (dev / "name").write_text(name + "\n")
        (dev / "index").write_text(f"{index}\n")
        os.symlink(os.path.relpath(iface, dev), dev / "device")
        cls = sys_root / "class" / "video4linux"
        cls.mkdir(parents=True, exist_ok=True)
        os.symlink(os.path.relpath(dev, cls), cls / f"video{number}")


def platform_camera(sys_root: Path, node: int, name: str) -> None:
    dev = sys_root / "devices" / "platform" / "vivid.0" / "video4linux" / f"video{node}"
    dev.mkdir(parents=True)
    (dev / "name").write_text(name + "\n")
    (dev / "index").write_text("0\n")
    os.symlink(os.path.relpath(dev.parent.parent, dev), dev / "device")
    cls = sys_root / "class" / "video4linux"
    cls.mkdir(parents=True, exist_ok=True)
    os.symlink(os.path.relpath(dev, cls), cls / f"video{node}")


def sysfs_lister(root: Path) -> SysfsLister:
    return SysfsLister(root / "class" / "video4linux")
