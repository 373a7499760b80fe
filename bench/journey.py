"""Numbers for the resident journey (prints figures; not a test).

    uv run python bench/journey.py [--clip PATH]

1. cold start to a usable welcome screen (real ports: store, camera, vision warming behind)
2. scripted journey wall time minus the clip's own time (what the kiosk adds)
3. GUI frames per second with the live preview running (clip replayed in real time)
4. RSS after all of that
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLIP = ROOT.parent / "shared" / "data" / "liveness" / "liveportrait_d18.mp4"
NUMBER = "11010519491231002X"
OTHER = "320102193804051230"

COLD = r"""
import time, sys
t0 = time.perf_counter()
from ui.app import KioskWindow, open_services
from ui.qt_app import make_app
from kiosk.config import Settings
app = make_app()
w = KioskWindow(open_services(Settings(), camera=sys.argv[1]))
w.resize(1920, 1080); w.show(); app.processEvents()
print(f"{time.perf_counter() - t0:.3f}")
w.close()
"""


def cold_start(clip: Path) -> float:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    t0 = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", COLD, str(clip)], capture_output=True,
                         text=True, env=env, cwd=ROOT, timeout=120)
    total = time.perf_counter() - t0
    inner = float(out.stdout.strip().splitlines()[-1])
    print(f"cold start to welcome: {inner:.2f} s in-process ({total:.2f} s incl. interpreter "
          f"start and shutdown)")
    return inner


def journey(clip: Path) -> None:
    from kiosk.config import Settings
    from kiosk.journey.driver import run_journey
    from kiosk.journey.seeding import seed_test_resident
    from kiosk.store.database import Store

    store = Store.open()
    seed_test_resident(store, NUMBER, clip)
    report = run_journey(Settings(), camera=clip, id_number=NUMBER, store=store)
    store.close()
    print(f"journey: {report.outcome}; wall {report.wall_s:.2f} s, clip {report.clip_s:.2f} s, "
          f"kiosk added {report.wall_s - report.clip_s:.2f} s (models warmed before: "
          f"{report.warm_s:.2f} s)")
    for state, seconds in report.states:
        if seconds > 0.05:
            print(f"    {state:<16} {seconds:6.2f} s")


def gui_fps(clip: Path, seconds: float = 6.0) -> None:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QEventLoop, QTimer

    from kiosk.config import Settings
    from kiosk.flow import events as ev
    from ui.app import KioskWindow, open_services
    from ui.qt_app import make_app

    app = make_app()
    w = KioskWindow(open_services(Settings(), camera=str(clip)))
    w.resize(1920, 1080)
    w.show()
    for action in ("start", "agree", "use_keypad"):
        w.on_screen_action(action)
    w.runtime.dispatch(ev.KeypadSubmitted(OTHER))
    w.on_screen_action("confirm_yes")
    deadline = time.time() + 30
    while w.flow.state.value == "eligibility" and time.time() < deadline:
        app.processEvents()
    loop = QEventLoop()
    start_frames = w.bridge.frames_shown
    start_vision = w.ports.vision.frames_processed
    start = time.perf_counter()
    QTimer.singleShot(int(seconds * 1000), loop.quit)
    loop.exec()
    elapsed = time.perf_counter() - start
    shown = w.bridge.frames_shown - start_frames
    processed = w.ports.vision.frames_processed - start_vision
    print(f"GUI preview ({w.flow.state.value}): {shown / elapsed:.1f} frames/s shown on the "
          f"GUI thread, vision {processed / elapsed:.1f} frames/s, bridge dropped "
          f"{w.bridge.frames_dropped} stale frames")
    w.close()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--clip", type=Path, default=CLIP)
    args = p.parse_args()
    if not args.clip.exists():
        print(f"clip not found: {args.clip}")
        return 2
    os.environ.setdefault("KIOSK_HOME", tempfile.mkdtemp(prefix="bench_journey_"))
    from kiosk import models
    from kiosk.logs import quiet_third_party

    quiet_third_party()
    models.provision(Path(os.environ["KIOSK_HOME"]) / "models")
    cold_start(args.clip)
    journey(args.clip)
    from kiosk.journey.seeding import seed_test_resident
    from kiosk.store.database import Store

    store = Store.open()
    seed_test_resident(store, OTHER, args.clip)
    store.close()
    gui_fps(args.clip.with_name("liveportrait_d9.mp4") if args.clip == CLIP else args.clip)
    import psutil

    print(f"RSS: {psutil.Process().memory_info().rss / 2**20:.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
