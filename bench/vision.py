"""Vision figures: per-frame pipeline vs raw FaceLandmarker, match latency, memory.

    uv run python bench/vision.py [--clip PATH] [--frames N] [--rounds N]

Prints (no assertions; the goals are in DESIGN.md): frames/s of the raw FaceLandmarker and of
the full per-frame pipeline (observe + quality + liveness) on the same 640x480 frames in the
same run, their ratio (whole passes alternated, and frame by frame interleaved); match
latency per probe, cold (first call, model build included) and warm; the fused three-way decision over 5 probes x 3 references (references new, and
references cached as at a retry) beside the same 15 comparisons done with DeepFace.verify;
resident memory.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DEFAULT_CLIP = ROOT.parent / "shared" / "data" / "liveness" / "liveportrait_d9.mp4"


def rss_mb() -> float:
    import psutil

    return psutil.Process(os.getpid()).memory_info().rss / 1e6


def load_frames(clip: Path, n: int) -> list:
    import cv2

    from kiosk.camera.sources import open_source

    src = open_source(str(clip))
    frames = []
    while len(frames) < n:
        f = src.read()
        if f is None:
            break
        h, w = f.shape[:2]
        canvas = cv2.copyMakeBorder(f, 0, max(0, 480 - h), 0, max(0, 640 - w),
                                    cv2.BORDER_CONSTANT, value=(110, 110, 110))
        frames.append(cv2.resize(canvas[:480, :640], (640, 480)))
    src.close()
    return frames


def _guard(frames: list):
    from kiosk.camera.identity import CameraIdentity, StreamGuard

    ident = CameraIdentity.measure([(i * 0.033, f) for i, f in enumerate(frames[:12])],
                                   backend="bench", device="bench")
    return StreamGuard(ident)


def steps():
    """The paced steps the benches run: blink, hold still, nod, prompts told at once."""
    from kiosk.vision.liveness import LivenessSession

    return LivenessSession(("blink", "hold_still", "nod"), pauses_s=(0.5, 0.5, 0.5),
                           prompt_mode="told")


def bench_cues(frames: list) -> None:
    """What each liveness cue costs per frame on its own (observations made first)."""
    from kiosk.vision.observe import FaceObserver
    from kiosk.vision.surround import SurroundTracker

    ob = FaceObserver()
    obs = [ob.observe(f, i * 33) for i, f in enumerate(frames)]
    ob.close()
    n = len(frames)
    tracker = SurroundTracker()
    t0 = time.perf_counter()
    for f, o in zip(frames, obs, strict=True):
        tracker.feed(f, o)
    t_sur = time.perf_counter() - t0
    from kiosk.vision.splice import CutDetector

    cuts = CutDetector()
    t0 = time.perf_counter()
    for f, o in zip(frames, obs, strict=True):
        cuts.feed(f, o)
    t_cut = time.perf_counter() - t0
    guard = _guard(frames)
    t0 = time.perf_counter()
    for i, f in enumerate(frames):
        guard.feed(i * 0.033, f)
    t_guard = time.perf_counter() - t0
    from kiosk.vision.repeat import RepeatDetector

    rep = RepeatDetector()       # fed the frames twice (a 20-s history, as a long attempt)
    t0 = time.perf_counter()
    for k in range(2):
        for i, o in enumerate(obs):
            rep.feed(o, (k * n + i) / 30.0)
    t_rep = (time.perf_counter() - t0) / 2
    session = steps()
    t0 = time.perf_counter()
    for o in obs:
        session.update(o)
        if session.done:
            session = steps()
    t_rules = time.perf_counter() - t0
    session = steps()
    t0 = time.perf_counter()
    for f, o in zip(frames, obs, strict=True):
        session.update(o, f)
        if session.done:
            session = steps()
    t_all = time.perf_counter() - t0
    print(f"cues per frame: surroundings tracker {1000 * t_sur / n:.2f} ms, cut detector "
          f"{1000 * t_cut / n:.2f} ms, stream guard "
          f"{1000 * t_guard / n:.2f} ms, repetition detector {1000 * t_rep / n:.2f} ms, step rules (observations only) "
          f"{1000 * t_rules / n:.2f} ms, whole session with frames {1000 * t_all / n:.2f} ms")


class Pipeline:
    """The per-frame work as the kiosk runs it: observe, quality gates, stream guard, paced
    steps with hold still; a finished session starts again so the cues run on every frame."""

    def __init__(self, frames: list) -> None:
        from kiosk.vision.observe import FaceObserver
        from kiosk.vision.quality import assess

        self.observer, self.session, self.guard = FaceObserver(), steps(), _guard(frames)
        self.assess = assess

    def frame(self, i: int, f) -> None:
        o = self.observer.observe(f, i * 33)
        self.assess(f, o)
        self.guard.feed(i * 0.033, f)
        self.session.update(o, f)
        if self.session.done:
            self.session = steps()

    def close(self) -> None:
        self.observer.close()


def bench_frames(frames: list, rounds: int = 5) -> None:
    """Raw FaceLandmarker and the whole pipeline on the same frames, passes alternated
    `rounds` times (this machine is shared: a neighbour's load lands on one pass or the
    other). Printed: every round, the best pass of each (as timeit does: the least-disturbed
    run) and the median of the rounds' ratios."""
    import statistics

    from kiosk.vision.observe import FaceObserver

    n = len(frames)
    raws, pipes, cpu_ratios = [], [], []
    for rnd in range(rounds):
        raw = FaceObserver()
        t0, c0 = time.perf_counter(), time.process_time()
        for i, f in enumerate(frames):
            raw.detect_raw(f, i * 33)
        t_raw, c_raw = time.perf_counter() - t0, time.process_time() - c0
        raw.close()

        pipeline = Pipeline(frames)
        t0, c0 = time.perf_counter(), time.process_time()
        for i, f in enumerate(frames):
            pipeline.frame(i, f)
        t_pipe, c_pipe = time.perf_counter() - t0, time.process_time() - c0
        pipeline.close()
        raws.append(t_raw)
        pipes.append(t_pipe)
        cpu_ratios.append(c_pipe / c_raw)
        print(f"round {rnd + 1}: raw FaceLandmarker {n / t_raw:6.1f} fps "
              f"({1000 * t_raw / n:.1f} ms/frame)  pipeline {n / t_pipe:6.1f} fps "
              f"({1000 * t_pipe / n:.1f} ms/frame)  ratio {t_pipe / t_raw:.2f}x  "
              f"(CPU time: {1000 * c_raw / n:.1f} vs {1000 * c_pipe / n:.1f} ms/frame, "
              f"{c_pipe / c_raw:.2f}x)")
    best_raw, best_pipe = min(raws), min(pipes)
    ratios = [p / r for p, r in zip(pipes, raws, strict=True)]
    print(f"best of {rounds}: raw FaceLandmarker {n / best_raw:.1f} fps "
          f"({1000 * best_raw / n:.2f} ms/frame), pipeline {n / best_pipe:.1f} fps "
          f"({1000 * best_pipe / n:.2f} ms/frame), ratio {best_pipe / best_raw:.3f}x; "
          f"median of the rounds' ratios {statistics.median(ratios):.3f}x; "
          f"CPU time {statistics.median(cpu_ratios):.3f}x (median)")


