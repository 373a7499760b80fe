"""Which project modules one certification runs through, and on which threads.

Runs one whole headless journey (real flow, vision, store; `kiosk journey --id-number`)
on a shared clip with a profiler on every thread, then prints the kiosk modules whose functions
ran, grouped by the thread that ran them, and the count. Run it on two trees to compare a
layout before and after (PYTHONPATH=<other tree> python bench/certification_path.py).
Nothing is timed.
"""

from __future__ import annotations

import inspect
import os
import sys
import tempfile
import threading
from collections import defaultdict
from pathlib import Path

CLIP = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "liveness" / \
    "liveportrait_d18.mp4"
NUMBER = "11010519491231002X"


def main() -> int:
    os.environ.setdefault("KIOSK_HOME", tempfile.mkdtemp(prefix="bench_path_"))
    import kiosk
    from kiosk import models
    from kiosk.config import Settings, with_changes
    from kiosk.logs import quiet_third_party

    quiet_third_party()
    models.provision(Path(os.environ["KIOSK_HOME"]) / "models")
    root = str(Path(kiosk.__file__).resolve().parent)
    seen: dict[str, set[str]] = defaultdict(set)

    def profile(frame, event, arg):  # noqa: ANN001
        if event == "call" and frame.f_code.co_flags & inspect.CO_OPTIMIZED:  # functions only
            name = frame.f_code.co_filename
            if name.startswith(root):
                module = "kiosk" + name[len(root):].removesuffix(".py").replace(os.sep, ".")
                seen[module.removesuffix(".__init__")].add(
                    threading.current_thread().name.split("_")[0].rstrip("-0123456789"))

    try:
        from kiosk.journey.driver import run_journey
        from kiosk.journey.seeding import seed_test_resident
    except ImportError:                       # the layout before kiosk/journey existed
        from kiosk.flow.journey import run_journey, seed_test_resident
    from kiosk.store.database import Store

    store = Store.open()
    seed_test_resident(store, NUMBER, CLIP)
    threading.setprofile(profile)
    sys.setprofile(profile)
    try:
        # a replayed clip cannot answer prompts: the explicit test setting, as the tests do
        settings = with_changes(Settings(), "camera", replay_for_tests=True)
        report = run_journey(settings, camera=CLIP, id_number=NUMBER, answers="yes,yes",
                             store=store, challenges=("blink", "open_mouth"), seed=1,
                             timeout_s=90)
    finally:
        sys.setprofile(None)
        threading.setprofile(None)
        store.close()
    skip = ("kiosk.models", "kiosk.paths", "kiosk.logs", "kiosk.config", "kiosk.speech")
    path = sorted(m for m in seen if not m.startswith(skip))
    by_thread: dict[str, list[str]] = defaultdict(list)
    for m in path:
        for t in sorted(seen[m]):
            by_thread[t].append(m)
    print(f"outcome: {report.outcome}")
    for t, mods in sorted(by_thread.items()):
        print(f"thread {t}: {len(mods)} modules: {', '.join(mods)}")
    print(f"{len(path)} kiosk modules ran in one certification (settings, paths, logs, "
          f"models and speech left out), on {len(by_thread)} threads")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
