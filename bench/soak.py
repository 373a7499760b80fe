"""Soak: loop headless journeys in one process and watch it for growth.

    uv run python bench/soak.py --minutes 60 [--json]

One vision worker is loaded once and shared, as in the kiosk window. Each journey runs the
real flow, vision, store and slips (kiosk/journey/driver.py) on a
replayed clip from shared/data/liveness, in a rotating mix: a genuine resident (expected to
pass), someone else's face against the enrolled photo (expected to fail), and a near-still
face that never performs the challenge (expected to time out). Every resident gets a fresh
valid ID number so "already certified" never short-cuts the loop. Once a minute it samples
RSS, threads and open files (psutil); at the end it prints the samples, the growth between
the first and last sample, the outcomes and every error. Goal (DESIGN.md): RSS flat within
5 % after warm-up, no thread or handle growth, zero errors.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import traceback
from collections import Counter
from dataclasses import asdict, dataclass
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED = Path(os.environ.get("KIOSK_SHARED_DATA", ROOT.parent / "shared" / "data"))
LIVENESS = SHARED / "liveness"

# (label, clip shown to the camera, clip the roster photo comes from, challenges performed)
MIX = (
    ("genuine", "liveportrait_d18.mp4", "liveportrait_d18.mp4", "blink,open_mouth"),
    ("impostor", "liveportrait_d18.mp4", "liveportrait_d3.mp4", "blink,open_mouth"),
    ("no_action", "liveportrait_d19.mp4", "liveportrait_d19.mp4", "turn_left,turn_right"),
)


@dataclass(frozen=True)
class Sample:
    minute: float
    journeys: int
    rss_mb: float
    threads: int
    open_files: int
    fds: int


def sample(proc: psutil.Process, started: float, journeys: int) -> Sample:
    try:
        fds = proc.num_fds() if hasattr(proc, "num_fds") else proc.num_handles()
    except psutil.Error:
        fds = -1
    return Sample(round((time.monotonic() - started) / 60, 2), journeys,
                  round(proc.memory_info().rss / 2**20, 1), proc.num_threads(),
                  len(proc.open_files()), fds)


def id_number(n: int) -> str:
    from kiosk.idcard.number import check_digit

    first17 = f"110105194{(n // 1000) % 10}0101{n % 1000:03d}"
    return first17 + check_digit(first17)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=60.0)
    parser.add_argument("--sample-every", type=float, default=60.0, help="seconds")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    from kiosk.deploy.memory import limit_malloc_arenas

    limit_malloc_arenas()          # as the kiosk's launcher does
    home = Path(tempfile.mkdtemp(prefix="kiosk_soak_"))
    os.environ["KIOSK_HOME"] = str(home)
    from kiosk import models
    from kiosk.config import load_settings
    from kiosk.journey.driver import run_journey
    from kiosk.journey.seeding import seed_test_resident
    from kiosk.logs import setup_logging
    from kiosk.store.database import Store

    setup_logging()
    models.ensure_required()
    settings = load_settings()
    store = Store.open()
    # Like the kiosk window: the vision worker (models) is loaded once and serves every
    # resident; each journey gets its own camera, flow runtime and card reader around it.
    from kiosk.face.link import WorkerLink

    link = WorkerLink(settings).start()
    link.wait_loaded()
    proc = psutil.Process()
    started = time.monotonic()
    deadline = started + args.minutes * 60
    samples = [sample(proc, started, 0)]
    next_sample = started + args.sample_every
    outcomes: Counter[str] = Counter()
    errors: list[str] = []
    walls: list[float] = []
    n = 0
    try:
        while time.monotonic() < deadline:
            label, camera, enrolled, challenges = MIX[n % len(MIX)]
            number = id_number(n)
            try:
                seed_test_resident(store, number, LIVENESS / enrolled)
                report = run_journey(settings, camera=LIVENESS / camera, id_number=number,
                                     answers="yes,yes,no", store=store,
                                     challenges=tuple(challenges.split(",")), seed=n,
                                     slips=home / "slips", link=link)
                outcomes[f"{label}:{report.outcome}"] += 1
                walls.append(report.wall_s)
            except Exception:  # noqa: BLE001 - a soak counts errors, it does not stop
                errors.append(traceback.format_exc(limit=4))
            n += 1
            if time.monotonic() >= next_sample:
                samples.append(sample(proc, started, n))
                next_sample += args.sample_every
                if not args.json:
                    print(asdict(samples[-1]), flush=True)
    finally:
        samples.append(sample(proc, started, n))
        link.stop()
        store.close()
    closed = sample(proc, started, n)
    warm = samples[1] if len(samples) > 2 else samples[0]
    last = samples[-1]
    result = {
        "minutes": args.minutes, "journeys": n, "errors": len(errors),
        "outcomes": dict(outcomes),
        "mean_journey_s": round(sum(walls) / len(walls), 2) if walls else None,
        "rss_growth_after_warmup_pct": round(100 * (last.rss_mb - warm.rss_mb) / warm.rss_mb, 1),
        "thread_growth": last.threads - warm.threads,
        "fd_growth": last.fds - warm.fds,
        "fds_after_store_close": closed.fds,
        "samples": [asdict(s) for s in samples],
        "first_errors": errors[:3],
    }
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        print(json.dumps({k: v for k, v in result.items() if k != "samples"},
                         ensure_ascii=False, indent=2))
        print("minute journeys rss_mb threads open_files fds")
        for s in samples:
            print(f"{s.minute:6.2f} {s.journeys:8d} {s.rss_mb:7.1f} {s.threads:7d} "
                  f"{s.open_files:10d} {s.fds:4d}")
    return 0 if not errors else 1


if __name__ == "__main__":
    sys.exit(main())
