"""`kiosk selftest [--json]`: can this kiosk serve residents right now?

Each check says ok, warn or fail with a plain reason. Exit 0 only when nothing failed:
a missing camera or speech is a warning (staff can still help), a bad model or an unusable
database is a failure.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import TYPE_CHECKING

from kiosk import __version__, models, paths
from kiosk.deploy.checks import CheckResult, describe_database_error, run_all, run_guarded

if TYPE_CHECKING:
    from kiosk.camera.devices import CameraLister


def check_models() -> list[CheckResult]:
    out = []
    models.ensure_required()
    for c in models.verify():
        if c.ok:
            out.append(CheckResult(f"model:{c.name}", "ok", "SHA-256 verified"))
        elif c.status == "mismatch":
            out.append(CheckResult(f"model:{c.name}", "fail", c.describe()))
        elif c.required:
            out.append(CheckResult(f"model:{c.name}", "fail",
                                   f"{c.describe()}; run `kiosk models provision`"))
        elif c.status == "unpinned":
            out.append(CheckResult(f"model:{c.name}", "warn", c.describe()))
    return out


def check_face_decision() -> list[CheckResult]:
    """Which model(s) decide a face, with each one's threshold and review band."""
    from kiosk.config import load_settings
    from kiosk.vision.fusion import second_model
    from kiosk.vision.match import configured_band

    v = load_settings().vision
    names = [v.model] + [m for m in (second_model(v.fuse_with, v.model),) if m]
    bands = []
    for name in names:
        band = configured_band(dataclasses.replace(v, model=name))
        bands.append(f"{name} (threshold {band.threshold:.3f}, review band "
                     f"{band.review_band:.3f})")
    how = " fused with ".join(bands)
    if len(names) == 1 and v.fuse_with not in ("auto", "off"):
        return [CheckResult("face_decision", "warn",
                            f"{how} alone: [vision] fuse_with = {v.fuse_with} is not "
                            "provisioned (`kiosk models provision --from DIR`)")]
    return [CheckResult("face_decision", "ok", how)]


def check_database() -> list[CheckResult]:
    path = paths.database_path()
    try:
        con = sqlite3.connect(path, timeout=5)
        try:
            con.isolation_level = None
            con.execute("PRAGMA journal_mode=WAL")
            # Take the write lock and write, then roll back: proves the file is writable
            # without leaving anything behind in the resident database.
            con.execute("BEGIN IMMEDIATE")
            try:
                con.execute("CREATE TABLE IF NOT EXISTS selftest_probe (at REAL)")
                con.execute("INSERT INTO selftest_probe VALUES (?)", (time.time(),))
            finally:
                con.execute("ROLLBACK")
            ok = con.execute("PRAGMA quick_check").fetchone()[0]
        finally:
            con.close()
    except sqlite3.Error as exc:
        return [CheckResult("database", "fail", describe_database_error(path, exc))]
    if ok != "ok":
        return [CheckResult("database", "fail", f"{path}: integrity check says {ok}")]
    return [CheckResult("database", "ok", f"{path} opens, writes, passes quick_check")]


def check_speech() -> list[CheckResult]:
    from kiosk.speech.probe import probe_speech

    p = probe_speech()
    return [CheckResult("speech", p.status, p.reason)]


def check_voices() -> list[CheckResult]:
    """Every Mandarin voice it can use (SAPI5 + OneCore on Windows) and recorded prompts."""
    from kiosk.speech.probe import probe_recordings, probe_voices

    return [CheckResult("voices", *probe_voices()),
            CheckResult("recorded_prompts", *probe_recordings())]


def check_font() -> list[CheckResult]:
    from kiosk.fonts import cjk_font_files

    files = cjk_font_files()
    if not files:
        return [CheckResult("cjk_font", "fail", "no font that can draw Chinese was found")]
    return [CheckResult("cjk_font", "ok", f"{files[0].name} ({len(files)} CJK font(s) found)")]


def check_camera(source: str | None = None,
                 lister: CameraLister | None = None) -> list[CheckResult]:
    """Opens the camera in use and names it (name, USB id, index). A camera chosen by name or
    USB id (`[camera] device`) that is not connected FAILS loudly: the kiosk never falls
    back to another camera, so no face can be checked until it is plugged in."""
    from kiosk.camera.devices import CameraAbsent, default_lister, index_for, list_cameras
    from kiosk.config import load_settings

    cam = load_settings().camera
    lister = lister if lister is not None else default_lister()
    name = ""
    if source is None and cam.device.strip():
        try:
            index, res = index_for(cam.device, lister)
        except CameraAbsent as exc:
            return [CheckResult("camera", "fail", f"CHOSEN CAMERA NOT CONNECTED: {exc}; plug "
                                "it in, or choose another (`kiosk camera list`, "
                                "`kiosk camera choose`)")]
        spec = str(index)
        name = res.device.describe() if res.device else f"index {index} (not listed)"
        if res.note:
            name += f"; {res.note}"
    else:
        spec = source or cam.source
        if spec.isdigit():
            devices, why = list_cameras(lister)
            found = [d for d in devices if d.index == int(spec)]
            name = found[0].describe() if found else (f"{spec!r} ({why})" if why else "")
    try:
        import cv2
    except ImportError as exc:
        return [CheckResult("camera", "fail", f"OpenCV missing: {exc}")]
    if spec.isdigit():
        backend = cv2.CAP_DSHOW if sys.platform == "win32" else cv2.CAP_ANY
        cap = cv2.VideoCapture(int(spec), backend)
    else:
        cap = cv2.VideoCapture(spec)
    try:
        ok, frame = cap.read() if cap.isOpened() else (False, None)
    finally:
        cap.release()
    label = f"camera {name}" if name else f"camera {spec!r}"
    if not ok or frame is None:
        return [CheckResult("camera", "warn", f"{label} gives no picture; the kiosk "
                            "still runs (ID number by keypad, staff route)")]
    h, w = frame.shape[:2]
    return [CheckResult("camera", "ok", f"{label} gives {w}x{h} frames")]


