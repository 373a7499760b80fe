"""Where a card read's time goes: route taken, why the fast path handed over, and the CPU
and wall seconds spent in text detection + recognition (full RapidOCR), the recogniser
alone, the outline finder and the whole-frame read, per card.

    nice uv run python bench/idcard_profile.py [--size 640x360] [--seed 1] [--scenes 22] [-v]

Reads the webcam scene sets of scene_sets.py as the kiosk does (`address=False`). `-v`
prints each card's condition, route, reason and time (never a field value).
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from kiosk.idcard import fast_read  # noqa: E402
from kiosk.idcard import read as rd  # noqa: E402
from kiosk.idcard.detect import CardDetector  # noqa: E402
from kiosk.idcard.ocr import CardOcr, get_ocr  # noqa: E402
from kiosk.idcard.scene_sets import webcam_scenes  # noqa: E402

spent: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0, 0])


def _timed(owner: object, name: str, key: str) -> None:
    inner = getattr(owner, name)

    def wrapper(*args, **kwargs):
        w0, c0 = time.perf_counter(), time.process_time()
        try:
            return inner(*args, **kwargs)
        finally:
            row = spent[key]
            row[0] += time.process_time() - c0
            row[1] += time.perf_counter() - w0
            row[2] += 1
    setattr(owner, name, wrapper)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--size", default="1280x720")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--scenes", type=int, default=22)
    ap.add_argument("-v", action="store_true")
    args = ap.parse_args()
    size = tuple(int(v) for v in args.size.split("x"))
    ocr = get_ocr()
    handed_over: Counter = Counter()
    judge = rd.judge_front

    def fast_verdict(warped, engine, t0, **kw):
        last.clear()
        result = fast(warped, engine, t0, **kw)
        if result[0] is None:                              # (kept, judged): not kept
            handed_over[last.get("reason", "side/orientation")] += 1
        last.clear()
        return result

    def judged(*a, **kw):
        result = judge(*a, **kw)
        last["reason"] = result.reason if not result.ok else "field missing or doubted"
        return result

    last: dict[str, str] = {}
    fast = rd._fast_front
    rd._fast_front = fast_verdict
    rd.judge_front = judged
    _timed(CardOcr, "lines", "full RapidOCR (detection + recognition)")
    _timed(CardOcr, "recognise", "recogniser alone (fast path)")
    _timed(CardDetector, "locate", "outline finder")
    _timed(rd, "read_whole_frame", "whole-frame read (layout)")
    _timed(fast_read, "field_boxes", "ink profile (field boxes)")
    scenes = list(webcam_scenes(args.scenes, size, seed=args.seed))
    rd.read_card(scenes[0].frame, ocr=ocr, address=False)          # warm
    spent.clear()
    handed_over.clear()
    routes: Counter = Counter()
    w0, c0 = time.perf_counter(), time.process_time()
    for sc in scenes:
        c1 = time.process_time()
        r = rd.read_card(sc.frame, ocr=ocr, want="front", address=False)
        routes[r.route] += 1
        if args.v:
            print(f"  {sc.condition:<18} {r.route:<8} {r.reason:<18} "
                  f"{time.process_time() - c1:.2f} CPU s  right={r.accepted_number == sc.person.id_number}")
    n = len(scenes)
    print(f"{args.size} seed {args.seed}: {(time.process_time() - c0) / n:.3f} CPU s/card, "
          f"{(time.perf_counter() - w0) / n:.3f} wall s/card, load {os.getloadavg()[0]:.1f}")
    print(f"routes {dict(routes)}; fast path handed over: {dict(handed_over)}")
    for key, (cpu, wall, calls) in spent.items():
        print(f"  {key:<42} {cpu / n:.3f} CPU s/card {wall / n:.3f} wall s/card ({calls} calls)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