def bench_interleaved(frames: list, rounds: int = 3) -> None:
    """The same comparison frame by frame: each frame goes through the raw FaceLandmarker
    and then through the pipeline (its own landmarker, so both track the clip as in VIDEO
    mode), each timed on its own. A neighbour's load that lasts longer than a frame lands on
    both sides alike, so the ratio holds still where the pass-by-pass one jumps (0.93-1.30x
    between passes of one run). Printed per round: both sums and their ratio."""
    import statistics

    from kiosk.vision.observe import FaceObserver

    n = len(frames)
    ratios = []
    for rnd in range(rounds):
        raw, pipeline = FaceObserver(), Pipeline(frames)
        t_raw = t_pipe = 0.0
        for i, f in enumerate(frames):
            t0 = time.perf_counter()
            raw.detect_raw(f, i * 33)
            t1 = time.perf_counter()
            pipeline.frame(i, f)
            t2 = time.perf_counter()
            t_raw += t1 - t0
            t_pipe += t2 - t1
        raw.close()
        pipeline.close()
        ratios.append(t_pipe / t_raw)
        print(f"interleaved round {rnd + 1}: raw FaceLandmarker {1000 * t_raw / n:.2f} ms/frame, "
              f"pipeline {1000 * t_pipe / n:.2f} ms/frame ({n / t_pipe:.1f} fps), "
              f"ratio {t_pipe / t_raw:.3f}x")
    print(f"interleaved, median of {rounds} rounds: ratio {statistics.median(ratios):.3f}x "
          f"(range {min(ratios):.3f}-{max(ratios):.3f}x)")