def check_camera_trust() -> list[CheckResult]:
    """Says loudly when files may stand in for the camera, and whether the camera the kiosk
    was installed with is on record (the stream guard needs it)."""
    from kiosk.camera.identity import CameraIdentity, recorded_path
    from kiosk.config import load_settings

    out = []
    if load_settings().camera.replay_for_tests:
        out.append(CheckResult("camera_replay", "warn", "camera replay for tests is ON: files "
                               "accepted as the camera, liveness timing relaxed; never in "
                               "production"))
    ident = CameraIdentity.load(recorded_path(paths.data_dir()))
    out.append(CheckResult("camera_identity", "ok" if ident else "warn",
                           f"recorded {ident.backend}/{ident.width}x{ident.height}" if ident
                           else "no camera identity recorded: injected streams not checked "
                           "(run `kiosk camera record`)"))
    return out


def check_printer() -> list[CheckResult]:
    """The slip printer of `[printer]`: raw ESC/POS printer reachable, or the system queue
    (CUPS / Windows spooler) ready. Never a failure: slips are also saved as PDF."""
    from kiosk.config import load_settings
    from kiosk.printing.status import printer_state

    p = load_settings().printer
    return [CheckResult("printer", *printer_state(p.raw, p.queue))]


def check_settings() -> list[CheckResult]:
    from kiosk.config import ConfigError, load_settings

    try:
        load_settings()
    except ConfigError as exc:
        return [CheckResult("settings", "fail", str(exc))]
    return [CheckResult("settings", "ok", f"{paths.settings_path()} (defaults where absent)")]


def check_qt_platform() -> list[CheckResult]:
    """Qt's platform plugin for this machine loads; else the missing library and package."""
    from kiosk.deploy.qt_platform import check_platform

    report = check_platform()
    return [CheckResult("qt_platform", "ok" if report.ok else "fail", report.message())]


def check_deployment() -> list[CheckResult]:
    """Disk space (the one disk check), clock, schema version and UI restarts."""
    return run_all()


def check_chip_reader() -> list[CheckResult]:
    from kiosk.idcard.reader_choice import reader_status

    status, reason = reader_status()
    return [CheckResult("chip_reader", status, reason)]


def check_windows_dlls(platform: str = sys.platform) -> list[CheckResult]:
    """On Windows: every DLL that onnxruntime, MediaPipe and Qt need is found, with every
    function they import from it (kiosk/deploy/windows_dlls.py); read before any is loaded."""
    if platform != "win32":
        return []
    from kiosk.deploy.windows_dlls import verdict

    status, lines = verdict()
    return [CheckResult("windows_dlls", status, line) for line in lines]


def check_load_order() -> list[CheckResult]:
    """onnxruntime, mediapipe and Qt load together, in the UI's order for this platform."""
    from kiosk.deploy.load_order import describe, load_in_ui_order

    steps = load_in_ui_order()
    status = "ok" if all(s.ok for s in steps) else "fail"
    return [CheckResult("load_order", status, describe(steps))]


def check_second_store() -> list[CheckResult]:
    """A second kiosk database elsewhere on this machine (kiosk/deploy/stores.py)."""
    from kiosk.deploy.stores import check_second_store as check

    return check()


def check_backups() -> list[CheckResult]:
    """Nightly backups: is there a recent copy, and is it on another disk than the data?"""
    import datetime as dt

    from kiosk.store.backup import configured_dir, list_backups, same_disk

    db = paths.database_path()
    folder = configured_dir(db)
    out = []
    if same_disk(folder, db):
        out.append(CheckResult("backup:location", "warn",
                               f"backups go to {folder}, on the same disk as the database: a"
                               " failed disk loses both; set [store] backup_dir to another"
                               " disk or a USB stick"))
    else:
        out.append(CheckResult("backup:location", "ok", f"backups go to {folder}"))
    found = list_backups(db, folder)
    if not found:
        out.append(CheckResult("backup:latest", "warn", "no backup yet (the kiosk makes one"
                               " at start and every night at 02:00; `kiosk store backup`)"))
        return out
    age = dt.datetime.now().timestamp() - found[-1].stat().st_mtime
    status = "ok" if age < 2 * 86400 else "warn"
    out.append(CheckResult("backup:latest", status,
                           f"newest backup {found[-1].name}, {age / 3600:.0f} h old,"
                           f" {len(found)} kept"))
    return out


CHECKS: list[Callable[[], list[CheckResult]]] = [
    check_settings, check_windows_dlls, check_load_order, check_models, check_face_decision,
    check_database, check_second_store, check_backups,
    check_speech, check_voices, check_font, check_qt_platform, check_camera,
    check_camera_trust, check_chip_reader, check_printer, check_deployment,
]


def run_checks() -> list[CheckResult]:
    return run_guarded(CHECKS)


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("selftest", help="check models, database, speech, font and camera")
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    results = run_checks()
    can_serve = not any(r.status == "fail" for r in results)
    if args.json:
        print(json.dumps({"version": __version__, "can_serve": can_serve,
                          "data_dir": str(paths.data_dir()),
                          "checks": [asdict(r) for r in results]}, ensure_ascii=False, indent=2))
    else:
        for r in results:
            print(f"[{r.status.upper():4}] {r.name}: {r.reason}")
        print("kiosk can serve residents" if can_serve else "kiosk can NOT serve residents")
    return 0 if can_serve else 1
