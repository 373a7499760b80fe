"""`kiosk camera list|choose|record`: pick the kiosk's camera at install and record it.

`choose` takes an index, a name or a USB VID:PID, checks that it names a connected camera,
and remembers it in the settings file as `[camera] device` in its most stable form (the USB
id when no other connected camera has it, else the name, else the index).
"""

from __future__ import annotations

import argparse
import json
from dataclasses import asdict
from pathlib import Path

from kiosk.camera.devices import (
    CameraLister,
    Choice,
    default_lister,
    list_cameras,
    resolve,
    stable_choice,
)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("camera", help="list the connected cameras, choose the kiosk's camera")
    cs = p.add_subparsers(dest="camera_command", metavar="ACTION", required=True)
    ls = cs.add_parser("list", help="connected cameras (index, name, USB VID:PID)")
    ls.add_argument("--json", action="store_true")
    ls.set_defaults(func=_list)
    ch = cs.add_parser("choose", help="remember the kiosk's camera in the settings")
    ch.add_argument("choice", help="index, name (or a unique part of it) or USB VID:PID")
    ch.add_argument("--force", action="store_true",
                    help="remember it even though no connected camera matches")
    ch.set_defaults(func=_choose)
    rec = cs.add_parser("record", help="measure the kiosk's camera (lens on a still, lit "
                        "scene) so the stream guard can refuse any other stream")
    rec.add_argument("--camera", default=None,
                     help="the source to record (default: the kiosk's camera setting)")
    rec.add_argument("--frames", type=int, default=90, help="frames measured (default 90)")
    rec.set_defaults(func=_record)


def _list(args: argparse.Namespace, lister: CameraLister | None = None) -> int:
    from kiosk.config import load_settings

    lister = lister if lister is not None else default_lister()
    devices, why = list_cameras(lister)
    device = load_settings().camera.device
    chosen = resolve(Choice.parse(device), devices).device if device.strip() else None
    if args.json:
        print(json.dumps({"chosen": device, "cameras": [
            {**asdict(d), "usb_id": d.usb_id, "chosen": d == chosen} for d in devices]},
            ensure_ascii=False, indent=2))
        return 0
    if not devices:
        print(f"no camera found ({why})" if why else "no camera found")
    for d in devices:
        print(("* " if d == chosen else "  ") + d.describe())
    if device.strip():
        print(f"chosen: {device!r}" + ("" if chosen else " — NOT CONNECTED"))
    return 0


def choose(text: str, *, lister: CameraLister | None = None, force: bool = False,
           settings_file: Path | None = None) -> str:
    """Check and remember a camera choice; returns what was written. ValueError when no
    connected camera matches (unless `force`)."""
    from kiosk import paths
    from kiosk.config import dump_settings, load_settings, with_changes
    from kiosk.files import atomic_write

    choice = Choice.parse(text)
    lister = lister if lister is not None else default_lister()
    devices, _why = list_cameras(lister)
    res = resolve(choice, devices)
    if res.device is None and not force:
        listed = "; ".join(d.describe() for d in devices) or "none"
        raise ValueError(f"no connected camera matches {choice.describe()} (connected: "
                         f"{listed}); use --force to remember it anyway")
    value = stable_choice(res.device, devices) if res.device is not None else text.strip()
    path = settings_file or paths.settings_path()
    settings = load_settings(path)
    atomic_write(path, dump_settings(with_changes(settings, "camera", device=value))
                 .encode("utf-8"))
    return value


def _choose(args: argparse.Namespace) -> int:
    try:
        value = choose(args.choice, force=args.force)
    except ValueError as exc:
        print(exc)
        return 1
    print(f"camera remembered: [camera] device = {value!r}")
    print("now record it with the lens on a still, lit scene: kiosk camera record")
    return 0


def _record(args: argparse.Namespace) -> int:
    from kiosk.camera.record import run

    return run(args)