def bench_match(frames: list) -> None:
    from kiosk.vision.match import FaceMatcher, Probe
    from kiosk.vision.observe import FaceObserver

    ob = FaceObserver()
    probes = []
    for i, f in enumerate(frames[:40]):
        o = ob.observe(f, i * 33)
        if o.has_face and i % 8 == 0:
            probes.append(Probe(f, o))
    ob.close()
    m = FaceMatcher("Dlib")
    t0 = time.perf_counter()
    m.warm_up()
    print(f"match model cold start (verify + build + first embedding): "
          f"{time.perf_counter() - t0:.2f} s")
    for k in (1, len(probes)):
        t0 = time.perf_counter()
        reps = 5
        for _ in range(reps):
            m.embed_probes(probes[:k])
        dt = (time.perf_counter() - t0) / reps
        print(f"warm: {k} probe(s) aligned+embedded in {1000 * dt:.0f} ms "
              f"= {1000 * dt / k:.0f} ms per probe")
    from kiosk.vision.match import Reference

    d = m.decide([Reference("enrolled", frames[0])], probes)
    print(f"fused decision ({d.probes_used} probes + 1 reference): {d.outcome} "
          f"score {d.score:.4f} in {1000 * d.elapsed_s:.0f} ms")
    bench_fused(m, frames, probes[:5])
    m.close()


def _references(frames: list) -> list:
    """Three references of the clip's person: a frame, a card-sized portrait, a later frame
    (made here from the clip, never stored)."""
    import cv2

    from kiosk.vision.match import Reference

    h, w = frames[0].shape[:2]
    card = cv2.resize(frames[5][:, (w - h) // 2:(w + h) // 2], (102, 126),
                      interpolation=cv2.INTER_AREA)
    return [Reference("card_portrait", card), Reference("enrolled", frames[0].copy()),
            Reference("last_certification", frames[-1].copy())]


def bench_fused(m, frames: list, probes: list) -> None:
    """Our fused decision vs DeepFace.verify on the same 5 x 3 comparisons, same run."""
    import numpy as np

    for rnd in range(2):
        m._ref_cache.clear()
        refs = _references(frames)
        d = m.decide(refs, probes)
        fresh = d.elapsed_s
        t0 = time.perf_counter()
        d2 = m.decide(refs, probes)                    # a retry: references cached
        cached = time.perf_counter() - t0
        print(f"round {rnd + 1}: fused decision {d.probes_used} probes x {len(refs)} "
              f"references: {d.outcome} via {d.reference}, {1000 * fresh:.0f} ms "
              f"(references new), {1000 * cached:.0f} ms (references cached, {d2.outcome})")
    bench_ahead(m, frames, probes)
    try:
        from deepface import DeepFace
    except ImportError:
        print("DeepFace.verify: not importable")
        return
    # Its OpenCV detector needs cv2.CascadeClassifier (gone in OpenCV 5): give it the same
    # aligned crops with detector_backend="skip", so only the comparisons are timed.
    probe_crops = [m.align(p.frame, p.observation) for p in probes]
    ref_crops = [c for c in (m.align_still(r.image) for r in _references(frames))
                 if c is not None]
    t0 = time.perf_counter()
    votes = []
    for pc in probe_crops:
        for rc in ref_crops:
            out = DeepFace.verify(np.ascontiguousarray(pc), np.ascontiguousarray(rc),
                                  model_name="Dlib", detector_backend="skip", align=False,
                                  enforce_detection=False, silent=True)
            votes.append(bool(out["verified"]))
    t = time.perf_counter() - t0
    print(f"DeepFace.verify, same {len(votes)} comparisons (Dlib, aligned crops, detector "
          f"skipped): {1000 * t:.0f} ms, {sum(votes)}/{len(votes)} verified")


def bench_ahead(m, frames: list, probes: list) -> None:
    """As the kiosk runs it ([vision] embed_ahead): the references go to the embedder child
    when the resident is known, the probes while the attempt runs (paced at 30 frames/s,
    each probe offered as it becomes a candidate); then the decision after liveness."""
    from kiosk.vision.embedder import Embedder

    e = Embedder(m.model_name)
    t0 = time.perf_counter()
    ok = e.start()
    print(f"embedder child start (spawn + verify + build): {time.perf_counter() - t0:.2f} s")
    if not ok:
        print("embedder child: failed to start")
        return
    try:
        for rnd in range(2):
            m._ref_cache.clear()
            e.forget_all()
            refs = _references(frames)
            e.prepare_references([r.image for r in refs])
            step = max(1, 90 // len(probes))         # a ~3 s attempt, probes spread over it
            for i in range(90):
                time.sleep(1 / 30)
                e.offer_probes(probes[:1 + i // step], lambda p: m.align(p.frame,
                                                                          p.observation))
            d = m.decide(refs, probes, embedder=e)
            print(f"round {rnd + 1}: fused decision after liveness, embedded ahead: "
                  f"{d.probes_used} probes x {len(refs)} references: {d.outcome} via "
                  f"{d.reference}, {1000 * d.elapsed_s:.0f} ms")
    finally:
        e.close()


def bench_worker(clip: Path) -> None:
    """The real VisionWorker on a clip that passes liveness (d18: open mouth, blink), frames
    at camera pace, references prepared when the attempt starts; decision time of the
    match after liveness, with and without embed_ahead, in the same run."""
    import queue

    import cv2

    from kiosk.camera.video_file import read_frames
    from kiosk.vision.match import Reference
    from kiosk.vision.worker import (
        AttemptEnded,
        FrameResult,
        MatchResult,
        VisionOptions,
        VisionWorker,
        WorkerStatus,
    )

    frames = read_frames(clip)
    h, w = frames[0].shape[:2]
    card = cv2.resize(frames[5][:, (w - h) // 2:(w + h) // 2] if w > h else frames[5],
                      (102, 126), interpolation=cv2.INTER_AREA)
    refs = [Reference("card_portrait", card), Reference("enrolled", frames[-1]),
            Reference("last_certification", frames[len(frames) // 2])]

    def take(q, kind):
        while True:
            item = q.get(timeout=120)
            if isinstance(item, kind):
                return item

    for ahead in (True, False):
        q: queue.Queue = queue.Queue()
        wk = VisionWorker(q.put, options=VisionOptions(probes=5, embed_ahead=ahead)).start()
        take(q, WorkerStatus)
        wk.prepare_references(refs)
        wk.start_attempt(("open_mouth", "blink"))
        ended = None
        lat: list[float] = []
        t_start = time.perf_counter()
        for i, f in enumerate(frames):
            wait = t_start + i / 30 - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            wk.submit(f, i / 30.0)
            item = take(q, FrameResult)
            lat.append(item.latency_ms)
            while not q.empty():
                item = q.get_nowait()
                if isinstance(item, AttemptEnded):
                    ended = item
            if ended is not None:
                break
        if ended is None or not ended.result.passed:
            print(f"worker embed_ahead={ahead}: liveness did not pass "
                  f"({ended.result.reasons if ended else 'no end'})")
            wk.stop()
            continue
        t0 = time.perf_counter()
        wk.request_match(refs)
        res = take(q, MatchResult)
        wall = time.perf_counter() - t0
        d = res.decision
        print(f"worker embed_ahead={ahead}: match after liveness {d.probes_used} probes x "
              f"{len(refs)} references: {d.outcome} via {d.reference}, decision "
              f"{1000 * d.elapsed_s:.0f} ms, request->result {1000 * wall:.0f} ms; per-frame "
              f"worker latency during the attempt median {sorted(lat)[len(lat) // 2]:.1f} ms, "
              f"max {max(lat):.1f} ms")
        wk.stop()


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--clip", type=Path, default=DEFAULT_CLIP)
    ap.add_argument("--frames", type=int, default=300)
    ap.add_argument("--rounds", type=int, default=5, help="alternated raw/pipeline passes")
    args = ap.parse_args()
    from kiosk.logs import quiet_third_party

    quiet_third_party()
    print(f"cpu cores {os.cpu_count()}  rss at start {rss_mb():.0f} MB")
    frames = load_frames(args.clip, args.frames)
    print(f"{len(frames)} frames of {args.clip.name} at 640x480")
    bench_frames(frames, args.rounds)
    bench_interleaved(frames, max(3, args.rounds // 2))
    bench_cues(frames)
    print(f"rss after landmarks {rss_mb():.0f} MB")
    bench_match(frames)
    bench_worker(args.clip.parent / "liveportrait_d18.mp4")
    print(f"rss after matching {rss_mb():.0f} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
